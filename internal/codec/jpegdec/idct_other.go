//go:build !amd64

package jpegdec

// idctRow runs idct8 on a row of blocks: block i has the coefficients
// coef[64i:64i+64], zero past zigzag index last[i], and its pixels start
// at dst[8i]. The coefficients are zeroed after.
func idctRow(dst []byte, stride int, coef []int16, last []uint8, q *[64]uint16) {
	idctRowGo(dst, stride, coef, last, q)
}
