//go:build !linux

package examples_test

import (
	"os"
	"testing"
)

// openPTY skips tb: the tests open pseudo-terminals on Linux only.
func openPTY(tb testing.TB) (master, slave *os.File) {
	tb.Helper()
	tb.Skip("the tests open a pseudo-terminal on Linux only")
	return nil, nil
}
