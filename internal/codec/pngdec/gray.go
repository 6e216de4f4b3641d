package pngdec

import "github.com/escala-img/escala/internal/codec/packed"

// The gray of a pixel is what scaler.Grayscale computes from the image that
// image/png decodes. image/png returns, by colour type, bit depth and tRNS:
//
//	gray 1-8 bits           *image.Gray (samples scaled to 0..255)
//	gray 16 bits            *image.Gray16
//	gray 1-16 bits + tRNS   *image.NRGBA or NRGBA64, alpha 0 for the key
//	gray + alpha 8, 16      *image.NRGBA, *image.NRGBA64
//	RGB 8, 16               *image.RGBA, *image.RGBA64
//	RGB 8, 16 + tRNS        *image.NRGBA, *image.NRGBA64, alpha 0 for the key
//	RGBA 8, 16              *image.NRGBA, *image.NRGBA64
//	paletted                *image.Paletted; tRNS makes entries color.NRGBA
//
// and Grayscale takes the ITU-R 601-2 luma of the 8-bit RGB of each pixel
// composited onto white: for an 8-bit non-premultiplied channel c of alpha
// a that is (c·a + 255·(255−a) + 127)/255; for a 16-bit one, and for a
// palette entry, it goes through color.Color's RGBA method, whose
// premultiplied 16-bit channel r and alpha A give (r + 0xffff − A) >> 8.
// The luma of a gray pixel (equal channels) is its value, as the weights
// sum to 65536.

// luma returns the 601-2 luma of an 8-bit RGB colour, rounded to nearest,
// as scaler.Grayscale computes it.
func luma(r, g, b uint32) uint8 {
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
}

// overWhite composites an 8-bit non-premultiplied channel value c of alpha
// a onto white, rounded to nearest.
func overWhite(c, a uint32) uint32 {
	return (c*a + 255*(255-a) + 127) / 255
}

// overWhite16 composites a 16-bit non-premultiplied channel value c of
// alpha a onto white and keeps 8 bits, as color.NRGBA64's RGBA method and
// Grayscale's shift do.
func overWhite16(c, a uint32) uint32 {
	return (c*a/0xffff + 0xffff - a) >> 8
}

// paletteGray returns the gray of a palette entry of alpha a, a
// color.RGBA when opaque and a color.NRGBA otherwise, as Grayscale
// computes it through the colour's RGBA method.
func paletteGray(r, g, b, a uint32) uint8 {
	if a == 255 {
		return luma(r, g, b)
	}
	a16 := a * 0x101
	c := func(v uint32) uint32 { return (v*0x101*a/0xff + 0xffff - a16) >> 8 }
	return luma(c(r), c(g), c(b))
}

// rowConverter writes the gray of the pixels of one unfiltered row of
// samples src to dst, one byte per pixel; len(dst) is the row's width.
type rowConverter func(dst, src []byte)

// converter returns the rowConverter of d's colour type, bit depth and
// tRNS chunk.
func (d *decoder) converter() rowConverter {
	switch d.colorType {
	case ctGray:
		switch {
		case d.depth == 16 && d.hasKey:
			key := uint16(d.key[0])<<8 | uint16(d.key[1])
			return func(dst, src []byte) { gray16Key(dst, src, key) }
		case d.depth == 16:
			return gray16
		case d.depth == 8 && !d.hasKey:
			return func(dst, src []byte) { copy(dst, src[:len(dst)]) }
		}
		// Every sample value has its gray: scaled to 8 bits, or white
		// for the transparent key, which image/png compares with the
		// low byte of tRNS scaled the same way, in uint8 arithmetic.
		var lut [256]uint8
		scale := uint8(255 / (1<<d.depth - 1))
		for v := range 1 << d.depth {
			lut[v] = uint8(v) * scale
			if d.hasKey && lut[v] == d.key[1]*scale {
				lut[v] = 255
			}
		}
		return packed.Expand(d.depth, &lut)
	case ctPaletted:
		var lut [256]uint8
		for i := range lut {
			a := uint32(255)
			if i < d.ntrns {
				a = uint32(d.alpha[i])
			}
			// Indexes past the palette are opaque black, as image/png
			// makes them.
			p := d.plte[i]
			lut[i] = paletteGray(uint32(p[0]), uint32(p[1]), uint32(p[2]), a)
		}
		return packed.Expand(d.depth, &lut)
	case ctGrayAlpha:
		if d.depth == 16 {
			return grayAlpha16
		}
		return grayAlpha8
	case ctRGB:
		switch {
		case d.depth == 16 && d.hasKey:
			var key [3]uint16
			for i := range key {
				key[i] = uint16(d.key[2*i])<<8 | uint16(d.key[2*i+1])
			}
			return func(dst, src []byte) { rgb16Key(dst, src, key) }
		case d.depth == 16:
			return rgb16
		case d.hasKey:
			// image/png compares the low bytes of the tRNS samples.
			key := [3]uint8{d.key[1], d.key[3], d.key[5]}
			return func(dst, src []byte) { rgb8Key(dst, src, key) }
		}
		return rgb8
	case ctRGBA:
		if d.depth == 16 {
			return rgba16
		}
		return rgba8
	}
	panic("pngdec: converter of an unchecked colour type")
}

