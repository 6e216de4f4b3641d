package jpegdec

import (
	"encoding/binary"

	"github.com/escala-img/escala/internal/codec/jpegtab"
)

// extent[k] is the largest row (high nibble) and the largest column (low
// nibble) among the coefficients of zigzag index 0 to k: the part of a block
// whose last coded coefficient is k that can be nonzero.
var extent = func() (e [64]uint8) {
	var rows, cols uint8
	for k, z := range jpegtab.Zigzag {
		rows, cols = max(rows, z/8), max(cols, z%8)
		e[k] = rows<<4 | cols
	}
	return e
}()

// Constants of the accurate integer IDCT, the Loeffler–Ligtenberg–Moschytz
// factorisation as the IJG library scales it: round(x·2^13), where ck is
// cos(kπ/16).
const (
	constBits = 13
	pass1Bits = 2 // extra precision kept between the passes

	fix0298 = 2446  // √2·(−c1+c3+c5−c7)
	fix0390 = 3196  // √2·(c5−c3), negated
	fix0541 = 4433  // √2·c6
	fix0765 = 6270  // √2·(c2−c6)
	fix0899 = 7373  // √2·(c7−c3), negated
	fix1175 = 9633  // √2·c3
	fix1501 = 12299 // √2·(c1+c3−c5−c7)
	fix1847 = 15137 // √2·(c2+c6)
	fix1961 = 16069 // √2·(−c3−c5), negated
	fix2053 = 16819 // √2·(c1+c3−c5+c7)
	fix2562 = 20995 // √2·(−c1−c3), negated
	fix3072 = 25172 // √2·(c1+c3+c5−c7)

	// colShift and colRound descale the first pass's outputs, keeping
	// pass1Bits of precision.
	colShift = constBits - pass1Bits
	colRound = 1 << (colShift - 1)

	// rowBias is added to the DC term of the second pass before it is
	// shifted left by constBits: the rounding of the final descale by
	// rowShift and the level shift of 128 (T.81 A.3.1).
	rowBias  = 1<<(rowShift-constBits-1) + 128<<(rowShift-constBits)
	rowShift = constBits + pass1Bits + 3
)

// The accurate transform, idct8, computes in int32 and wraps around on
// overflow, as the IJG library's 32-bit arithmetic and its vector versions
// do: for the coefficients of 8-bit samples nothing overflows, so the
// wrapping only decides what corrupt coefficients give, and it lets the
// AVX2 version (8 lanes of int32) give the same pixels for every input.
// The product of a coefficient and its quantizer fits an int32 exactly.
// The samples are clamped to 0..255. Sums and products wrap the same in any
// order, so only the shifts must come where they do below.

// clampByte limits v to 0..255 without branches.
func clampByte(v int) uint64 {
	v &^= v >> (intBits - 1)        // negative: 0
	v |= (255 - v) >> (intBits - 1) // above 255: all ones
	return uint64(uint8(v))
}

// intBits is the size of an int in bits.
const intBits = 32 << (^uint(0) >> 63)

// clamp32 limits the sample v to 0..255.
func clamp32(v int32) byte {
	return byte(min(max(v, 0), 255))
}

// colDC is what the first pass makes of a column whose only nonzero
// coefficient is its first, dequantised: in0.
func colDC(in0 int32) int32 {
	return (in0<<constBits + colRound) >> colShift
}

// rowDC is the sample that the second pass makes of a row whose only
// nonzero value from the first pass is its first, w0.
func rowDC(w0 int32) byte {
	return clamp32(((w0 + rowBias) << constBits) >> rowShift)
}

// dcValue returns the pixel value of a block whose only nonzero coefficient
// is its DC term dc (already dequantised).
func dcValue(dc int32) uint8 {
	return rowDC(colDC(dc))
}

