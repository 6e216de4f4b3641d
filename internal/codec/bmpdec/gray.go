package bmpdec

import (
	"math/bits"
	"sync"

	"github.com/escala-img/escala/internal/codec/packed"
)

// lumaR, lumaG and lumaB are the terms of the luma of each 8-bit value
// of red, green and blue: 19595·v, 38470·v + 2^15 (the rounding) and
// 7471·v. Three loads from tables in the first-level cache cost less than
// three multiplications.
var lumaR, lumaG, lumaB = func() (r, g, b [256]uint32) {
	for v := range uint32(256) {
		r[v], g[v], b[v] = 19595*v, 38470*v+1<<15, 7471*v
	}
	return r, g, b
}()

// luma returns the ITU-R 601-2 luma of an 8-bit RGB colour, rounded to
// nearest, as scaler.Grayscale and Pillow's convert("L") compute it:
// (19595·r + 38470·g + 7471·b + 2^15) >> 16. Its arguments are under 256.
func luma(r, g, b uint32) uint8 {
	return uint8((lumaR[uint8(r)] + lumaG[uint8(g)] + lumaB[uint8(b)]) >> 16)
}

// overWhite composites an 8-bit non-premultiplied channel value c of alpha
// a onto white, rounded to nearest: (c·a + 255·(255−a) + 127)/255.
func overWhite(c, a uint32) uint32 {
	return (c*a + 255*(255-a) + 127) / 255
}

// rgbaGray returns the gray of an 8-bit non-premultiplied RGBA colour
// composited onto white.
func rgbaGray(r, g, b, a uint32) uint8 {
	if a != 255 {
		r, g, b = overWhite(r, a), overWhite(g, a), overWhite(b, a)
	}
	return luma(r, g, b)
}

// paletteGray returns the gray of every palette index of h. Pillow gives
// the indexes past the palette the colours of its default palette, the
// gray ramp: index i is gray i.
func (h *header) paletteGray() *[256]uint8 {
	var lut [256]uint8
	for i := range lut {
		lut[i] = uint8(i)
	}
	for i := range len(h.palette) / h.entry {
		e := h.palette[i*h.entry:]
		lut[i] = luma(uint32(e[2]), uint32(e[1]), uint32(e[0]))
	}
	return &lut
}

// A rowConverter writes the gray of the len(dst) pixels of one row of
// stored pixels src to dst.
type rowConverter func(dst, src []byte)

// A field is one contiguous bit field of a pixel: the value is
// (pixel >> shift) & max, and max is 2^width - 1, or 0 for a field that
// is absent.
type field struct {
	shift uint
	max   uint32
	// recip is 2^40/max rounded up, for fields of up to 16 bits: then
	// v×255×recip >> 40 is v×255/max rounded down, exactly, for every
	// v ≤ max (the error of recip, under 2^24/2^40 on v×255 < 2^24, is
	// less than 1/max).
	recip uint64
}

// fieldOf returns the field of a contiguous mask.
func fieldOf(mask uint32) field {
	if mask == 0 {
		return field{}
	}
	s := uint(bits.TrailingZeros32(mask))
	f := field{shift: s, max: mask >> s}
	if f.max <= 0xffff {
		f.recip = (1<<40 + uint64(f.max) - 1) / uint64(f.max)
	}
	return f
}

// value returns the field's value in pixel v scaled to 8 bits, rounded
// down as Pillow scales 5- and 6-bit fields: value×255/max.
func (f field) value(v uint32) uint32 {
	switch {
	case f.max == 0:
		return 0
	case f.recip != 0:
		return uint32(uint64(v>>f.shift&f.max) * 255 * f.recip >> 40)
	}
	return uint32(uint64(v>>f.shift&f.max) * 255 / uint64(f.max))
}

// byteAt reports whether the field is a whole byte of the pixel, and
// which one (0 for the low byte).
func (f field) byteAt() (int, bool) {
	return int(f.shift / 8), f.max == 0xff && f.shift%8 == 0
}

// fields are the red, green, blue and alpha fields of a pixel; an absent
// alpha field means opaque.
type fields [4]field

// gray returns the gray of pixel v.
func (fs *fields) gray(v uint32) uint8 {
	r, g, b := fs[0].value(v), fs[1].value(v), fs[2].value(v)
	if fs[3].max == 0 {
		return luma(r, g, b)
	}
	return rgbaGray(r, g, b, fs[3].value(v))
}

// fields returns the bit fields of h's pixels: the masks of a bit field
// file, or the layout Pillow reads uncompressed pixels of 16 bits (5-5-5),
// 24 bits and 32 bits (blue, green, red and a byte that is not alpha) in.
func (h *header) fields() *fields {
	m := h.masks
	if h.compression == biRGB {
		if h.bits == 16 {
			m = [4]uint32{0x7c00, 0x3e0, 0x1f, 0}
		} else {
			m = [4]uint32{0xff0000, 0xff00, 0xff, 0}
		}
	}
	var fs fields
	for i, v := range m {
		fs[i] = fieldOf(v)
	}
	return &fs
}

// lut16Pixels is the size from which the gray of all 65536 values of a
// 16-bit pixel is worked out first, then looked up.
const lut16Pixels = 1 << 15

