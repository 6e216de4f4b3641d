//go:build linux

package examples_test

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY opens a pseudo-terminal and returns its master end, which reads
// what is written to the terminal, and its slave end, the terminal that a
// program is given. Both are closed when tb ends.
func openPTY(tb testing.TB) (master, slave *os.File) {
	tb.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Fatalf("opening a pseudo-terminal: %v", err)
	}
	tb.Cleanup(func() { master.Close() })
	// Through SyscallConn rather than Fd, which would make reads of the
	// master block a thread.
	conn, err := master.SyscallConn()
	if err != nil {
		tb.Fatal(err)
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		var errno syscall.Errno
		if err := conn.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
		}); err != nil {
			return err
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
	var unlock int32 // 0 unlocks the slave
	if err := ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		tb.Fatalf("unlocking the pseudo-terminal: %v", err)
	}
	var n uint32
	if err := ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		tb.Fatalf("numbering the pseudo-terminal: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Fatalf("opening the terminal of the pseudo-terminal: %v", err)
	}
	tb.Cleanup(func() { slave.Close() })
	return master, slave
}
