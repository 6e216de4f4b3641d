package webpdec

import "image"

// The gray of a pixel is Pillow's convert("L") of the RGB that libwebp
// decodes, the ITU-R 601-2 luma
//
//	L = (19595·R + 38470·G + 7471·B + 2^15) >> 16
//
// of the 8-bit channels, each first composited onto white when the image
// has alpha: (c·a + 255·(255−a) + 127) / 255.
//
// libwebp turns the limited-range BT.601 YUV of VP8 into RGB in fixed
// point, with 8-bit products of 16-bit constants and 6 fractional bits
// (src/dsp/yuv.h):
//
//	R = clip((19077·y>>8 + 26149·v>>8 − 14234) >> 6)
//	G = clip((19077·y>>8 − 6419·u>>8 − 13320·v>>8 + 8708) >> 6)
//	B = clip((19077·y>>8 + 33050·u>>8 − 17685) >> 6)
//
// after its "fancy" upsampler has interpolated the chroma, sampled once
// per 2×2 pixels, at each pixel: from the chroma row nearest to the
// pixel's row (weight 3) and the next nearest (weight 1), and likewise
// between columns, rounded in two steps as libwebp does (see fancyRow).
// The first and last rows and columns take the nearest chroma row or
// column alone.

// luma returns the 601-2 luma of an 8-bit RGB colour, rounded to nearest.
func luma(r, g, b int32) uint8 {
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
}

// overWhite composites an 8-bit non-premultiplied channel value c of alpha
// a onto white, rounded to nearest.
func overWhite(c, a int32) int32 {
	return (c*a + 255*(255-a) + 127) / 255
}

// clip8 turns a channel value with 6 fractional bits into 8 bits, clamped
// to 0..255.
func clip8(v int32) int32 {
	if uint32(v) < 256<<6 {
		return v >> 6
	}
	if v < 0 {
		return 0
	}
	return 255
}

// rgb returns libwebp's RGB of the VP8 colour (y, u, v).
func rgb(y, u, v int32) (r, g, b int32) {
	yy := y * 19077 >> 8
	r = clip8(yy + v*26149>>8 - 14234)
	g = clip8(yy - u*6419>>8 - v*13320>>8 + 8708)
	b = clip8(yy + u*33050>>8 - 17685)
	return r, g, b
}

// yuvGray writes the gray of the VP8 frame m into dst, a row every stride
// bytes, with the alpha plane alpha (a value a pixel, rows of m's width)
// composited onto white, or opaque when alpha is nil.
func yuvGray(dst []byte, stride int, m *image.YCbCr, alpha []byte) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	ch := (h + 1) / 2
	cw := (w + 1) / 2
	for r := range h {
		// The chroma rows nearest to row r and next nearest.
		var near, far int
		if r&1 == 0 {
			near, far = r/2, max(r/2-1, 0)
		} else {
			near, far = r/2, min(r/2+1, ch-1)
		}
		nu := m.Cb[near*m.CStride:][:cw]
		nv := m.Cr[near*m.CStride:][:cw]
		fu := m.Cb[far*m.CStride:][:cw]
		fv := m.Cr[far*m.CStride:][:cw]
		y := m.Y[r*m.YStride:][:w]
		out := dst[r*stride:][:w]
		if alpha == nil {
			fancyRow(out, y, nu, nv, fu, fv)
		} else {
			fancyRowAlpha(out, y, nu, nv, fu, fv, alpha[r*w:][:w])
		}
	}
}

