package simd

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestAVX2 checks the detection against what Linux reports in
// /proc/cpuinfo, where it can.
func TestAVX2(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		if AVX2 {
			t.Fatalf("AVX2 is true on %s", runtime.GOARCH)
		}
		return
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo to check against: %v", err)
	}
	var flags string
	for line := range strings.SplitSeq(string(info), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			flags = " " + value + " "
			break
		}
	}
	if want := strings.Contains(flags, " avx2 "); AVX2 != want {
		t.Errorf("AVX2 = %v, /proc/cpuinfo lists avx2: %v", AVX2, want)
	}
}
