//go:build !linux

package main

import (
	"fmt"
	"runtime"
)

// checkOS says that loadtest cannot run here: it measures the servers'
// CPU time, page faults and peak memory from Linux's /proc files.
func checkOS() error {
	return fmt.Errorf("measuring processes through /proc is not supported on %s", runtime.GOOS)
}

// selfCPU is never called where checkOS fails.
func selfCPU() float64 { return 0 }
