package jpegdec

import "github.com/escala-img/escala/internal/codec/simd"

// idctRowAVX2 is idctRow for n = len(last) > 0 blocks, with AVX2. dst must
// hold 7·stride+8·n bytes and coef 64·n coefficients.
//
//go:noescape
func idctRowAVX2(dst []byte, stride int, coef []int16, last []uint8, q *[64]uint16)

// idctRow runs idct8 on a row of blocks: block i has the coefficients
// coef[64i:64i+64], zero past zigzag index last[i], and its pixels start
// at dst[8i]. The coefficients are zeroed after.
func idctRow(dst []byte, stride int, coef []int16, last []uint8, q *[64]uint16) {
	n := len(last)
	if !simd.AVX2 || n == 0 {
		idctRowGo(dst, stride, coef, last, q)
		return
	}
	_ = dst[7*stride+8*n-1]
	_ = coef[64*n-1]
	idctRowAVX2(dst, stride, coef, last, q)
}

// idctZigzagRowAVX2 is idctZigzagRow for n = len(nz) > 0 blocks, with
// AVX2. dst must hold 7·stride+8·n bytes and coefs 16·n words.
//
//go:noescape
func idctZigzagRowAVX2(dst []byte, stride int, coefs, nz []uint64, q *[64]uint16)

// idctZigzagRow runs idct8 on a row of blocks of a progressive file: block
// i is the zigzagBlock coefs[16i:16i+16] with its nonzero AC coefficients
// in nz[i], and its pixels start at dst[8i].
func idctZigzagRow(dst []byte, stride int, coefs, nz []uint64, q *[64]uint16) {
	n := len(nz)
	if !simd.AVX2 || n == 0 {
		idctZigzagRowGo(dst, stride, coefs, nz, q)
		return
	}
	_ = dst[7*stride+8*n-1]
	_ = coefs[16*n-1]
	idctZigzagRowAVX2(dst, stride, coefs, nz, q)
}
