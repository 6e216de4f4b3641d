package s3test

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel kill cmd when the test binary dies, so
// that a crashed or killed test leaves no server behind.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
