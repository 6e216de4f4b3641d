//go:build !amd64

package jpegdec

// idctRow runs idct8 on a row of blocks: block i has the coefficients
// coef[64i:64i+64], zero past zigzag index last[i], and its pixels start
// at dst[8i]. The coefficients are zeroed after.
func idctRow(dst []byte, stride int, coef []int16, last []uint8, q *[64]uint16) {
	idctRowGo(dst, stride, coef, last, q)
}

// idctZigzagRow runs idct8 on a row of blocks of a progressive file: block
// i is the zigzagBlock coefs[16i:16i+16] with its nonzero AC coefficients
// in nz[i], and its pixels start at dst[8i].
func idctZigzagRow(dst []byte, stride int, coefs, nz []uint64, q *[64]uint16) {
	idctZigzagRowGo(dst, stride, coefs, nz, q)
}