// idct8 computes the inverse DCT of the block coefficients c (natural order)
// dequantised by q and writes the 8×8 clamped pixels to dst with the given
// stride. last is the zigzag index of the last coefficient that may be
// nonzero. Blocks with few coefficients take shortcuts that give exactly the
// result of the full transform: only the columns and rows that can be
// nonzero are transformed, with fewer terms when they are all in the
// first four.
func idct8(dst []byte, stride int, c *[64]int16, q *[64]uint16, last int) {
	if last == 0 {
		v := uint64(dcValue(int32(c[0])*int32(q[0]))) * lowBytes
		for r := 0; r < 8; r++ {
			binary.LittleEndian.PutUint64(dst[r*stride:], v)
		}
		return
	}
	e := extent[last&63]
	rows, cols := int(e>>4), int(e&15)
	var ws [64]int32
	if rows == 0 {
		// Only the first row is nonzero: every column is flat, so the
		// second pass gives the same row eight times.
		for i := 0; i <= cols && i < 8; i++ {
			ws[i] = colDC(int32(c[i]) * int32(q[i]))
		}
		rowPass(dst[0:8:8], (*[8]int32)(ws[0:8]), cols)
		for r := 1; r < 8; r++ {
			copy(dst[r*stride:r*stride+8], dst[0:8])
		}
		return
	}

	// First pass: columns. Columns that are all zero stay zero, and cols
	// becomes the last column that is not.
	last = -1
	for i := 0; i < 8; i++ {
		if i > cols {
			break
		}
		lo := c[8+i] | c[16+i] | c[24+i]
		hi := c[32+i] | c[40+i] | c[48+i] | c[56+i]
		if lo|hi == 0 {
			if c[i] == 0 {
				continue
			}
			last = i
			v := colDC(int32(c[i]) * int32(q[i]))
			ws[i], ws[8+i], ws[16+i], ws[24+i] = v, v, v, v
			ws[32+i], ws[40+i], ws[48+i], ws[56+i] = v, v, v, v
			continue
		}
		last = i
		in0 := int32(c[i]) * int32(q[i])
		in1 := int32(c[8+i]) * int32(q[8+i])
		in2 := int32(c[16+i]) * int32(q[16+i])
		in3 := int32(c[24+i]) * int32(q[24+i])
		var e0, e1, e2, e3, o0, o1, o2, o3 int32
		if hi == 0 {
			// Rows 4 to 7 are zero.
			z1 := in2 * fix0541
			t3 := z1 + in2*fix0765
			t0 := in0<<constBits + colRound
			e0, e3 = t0+t3, t0-t3
			e1, e2 = t0+z1, t0-z1
			z5 := (in3 + in1) * fix1175
			z1 = in1 * -fix0899
			z2 := in3 * -fix2562
			z3 := in3*-fix1961 + z5
			z4 := in1*-fix0390 + z5
			o0 = z1 + z3
			o1 = z2 + z4
			o2 = in3*fix3072 + z2 + z3
			o3 = in1*fix1501 + z1 + z4
		} else {
			in4 := int32(c[32+i]) * int32(q[32+i])
			in5 := int32(c[40+i]) * int32(q[40+i])
			in6 := int32(c[48+i]) * int32(q[48+i])
			in7 := int32(c[56+i]) * int32(q[56+i])
			z1 := (in2 + in6) * fix0541
			t2 := z1 - in6*fix1847
			t3 := z1 + in2*fix0765
			t0 := (in0+in4)<<constBits + colRound
			t1 := (in0-in4)<<constBits + colRound
			e0, e3 = t0+t3, t0-t3
			e1, e2 = t1+t2, t1-t2
			z1 = in7 + in1
			z2 := in5 + in3
			z3 := in7 + in3
			z4 := in5 + in1
			z5 := (z3 + z4) * fix1175
			z1 *= -fix0899
			z2 *= -fix2562
			z3 = z3*-fix1961 + z5
			z4 = z4*-fix0390 + z5
			o0 = in7*fix0298 + z1 + z3
			o1 = in5*fix2053 + z2 + z4
			o2 = in3*fix3072 + z2 + z3
			o3 = in1*fix1501 + z1 + z4
		}
		ws[i] = (e0 + o3) >> colShift
		ws[56+i] = (e0 - o3) >> colShift
		ws[8+i] = (e1 + o2) >> colShift
		ws[48+i] = (e1 - o2) >> colShift
		ws[16+i] = (e2 + o1) >> colShift
		ws[40+i] = (e2 - o1) >> colShift
		ws[24+i] = (e3 + o0) >> colShift
		ws[32+i] = (e3 - o0) >> colShift
	}

	// Second pass: rows.
	for r := 0; r < 8; r++ {
		rowPass(dst[r*stride:r*stride+8:r*stride+8], (*[8]int32)(ws[r*8:r*8+8]), last)
	}
}

