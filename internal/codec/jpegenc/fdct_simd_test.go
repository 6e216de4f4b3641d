package jpegenc

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/escala-img/escala/internal/codec/jpegtab"
	"github.com/escala-img/escala/internal/codec/simd"
)

// needAVX2 skips tb on a machine without AVX2.
func needAVX2(tb testing.TB) {
	tb.Helper()
	if !simd.AVX2 {
		tb.Skip("the processor has no AVX2: nothing to compare the Go code with")
	}
}

// withoutAVX2 makes the encoder use its Go code until tb ends. Tests that
// call it must not run in parallel.
func withoutAVX2(tb testing.TB) {
	tb.Helper()
	old := simd.AVX2
	simd.AVX2 = false
	tb.Cleanup(func() { simd.AVX2 = old })
}

// fdctImpls are the implementations of fdctRow, and what selects each for
// a test or benchmark: "avx2", skipped where the processor lacks it, and
// "go".
var fdctImpls = []struct {
	name string
	use  func(testing.TB)
}{
	{"avx2", needAVX2},
	{"go", withoutAVX2},
}

// simdQualities are the qualities the vector code is checked at: the ends,
// where steps are largest and smallest, and the usual ones.
var simdQualities = []int{1, 2, 10, 50, 75, 80, 90, 95, 100}

// simdBlocks returns the blocks the vector code is checked on: n of
// uniform noise, checkerboards and stripes of 0 and 255 (testBlocks),
// flat blocks of every level, and n each of gradients in every direction,
// of noise of small amplitude around a level, whose coefficients sit near
// the quantisation thresholds, and of random 0s and 255s.
func simdBlocks(rng *rand.Rand, n int) [][64]byte {
	out := testBlocks(n)
	for v := range 256 {
		var b [64]byte
		for i := range b {
			b[i] = byte(v)
		}
		out = append(out, b)
	}
	for range n {
		var b [64]byte
		gx, gy := rng.IntN(73)-36, rng.IntN(73)-36
		base := rng.IntN(256)
		for i := range b {
			b[i] = byte(min(max(base+gx*(i%8)+gy*(i/8), 0), 255))
		}
		out = append(out, b)

		amp, level := 1+rng.IntN(12), rng.IntN(256)
		for i := range b {
			b[i] = byte(min(max(level+rng.IntN(2*amp+1)-amp, 0), 255))
		}
		out = append(out, b)

		for i := range b { // random extremes
			b[i] = byte(255 * rng.IntN(2))
		}
		out = append(out, b)
	}
	return out
}

// rowSizes are the numbers of blocks fdctRow is checked with: rows too
// short for the assembly, padded to a group of 8, whole groups, and whole
// groups with a last one overlapping.
var rowSizes = []int{1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 24, 31, 64, 70}

// TestFDCTRowAVX2 checks that fdctRow with the assembly gives fdctRowGo's
// coefficients and masks for every kind of block at every quality of
// simdQualities, and some random ones, in rows of rowSizes blocks gathered
// from an image with rows apart and out of order, as at the bottom edge of
// an image.
func TestFDCTRowAVX2(t *testing.T) {
	needAVX2(t)
	rng := rand.New(rand.NewPCG(7, 8))
	blocks := simdBlocks(rng, 4000)
	qualities := append([]int(nil), simdQualities...)
	for range 20 {
		qualities = append(qualities, 1+rng.IntN(100))
	}
	for _, quality := range qualities {
		tab := quantTable(quality)
		qt := newQuantizer(&tab)
		for i, start := 0, 0; start < len(blocks); i++ {
			n := min(rowSizes[i%len(rowSizes)], len(blocks)-start)
			// Row j of block i at pix[off[j]+8i:], rows stride apart but
			// in a random order.
			stride := 8*n + rng.IntN(9)
			pix := make([]byte, 8*stride)
			var off [8]int
			for j, r := range rng.Perm(8) {
				off[j] = r * stride
			}
			for i := range n {
				for j := range 8 {
					copy(pix[off[j]+8*i:], blocks[start+i][8*j:8*j+8])
				}
			}
			got, want := make([]coefs, n), make([]coefs, n)
			gotMask, wantMask := make([]uint64, n), make([]uint64, n)
			fdctRow(got, gotMask, pix, &off, 0, qt)
			fdctRowGo(want, wantMask, pix, &off, 0, qt)
			for i := range n {
				if got[i] != want[i] || gotMask[i] != wantMask[i] {
					t.Fatalf("q%d: block %v:\nAVX2 %v mask %#x\nGo   %v mask %#x",
						quality, blocks[start+i], unzig(&got[i]), gotMask[i], unzig(&want[i]), wantMask[i])
				}
			}
			start += n
		}
	}
}

// unzig returns the coefficients of z as integers, in zigzag order.
func unzig(z *coefs) (c [64]int) {
	for k := range c {
		c[k] = z.at(k)
	}
	return c
}

