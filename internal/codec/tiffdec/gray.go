package tiffdec

import (
	"image"
	"math"

	"github.com/escala-img/escala/internal/codec/packed"
)

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

// premulOverWhite composites an 8-bit premultiplied channel value c of
// alpha a onto white.
func premulOverWhite(c, a uint32) uint32 {
	return min(c+255-a, 255)
}

// cmykRGB returns the RGB of 8-bit CMYK inks as Pillow converts them:
// each channel is (255−k) less (255−k)·c/255 rounded, that is about
// 255·(1−c)·(1−k) in fractions of 255.
func cmykRGB(c, m, y, k uint32) (uint32, uint32, uint32) {
	nk := 255 - k
	f := func(v uint32) uint32 {
		t := v*nk + 128
		return nk - ((t>>8)+t)>>8
	}
	return f(c), f(m), f(y)
}

// rowConverter writes the gray of the len(dst) pixels that start rows,
// a row of the strip or tile of each plane.
type rowConverter func(dst []byte, rows [][]byte)

// converter returns the rowConverter of the image's samples as they come
// out of the decompressor.
func (d *decoder) converter() rowConverter {
	bps, spp, photometric := d.bps, d.spp, d.photometric
	if d.compression == cJPEG {
		bps = 8
		if d.planar == 1 {
			// jpegdec gives the gray of an RGB or YCbCr stream.
			spp = 1
			if photometric != pWhiteIsZero {
				photometric = pBlackIsZero
			}
		}
	}
	if d.float {
		return d.floatGray()
	}
	if spp == 1 {
		lut := d.grayLUT(bps, photometric)
		return unpacker(bps, d.hiByte(), lut)
	}
	if d.fusedPredictor() {
		// Differences summed as the gray is taken, in one pass.
		// Four pixels at a time, from one slice of twelve bytes, so
		// that one bounds check serves them all, and the luma of two
		// pixels from each multiplication: their channels in the two
		// halves of a word, whose sums stay below 2^25.
		return func(dst []byte, rows [][]byte) {
			src := rows[0][:3*len(dst)]
			var r, g, b byte
			i := 0
			const (
				cr, cg, cb = 19595, 38470, 7471
				half       = 1<<15 | 1<<47
			)
			for ; i+4 <= len(dst); i += 4 {
				p := src[3*i : 3*i+12 : 3*i+12]
				q := dst[i : i+4 : i+4]
				r0, g0, b0 := r+p[0], g+p[1], b+p[2]
				r1, g1, b1 := r0+p[3], g0+p[4], b0+p[5]
				r2, g2, b2 := r1+p[6], g1+p[7], b1+p[8]
				r, g, b = r2+p[9], g2+p[10], b2+p[11]
				s := cr*(uint64(r0)|uint64(r1)<<32) + cg*(uint64(g0)|uint64(g1)<<32) + cb*(uint64(b0)|uint64(b1)<<32) + half
				t := cr*(uint64(r2)|uint64(r)<<32) + cg*(uint64(g2)|uint64(g)<<32) + cb*(uint64(b2)|uint64(b)<<32) + half
				q[0], q[1] = byte(s>>16), byte(s>>48)
				q[2], q[3] = byte(t>>16), byte(t>>48)
			}
			for ; i < len(dst); i++ {
				p := src[3*i : 3*i+3 : 3*i+3]
				r, g, b = r+p[0], g+p[1], b+p[2]
				dst[i] = luma(uint32(r), uint32(g), uint32(b))
			}
		}
	}
	c8 := d.samplesConverter()
	if d.planar == 1 && bps == 8 {
		return func(dst []byte, rows [][]byte) { c8(dst, rows[0]) }
	}
	// Other layouts are gathered into a row of 8-bit samples first,
	// keeping the high byte of 16-bit ones as Pillow does.
	scratch := make([]byte, d.chunkW*spp)
	hi := d.hiByte()
	return func(dst []byte, rows [][]byte) {
		s := scratch[:len(dst)*spp]
		switch {
		case d.planar == 1: // 16 bits
			src := rows[0][hi:]
			for i := range s {
				s[i] = src[2*i]
			}
		case bps == 8:
			for p, row := range rows {
				row = row[:len(dst)]
				for i, v := range row {
					s[i*spp+p] = v
				}
			}
		default:
			for p, row := range rows {
				row = row[hi : 2*len(dst)]
				for i := range len(dst) {
					s[i*spp+p] = row[2*i]
				}
			}
		}
		c8(dst, s)
	}
}

