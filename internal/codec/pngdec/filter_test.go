package pngdec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/escala-img/escala/internal/codec/simd"
)

// withoutAVX2 runs f with simd.AVX2 false, and restores it.
func withoutAVX2(f func()) {
	saved := simd.AVX2
	simd.AVX2 = false
	defer func() { simd.AVX2 = saved }()
	f()
}

// refUnfilter is the PNG specification's filter reversal, byte by byte.
func refUnfilter(ft byte, cur, prev []byte, bpp int) {
	for i := range cur {
		var a, b, c int
		if i >= bpp {
			a, c = int(cur[i-bpp]), int(prev[i-bpp])
		}
		b = int(prev[i])
		var pred int
		switch ft {
		case ftSub:
			pred = a
		case ftUp:
			pred = b
		case ftAverage:
			pred = (a + b) / 2
		case ftPaeth:
			p := a + b - c
			pa, pb, pc := max(p-a, a-p), max(p-b, b-p), max(p-c, c-p)
			switch {
			case pa <= pb && pa <= pc:
				pred = a
			case pb <= pc:
				pred = b
			default:
				pred = c
			}
		}
		cur[i] += byte(pred)
	}
}

// TestPaeth compares paeth with the definition of the PNG specification
// for every a, b and c.
func TestPaeth(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			for c := range 256 {
				p := a + b - c
				pa, pb, pc := max(p-a, a-p), max(p-b, b-p), max(p-c, c-p)
				want := c
				switch {
				case pa <= pb && pa <= pc:
					want = a
				case pb <= pc:
					want = b
				}
				if got := paeth(a, b, c); got != want {
					t.Fatalf("paeth(%d, %d, %d) = %d, want %d", a, b, c, got, want)
				}
			}
		}
	}
}

// TestUnfilter compares unfilter with refUnfilter for every filter type
// and bytes per pixel, on random rows and on rows of extreme values, with
// and without AVX2.
func TestUnfilter(t *testing.T) {
	testUnfilter(t, fmt.Sprintf("AVX2=%v", simd.AVX2))
	withoutAVX2(func() { testUnfilter(t, "Go") })
}

func testUnfilter(t *testing.T, impl string) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, bpp := range []int{1, 2, 3, 4, 6, 8} {
		for ft := range byte(5) {
			for _, n := range []int{bpp, 2 * bpp, 7 * bpp, 64 * bpp, 1000 * bpp} {
				for trial := range 4 {
					cur, prev := make([]byte, n), make([]byte, n)
					for i := range cur {
						if trial%2 == 0 {
							cur[i], prev[i] = byte(rng.Uint32()), byte(rng.Uint32())
						} else {
							cur[i], prev[i] = []byte{0, 255, 1, 128}[rng.IntN(4)], []byte{0, 255, 127}[rng.IntN(3)]
						}
					}
					want := append([]byte(nil), cur...)
					refUnfilter(ft, want, prev, bpp)
					got := append([]byte(nil), cur...)
					if !unfilter(ft, got, prev, bpp) {
						t.Fatalf("unfilter(%d) refused", ft)
					}
					if string(got) != string(want) {
						t.Fatalf("%s unfilter(filter %d, bpp %d, %d bytes) differs from the reference", impl, ft, bpp, n)
					}
				}
			}
		}
	}
	if unfilter(5, make([]byte, 4), make([]byte, 4), 1) {
		t.Errorf("unfilter(5) succeeded")
	}
}

// BenchmarkUnfilter measures each filter on a row of 4096 pixels, and
// Paeth without AVX2 too.
func BenchmarkUnfilter(b *testing.B) {
	benchmarkUnfilter(b, "")
	withoutAVX2(func() { benchmarkUnfilter(b, "/go") })
}

func benchmarkUnfilter(b *testing.B, suffix string) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, bpp := range []int{1, 2, 3, 4, 8} {
		for ft := byte(1); ft < 5; ft++ {
			if suffix != "" && ft != ftPaeth {
				continue
			}
			b.Run(fmt.Sprintf("filter%d/bpp%d%s", ft, bpp, suffix), func(b *testing.B) {
				n := 4096 * bpp
				cur, prev := make([]byte, n), make([]byte, n)
				for i := range cur {
					cur[i], prev[i] = byte(rng.Uint32()), byte(rng.Uint32())
				}
				b.SetBytes(int64(n))
				for b.Loop() {
					unfilter(ft, cur, prev, bpp)
				}
			})
		}
	}
}
