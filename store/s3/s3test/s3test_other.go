//go:build !linux

package s3test

import "os/exec"

// setDeathSignal does nothing here: only Linux can have a child killed
// when its parent dies. Main stops the server at the end.
func setDeathSignal(cmd *exec.Cmd) {}
