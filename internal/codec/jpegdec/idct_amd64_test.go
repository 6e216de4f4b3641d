package jpegdec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/escala-img/escala/internal/codec/jpegtab"
	"github.com/escala-img/escala/internal/codec/simd"
)

// needAVX2 skips tb on a machine without AVX2.
func needAVX2(tb testing.TB) {
	tb.Helper()
	if !simd.AVX2 {
		tb.Skip("the processor has no AVX2")
	}
}

// rowBlocks is a row of blocks for idctRow: coefficients and their last
// indexes.
type rowBlocks struct {
	coef []int16
	last []uint8
}

// compareRow runs idctRowAVX2 and idctRowGo on copies of the blocks, into
// rows of the given stride, and fails unless they write the same pixels
// and both zero the coefficients.
func compareRow(t *testing.T, name string, b rowBlocks, q *[64]uint16, stride int) {
	t.Helper()
	n := len(b.last)
	c1, c2 := append([]int16(nil), b.coef...), append([]int16(nil), b.coef...)
	d1, d2 := make([]byte, 7*stride+8*n), make([]byte, 7*stride+8*n)
	for i := range d1 {
		d1[i], d2[i] = byte(i), byte(i)
	}
	idctRowAVX2(d1, stride, c1, b.last, q)
	idctRowGo(d2, stride, c2, b.last, q)
	for i := 0; i < n; i++ {
		for r := 0; r < 8; r++ {
			got, want := d1[r*stride+8*i:][:8], d2[r*stride+8*i:][:8]
			if string(got) != string(want) {
				t.Fatalf("%s: block %d (last %d) row %d: AVX2 %v, Go %v\ncoefficients %v\nquantizers %v",
					name, i, b.last[i], r, got, want, b.coef[64*i:64*i+64], q)
			}
		}
	}
	if string(d1) != string(d2) {
		t.Fatalf("%s: the AVX2 version writes outside the blocks", name)
	}
	for i := range c1 {
		if c1[i] != 0 || c2[i] != 0 {
			t.Fatalf("%s: coefficient %d of block %d not zeroed: AVX2 %d, Go %d", name, i%64, i/64, c1[i], c2[i])
		}
	}
}

// fillBlock sets the coefficients of zigzag index 0 to last of c, each
// nonzero with probability 1/density, from value, and returns the index
// of the last one it set nonzero.
func fillBlock(r *rand.Rand, c []int16, last, density int, value func() int16) uint8 {
	hi := 0
	for k := 0; k <= last; k++ {
		if k == 0 || r.IntN(density) == 0 {
			v := value()
			c[jpegtab.Zigzag[k]] = v
			if v != 0 {
				hi = k
			}
		}
	}
	return uint8(hi)
}

// TestIDCTRowAVX2 checks the AVX2 inverse DCT against idct8 on random
// rows of blocks: photo-like coefficients with each last index, sparse
// and dense, DC-only blocks mixed in, and extreme coefficients and
// quantizers that overflow 32 bits in every way.
func TestIDCTRowAVX2(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(11, 12))
	quant := func(maxQ int) *[64]uint16 {
		var q [64]uint16
		for i := range q {
			q[i] = uint16(1 + r.IntN(maxQ))
		}
		return &q
	}
	const n = 9
	tests := []struct {
		name    string
		maxQ    int // quantizers from 1 to maxQ
		density int
		value   func() int16
	}{
		{"photo", 16, 3, func() int16 { return int16(r.IntN(81) - 40) }},
		{"dense-11-bit", 255, 1, func() int16 { return int16(r.IntN(4095) - 2047) }},
		{"sparse-11-bit", 255, 6, func() int16 { return int16(r.IntN(4095) - 2047) }},
		{"int16", 65535, 2, func() int16 { return int16(r.Uint32()) }},
		{"extremes", 65535, 1, func() int16 { return []int16{32767, -32768, -32767, 1, -1, 0}[r.IntN(6)] }},
		{"saturated", 65535, 1, func() int16 { return []int16{32767, -32768}[r.IntN(2)] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for last := 0; last < 64; last++ {
				for iter := 0; iter < 40; iter++ {
					q := quant(tc.maxQ)
					if iter%8 == 0 {
						for i := range q {
							q[i] = 65535 >> (iter % 3)
						}
					}
					b := rowBlocks{coef: make([]int16, 64*n), last: make([]uint8, n)}
					for i := 0; i < n; i++ {
						l := last
						if i%3 == 2 {
							l = 0 // a DC-only block among the others
						}
						b.last[i] = fillBlock(r, b.coef[64*i:64*i+64], l, tc.density, tc.value)
					}
					compareRow(t, fmt.Sprintf("%s/last %d/%d", tc.name, last, iter), b, q, 8*n+8*(iter%3))
				}
			}
		})
	}
}

