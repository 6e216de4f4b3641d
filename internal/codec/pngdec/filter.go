package pngdec

import "encoding/binary"

// Filter types of a row, its first byte.
const (
	ftNone    = 0
	ftSub     = 1
	ftUp      = 2
	ftAverage = 3
	ftPaeth   = 4
)

// unfilter reverses filter type ft on the row cur, given prev, the row
// before it already unfiltered (zeros for a pass's first row), both without
// their filter type byte and of the same length. bpp is the distance to a
// byte's left neighbour: the bytes of a pixel, at least 1. It reports
// false for an unknown filter type.
func unfilter(ft byte, cur, prev []byte, bpp int) bool {
	prev = prev[:len(cur)]
	if len(cur) == 0 {
		return ft <= ftPaeth
	}
	switch ft {
	case ftNone:
	case ftSub:
		unfilterSub(cur, bpp)
	case ftUp:
		unfilterUp(cur, prev)
	case ftAverage:
		unfilterAverage(cur, prev, bpp)
	case ftPaeth:
		unfilterPaeth(cur, prev, bpp)
	default:
		return false
	}
	return true
}

func unfilterSub(cur []byte, bpp int) {
	if bpp == 1 {
		var a byte
		for i, x := range cur {
			a += x
			cur[i] = a
		}
		return
	}
	for i := bpp; i < len(cur); i++ {
		cur[i] += cur[i-bpp]
	}
}

// addBytes adds the 8 bytes of x and y each to each, modulo 256.
func addBytes(x, y uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return (x&low7 + y&low7) ^ (x^y)&^low7
}

func unfilterUp(cur, prev []byte) {
	prev = prev[:len(cur)]
	i := 0
	for ; i+8 <= len(cur); i += 8 {
		x := binary.LittleEndian.Uint64(cur[i:])
		y := binary.LittleEndian.Uint64(prev[i:])
		binary.LittleEndian.PutUint64(cur[i:], addBytes(x, y))
	}
	for ; i < len(cur); i++ {
		cur[i] += prev[i]
	}
}

func unfilterAverage(cur, prev []byte, bpp int) {
	prev = prev[:len(cur)]
	for i := 0; i < bpp && i < len(cur); i++ {
		cur[i] += prev[i] / 2
	}
	if bpp == 1 {
		a := uint(cur[0])
		for i := 1; i < len(cur); i++ {
			a = uint(cur[i]) + (a+uint(prev[i]))/2
			cur[i] = byte(a)
			a &= 0xff
		}
		return
	}
	for i := bpp; i < len(cur); i++ {
		cur[i] += byte((uint(cur[i-bpp]) + uint(prev[i])) / 2)
	}
}

// paeth returns the Paeth predictor of a byte from its left (a), upper (b)
// and upper-left (c) neighbours: of a, b and c, the nearest to p = a+b−c,
// preferring a, then b, on ties. With lo and hi the smaller and the larger
// of a and b, and u = hi−c, v = c−lo:
//
//   - c ≤ lo puts p at or above hi, nearest to hi; c ≥ hi puts p at or
//     below lo, nearest to lo;
//   - otherwise p lies between lo and hi, v from hi, u from lo and |u−v|
//     from c: hi is nearest when u ≥ 2v, lo when v ≥ 2u, and c, strictly,
//     when neither holds.
//
// With t = 3c−a−b, u ≥ 2v is t ≤ lo and v ≥ 2u is t ≥ hi, and these two
// also cover the first two cases (both hold only when lo = hi), so the
// predictor is hi when t ≤ lo, else lo when t ≥ hi, else c. The ifs
// compile to conditional moves: the choice depends on the image and is
// not predictable. TestPaeth checks every a, b and c against the
// definition.
func paeth(a, b, c int) int {
	t := 3*c - a - b
	lo, hi := min(a, b), max(a, b)
	p := c
	if t >= hi {
		p = lo
	}
	if t <= lo {
		p = hi
	}
	return p
}

// paethGo is the Go version of unfilterPaeth.
func paethGo(cur, prev []byte, bpp int) {
	switch bpp {
	case 1:
		paeth1(cur, prev)
	case 2:
		paeth2(cur, prev)
	case 3:
		paeth3(cur, prev)
	case 4:
		paeth4(cur, prev)
	default:
		paethN(cur, prev, bpp)
	}
}

func paeth1(cur, prev []byte) {
	prev = prev[:len(cur)]
	a, c := 0, 0
	for i, x := range cur {
		b := int(prev[i])
		a = (int(x) + paeth(a, b, c)) & 0xff
		cur[i] = byte(a)
		c = b
	}
}

// paeth2, paeth3 and paeth4 keep the left and upper-left neighbours of
// each byte of a pixel in variables, and finish one byte before they start
// the next, which keeps them in registers.

func paeth2(cur, prev []byte) {
	prev = prev[:len(cur)]
	var a0, a1, c0, c1 int
	for i := 0; i+1 < len(cur); i += 2 {
		b0 := int(prev[i])
		a0 = (int(cur[i]) + paeth(a0, b0, c0)) & 0xff
		cur[i], c0 = byte(a0), b0
		b1 := int(prev[i+1])
		a1 = (int(cur[i+1]) + paeth(a1, b1, c1)) & 0xff
		cur[i+1], c1 = byte(a1), b1
	}
}

func paeth3(cur, prev []byte) {
	prev = prev[:len(cur)]
	var a0, a1, a2, c0, c1, c2 int
	for i := 0; i+2 < len(cur); i += 3 {
		b0 := int(prev[i])
		a0 = (int(cur[i]) + paeth(a0, b0, c0)) & 0xff
		cur[i], c0 = byte(a0), b0
		b1 := int(prev[i+1])
		a1 = (int(cur[i+1]) + paeth(a1, b1, c1)) & 0xff
		cur[i+1], c1 = byte(a1), b1
		b2 := int(prev[i+2])
		a2 = (int(cur[i+2]) + paeth(a2, b2, c2)) & 0xff
		cur[i+2], c2 = byte(a2), b2
	}
}

func paeth4(cur, prev []byte) {
	prev = prev[:len(cur)]
	var a0, a1, a2, a3, c0, c1, c2, c3 int
	for i := 0; i+3 < len(cur); i += 4 {
		b0 := int(prev[i])
		a0 = (int(cur[i]) + paeth(a0, b0, c0)) & 0xff
		cur[i], c0 = byte(a0), b0
		b1 := int(prev[i+1])
		a1 = (int(cur[i+1]) + paeth(a1, b1, c1)) & 0xff
		cur[i+1], c1 = byte(a1), b1
		b2 := int(prev[i+2])
		a2 = (int(cur[i+2]) + paeth(a2, b2, c2)) & 0xff
		cur[i+2], c2 = byte(a2), b2
		b3 := int(prev[i+3])
		a3 = (int(cur[i+3]) + paeth(a3, b3, c3)) & 0xff
		cur[i+3], c3 = byte(a3), b3
	}
}

// paethN is Paeth for any bpp, reading the left neighbours back from cur.
func paethN(cur, prev []byte, bpp int) {
	paethTail(cur, prev, bpp, 0)
}

// paethTail is Paeth from cur[i:] on, cur[:i] done.
func paethTail(cur, prev []byte, bpp, i int) {
	prev = prev[:len(cur)]
	for ; i < bpp && i < len(cur); i++ {
		cur[i] += prev[i] // a = c = 0: the predictor is b
	}
	for ; i < len(cur); i++ {
		cur[i] += byte(paeth(int(cur[i-bpp]), int(prev[i]), int(prev[i-bpp])))
	}
}
