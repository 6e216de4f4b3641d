package scaler

import (
	"image"
	"image/color"
)

// Luma weights of ITU-R 601-2 in 16-bit fixed point: 0.299, 0.587 and
// 0.114 of 65536, summing to exactly 65536 so that white stays 255.
const (
	lumaR    = 19595
	lumaG    = 38470
	lumaB    = 7471
	lumaHalf = 1 << 15
)

// luma returns the 601-2 luma of an 8-bit RGB colour, rounded to nearest.
func luma(r, g, b uint32) uint8 {
	return uint8((lumaR*r + lumaG*g + lumaB*b + lumaHalf) >> 16)
}

// Grayscale returns img as 8-bit gray, computed as Pillow's convert("L")
// does: the ITU-R 601-2 luma
//
//	L = R·299/1000 + G·587/1000 + B·114/1000
//
// of the 8-bit RGB colour, rounded to nearest. Pixels that are not opaque are
// first composited onto white, so a transparent pixel becomes 255 and a
// half-transparent black one about 128. (Pillow's convert("L") drops alpha
// instead, which turns transparent areas to whatever colour they hide.)
// 16-bit images are reduced to 8 bits before the luma is taken, and a 16-bit
// gray image keeps its high byte.
//
// YCbCr images, as JPEG decodes them, are converted to RGB the way
// image/color does and then to luma; CMYK images likewise.
//
// If img is already an *image.Gray, Grayscale returns it as is. Otherwise
// the result is new, has the same bounds as img and shares no memory with
// it. Grayscale cannot fail.
func Grayscale(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	b := img.Bounds()
	dst := image.NewGray(b)
	if b.Empty() {
		return dst
	}
	w := b.Dx()
	rows := func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			out := dst.Pix[y*dst.Stride:][:w]
			grayRow(out, img, b.Min.X, b.Min.Y+y)
		}
	}
	// grayRow reads the palette of a paletted image once per call, so such
	// images get their lookup table built up front instead.
	if p, ok := img.(*image.Paletted); ok {
		lut := paletteLuma(p.Palette)
		rows = func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				out := dst.Pix[y*dst.Stride:][:w]
				src := p.Pix[p.PixOffset(b.Min.X, b.Min.Y+y):][:w]
				for i, c := range src {
					out[i] = lut[c]
				}
			}
		}
	}
	parallelRows(b.Dy(), w, rows)
	return dst
}

// grayRow writes the luma of the len(out) pixels of img that start at (x0, y).
func grayRow(out []uint8, img image.Image, x0, y int) {
	switch src := img.(type) {
	case *image.YCbCr:
		ycbcrRow(out, src, x0, y)
	case *image.RGBA:
		// Premultiplied: compositing onto white adds 255-a to each channel.
		p := src.Pix[src.PixOffset(x0, y):][:4*len(out)]
		for i := range out {
			s := p[4*i : 4*i+4 : 4*i+4]
			white := 255 - uint32(s[3])
			out[i] = luma(uint32(s[0])+white, uint32(s[1])+white, uint32(s[2])+white)
		}
	case *image.NRGBA:
		p := src.Pix[src.PixOffset(x0, y):][:4*len(out)]
		for i := range out {
			s := p[4*i : 4*i+4 : 4*i+4]
			a := uint32(s[3])
			if a == 255 {
				out[i] = luma(uint32(s[0]), uint32(s[1]), uint32(s[2]))
				continue
			}
			out[i] = luma(overWhite(uint32(s[0]), a), overWhite(uint32(s[1]), a), overWhite(uint32(s[2]), a))
		}
	case *image.Gray16:
		p := src.Pix[src.PixOffset(x0, y):][:2*len(out)]
		for i := range out {
			out[i] = p[2*i]
		}
	case *image.CMYK:
		p := src.Pix[src.PixOffset(x0, y):][:4*len(out)]
		for i := range out {
			s := p[4*i : 4*i+4 : 4*i+4]
			r, g, b := color.CMYKToRGB(s[0], s[1], s[2], s[3])
			out[i] = luma(uint32(r), uint32(g), uint32(b))
		}
	default:
		for i := range out {
			out[i] = colorLuma(src.At(x0+i, y))
		}
	}
}

// overWhite composites an 8-bit non-premultiplied channel value c of
// alpha a onto white, rounded to nearest.
func overWhite(c, a uint32) uint32 {
	return (c*a + 255*(255-a) + 127) / 255
}

// colorLuma returns the luma of any colour composited onto white.
func colorLuma(c color.Color) uint8 {
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	white := 0xffff - a
	return luma((r+white)>>8, (g+white)>>8, (b+white)>>8)
}

// paletteLuma returns the luma of every palette index. Indexes past the end
// of the palette, which the decoders reject, read as black.
func paletteLuma(p color.Palette) *[256]uint8 {
	var lut [256]uint8
	for i := range min(len(p), len(lut)) {
		lut[i] = colorLuma(p[i])
	}
	return &lut
}

// ycbcrRow writes the luma of the len(out) pixels of src that start at
// (x0, y): converted to RGB as color.YCbCrToRGB does (the JFIF equations in
// 16-bit fixed point, clamped), then to luma.
func ycbcrRow(out []uint8, src *image.YCbCr, x0, y int) {
	// Chroma is subsampled horizontally by 1, 2 or 4.
	shift := 0
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		shift = 1
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		shift = 2
	}
	yrow := src.Y[src.YOffset(x0, y):][:len(out)]
	// COffset of (x0, y), and of each x after it, by the shift.
	c0 := src.COffset(x0, y)
	cx0 := x0 >> shift
	for i, yv := range yrow {
		ci := c0 + (x0+i)>>shift - cx0
		yy := int32(yv) * 0x10101 // y·65793: y/255 in 24-bit fixed point
		cb := int32(src.Cb[ci]) - 128
		cr := int32(src.Cr[ci]) - 128
		r := fix16(yy + 91881*cr)
		g := fix16(yy - 22554*cb - 46802*cr)
		b := fix16(yy + 116130*cb)
		out[i] = luma(r, g, b)
	}
}

// fix16 returns a 16.16 fixed-point colour value as 0..255, clamped.
func fix16(v int32) uint32 {
	if uint32(v)&0xff000000 == 0 {
		return uint32(v) >> 16
	}
	if v < 0 {
		return 0
	}
	return 255
}