// rowPass runs the second pass on one row of the first pass's output, whose
// columns past cols are zero, and writes its eight pixels to dst.
func rowPass(dst []byte, w *[8]int32, cols int) {
	dst = dst[:8:8]
	in0, in1, in2, in3 := w[0], w[1], w[2], w[3]
	var e0, e1, e2, e3, o0, o1, o2, o3 int32
	if cols < 4 {
		if in1|in2|in3 == 0 {
			binary.LittleEndian.PutUint64(dst, uint64(rowDC(in0))*lowBytes)
			return
		}
		z1 := in2 * fix0541
		t3 := z1 + in2*fix0765
		t0 := (in0 + rowBias) << constBits
		e0, e3 = t0+t3, t0-t3
		e1, e2 = t0+z1, t0-z1
		z5 := (in3 + in1) * fix1175
		z1 = in1 * -fix0899
		z2 := in3 * -fix2562
		z3 := in3*-fix1961 + z5
		z4 := in1*-fix0390 + z5
		o0 = z1 + z3
		o1 = z2 + z4
		o2 = in3*fix3072 + z2 + z3
		o3 = in1*fix1501 + z1 + z4
	} else {
		in4, in5, in6, in7 := w[4], w[5], w[6], w[7]
		if in1|in2|in3|in4|in5|in6|in7 == 0 {
			binary.LittleEndian.PutUint64(dst, uint64(rowDC(in0))*lowBytes)
			return
		}
		z1 := (in2 + in6) * fix0541
		t2 := z1 - in6*fix1847
		t3 := z1 + in2*fix0765
		t0 := (in0 + in4 + rowBias) << constBits
		t1 := (in0 - in4 + rowBias) << constBits
		e0, e3 = t0+t3, t0-t3
		e1, e2 = t1+t2, t1-t2
		z1 = in7 + in1
		z2 := in5 + in3
		z3 := in7 + in3
		z4 := in5 + in1
		z5 := (z3 + z4) * fix1175
		z1 *= -fix0899
		z2 *= -fix2562
		z3 = z3*-fix1961 + z5
		z4 = z4*-fix0390 + z5
		o0 = in7*fix0298 + z1 + z3
		o1 = in5*fix2053 + z2 + z4
		o2 = in3*fix3072 + z2 + z3
		o3 = in1*fix1501 + z1 + z4
	}
	dst[0] = clamp32((e0 + o3) >> rowShift)
	dst[7] = clamp32((e0 - o3) >> rowShift)
	dst[1] = clamp32((e1 + o2) >> rowShift)
	dst[6] = clamp32((e1 - o2) >> rowShift)
	dst[2] = clamp32((e2 + o1) >> rowShift)
	dst[5] = clamp32((e2 - o1) >> rowShift)
	dst[3] = clamp32((e3 + o0) >> rowShift)
	dst[4] = clamp32((e3 - o0) >> rowShift)
}

// Constants of the reduced inverse DCTs, round(x·2^13). An output pixel of
// the n×n transform (n = 4 or 2) is the mean of the (8/n)×(8/n) pixels of
// the full transform that it stands for, restricted to the frequencies
// u, v < n: averaging cos((2x+1)uπ/16) over 8/n neighbouring x gives
// a(u)·cos((2x'+1)uπ/(2n)), with a(u) = cos(uπ/16) for pairs and
// sin(uπ/4)/(4·sin(uπ/16)) for runs of four. Each constant below is
// C(u)·a(u) times the cosine of the n-point transform, with C(0) = 1/√2.
const (
	red4DC  = 5793 // 1/√2
	red4E2  = 5352 // cos(2π/16)·cos(π/4)
	red4O11 = 7423 // cos(π/16)·cos(π/8)
	red4O13 = 2607 // cos(3π/16)·sin(π/8)
	red4O21 = 3075 // cos(π/16)·sin(π/8)
	red4O23 = 6293 // cos(3π/16)·cos(π/8)

	red2DC  = 4096 // (1/√2)²
	red2AC  = 3712 // (1/√2)·a1·cos(π/4), a1 = sin(π/4)/(4·sin(π/16))
	red2ACC = 3363 // (a1·cos(π/4))²
)

