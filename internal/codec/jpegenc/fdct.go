package jpegenc

//go:generate go run gen_fdct.go

import "encoding/binary"

// The transform is the scaled 8-point DCT of Arai, Agui and Nakajima in
// integer arithmetic. Its per-coefficient scale factors, aanScale(u)·
// aanScale(v)·8, are folded into the reciprocals of [quantizer], so each
// 1-D pass needs only five multiplications and quantising is a multiply and
// a shift. The row pass works at a scale of 2^inBits: it shifts up the
// terms without a product and descales products by constBits-inBits only.
// Multipliers carry constBits fractional bits. The arithmetic is 64-bit
// (int64, on 32-bit platforms too), so nothing overflows, and every coefficient is within 0.02 of the exact DCT
// (TestFDCTAccuracy), an order of magnitude closer than image/jpeg's
// integer DCT; DC is exact.
const (
	inBits    = 8
	constBits = 16
	// recipBits is the fixed point of the reciprocals; 1<<(recipBits-1)
	// fits an instruction's 32-bit immediate.
	recipBits = 31
)

// Multipliers of the AAN transform, round(x·2^constBits).
const (
	fix0707 = 46341 // cos(4π/16) = 0.707106781
	fix0382 = 25080 // cos(6π/16) = 0.382683433
	fix0541 = 35468 // cos(2π/16) - cos(6π/16) = 0.541196100
	fix1306 = 85627 // cos(2π/16) + cos(6π/16) = 1.306562965
)

// coefs holds the quantised coefficients of one block in zigzag order as
// little-endian int16, so that eight bytes at a time can be tested for zero.
type coefs [128]byte

// at returns coefficient k in zigzag order.
func (z *coefs) at(k int) int {
	return int(int16(binary.LittleEndian.Uint16(z[2*(k&63):])))
}

// block is the scratch space of [block.fdctQuant]; its contents between
// calls do not matter, so one block is reused without clearing.
type block struct {
	// ws holds the row transforms transposed (64-bit, as amd64 has no
	// indexed sign-extending 32-bit load): ws[c*8+j] is frequency c of
	// row j, so that the column pass reads each column contiguously.
	ws [64]int64
}

// fdctRowGo transforms and quantises len(zz) blocks side by side, as
// fdctQuant does: block i has row j at pix[off[j]+x+8i:][:8], and its
// coefficients and mask go to zz[i] and masks[i].
func fdctRowGo(zz []coefs, masks []uint64, pix []byte, off *[8]int, x int, t *quantizer) {
	var b block
	masks = masks[:len(zz)]
	for i := range zz {
		masks[i] = b.fdctQuant(&zz[i], pix, off, x+8*i, t)
	}
}