// floatGray returns the rowConverter of 32-bit floating-point gray: the
// value truncated towards zero and clamped to 0..255, as Pillow converts
// its "F" images to "L" (NaN is 0), then inverted for WhiteIsZero.
func (d *decoder) floatGray() rowConverter {
	invert := uint8(0)
	if d.photometric == pWhiteIsZero {
		invert = 255
	}
	return func(dst []byte, rows [][]byte) {
		src := rows[0][:4*len(dst)]
		for i := range dst {
			v := math.Float32frombits(d.order.Uint32(src[4*i:]))
			g := uint8(0)
			switch {
			case v >= 255:
				g = 255
			case v > 0:
				g = uint8(v)
			}
			dst[i] = g ^ invert
		}
	}
}

// fusedPredictor reports whether the horizontal differencing of the
// samples is undone by the rowConverter rather than on the strip: for
// 8-bit RGB with contiguous samples, the commonest case. The rows of a
// strip or tile then start at its left edge, as the sums need.
func (d *decoder) fusedPredictor() bool {
	return d.predictor == 2 && d.bps == 8 && d.planar == 1 && d.spp == 3 &&
		d.photometric == pRGB && d.compression != cJPEG
}

// hiByte returns the index of the high byte of a 16-bit sample.
func (d *decoder) hiByte() int {
	if d.order.Uint16([]byte{1, 0}) == 1 {
		return 1
	}
	return 0
}

// grayLUT returns the gray of each value of a bps-bit sample (the high
// byte of a 16-bit one) of a one-sample pixel.
func (d *decoder) grayLUT(bps, photometric int) *[256]uint8 {
	var lut [256]uint8
	if bps == 16 {
		bps = 8
	}
	top := 1<<bps - 1
	for v := range top + 1 {
		switch photometric {
		case pPalette:
			r, g, b := d.paletteRGB(v)
			lut[v] = luma(r, g, b)
		case pWhiteIsZero:
			lut[v] = uint8(255 - v*255/top)
		default:
			lut[v] = uint8(v * 255 / top)
		}
	}
	return &lut
}

// paletteRGB returns the 8-bit colour of palette index v: the high bytes
// of the ColorMap's 16-bit values, as Pillow takes them.
func (d *decoder) paletteRGB(v int) (uint32, uint32, uint32) {
	n := d.colorMap.count / 3
	if v >= n {
		return 0, 0, 0
	}
	return d.uint(d.colorMap, v) >> 8, d.uint(d.colorMap, n+v) >> 8, d.uint(d.colorMap, 2*n+v) >> 8
}

// unpacker returns the rowConverter of one sample of bps bits a pixel
// whose gray lut gives.
func unpacker(bps, hi int, lut *[256]uint8) rowConverter {
	switch bps {
	case 16:
		return func(dst []byte, rows [][]byte) {
			src := rows[0][hi : 2*len(dst)]
			for i := range dst {
				dst[i] = lut[src[2*i]]
			}
		}
	case 8:
		return func(dst []byte, rows [][]byte) {
			src := rows[0][:len(dst)]
			for i, v := range src {
				dst[i] = lut[v]
			}
		}
	}
	expand := packed.Expand(bps, lut)
	return func(dst []byte, rows [][]byte) { expand(dst, rows[0]) }
}

// samplesConverter returns the function that writes the gray of len(dst)
// pixels of interleaved 8-bit samples s, spp a pixel.
func (d *decoder) samplesConverter() func(dst, s []byte) {
	spp := d.spp
	alpha := d.alpha
	switch d.base {
	case 3: // RGB; YCbCr only when JPEG-compressed in planes
		if d.photometric == pYCbCr {
			return func(dst, s []byte) {
				for i := range dst {
					p := s[i*spp:]
					dst[i] = p[0] // the luma of libjpeg's RGB from YCbCr
				}
			}
		}
		if spp == 3 {
			return func(dst, s []byte) {
				s = s[:3*len(dst)]
				for i := range dst {
					p := s[3*i : 3*i+3 : 3*i+3]
					dst[i] = luma(uint32(p[0]), uint32(p[1]), uint32(p[2]))
				}
			}
		}
		return func(dst, s []byte) {
			for i := range dst {
				p := s[i*spp : i*spp+4 : i*spp+4]
				r, g, b, a := uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])
				switch {
				case alpha == alphaNone || a == 255:
				case alpha == alphaAssociated:
					r, g, b = premulOverWhite(r, a), premulOverWhite(g, a), premulOverWhite(b, a)
				default:
					r, g, b = overWhite(r, a), overWhite(g, a), overWhite(b, a)
				}
				dst[i] = luma(r, g, b)
			}
		}
	case 4: // CMYK
		return func(dst, s []byte) {
			for i := range dst {
				p := s[i*spp : i*spp+4 : i*spp+4]
				r, g, b := cmykRGB(uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3]))
				if alpha != alphaNone {
					a := uint32(s[i*spp+4])
					if alpha == alphaAssociated {
						r, g, b = premulOverWhite(r, a), premulOverWhite(g, a), premulOverWhite(b, a)
					} else {
						r, g, b = overWhite(r, a), overWhite(g, a), overWhite(b, a)
					}
				}
				dst[i] = luma(r, g, b)
			}
		}
	}
	// One colour sample and extra samples: gray or palette index, and
	// alpha.
	var rgb [256][3]uint32
	var lut *[256]uint8
	if d.photometric == pPalette {
		for v := range rgb {
			rgb[v][0], rgb[v][1], rgb[v][2] = d.paletteRGB(v)
		}
	} else {
		lut = d.grayLUT(8, d.photometric)
		for v := range rgb {
			g := uint32(lut[v])
			rgb[v] = [3]uint32{g, g, g}
		}
	}
	return func(dst, s []byte) {
		for i := range dst {
			c := &rgb[s[i*spp]]
			r, g, b := c[0], c[1], c[2]
			if alpha != alphaNone {
				a := uint32(s[i*spp+1])
				if alpha == alphaAssociated {
					r, g, b = premulOverWhite(r, a), premulOverWhite(g, a), premulOverWhite(b, a)
				} else {
					r, g, b = overWhite(r, a), overWhite(g, a), overWhite(b, a)
				}
			}
			dst[i] = luma(r, g, b)
		}
	}
}

