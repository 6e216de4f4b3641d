package jpegdec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/escala-img/escala/internal/codec/jpegtab"
)

// refIDCT is the inverse DCT of T.81 A.3.3 in float64, of coefficients c in
// natural order dequantised by q, with the level shift.
func refIDCT(c *[64]int16, q *[64]uint16) (out [64]float64) {
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			s := 0.0
			for v := 0; v < 8; v++ {
				for u := 0; u < 8; u++ {
					cu, cv := 1.0, 1.0
					if u == 0 {
						cu = 1 / math.Sqrt2
					}
					if v == 0 {
						cv = 1 / math.Sqrt2
					}
					f := float64(c[v*8+u]) * float64(q[v*8+u])
					s += cu * cv * f * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) * math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
				}
			}
			out[y*8+x] = s/4 + 128
		}
	}
	return out
}

// clampRound rounds v to the nearest byte.
func clampRound(v float64) int {
	return int(min(max(math.Round(v), 0), 255))
}

// randomBlock returns coefficients whose zigzag indexes are at most last,
// of magnitudes typical of quantised photos, and the index of the last
// nonzero one.
func randomBlock(r *rand.Rand, last int) (*[64]int16, int) {
	var c [64]int16
	c[0] = int16(r.IntN(200) - 100)
	hi := 0
	for k := 1; k <= last; k++ {
		if r.IntN(3) == 0 {
			c[jpegtab.Zigzag[k]] = int16(r.IntN(41) - 20)
			if c[jpegtab.Zigzag[k]] != 0 {
				hi = k
			}
		}
	}
	return &c, hi
}

// randomQuant returns a quantization table with entries from 1 to 16.
func randomQuant(r *rand.Rand) *[64]uint16 {
	var q [64]uint16
	for i := range q {
		q[i] = uint16(1 + r.IntN(16))
	}
	return &q
}

// TestIDCTAccuracy checks idct8 against the exact transform: no pixel more
// than 1 off, and almost all exact.
func TestIDCTAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var n, exact, worst int
	for i := 0; i < 2000; i++ {
		c, last := randomBlock(r, r.IntN(64))
		q := randomQuant(r)
		var got [64]byte
		idct8(got[:], 8, c, q, last)
		want := refIDCT(c, q)
		for j := range got {
			d := int(got[j]) - clampRound(want[j])
			worst = max(worst, d, -d)
			if d == 0 {
				exact++
			}
			n++
		}
	}
	t.Logf("max error %d, %.2f%% exact", worst, 100*float64(exact)/float64(n))
	if worst > 1 || exact*100 < n*95 {
		t.Errorf("idct8: max error %d, %.2f%% exact; want ≤ 1 and ≥ 95%%", worst, 100*float64(exact)/float64(n))
	}
}

// TestIDCTShortcuts checks that the shortcuts idct8 takes for blocks whose
// last coefficient comes early give exactly what the full transform gives.
func TestIDCTShortcuts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, last := range []int{0, 1, 2, 3, 5, 9, 10, 14, 20, 35, 63} {
		for i := 0; i < 500; i++ {
			c, hi := randomBlock(r, last)
			q := randomQuant(r)
			// Rows only, columns only, and everything, for each extent.
			switch i % 3 {
			case 1:
				for j := 8; j < 64; j++ {
					c[j] = 0
				}
			case 2:
				for j := range c {
					if j%8 != 0 {
						c[j] = 0
					}
				}
			}
			if i%7 == 0 {
				c[0] = 2047 // clamping
			}
			var fast, full [64]byte
			idct8(fast[:], 8, c, q, hi)
			idct8(full[:], 8, c, q, 63)
			if fast != full {
				t.Fatalf("idct8 with last %d differs from the full transform:\n%v\n%v", hi, fast, full)
			}
		}
	}
}

