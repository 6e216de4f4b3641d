package scaler

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/escala-img/escala/internal/codec/simd"
)

// grayContents fill an image for TestResizeAVX2MatchesGo: noise, the two
// extremes, and a checkerboard of 0 and 255, which drives the negative
// lobes of CatmullRom and Lanczos3 into the clamping at both ends.
var grayContents = []struct {
	name string
	at   func(r *rand.Rand, x, y int) uint8
}{
	{"random", func(r *rand.Rand, x, y int) uint8 { return uint8(r.Uint32()) }},
	{"zero", func(r *rand.Rand, x, y int) uint8 { return 0 }},
	{"full", func(r *rand.Rand, x, y int) uint8 { return 255 }},
	{"checker", func(r *rand.Rand, x, y int) uint8 { return uint8((x+y)%2) * 255 }},
}

// fillGray returns a w×h gray image filled by at, seeded with seed.
func fillGray(w, h int, seed uint64, at func(r *rand.Rand, x, y int) uint8) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g.Pix[y*g.Stride+x] = at(r, x, y)
		}
	}
	return g
}

// resizeGoAndAVX2 resizes src to w×h with f twice, first with the Go
// loops only and then with the AVX2 ones, and returns both results. It
// skips the test when the processor has no AVX2. It changes simd.AVX2 for
// the time of the call, so that no test that resizes may run beside it.
func resizeGoAndAVX2(t testing.TB, src image.Image, w, h int, f *Filter) (pure, avx2 *image.Gray) {
	t.Helper()
	if !simd.AVX2 {
		t.Skip("no AVX2 on this machine: the AVX2 loops cannot run")
	}
	saved := simd.AVX2
	t.Cleanup(func() { simd.AVX2 = saved })
	simd.AVX2 = false
	got, err := Resize(src, w, h, &Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	pure = got.(*image.Gray)
	simd.AVX2 = true
	if got, err = Resize(src, w, h, &Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	return pure, got.(*image.Gray)
}

// checkSame fails t, naming the first differing pixel, unless pure and
// avx2 have the same bounds and pixels.
func checkSame(t testing.TB, name string, pure, avx2 *image.Gray) {
	t.Helper()
	if pure.Rect != avx2.Rect {
		t.Fatalf("%s: AVX2 bounds %v, Go bounds %v", name, avx2.Rect, pure.Rect)
	}
	for y := range pure.Rect.Dy() {
		for x := range pure.Rect.Dx() {
			if a, b := avx2.GrayAt(x, y).Y, pure.GrayAt(x, y).Y; a != b {
				t.Fatalf("%s: pixel (%d, %d) = %d with AVX2, %d with Go", name, x, y, a, b)
			}
		}
	}
}

// The AVX2 loops give the same bytes as the Go loops, for every filter,
// for sizes that reach each of their paths and edges: sources smaller
// than a vector, odd sizes whose last block overlaps the one before,
// windows of an odd number of rows (a 3- or 5-row source), halving, other
// ratios, long windows of strong reductions, and enlarging.
func TestResizeAVX2MatchesGo(t *testing.T) {
	sizes := []struct{ sw, sh, dw, dh int }{
		{1, 1, 1, 1}, {1, 1, 3, 2}, {2, 3, 1, 1}, {2, 3, 5, 7},
		{7, 5, 3, 2}, {7, 5, 4, 3}, {17, 33, 8, 16}, {17, 33, 9, 17},
		{31, 31, 15, 15}, {32, 32, 16, 16}, {33, 33, 16, 16},
		{64, 64, 32, 32}, {65, 63, 32, 31}, {66, 66, 33, 33}, {100, 100, 37, 29},
		{300, 3, 150, 1}, {301, 5, 150, 2}, {1000, 3, 500, 7}, {1000, 50, 37, 5},
		{350, 418, 175, 209}, {349, 417, 174, 208}, {350, 418, 240, 300},
		{10, 7, 33, 21}, {40, 30, 97, 71}, {33, 2, 80, 1}, {200, 40, 200, 17},
		{200, 40, 77, 40},
	}
	for _, sz := range sizes {
		for _, f := range filters {
			for i, c := range grayContents {
				name := fmt.Sprintf("%dx%d→%dx%d/%s/%s", sz.sw, sz.sh, sz.dw, sz.dh, f.Name, c.name)
				t.Run(name, func(t *testing.T) {
					src := fillGray(sz.sw, sz.sh, uint64(i), c.at)
					pure, avx2 := resizeGoAndAVX2(t, src, sz.dw, sz.dh, f)
					checkSame(t, "Resize("+name+")", pure, avx2)
				})
			}
		}
	}
}

// Sub-images have a stride larger than their width and pixels before and
// after theirs in Pix, which the loops must neither read as theirs nor
// write.
func TestResizeAVX2MatchesGoSubImage(t *testing.T) {
	big := fillGray(400, 300, 7, grayContents[0].at)
	orig := slices.Clone(big.Pix)
	t.Cleanup(func() {
		if !slices.Equal(big.Pix, orig) {
			t.Error("Resize of sub-images changed the image they are part of")
		}
	})
	rects := []image.Rectangle{
		image.Rect(13, 7, 363, 290), image.Rect(1, 1, 36, 40), image.Rect(100, 200, 103, 205),
		image.Rect(0, 0, 399, 299), image.Rect(5, 3, 400, 300),
	}
	for _, r := range rects {
		sub := big.SubImage(r).(*image.Gray)
		for _, f := range filters {
			for _, d := range []image.Point{{r.Dx() / 2, r.Dy() / 2}, {r.Dx()*2 + 1, r.Dy() * 3 / 2}} {
				name := fmt.Sprintf("%v→%dx%d/%s", r, d.X, d.Y, f.Name)
				t.Run(name, func(t *testing.T) {
					pure, avx2 := resizeGoAndAVX2(t, sub, max(d.X, 1), max(d.Y, 1), f)
					checkSame(t, "Resize("+name+")", pure, avx2)
				})
			}
		}
	}
}

// A photo-sized image, halved on one goroutine and on several, as
// parallelRows spreads the rows, and an odd-sized one whose rows take the
// general horizontal loop. (The small sizes cover every filter and
// content; these are the slowest cases under the race detector.)
func TestResizeAVX2MatchesGoLarge(t *testing.T) {
	random, checker := grayContents[0], grayContents[3]
	even := fillGray(2560, 1600, 1, random.at)
	odd := fillGray(2561, 1601, 2, random.at)
	tests := []struct {
		name   string
		src    *image.Gray
		f      *Filter
		procs  int
		dw, dh int
	}{
		{"random", even, CatmullRom, 1, 1280, 800},
		{"random", even, Box, 4, 1280, 800},
		{"random", even, Linear, 4, 1280, 800},
		{"random", even, CatmullRom, 4, 1280, 800},
		{"random", even, Lanczos3, 4, 1280, 800},
		{"checker", fillGray(2560, 1600, 3, checker.at), Lanczos3, 4, 1280, 800},
		{"random", odd, CatmullRom, 1, 1280, 800},
		{"random", odd, Lanczos3, 4, 1280, 800},
	}
	for _, tc := range tests {
		sb := tc.src.Rect
		name := fmt.Sprintf("%dx%d→%dx%d/%s/%s/procs=%d", sb.Dx(), sb.Dy(), tc.dw, tc.dh, tc.f.Name, tc.name, tc.procs)
		t.Run(name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tc.procs))
			pure, avx2 := resizeGoAndAVX2(t, tc.src, tc.dw, tc.dh, tc.f)
			checkSame(t, "Resize("+name+")", pure, avx2)
		})
	}
}

