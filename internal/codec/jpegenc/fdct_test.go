package jpegenc

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/escala-img/escala/internal/codec/jpegtab"
)

// refDCT returns the T.81 A.3.3 forward DCT of the 8×8 samples p (row
// major), level-shifted by 128, in natural order, in float64.
func refDCT(p *[64]byte) (f [64]float64) {
	for u := range 8 {
		for v := range 8 {
			var s float64
			for y := range 8 {
				for x := range 8 {
					s += (float64(p[y*8+x]) - 128) *
						math.Cos(float64((2*x+1)*v)*math.Pi/16) *
						math.Cos(float64((2*y+1)*u)*math.Pi/16)
				}
			}
			cu, cv := 1.0, 1.0
			if u == 0 {
				cu = math.Sqrt2 / 2
			}
			if v == 0 {
				cv = math.Sqrt2 / 2
			}
			f[u*8+v] = cu * cv * s / 4
		}
	}
	return f
}

// testBlocks returns random blocks and the hardest patterns: extremes,
// checkerboards and stripes of 0 and 255.
func testBlocks(n int) [][64]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var out [][64]byte
	for _, f := range []func(x, y int) bool{
		func(x, y int) bool { return true },
		func(x, y int) bool { return false },
		func(x, y int) bool { return (x+y)%2 == 0 },
		func(x, y int) bool { return x%2 == 0 },
		func(x, y int) bool { return y < 4 },
		func(x, y int) bool { return x < 1 },
		func(x, y int) bool { return x+y < 7 },
	} {
		var b, nb [64]byte
		for i := range b {
			if f(i%8, i/8) {
				b[i] = 255
			} else {
				nb[i] = 255
			}
		}
		out = append(out, b, nb)
	}
	for range n {
		var b [64]byte
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		out = append(out, b)
	}
	return out
}

// TestFDCTAccuracy checks the transform, descaled, against the exact DCT
// through a quantizer whose steps are 1/29: the coefficients then come out
// as 29 times the DCT, rounded, which fits 16 bits (|DCT| ≤ 1024), and the
// rounding adds at most 0.5/29 to the error.
func TestFDCTAccuracy(t *testing.T) {
	const (
		scale  = 29
		maxErr = 0.02 // image/jpeg's integer DCT is off by up to about 0.2
	)
	tab := quantTable(100)
	qt := newQuantizer(&tab)
	for k, n := range jpegtab.Zigzag {
		u, c := int(n/8), int(n%8)
		qt.recip[k] = int64(math.Round(scale * (1 << recipBits) / (aanScale(u) * aanScale(c) * 8 * (1 << inBits))))
	}
	var (
		b  block
		zz coefs
	)
	worst := 0.0
	for _, p := range testBlocks(2000) {
		b.fdctQuant(&zz, p[:], &edgeOff, 0, qt)
		ref := refDCT(&p)
		for k := 1; k < 64; k++ {
			worst = max(worst, math.Abs(float64(zz.at(k))/scale-ref[jpegtab.Zigzag[k]]))
		}
	}
	if worst > maxErr+0.5/scale {
		t.Errorf("fdctQuant is off the exact DCT by up to %.4f, want at most %.4f", worst, maxErr+0.5/scale)
	}
	t.Logf("largest error %.4f, of which up to %.4f is rounding", worst, 0.5/scale)
}