// TestReducedIDCTConstants checks the constants of the reduced transforms
// against their formulas.
func TestReducedIDCTConstants(t *testing.T) {
	c := func(k float64) float64 { return math.Cos(k * math.Pi / 16) }
	fix := func(x float64) int { return int(math.Round(x * 8192)) }
	a1 := math.Sin(math.Pi/4) / (4 * math.Sin(math.Pi/16))
	tests := []struct {
		name string
		got  int
		want float64
	}{
		{"red4DC", red4DC, 1 / math.Sqrt2},
		{"red4E2", red4E2, c(2) * c(4)},
		{"red4O11", red4O11, c(1) * c(2)},
		{"red4O13", red4O13, c(3) * c(6)},
		{"red4O21", red4O21, c(1) * c(6)},
		{"red4O23", red4O23, c(3) * c(2)},
		{"red2DC", red2DC, 0.5},
		{"red2AC", red2AC, a1 * c(4) / math.Sqrt2},
		{"red2ACC", red2ACC, a1 * c(4) * a1 * c(4)},
		{"fix0298", fix0298, math.Sqrt2 * (-c(1) + c(3) + c(5) - c(7))},
		{"fix0390", fix0390, math.Sqrt2 * (c(3) - c(5))},
		{"fix0541", fix0541, math.Sqrt2 * c(6)},
		{"fix0765", fix0765, math.Sqrt2 * (c(2) - c(6))},
		{"fix0899", fix0899, math.Sqrt2 * (c(3) - c(7))},
		{"fix1175", fix1175, math.Sqrt2 * c(3)},
		{"fix1501", fix1501, math.Sqrt2 * (c(1) + c(3) - c(5) - c(7))},
		{"fix1847", fix1847, math.Sqrt2 * (c(2) + c(6))},
		{"fix1961", fix1961, math.Sqrt2 * (c(3) + c(5))},
		{"fix2053", fix2053, math.Sqrt2 * (c(1) + c(3) - c(5) + c(7))},
		{"fix2562", fix2562, math.Sqrt2 * (c(1) + c(3))},
		{"fix3072", fix3072, math.Sqrt2 * (c(1) + c(3) + c(5) - c(7))},
	}
	for _, tc := range tests {
		// red2AC is 3711.5 exactly enough that either rounding will do.
		if d := tc.got - fix(tc.want); d < -1 || d > 1 || d != 0 && tc.name != "red2AC" {
			t.Errorf("%s = %d, want round(%.6f·2^13) = %d", tc.name, tc.got, tc.want, fix(tc.want))
		}
	}
}

// TestReducedIDCT checks idct4, idct2 and idct1 against the mean of
// squares of the exact full-size transform, for blocks that have only the
// frequencies they keep: they should agree to within rounding.
func TestReducedIDCT(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name string
		n    int // output size
		f    func(dst []byte, c *[64]int16, q *[64]uint16, last int)
	}{
		{"idct4", 4, func(dst []byte, c *[64]int16, q *[64]uint16, last int) { idct4(dst, 8, c, q, last) }},
		{"idct2", 2, func(dst []byte, c *[64]int16, q *[64]uint16, last int) { idct2(dst, 8, c, q, last) }},
		{"idct1", 1, func(dst []byte, c *[64]int16, q *[64]uint16, last int) { idct1(dst, c, q) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			worst := 0
			for i := 0; i < 500; i++ {
				c, _ := randomBlock(r, 63)
				q := randomQuant(r)
				last := 0
				for k := 1; k < 64; k++ {
					z := int(jpegtab.Zigzag[k])
					if z/8 >= tc.n || z%8 >= tc.n {
						c[z] = 0
					} else if c[z] != 0 {
						last = k
					}
				}
				if i%5 == 0 {
					last = 0
					*c = [64]int16{c[0]}
				}
				full := refIDCT(c, q)
				var got [64]byte
				tc.f(got[:], c, q, last)
				s := 8 / tc.n
				for y := 0; y < tc.n; y++ {
					for x := 0; x < tc.n; x++ {
						sum := 0.0
						for yy := 0; yy < s; yy++ {
							for xx := 0; xx < s; xx++ {
								sum += full[(y*s+yy)*8+x*s+xx]
							}
						}
						d := int(got[y*8+x]) - clampRound(sum/float64(s*s))
						worst = max(worst, d, -d)
					}
				}
			}
			if worst > 1 {
				t.Errorf("%s is %d levels off the mean of the full transform", tc.name, worst)
			}
		})
	}
}

// BenchmarkIDCT measures idct8 on blocks with different numbers of
// coefficients.
func BenchmarkIDCT(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		name string
		last int
	}{{"DC", 0}, {"4x4", 9}, {"Full", 63}} {
		b.Run(tc.name, func(b *testing.B) {
			blocks := make([]*[64]int16, 256)
			lasts := make([]int, len(blocks))
			for i := range blocks {
				blocks[i], lasts[i] = randomBlock(r, tc.last)
			}
			q := randomQuant(r)
			var dst [64]byte
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				idct8(dst[:], 8, blocks[i&255], q, lasts[i&255])
				i++
			}
		})
	}
}