// ycbcrParams are the conversion of YCbCr to RGB that the directory gives.
type ycbcrParams struct {
	luma  [3]float64 // YCbCrCoefficients: the weights of R, G and B
	refBW [6]float64 // ReferenceBlackWhite: footroom and headroom of Y, Cb, Cr
}

// ycbcrTables are the terms of the conversion of 8-bit YCbCr to RGB, in
// 16.16 fixed point.
type ycbcrTables struct {
	y, crR, cbB, crG, cbG [256]int32
}

// tables returns the conversion tables of p, computed as libtiff's
// TIFFYCbCrToRGBInit defines the conversion.
func (p *ycbcrParams) tables() *ycbcrTables {
	var t ycbcrTables
	lr, lg, lb := p.luma[0], p.luma[1], p.luma[2]
	if lg == 0 {
		lr, lg, lb = 0.299, 0.587, 0.114
	}
	clamp2 := func(f float64) float64 { return min(max(f, 0), 2) }
	f1 := clamp2(2 - 2*lr)
	f2 := clamp2(lr * (2 - 2*lr) / lg)
	f3 := clamp2(2 - 2*lb)
	f4 := clamp2(lb * (2 - 2*lb) / lg)
	code := func(c, black, white, rng float64) float64 {
		den := white - black
		if den == 0 {
			den = 1
		}
		return (c - black) * rng / den
	}
	const one = 1 << 16
	for i := range 256 {
		c := float64(i)
		t.y[i] = int32(code(c, p.refBW[0], p.refBW[1], 255)) * one
		cb := code(c-128, p.refBW[2]-128, p.refBW[3]-128, 127)
		cr := code(c-128, p.refBW[4]-128, p.refBW[5]-128, 127)
		t.crR[i] = int32(f1 * cr * one)
		t.cbB[i] = int32(f3 * cb * one)
		t.crG[i] = -int32(f2 * cr * one)
		t.cbG[i] = -int32(f4 * cb * one)
	}
	return &t
}

// clamp8 returns a 16.16 fixed-point colour value rounded to 0..255.
func clamp8(v int32) uint32 {
	v = (v + 1<<15) >> 16
	return uint32(min(max(v, 0), 255))
}

// ycbcrChunk writes the gray of the w×h pixels at (x0, y0) of img from buf,
// a strip or tile of YCbCr data: blocks of subX×subY luma samples followed
// by one Cb and one Cr, in rows of blocks. Chroma is replicated over its
// block, as libtiff does.
func (d *decoder) ycbcrChunk(img *image.Gray, buf []byte, x0, y0, w, h int) {
	t := d.ycbcrT
	if t == nil {
		t = d.ycbcr.tables()
		d.ycbcrT = t
	}
	sx, sy := d.subX, d.subY
	bw := (d.chunkW + sx - 1) / sx
	bsize := sx*sy + 2
	for by := 0; by*sy < h; by++ {
		for bx := 0; bx*sx < w; bx++ {
			blk := buf[(by*bw+bx)*bsize:][:bsize]
			cb, cr := blk[sx*sy], blk[sx*sy+1]
			rc, bc, gc := t.crR[cr], t.cbB[cb], t.crG[cr]+t.cbG[cb]
			for j := range sy {
				y := by*sy + j
				if y >= h {
					break
				}
				row := img.Pix[(y0+y)*img.Stride+x0:]
				for i := range sx {
					x := bx*sx + i
					if x >= w {
						break
					}
					yv := t.y[blk[j*sx+i]]
					row[x] = luma(clamp8(yv+rc), clamp8(yv+gc), clamp8(yv+bc))
				}
			}
		}
	}
}
