package main

import (
	"syscall"
	"time"
)

// checkOS returns nil: Linux has the /proc files and the rusage that
// loadtest measures processes with.
func checkOS() error { return nil }

// selfCPU returns the CPU time this process has used.
func selfCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