// converter returns the rowConverter of h's pixels, which are not
// RLE-compressed.
func (h *header) converter() rowConverter {
	if h.bits <= 8 {
		return packed.Expand(h.bits, h.paletteGray())
	}
	fs := h.fields()
	switch h.bits {
	case 16:
		if h.width*h.height < lut16Pixels {
			return func(dst, src []byte) {
				src = src[:2*len(dst)]
				for i := range dst {
					dst[i] = fs.gray(uint32(src[2*i]) | uint32(src[2*i+1])<<8)
				}
			}
		}
		lut := make([]uint8, 1<<16)
		for v := range lut {
			lut[v] = fs.gray(uint32(v))
		}
		return func(dst, src []byte) {
			src = src[:2*len(dst)]
			for i := range dst {
				dst[i] = lut[uint16(src[2*i])|uint16(src[2*i+1])<<8]
			}
		}
	case 24:
		ri, rok := fs[0].byteAt()
		gi, gok := fs[1].byteAt()
		bi, bok := fs[2].byteAt()
		if rok && gok && bok && fs[3].max == 0 {
			if ri == 2 && gi == 1 && bi == 0 {
				return bgr24
			}
			return func(dst, src []byte) {
				src = src[:3*len(dst)]
				for i := range dst {
					s := src[3*i : 3*i+3 : 3*i+3]
					dst[i] = luma(uint32(s[ri]), uint32(s[gi]), uint32(s[bi]))
				}
			}
		}
		return func(dst, src []byte) {
			src = src[:3*len(dst)]
			for i := range dst {
				s := src[3*i : 3*i+3 : 3*i+3]
				dst[i] = fs.gray(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16)
			}
		}
	}
	ri, rok := fs[0].byteAt()
	gi, gok := fs[1].byteAt()
	bi, bok := fs[2].byteAt()
	ai, aok := fs[3].byteAt()
	switch {
	case rok && gok && bok && fs[3].max == 0 && ri == 2 && gi == 1 && bi == 0:
		return bgrx32
	case rok && gok && bok && aok && ri == 2 && gi == 1 && bi == 0 && ai == 3:
		ow := overWhiteTable()
		return func(dst, src []byte) { bgra32(dst, src, ow) }
	case rok && gok && bok && fs[3].max == 0:
		return func(dst, src []byte) {
			src = src[:4*len(dst)]
			for i := range dst {
				s := src[4*i : 4*i+4 : 4*i+4]
				dst[i] = luma(uint32(s[ri]), uint32(s[gi]), uint32(s[bi]))
			}
		}
	case rok && gok && bok && aok:
		return func(dst, src []byte) {
			src = src[:4*len(dst)]
			for i := range dst {
				s := src[4*i : 4*i+4 : 4*i+4]
				dst[i] = rgbaGray(uint32(s[ri]), uint32(s[gi]), uint32(s[bi]), uint32(s[ai]))
			}
		}
	}
	return func(dst, src []byte) {
		src = src[:4*len(dst)]
		for i := range dst {
			s := src[4*i : 4*i+4 : 4*i+4]
			dst[i] = fs.gray(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
		}
	}
}

// bgr24 is the rowConverter of 24-bit pixels stored blue, green, red, 4
// pixels at a time.
func bgr24(dst, src []byte) {
	n := len(dst)
	src = src[:3*n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s := src[3*i : 3*i+12 : 3*i+12]
		d := dst[i : i+4 : i+4]
		d[0] = uint8((lumaR[s[2]] + lumaG[s[1]] + lumaB[s[0]]) >> 16)
		d[1] = uint8((lumaR[s[5]] + lumaG[s[4]] + lumaB[s[3]]) >> 16)
		d[2] = uint8((lumaR[s[8]] + lumaG[s[7]] + lumaB[s[6]]) >> 16)
		d[3] = uint8((lumaR[s[11]] + lumaG[s[10]] + lumaB[s[9]]) >> 16)
	}
	for ; i < n; i++ {
		s := src[3*i : 3*i+3 : 3*i+3]
		dst[i] = uint8((lumaR[s[2]] + lumaG[s[1]] + lumaB[s[0]]) >> 16)
	}
}

// bgrx32 is the rowConverter of 32-bit pixels stored blue, green, red and
// a byte that is not alpha.
func bgrx32(dst, src []byte) {
	n := len(dst)
	src = src[:4*n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s := src[4*i : 4*i+16 : 4*i+16]
		d := dst[i : i+4 : i+4]
		d[0] = uint8((lumaR[s[2]] + lumaG[s[1]] + lumaB[s[0]]) >> 16)
		d[1] = uint8((lumaR[s[6]] + lumaG[s[5]] + lumaB[s[4]]) >> 16)
		d[2] = uint8((lumaR[s[10]] + lumaG[s[9]] + lumaB[s[8]]) >> 16)
		d[3] = uint8((lumaR[s[14]] + lumaG[s[13]] + lumaB[s[12]]) >> 16)
	}
	for ; i < n; i++ {
		s := src[4*i : 4*i+4 : 4*i+4]
		dst[i] = uint8((lumaR[s[2]] + lumaG[s[1]] + lumaB[s[0]]) >> 16)
	}
}

// overWhiteTable returns overWhite of every alpha and channel value,
// [a][c], made on first use: a lookup costs half the arithmetic.
var overWhiteTable = sync.OnceValue(func() *[256][256]uint8 {
	var t [256][256]uint8
	for a := range uint32(256) {
		for c := range uint32(256) {
			t[a][c] = uint8(overWhite(c, a))
		}
	}
	return &t
})

// bgra32 writes the gray of the 32-bit pixels of src stored blue, green,
// red and alpha to dst, composited onto white by the table ow.
func bgra32(dst, src []byte, ow *[256][256]uint8) {
	src = src[:4*len(dst)]
	for i := range dst {
		s := src[4*i : 4*i+4 : 4*i+4]
		b, g, r, a := s[0], s[1], s[2], s[3]
		if a != 255 {
			t := &ow[a]
			r, g, b = t[r], t[g], t[b]
		}
		dst[i] = uint8((lumaR[r] + lumaG[g] + lumaB[b]) >> 16)
	}
}
