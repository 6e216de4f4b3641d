package pngdec

import "github.com/escala-img/escala/internal/codec/simd"

// The AVX2 versions of the commonest rowConverters, in gray_amd64.s.
// They compute exactly what the Go versions do, for groups of 8 pixels
// (16 of gray and alpha); the Go versions do the rest of a row.

//go:noescape
func rgba8AVX2(dst, src []byte)

//go:noescape
func rgb8AVX2(dst, src []byte)

//go:noescape
func grayAlpha8AVX2(dst, src []byte)

func rgba8(dst, src []byte) {
	if n := len(dst) &^ 7; simd.AVX2 && n > 0 {
		rgba8AVX2(dst[:n], src[:4*n])
		dst, src = dst[n:], src[4*n:]
	}
	rgba8Go(dst, src)
}

func rgb8(dst, src []byte) {
	// rgb8AVX2 reads 4 bytes past each group of 8 pixels.
	if n := max(0, (3*len(dst)-4)/24*8); simd.AVX2 && n > 0 {
		rgb8AVX2(dst[:n], src[:3*n+4])
		dst, src = dst[n:], src[3*n:]
	}
	rgb8Go(dst, src)
}

func grayAlpha8(dst, src []byte) {
	if n := len(dst) &^ 15; simd.AVX2 && n > 0 {
		grayAlpha8AVX2(dst[:n], src[:2*n])
		dst, src = dst[n:], src[2*n:]
	}
	grayAlpha8Go(dst, src)
}
