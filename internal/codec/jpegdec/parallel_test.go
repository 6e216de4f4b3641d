package jpegdec

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// smallBatches makes the sequential decoder work in jobs of a few blocks,
// and small images use every goroutine, so that they take the parallel
// paths, until the test ends.
func smallBatches(tb testing.TB) {
	tb.Helper()
	oldBatch, oldSmall := batchBlocks, smallImage
	batchBlocks, smallImage = 4, 0
	tb.Cleanup(func() { batchBlocks, smallImage = oldBatch, oldSmall })
}

// withProcs sets GOMAXPROCS to n until the test ends.
func withProcs(tb testing.TB, n int) {
	tb.Helper()
	old := runtime.GOMAXPROCS(n)
	tb.Cleanup(func() { runtime.GOMAXPROCS(old) })
}

// TestParallelPaths decodes files with one goroutine and with several, in
// small jobs so that the pipelines of sequential scans, the parallel
// restart intervals and the pipelined progressive scans all run; every way
// must give the same pixels.
func TestParallelPaths(t *testing.T) {
	inputs := []testFile{
		{"generated-420", encodeTest(t, benchImage(203, 157), 80)},
		{"generated-gray", encodeTest(t, toGray(benchImage(203, 157)), 80)},
	}
	for _, name := range []string{"gray-base-rst1row.jpg", "seq-chroma-first.jpg", "444-base-rst4.jpg",
		"seq-noninterleaved.jpg", "420-prog.jpg", "prog-script-444-rst2.jpg", "y22c12-prog-rst4.jpg",
		"rgb-base.jpg", "rgb-420-noninterleaved.jpg", "rgb-422-prog.jpg", "cmyk-22-base.jpg", "cmyk-22-prog-rst4.jpg", "ycck-prog-rst2.jpg",
		"arith-gray-base-rst1row.jpg", "arith-420-base-rst4.jpg", "arith-422-prog-rst4.jpg", "arith-gray-prog-rst1row.jpg",
		"arith-rgb-base.jpg", "arith-ycck-prog-rst2.jpg", "fine-11-22.jpg", "fine-12-22.jpg", "fine-11-22-arith-prog-rst2.jpg"} {
		inputs = append(inputs, testFile{name, readTestFile(t, name)})
	}
	want := map[string][]byte{}
	func() {
		withProcs(t, 1)
		for _, in := range inputs {
			m, err := DecodeGray(in.data, nil)
			if err != nil {
				t.Fatalf("%s: %v", in.name, err)
			}
			want[in.name] = m.Pix
		}
	}()
	smallBatches(t)
	for _, procs := range []int{1, 2, 3, 8} {
		withProcs(t, procs)
		for _, in := range inputs {
			t.Run(fmt.Sprintf("%s/procs=%d", in.name, procs), func(t *testing.T) {
				m, err := DecodeGray(in.data, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(m.Pix, want[in.name]) {
					t.Errorf("DecodeGray with GOMAXPROCS %d and small jobs differs from one goroutine", procs)
				}
			})
		}
	}
}

// TestGoroutines checks that DecodeGray leaves no goroutine behind, after
// successes and after errors, on every path.
func TestGoroutines(t *testing.T) {
	smallBatches(t)
	withProcs(t, 4)
	before := settledGoroutines(-1)
	big := encodeTest(t, benchImage(640, 480), 90)
	inputs := [][]byte{big, big[:len(big)/2], big[:len(big)-3]}
	for _, f := range testFiles(t) {
		inputs = append(inputs, f.data, f.data[:len(f.data)*2/3])
		bad := bytes.Clone(f.data)
		for i := len(bad) / 2; i < len(bad)-2; i += 97 {
			bad[i] ^= 0x55
		}
		inputs = append(inputs, bad)
	}
	for _, in := range inputs {
		for _, scale := range []int{1, 2} {
			DecodeGray(in, &Options{Scale: scale})
		}
	}
	if n := settledGoroutines(before); n != before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// settledGoroutines returns the number of goroutines once it is want, or
// once it has not changed for 20ms, waiting at most 2s. Goroutines that
// errgroup has waited for (of this test or an earlier one) may still be on
// their way out.
func settledGoroutines(want int) int {
	n, since := runtime.NumGoroutine(), time.Now()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		m := runtime.NumGoroutine()
		if m == want {
			return m
		}
		if m != n {
			n, since = m, time.Now()
		} else if want < 0 && time.Since(since) > 20*time.Millisecond {
			return n
		}
	}
	return runtime.NumGoroutine()
}