// resizeFloat is the reference for TestResizePrecision: the same
// resampling as resample with float64 weights and sums, clamped to 0..255
// between the passes and at the end, and rounded only at the end.
func resizeFloat(src *image.Gray, dw, dh int, f *Filter) []float64 {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	// weights returns, for each of m result pixels, its first source
	// pixel and the weights of its window.
	weights := func(n, m int) ([]int, [][]float64) {
		scale := float64(n) / float64(m)
		stretch := max(scale, 1)
		support := f.Support * stretch
		firsts, ws := make([]int, m), make([][]float64, m)
		for i := range m {
			centre := (float64(i) + 0.5) * scale
			lo := max(int(math.Floor(centre-support+0.5)), 0)
			hi := min(int(math.Floor(centre+support+0.5)), n)
			w := make([]float64, hi-lo)
			sum := 0.0
			for j := range w {
				w[j] = f.At(math.Abs((float64(lo+j) + 0.5 - centre) / stretch))
				sum += w[j]
			}
			for j := range w {
				w[j] /= sum
			}
			firsts[i], ws[i] = lo, w
		}
		return firsts, ws
	}
	// pass resamples the n-pixel lines of in (pixel i of line l at
	// in[l*ls+i*ps]) to m pixels, into out with the same layout.
	pass := func(out, in []float64, lines, n, m, ls, ps, ols, ops int) {
		firsts, ws := weights(n, m)
		for l := range lines {
			for i := range m {
				sum := 0.0
				for j, w := range ws[i] {
					sum += w * in[l*ls+(firsts[i]+j)*ps]
				}
				out[l*ols+i*ops] = max(0, min(255, sum))
			}
		}
	}
	in := make([]float64, sw*sh)
	for y := range sh {
		for x := range sw {
			in[y*sw+x] = float64(src.GrayAt(src.Rect.Min.X+x, src.Rect.Min.Y+y).Y)
		}
	}
	out := make([]float64, dw*dh)
	if dh <= sh { // vertical first, as resample
		tmp := make([]float64, sw*dh)
		pass(tmp, in, sw, sh, dh, 1, sw, 1, sw)
		pass(out, tmp, dh, sw, dw, sw, 1, dw, 1)
	} else {
		tmp := make([]float64, dw*sh)
		pass(tmp, in, sh, sw, dw, sw, 1, dw, 1)
		pass(out, tmp, dw, sh, dh, 1, dw, 1, dw)
	}
	for i, v := range out {
		out[i] = math.Round(v)
	}
	return out
}

