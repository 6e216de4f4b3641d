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
// and upper-left (c) neighbours: of a, b and c, the nearest to a+b−c,
// preferring a, then b, on ties. The compiler makes its ifs conditional
// moves: the choice depends on the image and is not predictable.
func paeth(a, b, c int) int {
	pa := b - c // p − a
	pb := a - c // p − b
	pc := pa + pb
	if pa < 0 {
		pa = -pa
	}
	if pb < 0 {
		pb = -pb
	}
	if pc < 0 {
		pc = -pc
	}
	if pb < pa {
		pa, a = pb, b
	}
	if pc < pa {
		a = c
	}
	return a
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

func paeth2(cur, prev []byte) {
	var a0, a1, c0, c1 int
	for len(cur) >= 2 && len(prev) >= 2 {
		b0, b1 := int(prev[0]), int(prev[1])
		a0 = (int(cur[0]) + paeth(a0, b0, c0)) & 0xff
		a1 = (int(cur[1]) + paeth(a1, b1, c1)) & 0xff
		cur[0], cur[1] = byte(a0), byte(a1)
		c0, c1 = b0, b1
		cur, prev = cur[2:], prev[2:]
	}
}

func paeth3(cur, prev []byte) {
	var a0, a1, a2, c0, c1, c2 int
	for len(cur) >= 3 && len(prev) >= 3 {
		b0, b1, b2 := int(prev[0]), int(prev[1]), int(prev[2])
		a0 = (int(cur[0]) + paeth(a0, b0, c0)) & 0xff
		a1 = (int(cur[1]) + paeth(a1, b1, c1)) & 0xff
		a2 = (int(cur[2]) + paeth(a2, b2, c2)) & 0xff
		cur[0], cur[1], cur[2] = byte(a0), byte(a1), byte(a2)
		c0, c1, c2 = b0, b1, b2
		cur, prev = cur[3:], prev[3:]
	}
}

func paeth4(cur, prev []byte) {
	var a0, a1, a2, a3, c0, c1, c2, c3 int
	for len(cur) >= 4 && len(prev) >= 4 {
		b0, b1, b2, b3 := int(prev[0]), int(prev[1]), int(prev[2]), int(prev[3])
		a0 = (int(cur[0]) + paeth(a0, b0, c0)) & 0xff
		a1 = (int(cur[1]) + paeth(a1, b1, c1)) & 0xff
		a2 = (int(cur[2]) + paeth(a2, b2, c2)) & 0xff
		a3 = (int(cur[3]) + paeth(a3, b3, c3)) & 0xff
		cur[0], cur[1], cur[2], cur[3] = byte(a0), byte(a1), byte(a2), byte(a3)
		c0, c1, c2, c3 = b0, b1, b2, b3
		cur, prev = cur[4:], prev[4:]
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