// TestIDCTZigzagRowAVX2 checks the AVX2 inverse DCT of the blocks of a
// progressive file against the Go one on random rows of blocks, as the
// scans leave them: coefficients in sign and magnitude, never a negative
// zero, the nonzero AC ones marked in nz (and a few zero ones, which a
// corrupt file can leave), photo-like and extreme, every last index.
func TestIDCTZigzagRowAVX2(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(15, 16))
	const n = 7
	for _, tc := range []struct {
		name string
		maxQ int
		mag  func() uint16 // a magnitude from 1 to 0x7fff
	}{
		{"photo", 16, func() uint16 { return uint16(1 + r.IntN(40)) }},
		{"11-bit", 255, func() uint16 { return uint16(1 + r.IntN(2047)) }},
		{"15-bit", 65535, func() uint16 { return uint16(1 + r.IntN(0x7fff)) }},
		{"extremes", 65535, func() uint16 { return []uint16{1, 0x7fff, 0x4000}[r.IntN(3)] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for last := 0; last < 64; last++ {
				for iter := 0; iter < 20; iter++ {
					var q [64]uint16
					for i := range q {
						q[i] = uint16(1 + r.IntN(tc.maxQ))
					}
					coefs, nz := make([]uint64, 16*n), make([]uint64, n)
					for b := 0; b < n; b++ {
						z := (*zigzagBlock)(coefs[16*b:])
						z[0] = uint64(uint16(r.Uint32()))
						if tc.maxQ < 65535 {
							z[0] = uint64(uint16(r.IntN(2048) - 1024))
						}
						l := last
						if b%3 == 1 {
							l = 0
						}
						for k := 1; k <= l; k++ {
							if k < l && r.IntN(2) == 0 {
								if r.IntN(20) == 0 {
									nz[b] |= 1 << k // a coefficient that a corrupt file left 0
								}
								continue
							}
							v := uint64(tc.mag())
							if r.IntN(2) == 0 {
								v |= 0x8000
							}
							z[k/4] |= v << (16 * (k % 4))
							nz[b] |= 1 << k
						}
					}
					stride := 8*n + 8*(iter%2)
					got, want := make([]byte, 7*stride+8*n), make([]byte, 7*stride+8*n)
					idctZigzagRowAVX2(got, stride, coefs, nz, &q)
					idctZigzagRowGo(want, stride, coefs, nz, &q)
					if !bytes.Equal(got, want) {
						t.Fatalf("last %d, %d: AVX2 and Go differ:\n%v\n%v\ncoefficients %x\nnz %x", last, iter, got, want, coefs, nz)
					}
				}
			}
		})
	}
}

// withoutAVX2 makes the decoder take its pure-Go paths until the test
// ends.
func withoutAVX2(tb testing.TB) {
	tb.Helper()
	old := simd.AVX2
	simd.AVX2 = false
	tb.Cleanup(func() { simd.AVX2 = old })
}

// withQuant returns data with every quantization table replaced by a
// 16-bit one whose entry k is q(k): large enough, with the coefficients
// of a real file, to overflow the transform's 32 bits.
func withQuant(tb testing.TB, data []byte, q func(k int) uint16) []byte {
	tb.Helper()
	var out []byte
	pos := 0
	for _, s := range segments(tb, data) {
		if s.m != 0xdb {
			continue
		}
		out = append(out, data[pos:s.at]...)
		var tables []byte
		for p := data[s.at+4 : s.end]; len(p) > 0; {
			pq, tq := p[0]>>4, p[0]&15
			tables = append(tables, 0x10|tq)
			for k := 0; k < 64; k++ {
				tables = binary.BigEndian.AppendUint16(tables, q(k))
			}
			p = p[1+64<<pq:]
		}
		out = append(out, 0xff, 0xdb)
		out = binary.BigEndian.AppendUint16(out, uint16(2+len(tables)))
		out = append(out, tables...)
		pos = s.end
	}
	return append(out, data[pos:]...)
}

