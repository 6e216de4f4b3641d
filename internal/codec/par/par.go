// Package par decides how many goroutines a call of the codecs or of
// scaler's pixel loops may use. A call that runs alone in the process may
// spread its work over every core, which shortens it; a call that runs
// while others do gets one goroutine, because the cores are busy with the
// others anyway and handing work between goroutines then only costs: on
// a 2560×1600 JPEG, decoding, halving and encoding on two goroutines took
// 40% more CPU time than on one.
//
// It is used by the JPEG decoder and encoder and by package scaler; nothing
// else imports it.
package par

import (
	"runtime"
	"sync/atomic"
)

// running counts the calls between Enter and Leave.
var running atomic.Int32

// Enter counts a call in and returns how many goroutines it may use:
// GOMAXPROCS when no other call is running, 1 otherwise. The caller calls
// Leave when it is done, and must not start more goroutines than Enter
// allowed.
func Enter() int {
	if running.Add(1) > 1 {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// Leave counts out a call that Enter counted in.
func Leave() {
	running.Add(-1)
}
