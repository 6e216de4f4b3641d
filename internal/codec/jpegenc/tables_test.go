package jpegenc

import (
	"math"
	"testing"

	"github.com/escala-img/escala/internal/codec/jpegtab"
)

// TestZigzag checks the zigzag table against its definition: a
// permutation walking the anti-diagonals, alternately up and down.
func TestZigzag(t *testing.T) {
	var want [64]uint8
	k := 0
	for d := range 15 { // d = row + column
		lo, hi := max(0, d-7), min(d, 7)
		for i := lo; i <= hi; i++ {
			row := i
			if d%2 == 0 {
				row = lo + hi - i // even diagonals go up: row falls
			}
			want[k] = uint8(row*8 + d - row)
			k++
		}
	}
	if jpegtab.Zigzag != want {
		t.Errorf("Zigzag = %v, want %v", jpegtab.Zigzag, want)
	}
}

// TestHuffCodes checks the code tables built from the Annex K specs: the
// codes are prefix-free, their lengths agree with the counts, and a few
// codes are as T.81 tables K.3 and K.5 print them.
func TestHuffCodes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  *huffSpec
		codes *huffCodes
		known map[uint8]string
	}{
		{"DC", &lumaDC, &dcCodes, map[uint8]string{0: "00", 1: "010", 5: "110", 11: "111111110"}},
		{"AC", &lumaAC, &acCodes, map[uint8]string{0x00: "1010", 0x01: "00", 0xf0: "11111111001", 0x11: "1100", 0xfa: "1111111111111110"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type code struct {
				bits uint32
				n    int
			}
			var all []code
			for _, v := range tc.spec.values {
				hc := tc.codes[v]
				n := int(hc&0xff) - int(v&15)
				if n < 1 || n > 16 {
					t.Fatalf("symbol %#x: code length %d", v, n)
				}
				all = append(all, code{hc >> 8, n})
			}
			for i, a := range all {
				for j, b := range all {
					if i != j && a.n <= b.n && b.bits>>(b.n-a.n) == a.bits {
						t.Fatalf("code %0*b is a prefix of %0*b", a.n, a.bits, b.n, b.bits)
					}
				}
			}
			for v, want := range tc.known {
				hc := tc.codes[v]
				n := int(hc&0xff) - int(v&15)
				got := ""
				for i := n - 1; i >= 0; i-- {
					got += string('0' + byte(hc>>8>>i&1))
				}
				if got != want {
					t.Errorf("symbol %#x: code %s, want %s", v, got, want)
				}
			}
		})
	}
}

// TestQuantTable checks the IJG scaling at a few qualities by hand.
func TestQuantTable(t *testing.T) {
	for _, tc := range []struct {
		quality        int
		first, last    uint8
		minimum, upper uint8
	}{
		{1, 255, 255, 255, 255}, // 16·5000/100 = 800, clamped
		{50, 16, 99, 10, 121},   // table K.1 as printed
		{80, 6, 40, 4, 48},      // scale 40: 16→6, 99→40, 10→4, 121→48
		{100, 1, 1, 1, 1},
	} {
		q := quantTable(tc.quality)
		lo, hi := uint8(255), uint8(0)
		for _, v := range q {
			lo, hi = min(lo, v), max(hi, v)
		}
		if q[0] != tc.first || q[63] != tc.last || lo != tc.minimum || hi != tc.upper {
			t.Errorf("quantTable(%d): first %d, last %d, range %d..%d; want %d, %d, %d..%d", tc.quality, q[0], q[63], lo, hi, tc.first, tc.last, tc.minimum, tc.upper)
		}
	}
}

// TestQuantizerDC checks exhaustively that the DC reciprocal divides
// exactly for every table entry and every sum the DCT can produce.
func TestQuantizerDC(t *testing.T) {
	for q0 := 1; q0 <= 255; q0++ {
		var tab [64]uint8
		tab[0] = uint8(q0)
		for i := 1; i < 64; i++ {
			tab[i] = 1
		}
		qt := newQuantizer(&tab)
		d := 8 * q0
		for n := 0; n <= 64*128+d/2; n++ {
			if got, want := int64(n)*qt.dcMul>>dcShift, int64(n/d); got != want {
				t.Fatalf("q0 = %d: %d·dcMul>>dcShift = %d, want %d", q0, n, got, want)
			}
		}
	}
}

// TestQuantizerRecip checks the reciprocals against their definition.
func TestQuantizerRecip(t *testing.T) {
	tab := quantTable(80)
	qt := newQuantizer(&tab)
	for k, n := range jpegtab.Zigzag {
		u, c := int(n/8), int(n%8)
		step := float64(tab[n]) * aanScale(u) * aanScale(c) * 8 * (1 << inBits)
		if got := float64(qt.recip[k]) * step / (1 << recipBits); math.Abs(got-1) > 1e-4 {
			t.Errorf("recip[%d]·step = %f, want 1", k, got)
		}
	}
}