// idct4 writes the 4×4 pixels of a block decoded at half size.
func idct4(dst []byte, stride int, c *[64]int16, q *[64]uint16, last int) {
	if last == 0 {
		v := uint32(dcValue(int32(c[0])*int32(q[0]))) * 0x01010101
		for r := 0; r < 4; r++ {
			binary.LittleEndian.PutUint32(dst[r*stride:], v)
		}
		return
	}
	var ws [16]int
	const sh1, rnd1 = constBits - pass1Bits, 1 << (constBits - pass1Bits - 1)
	for i := 0; i < 4; i++ {
		in0 := int(c[i]) * int(q[i])
		in1 := int(c[8+i]) * int(q[8+i])
		in2 := int(c[16+i]) * int(q[16+i])
		in3 := int(c[24+i]) * int(q[24+i])
		e0 := in0*red4DC + in2*red4E2
		e1 := in0*red4DC - in2*red4E2
		o0 := in1*red4O11 + in3*red4O13
		o1 := in1*red4O21 - in3*red4O23
		ws[i] = (e0 + o0 + rnd1) >> sh1
		ws[4+i] = (e1 + o1 + rnd1) >> sh1
		ws[8+i] = (e1 - o1 + rnd1) >> sh1
		ws[12+i] = (e0 - o0 + rnd1) >> sh1
	}
	// The second pass also divides by 4, the product of the two passes' 1/2.
	const sh2 = constBits + pass1Bits + 2
	const bias = 1<<(sh2-1) + 128<<sh2
	for r := 0; r < 4; r++ {
		w := (*[4]int)(ws[r*4:])
		e0 := w[0]*red4DC + w[2]*red4E2 + bias
		e1 := w[0]*red4DC - w[2]*red4E2 + bias
		o0 := w[1]*red4O11 + w[3]*red4O13
		o1 := w[1]*red4O21 - w[3]*red4O23
		v := clampByte((e0+o0)>>sh2) | clampByte((e1+o1)>>sh2)<<8 |
			clampByte((e1-o1)>>sh2)<<16 | clampByte((e0-o0)>>sh2)<<24
		binary.LittleEndian.PutUint32(dst[r*stride:], uint32(v))
	}
}

// idct2 writes the 2×2 pixels of a block decoded at quarter size.
func idct2(dst []byte, stride int, c *[64]int16, q *[64]uint16, last int) {
	if last == 0 {
		v := byte(dcValue(int32(c[0]) * int32(q[0])))
		dst[0], dst[1] = v, v
		dst[stride], dst[stride+1] = v, v
		return
	}
	const sh = constBits + 2
	const bias = 1<<(sh-1) + 128<<sh
	a := int(c[0])*int(q[0])*red2DC + bias
	b := int(c[1]) * int(q[1]) * red2AC // horizontal frequency
	v := int(c[8]) * int(q[8]) * red2AC // vertical frequency
	d := int(c[9]) * int(q[9]) * red2ACC
	dst[0] = byte(clampByte((a + b + v + d) >> sh))
	dst[1] = byte(clampByte((a - b + v - d) >> sh))
	dst[stride] = byte(clampByte((a + b - v - d) >> sh))
	dst[stride+1] = byte(clampByte((a - b - v + d) >> sh))
}

// idct1 writes the one pixel of a block decoded at an eighth of its size.
func idct1(dst []byte, c *[64]int16, q *[64]uint16) {
	dst[0] = byte(dcValue(int32(c[0]) * int32(q[0])))
}

// clearBlock zeroes the coefficients of a block whose last coded one has
// zigzag index last.
func clearBlock(c *[64]int16, last int) {
	if last >= 16 {
		*c = [64]int16{}
		return
	}
	for k := 0; k <= last; k++ {
		c[jpegtab.Zigzag[k&63]&63] = 0
	}
}

// idctRowGo is idctRow in Go.
func idctRowGo(dst []byte, stride int, coef []int16, last []uint8, q *[64]uint16) {
	for i, l := range last {
		c := (*[64]int16)(coef[64*i:])
		idct8(dst[8*i:], stride, c, q, int(l))
		clearBlock(c, int(l))
	}
}