func gray16(dst, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = src[2*i]
	}
}

func gray16Key(dst, src []byte, key uint16) {
	src = src[:2*len(dst)]
	for i := range dst {
		v := uint16(src[2*i])<<8 | uint16(src[2*i+1])
		if v == key {
			dst[i] = 255
		} else {
			dst[i] = src[2*i]
		}
	}
}

func grayAlpha8Go(dst, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		y, a := uint32(src[2*i]), uint32(src[2*i+1])
		if a != 255 {
			y = overWhite(y, a)
		}
		dst[i] = uint8(y)
	}
}

func grayAlpha16(dst, src []byte) {
	src = src[:4*len(dst)]
	for i := range dst {
		s := src[4*i : 4*i+4 : 4*i+4]
		y := uint32(s[0])<<8 | uint32(s[1])
		a := uint32(s[2])<<8 | uint32(s[3])
		dst[i] = uint8(overWhite16(y, a))
	}
}

func rgb8Go(dst, src []byte) {
	src = src[:3*len(dst)]
	for i := range dst {
		s := src[3*i : 3*i+3 : 3*i+3]
		dst[i] = luma(uint32(s[0]), uint32(s[1]), uint32(s[2]))
	}
}

func rgb8Key(dst, src []byte, key [3]uint8) {
	src = src[:3*len(dst)]
	for i := range dst {
		s := src[3*i : 3*i+3 : 3*i+3]
		if s[0] == key[0] && s[1] == key[1] && s[2] == key[2] {
			dst[i] = 255
			continue
		}
		dst[i] = luma(uint32(s[0]), uint32(s[1]), uint32(s[2]))
	}
}

func rgba8Go(dst, src []byte) {
	src = src[:4*len(dst)]
	for i := range dst {
		s := src[4*i : 4*i+4 : 4*i+4]
		r, g, b, a := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
		if a != 255 {
			r, g, b = overWhite(r, a), overWhite(g, a), overWhite(b, a)
		}
		dst[i] = luma(r, g, b)
	}
}

func rgb16(dst, src []byte) {
	src = src[:6*len(dst)]
	for i := range dst {
		s := src[6*i : 6*i+6 : 6*i+6]
		dst[i] = luma(uint32(s[0]), uint32(s[2]), uint32(s[4]))
	}
}

func rgb16Key(dst, src []byte, key [3]uint16) {
	src = src[:6*len(dst)]
	for i := range dst {
		s := src[6*i : 6*i+6 : 6*i+6]
		r := uint16(s[0])<<8 | uint16(s[1])
		g := uint16(s[2])<<8 | uint16(s[3])
		b := uint16(s[4])<<8 | uint16(s[5])
		if r == key[0] && g == key[1] && b == key[2] {
			dst[i] = 255
			continue
		}
		dst[i] = luma(uint32(s[0]), uint32(s[2]), uint32(s[4]))
	}
}

func rgba16(dst, src []byte) {
	src = src[:8*len(dst)]
	for i := range dst {
		s := src[8*i : 8*i+8 : 8*i+8]
		a := uint32(s[6])<<8 | uint32(s[7])
		if a == 0xffff {
			dst[i] = luma(uint32(s[0]), uint32(s[2]), uint32(s[4]))
			continue
		}
		r := overWhite16(uint32(s[0])<<8|uint32(s[1]), a)
		g := overWhite16(uint32(s[2])<<8|uint32(s[3]), a)
		b := overWhite16(uint32(s[4])<<8|uint32(s[5]), a)
		dst[i] = luma(r, g, b)
	}
}