// TestFDCTQuant checks the quantised output in zigzag order and the mask
// against the exact DCT divided by the table: equal but where the exact
// quotient is within 0.01 of a half, and exactly image/jpeg's rounding for
// DC.
func TestFDCTQuant(t *testing.T) {
	for _, quality := range []int{1, 50, 80, 95, 100} {
		tab := quantTable(quality)
		qt := newQuantizer(&tab)
		var (
			b  block
			zz coefs
		)
		for _, p := range testBlocks(300) {
			mask := b.fdctQuant(&zz, p[:], &edgeOff, 0, qt)
			ref := refDCT(&p)
			for k, n := range jpegtab.Zigzag {
				got := zz.at(k)
				if (mask>>k&1 == 1) != (got != 0) {
					t.Fatalf("q%d: mask bit %d is %d for coefficient %d", quality, k, mask>>k&1, got)
				}
				exact := ref[n] / float64(tab[n])
				want := int(math.Round(exact)) // half away from zero, as image/jpeg
				if k == 0 {
					if got != want {
						t.Fatalf("q%d: DC %d, want %d (exact %.4f)", quality, got, want, exact)
					}
					continue
				}
				if got != want && math.Abs(math.Abs(exact-math.Trunc(exact))-0.5) > 0.01 {
					t.Fatalf("q%d: coefficient %d = %d, want %d (exact %.4f)", quality, k, got, want, exact)
				}
			}
		}
	}
}

// TestFDCTConstants checks the fixed-point multipliers.
func TestFDCTConstants(t *testing.T) {
	for _, tc := range []struct {
		got  int
		want float64
	}{
		{fix0707, math.Cos(4 * math.Pi / 16)},
		{fix0382, math.Cos(6 * math.Pi / 16)},
		{fix0541, math.Cos(2*math.Pi/16) - math.Cos(6*math.Pi/16)},
		{fix1306, math.Cos(2*math.Pi/16) + math.Cos(6*math.Pi/16)},
	} {
		if want := int(math.Round(tc.want * (1 << constBits))); tc.got != want {
			t.Errorf("constant %d, want %d = round(%f·2^%d)", tc.got, want, tc.want, constBits)
		}
	}
}

// BenchmarkFDCTQuant measures the transform and quantisation of one block
// (ns/block), without entropy coding, in rows of 32 blocks.
func BenchmarkFDCTQuant(b *testing.B) {
	g := testImage(b, "photo", 256, 64)
	tab := quantTable(80)
	qt := newQuantizer(&tab)
	for _, impl := range fdctImpls {
		b.Run(impl.name, func(b *testing.B) {
			impl.use(b)
			var (
				zz    [32]coefs
				masks [32]uint64
				off   [8]int
			)
			b.ReportAllocs()
			for b.Loop() {
				for by := 0; by < 64; by += 8 {
					for j := range off {
						off[j] = (by + j) * g.Stride
					}
					fdctRow(zz[:], masks[:], g.Pix, &off, 0, qt)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/256, "ns/block")
		})
	}
}

// TestACRange checks the bound that the tables of writeBlock rely on:
// every AC coefficient is under 1024 in magnitude. Steps are at least 1
// (quality 100), where a coefficient is the DCT value, off by at most
// maxErr, rounded. The DCT value (u, c) is largest for the block that is
// 255 where the basis function is positive and 0 elsewhere, and smallest
// for the opposite block; the test computes both exactly and checks what
// fdctQuant makes of them.
func TestACRange(t *testing.T) {
	tab := quantTable(100)
	qt := newQuantizer(&tab)
	var (
		b  block
		zz coefs
	)
	worst := 0.0
	for k := 1; k < 64; k++ {
		n := int(jpegtab.Zigzag[k])
		u, c := n/8, n%8
		for _, sign := range []float64{1, -1} {
			var p [64]byte
			for y := range 8 {
				for x := range 8 {
					f := math.Cos(float64((2*x+1)*c)*math.Pi/16) * math.Cos(float64((2*y+1)*u)*math.Pi/16)
					if sign*f > 0 {
						p[y*8+x] = 255
					}
				}
			}
			exact := refDCT(&p)[n]
			worst = max(worst, math.Abs(exact))
			b.fdctQuant(&zz, p[:], &edgeOff, 0, qt)
			if got := zz.at(k); math.Abs(float64(got)-exact) > 1 || got <= -1024 || got >= 1024 {
				t.Errorf("coefficient %d of the extreme block: %d, exact %.3f", k, got, exact)
			}
		}
	}
	if worst+1 >= 1024 {
		t.Errorf("the DCT reaches %.3f: AC coefficients may need 11 bits", worst)
	}
	t.Logf("largest AC value %.3f", worst)
}
