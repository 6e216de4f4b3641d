package pngdec

import "github.com/escala-img/escala/internal/codec/simd"

// paethAVX2 runs the Paeth filter on cur, given prev of the same length,
// for bpp from 2 to 8, up to where fewer than eight bytes remain, and
// returns the offset of the first byte it left. masks is paethMasks[bpp].
//
//go:noescape
func paethAVX2(cur, prev []byte, bpp int, masks *[2][16]byte) int

// paethMasks holds, for each bpp, the masks paethAVX2 takes: 0x00ff in the
// 16-bit lanes below bpp, and 0xff in the bytes from bpp to 7.
var paethMasks = func() (m [9][2][16]byte) {
	for bpp := range m {
		for i := range 8 {
			if i < bpp {
				m[bpp][0][2*i] = 0xff
			} else {
				m[bpp][1][i] = 0xff
			}
		}
	}
	return m
}()

// unfilterPaeth reverses the Paeth filter: with AVX2 for 3 to 8 bytes a
// pixel, up to the last few bytes, then in Go.
func unfilterPaeth(cur, prev []byte, bpp int) {
	prev = prev[:len(cur)]
	if simd.AVX2 && bpp >= 2 && len(cur) >= 8 {
		i := paethAVX2(cur, prev, bpp, &paethMasks[bpp])
		paethTail(cur, prev, bpp, i)
		return
	}
	paethGo(cur, prev, bpp)
}