// fancyRow writes to out the gray of the luma row y, whose chroma is
// interpolated from the rows nu, nv (nearest) and fu, fv (next nearest) of
// (len(y)+1)/2 samples. Between the chroma columns left and right of a
// pair of pixels, the left pixel gets
//
//	((nL + 3·nR + 3·fL + fR + 8) >> 3 + nL) >> 1
//
// and the right one the same with left and right swapped: 9/16 of the
// nearest sample, in libwebp's two roundings. The first pixel, and the
// last of an even row, take (3·n + f + 2) >> 2 of their column.
func fancyRow(out, y, nu, nv, fu, fv []byte) {
	w := len(out)
	edge := func(i, x int) {
		u := (3*int32(nu[i]) + int32(fu[i]) + 2) >> 2
		v := (3*int32(nv[i]) + int32(fv[i]) + 2) >> 2
		out[x] = luma(rgb(int32(y[x]), u, v))
	}
	edge(0, 0)
	pairs := (w - 1) >> 1
	// Slicing to what the loop reads lets the compiler drop its bounds
	// checks.
	o, yy := out[:2*pairs+1], y[:2*pairs+1]
	u0, v0, u1, v1 := nu[:pairs+1], nv[:pairs+1], fu[:pairs+1], fv[:pairs+1]
	for i := 1; i <= pairs; i++ {
		uL := interp(u0[i-1], u0[i], u1[i-1], u1[i])
		vL := interp(v0[i-1], v0[i], v1[i-1], v1[i])
		uR := interp(u0[i], u0[i-1], u1[i], u1[i-1])
		vR := interp(v0[i], v0[i-1], v1[i], v1[i-1])
		o[2*i-1] = luma(rgb(int32(yy[2*i-1]), uL, vL))
		o[2*i] = luma(rgb(int32(yy[2*i]), uR, vR))
	}
	if w&1 == 0 {
		edge(pairs, w-1)
	}
}

// fancyRowAlpha is fancyRow for a row with alpha values a, composited
// onto white.
func fancyRowAlpha(out, y, nu, nv, fu, fv, a []byte) {
	fancyRow(out, y, nu, nv, fu, fv)
	w := len(out)
	// Where the pixel is not opaque, its RGB is needed again; it is
	// computed anew rather than kept for every pixel.
	for x := range w {
		al := int32(a[x])
		if al == 255 {
			continue
		}
		i := x >> 1
		var u, v int32
		switch {
		case x == 0 || x == w-1 && w&1 == 0:
			u = (3*int32(nu[i]) + int32(fu[i]) + 2) >> 2
			v = (3*int32(nv[i]) + int32(fv[i]) + 2) >> 2
		case x&1 == 1: // left of the pair of columns i, i+1
			u = interp(nu[i], nu[i+1], fu[i], fu[i+1])
			v = interp(nv[i], nv[i+1], fv[i], fv[i+1])
		default: // right of the pair i-1, i
			u = interp(nu[i], nu[i-1], fu[i], fu[i-1])
			v = interp(nv[i], nv[i-1], fv[i], fv[i-1])
		}
		r, g, b := rgb(int32(y[x]), u, v)
		out[x] = luma(overWhite(r, al), overWhite(g, al), overWhite(b, al))
	}
}

// interp returns the chroma of a pixel beside the nearest sample n, whose
// neighbour across the column is n2, and whose next nearest row has f and
// f2 in the same columns, as fancyRow computes it.
func interp(n, n2, f, f2 byte) int32 {
	a, b, c, d := int32(n), int32(n2), int32(f), int32(f2)
	return ((a+3*b+3*c+d+8)>>3 + a) >> 1
}

// nrgbaGray writes the gray of the VP8L image m into dst, a row every
// stride bytes, compositing its alpha onto white if useAlpha, and
// ignoring it otherwise.
func nrgbaGray(dst []byte, stride int, m *image.NRGBA, useAlpha bool) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	for r := range h {
		src := m.Pix[r*m.Stride:][:4*w]
		out := dst[r*stride:][:w]
		for x := range out {
			p := src[4*x : 4*x+4 : 4*x+4]
			cr, cg, cb, a := int32(p[0]), int32(p[1]), int32(p[2]), int32(p[3])
			if useAlpha && a != 255 {
				cr, cg, cb = overWhite(cr, a), overWhite(cg, a), overWhite(cb, a)
			}
			out[x] = luma(cr, cg, cb)
		}
	}
}
