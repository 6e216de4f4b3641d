package jpegenc

import (
	"math"

	"github.com/escala-img/escala/internal/codec/jpegtab"
)

// lumaQuant is the luminance quantisation table of ITU T.81 table K.1, in
// natural order. It is the table for quality 50.
var lumaQuant = [64]uint8{
	16, 11, 10, 16, 24, 40, 51, 61,
	12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56,
	14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77,
	24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101,
	72, 92, 95, 98, 112, 100, 103, 99,
}

// huffSpec is a Huffman table as T.81 specifies it in a DHT segment: the
// number of codes of each length 1..16 and the symbols in code order.
type huffSpec struct {
	counts [16]uint8
	values []uint8
}

// lumaDC is the luminance DC table of ITU T.81 table K.3.
var lumaDC = huffSpec{
	counts: [16]uint8{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
	values: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
}

// lumaAC is the luminance AC table of ITU T.81 table K.5.
var lumaAC = huffSpec{
	counts: [16]uint8{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d},
	values: []uint8{
		0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12,
		0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
		0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
		0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
		0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16,
		0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
		0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
		0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
		0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
		0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
		0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79,
		0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
		0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
		0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
		0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
		0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4,
		0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
		0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
		0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9, 0xfa,
	},
}

// huffCodes holds, for each symbol, its code in the high 24 bits and in the
// low 8 bits the code's length plus the number of value bits that follow
// the code, the symbol's low four bits (T.81 F.1.2); a symbol without a code
// holds 0.
type huffCodes [256]uint32

// codes builds the code of every symbol of s as T.81 annex C does.
func (s *huffSpec) codes() huffCodes {
	var t huffCodes
	code, k := uint32(0), 0
	for n, c := range s.counts {
		for range c {
			v := s.values[k]
			t[v] = code<<8 | uint32(n+1) + uint32(v&15)
			code++
			k++
		}
		code <<= 1
	}
	return t
}

var (
	dcCodes = lumaDC.codes()
	acCodes = lumaAC.codes()
)

// acShifted[sym] is acCodes[sym] with the code shifted left by the number
// of value bits, the symbol's low four bits, so that the value bits can
// be ORed in: the code in bits 8 and up, its length plus the number of
// value bits in the low 8 bits.
var acShifted = func() (t [256]uint64) {
	for sym, hc := range acCodes {
		t[sym] = uint64(hc>>8)<<(sym&15)<<8 | uint64(hc&0xff)
	}
	return
}()

// quantTable returns the luminance table of T.81 K.1 scaled for quality as
// the IJG library (and image/jpeg) does, in natural order. quality must be
// in 1..100.
func quantTable(quality int) [64]uint8 {
	scale := 200 - 2*quality
	if quality < 50 {
		scale = 5000 / quality
	}
	var q [64]uint8
	for i, v := range lumaQuant {
		x := (int(v)*scale + 50) / 100
		q[i] = uint8(min(max(x, 1), 255))
	}
	return q
}

// aanScale returns √2·cos(kπ/16) for k > 0 and 1 for k = 0: the factor by
// which the scaled DCT of [fdctQuant] leaves coefficient k of a 1-D
// transform too large.
func aanScale(k int) float64 {
	if k == 0 {
		return 1
	}
	return math.Sqrt2 * math.Cos(float64(k)*math.Pi/16)
}

// quantizer holds what [block.fdctQuant] needs for one quality.
type quantizer struct {
	// recip[k] is 2^recipBits divided by the quantisation step of
	// coefficient k in zigzag order as fdctQuant computes it, with the
	// transform's scale folded in.
	recip [64]int64

	// DC is quantised exactly: for 0 ≤ n < 2^14 (a DC sum of at most
	// 64·128 plus dcHalf), n·dcMul>>dcShift is n/(8·q[0]) rounded down.
	dcMul, dcHalf int64

	// vec holds the same numbers for the vector code.
	vec vecQuantizer
}

// vecQuantizer is a [quantizer] laid out for fdctGroupsAVX2
// (fdct_amd64.s).
type vecQuantizer struct {
	// recip2[n] is 2·recip of the coefficient of natural index n, which
	// fits an int32 as recip < 2^24.
	recip2 [64]int32
	// dcHalf and dcMul are quantizer.dcHalf and dcMul in every lane.
	dcHalf, dcMul [8]uint32
}

// dcShift is the shift of quantizer.dcMul.
const dcShift = 32

// newQuantizer returns the quantizer for the natural-order table q.
func newQuantizer(q *[64]uint8) *quantizer {
	t := new(quantizer)
	for k, n := range jpegtab.Zigzag {
		u, c := int(n/8), int(n%8)
		// fdctQuant's output for coefficient (u, c) is the T.81 DCT value
		// times 8·aanScale(u)·aanScale(c)·2^inBits.
		step := float64(q[n]) * aanScale(u) * aanScale(c) * 8 * (1 << inBits)
		t.recip[k] = int64(math.Round((1 << recipBits) / step))
	}
	d := 8 * int64(q[0])
	t.dcMul = (1<<dcShift + d - 1) / d
	t.dcHalf = d / 2

	for k, n := range jpegtab.Zigzag {
		t.vec.recip2[n] = int32(2 * t.recip[k])
	}
	for i := range 8 {
		t.vec.dcHalf[i], t.vec.dcMul[i] = uint32(t.dcHalf), uint32(t.dcMul)
	}
	return t
}
