//go:build !linux

package s3_test

import "os/exec"

// setDeathSignal does nothing here: only Linux can have a child killed
// when its parent dies. TestMain stops the server at the end.
func setDeathSignal(cmd *exec.Cmd) {}