// TestDecodeGrayAVX2 decodes files with the AVX2 inverse DCT and with the
// pure-Go one: generated baseline files of several sizes and qualities,
// every file of testdata (progressive, restart intervals, colour models),
// and some with quantization tables so large that the transform
// overflows. Both must give the same pixels, or the same error.
func TestDecodeGrayAVX2(t *testing.T) {
	needAVX2(t)
	var inputs []testFile
	for _, sz := range [][2]int{{203, 157}, {64, 48}, {17, 9}, {333, 75}} {
		for _, q := range []int{1, 50, 90, 100} {
			m := benchImage(sz[0], sz[1])
			name := fmt.Sprintf("generated-%dx%d-q%d", sz[0], sz[1], q)
			inputs = append(inputs,
				testFile{name + "-420", encodeTest(t, m, q)},
				testFile{name + "-444", encodeTest(t, toYCbCr444(m), q)},
				testFile{name + "-gray", encodeTest(t, toGray(m), q)})
		}
	}
	inputs = append(inputs, testFiles(t)...)
	r := rand.New(rand.NewPCG(13, 14))
	for _, name := range []string{"420-base.jpg", "444-prog.jpg", "gray-prog.jpg", "prog-script.jpg", "rgb-base.jpg", "cmyk-prog.jpg"} {
		data := readTestFile(t, name)
		inputs = append(inputs,
			testFile{name + "-quant-65535", withQuant(t, data, func(int) uint16 { return 65535 })},
			testFile{name + "-quant-random", withQuant(t, data, func(int) uint16 { return uint16(r.Uint32()) })},
			testFile{name + "-quant-4096", withQuant(t, data, func(k int) uint16 { return uint16(4096 + 997*k) })})
	}
	for _, in := range inputs {
		for _, scale := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/scale-%d", in.name, scale), func(t *testing.T) {
				opts := &Options{Scale: scale}
				got, gerr := DecodeGray(in.data, opts)
				withoutAVX2(t)
				want, werr := DecodeGray(in.data, opts)
				if fmt.Sprint(gerr) != fmt.Sprint(werr) {
					t.Fatalf("DecodeGray = %v with AVX2, %v without", gerr, werr)
				}
				if gerr != nil {
					return
				}
				if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
					n := 0
					for i := range got.Pix {
						if i < len(want.Pix) && got.Pix[i] != want.Pix[i] {
							n++
						}
					}
					t.Fatalf("DecodeGray gives %v with AVX2 and %v without, %d pixels differ", got.Rect, want.Rect, n)
				}
			})
		}
	}
}

// BenchmarkIDCTRow measures idctRow on rows of 40 blocks with different
// numbers of coefficients, with AVX2 and in Go; ns/op is per block.
func BenchmarkIDCTRow(b *testing.B) {
	const n = 40
	for _, tc := range []struct {
		name string
		last int
	}{{"DC", 0}, {"4x4", 9}, {"Full", 63}} {
		for _, avx2 := range []bool{true, false} {
			name := tc.name + "/AVX2"
			if !avx2 {
				name = tc.name + "/Go"
			}
			b.Run(name, func(b *testing.B) {
				if avx2 {
					needAVX2(b)
				} else {
					withoutAVX2(b)
				}
				r := rand.New(rand.NewPCG(7, 8))
				src := rowBlocks{coef: make([]int16, 64*n), last: make([]uint8, n)}
				for i := 0; i < n; i++ {
					c, l := randomBlock(r, tc.last)
					copy(src.coef[64*i:], c[:])
					src.last[i] = uint8(l)
				}
				q := randomQuant(r)
				coef := make([]int16, len(src.coef))
				dst := make([]byte, 8*8*n)
				b.ReportAllocs()
				for b.Loop() {
					copy(coef, src.coef)
					idctRow(dst, 8*n, coef, src.last, q)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/block")
			})
		}
	}
}