// fdctQuant transforms the 8×8 block whose row j is pix[off[j]+x:][:8],
// quantises it with t into zz and returns a mask whose bit k is set when
// coefficient k in zigzag order is not zero.
func (b *block) fdctQuant(zz *coefs, pix []byte, off *[8]int, x int, t *quantizer) uint64 {
	ws := &b.ws
	for j := range 8 {
		o := off[j] + x
		row := pix[o : o+8 : o+8]
		d0, d1, d2, d3 := int64(row[0]), int64(row[1]), int64(row[2]), int64(row[3])
		d4, d5, d6, d7 := int64(row[4]), int64(row[5]), int64(row[6]), int64(row[7])

		tmp0, tmp7 := d0+d7, d0-d7
		tmp1, tmp6 := d1+d6, d1-d6
		tmp2, tmp5 := d2+d5, d2-d5
		tmp3, tmp4 := d3+d4, d3-d4

		// Even part. The level shift by 128 only changes the DC term.
		// Terms without a product are scaled up by inBits here, products
		// are descaled by constBits-inBits only.
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		ws[j] = (tmp10 + tmp11 - 8*128) << inBits
		ws[32+j] = (tmp10 - tmp11) << inBits
		z1 := (tmp12 + tmp13) * fix0707 >> (constBits - inBits)
		tmp13 <<= inBits
		ws[16+j] = tmp13 + z1
		ws[48+j] = tmp13 - z1

		// Odd part.
		tmp10 = tmp4 + tmp5
		tmp11 = tmp5 + tmp6
		tmp12 = tmp6 + tmp7
		z5 := (tmp10 - tmp12) * fix0382
		z2 := (tmp10*fix0541 + z5) >> (constBits - inBits)
		z4 := (tmp12*fix1306 + z5) >> (constBits - inBits)
		z3 := tmp11 * fix0707 >> (constBits - inBits)
		tmp7 <<= inBits
		z11, z13 := tmp7+z3, tmp7-z3
		ws[40+j] = z13 + z2
		ws[24+j] = z13 - z2
		ws[8+j] = z11 + z4
		ws[56+j] = z11 - z4
	}

	// The column pass (fdct_columns.go) quantises as it goes.
	dcSum := b.columns(zz, t)

	// DC exactly as image/jpeg does, rounding half away from zero: dcSum
	// is exactly 2^inBits·Σ(sample-128), as no product went into it.
	sum := dcSum >> inBits
	s := sum >> 63
	dc := ((sum^s)-s+t.dcHalf)*t.dcMul>>dcShift ^ s - s
	binary.LittleEndian.PutUint16(zz[0:], uint16(dc))

	// Find the non-zero coefficients, four at a time.
	var mask uint64
	mask |= gather4(binary.LittleEndian.Uint64(zz[0:])) << 0
	mask |= gather4(binary.LittleEndian.Uint64(zz[8:])) << 4
	mask |= gather4(binary.LittleEndian.Uint64(zz[16:])) << 8
	mask |= gather4(binary.LittleEndian.Uint64(zz[24:])) << 12
	mask |= gather4(binary.LittleEndian.Uint64(zz[32:])) << 16
	mask |= gather4(binary.LittleEndian.Uint64(zz[40:])) << 20
	mask |= gather4(binary.LittleEndian.Uint64(zz[48:])) << 24
	mask |= gather4(binary.LittleEndian.Uint64(zz[56:])) << 28
	mask |= gather4(binary.LittleEndian.Uint64(zz[64:])) << 32
	mask |= gather4(binary.LittleEndian.Uint64(zz[72:])) << 36
	mask |= gather4(binary.LittleEndian.Uint64(zz[80:])) << 40
	mask |= gather4(binary.LittleEndian.Uint64(zz[88:])) << 44
	mask |= gather4(binary.LittleEndian.Uint64(zz[96:])) << 48
	mask |= gather4(binary.LittleEndian.Uint64(zz[104:])) << 52
	mask |= gather4(binary.LittleEndian.Uint64(zz[112:])) << 56
	mask |= gather4(binary.LittleEndian.Uint64(zz[120:])) << 60
	return mask
}

// quant stores v·recip/2^recipBits, rounded to nearest, as coefficient k of
// zz.
func quant(zz *coefs, k int, v int64, recip int64) {
	binary.LittleEndian.PutUint16(zz[2*k:], uint16((v*recip+1<<(recipBits-1))>>recipBits))
}

// gather4 returns a 4-bit mask of the 16-bit lanes of w that are not zero,
// lane 0 (the low bits) in bit 0. The top bit of each lane of t is set when
// the lane is not zero, and the multiplication moves bits 15, 31, 47 and 63
// of t to 60, 61, 62 and 63 of the product, where no other partial product
// lands and so no carry can reach.
func gather4(w uint64) uint64 {
	const (
		low  = 0x7fff_7fff_7fff_7fff
		high = 0x8000_8000_8000_8000
	)
	t := (w&low + low | w) & high
	return t * (1<<45 | 1<<30 | 1<<15 | 1) >> 60
}