// The 14-bit weights and the rounding to 8 bits between the passes keep
// a photo-like image within one level of resampling in float64.
func TestResizePrecision(t *testing.T) {
	src := benchPhoto(301, 203)
	for _, f := range filters {
		for _, d := range []image.Point{{150, 101}, {151, 102}, {97, 63}, {40, 27}, {640, 480}} {
			t.Run(fmt.Sprintf("%s/%dx%d", f.Name, d.X, d.Y), func(t *testing.T) {
				got, err := Resize(src, d.X, d.Y, &Options{Filter: f})
				if err != nil {
					t.Fatal(err)
				}
				g := got.(*image.Gray)
				want := resizeFloat(src, d.X, d.Y, f)
				worst, at := 0.0, 0
				for i, v := range g.Pix {
					if diff := math.Abs(float64(v) - want[i]); diff > worst {
						worst, at = diff, i
					}
				}
				if worst > 1 {
					t.Errorf("Resize(301x203 → %v, %s) pixel (%d, %d) = %d, float64 reference %v: want within one level",
						d, f.Name, at%d.X, at/d.X, g.Pix[at], want[at])
				}
			})
		}
	}
}

// The gray loops write their result row and nothing around it, in the
// bytes before and after it in the same array, whatever the size and
// the filter.
func TestResizeGrayLoopsStayInRow(t *testing.T) {
	const guard = 64
	sizes := []struct{ n, m int }{
		{1, 1}, {5, 2}, {8, 4}, {31, 15}, {32, 16}, {33, 16}, {64, 32}, {65, 32},
		{67, 31}, {100, 250}, {350, 175}, {351, 175}, {1000, 37}, {40, 97},
	}
	for _, sz := range sizes {
		for _, f := range filters {
			t.Run(fmt.Sprintf("%d→%d/%s", sz.n, sz.m, f.Name), func(t *testing.T) {
				k := newKernel(sz.n, sz.m, f)
				r := rand.New(rand.NewPCG(uint64(sz.n), uint64(sz.m)))
				// A source of n rows of n pixels, for the vertical pass too.
				src := make([]uint8, sz.n*sz.n)
				for i := range src {
					src[i] = uint8(r.Uint32())
				}
				check := func(name string, buf []uint8, n int) {
					t.Helper()
					for i, v := range buf {
						if (i < guard || i >= guard+n) && v != 0xa5 {
							t.Fatalf("%s(%d → %d, %s) wrote byte %d, outside the row of %d", name, sz.n, sz.m, f.Name, i-guard, n)
						}
					}
				}
				for _, avx2 := range []bool{false, true} {
					if avx2 && !simd.AVX2 {
						continue
					}
					func() {
						defer func(v bool) { simd.AVX2 = v }(simd.AVX2)
						simd.AVX2 = avx2
						buf := make([]uint8, guard+sz.m+guard)
						for i := range buf {
							buf[i] = 0xa5
						}
						k.grayRow(buf[guard:guard+sz.m], src[:sz.n])
						check("grayRow", buf, sz.m)
						// Result row y of the vertical pass, for each y, over
						// rows of n pixels.
						buf = make([]uint8, guard+sz.n+guard)
						for i := range buf {
							buf[i] = 0xa5
						}
						acc := make([]int32, sz.n)
						for y := range sz.m {
							k.grayColumn(buf[guard:guard+sz.n], acc, src, sz.n, y)
							check("grayColumn", buf, sz.n)
						}
					}()
				}
			})
		}
	}
}