// TestFDCTRowOffset checks that fdctRow with the assembly reads the blocks
// at x and nothing around them, which holds poison that would change the
// coefficients, and writes len(zz) coefficients and masks, no more: the
// slices it gets are cut from longer ones.
func TestFDCTRowOffset(t *testing.T) {
	needAVX2(t)
	rng := rand.New(rand.NewPCG(9, 10))
	tab := quantTable(90)
	qt := newQuantizer(&tab)
	for _, n := range rowSizes {
		for _, x := range []int{0, 1, 7, 13} {
			stride := x + 8*n + 3
			pix := make([]byte, 8*stride)
			for i := range pix {
				pix[i] = 255
			}
			var off [8]int
			for j := range off {
				off[j] = j * stride
				for i := range 8 * n {
					pix[off[j]+x+i] = byte(rng.IntN(256))
				}
			}
			got, want := make([]coefs, n+1), make([]coefs, n)
			gotMask, wantMask := make([]uint64, n+1), make([]uint64, n)
			got[n][0], gotMask[n] = 1, 1
			fdctRow(got[:n], gotMask[:n], pix[:len(pix)-(stride-x-8*n)], &off, x, qt)
			fdctRowGo(want, wantMask, pix, &off, x, qt)
			for i := range n {
				if got[i] != want[i] || gotMask[i] != wantMask[i] {
					t.Fatalf("fdctRow of %d blocks at x = %d: block %d differs from fdctRowGo", n, x, i)
				}
			}
			if got[n] != (coefs{1}) || gotMask[n] != 1 {
				t.Fatalf("fdctRow of %d blocks at x = %d wrote past them", n, x)
			}
		}
	}
}

// TestVecQuantizer checks the vector layout of the quantizer of every
// quality against the Go one.
func TestVecQuantizer(t *testing.T) {
	for quality := 1; quality <= 100; quality++ {
		tab := quantTable(quality)
		qt := newQuantizer(&tab)
		for k, n := range jpegtab.Zigzag {
			if got := int64(qt.vec.recip2[n]); got != 2*qt.recip[k] {
				t.Fatalf("q%d: recip2[%d] = %d, want 2·%d", quality, n, got, qt.recip[k])
			}
		}
		for i := range 8 {
			if int64(qt.vec.dcHalf[i]) != qt.dcHalf || int64(qt.vec.dcMul[i]) != qt.dcMul {
				t.Fatalf("q%d: lane %d of dcHalf, dcMul = %d, %d, want %d, %d",
					quality, i, qt.vec.dcHalf[i], qt.vec.dcMul[i], qt.dcHalf, qt.dcMul)
			}
		}
	}
}

// simdImages returns the images whose encodings are compared: every kind
// of testImage at odd sizes, and sub-images with padded strides.
func simdImages(tb testing.TB) []struct {
	name string
	img  *image.Gray
} {
	tb.Helper()
	type tc = struct {
		name string
		img  *image.Gray
	}
	var cases []tc
	for _, kind := range []string{"photo", "noise", "edges", "gradient", "flat"} {
		for _, s := range []struct{ w, h int }{{1, 1}, {7, 9}, {8, 8}, {17, 33}, {350, 418}, {1283, 801}} {
			cases = append(cases, tc{fmt.Sprintf("%s/%dx%d", kind, s.w, s.h), testImage(tb, kind, s.w, s.h)})
		}
	}
	big := testImage(tb, "photo", 700, 500)
	noise := testImage(tb, "noise", 700, 500)
	for _, r := range []image.Rectangle{
		image.Rect(13, 7, 13+171, 7+97),
		image.Rect(80, 81, 693, 492),
		image.Rect(1, 2, 10, 11),
		image.Rect(699, 499, 700, 500),
		image.Rect(3, 0, 700, 500),
	} {
		cases = append(cases,
			tc{fmt.Sprintf("sub/photo/%v", r), big.SubImage(r).(*image.Gray)},
			tc{fmt.Sprintf("sub/noise/%v", r), noise.SubImage(r).(*image.Gray)},
		)
	}
	return cases
}

// TestEncodeGrayAVX2 checks that EncodeGray writes the same bytes with the
// assembly as with the Go code alone.
func TestEncodeGrayAVX2(t *testing.T) {
	needAVX2(t)
	for _, tc := range simdImages(t) {
		for _, q := range simdQualities {
			t.Run(fmt.Sprintf("%s/q%d", tc.name, q), func(t *testing.T) {
				if testing.Short() && tc.img.Bounds().Dx() > 1000 && q != 80 {
					t.Skip("big image in -short mode")
				}
				got := bytes.Clone(encode(t, tc.img, q))
				withoutAVX2(t)
				want := encode(t, tc.img, q)
				if !bytes.Equal(got, want) {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					t.Errorf("EncodeGray(%s, q%d) with AVX2: %d bytes, Go %d, first difference at %d",
						tc.name, q, len(got), len(want), i)
				}
			})
		}
	}
}
