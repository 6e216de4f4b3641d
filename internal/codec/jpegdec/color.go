package jpegdec

import "sync/atomic"

// A colorModel says which components are decoded and how their samples
// make the gray image.
type colorModel uint8

const (
	// modelLuma is a gray or YCbCr file: the first component is the gray
	// image, and the others are not decoded.
	modelLuma colorModel = iota
	// modelRGB is an RGB file: the gray is the luma of R, G and B.
	modelRGB
	// modelCMYK is an Adobe CMYK file (APP14 transform 0), whose samples are
	// stored inverted: 255 means no ink.
	modelCMYK
	// modelYCCK is an Adobe YCCK file (APP14 transform 2, or any but 0):
	// YCbCr standing for the inverted C, M and Y, and an inverted K.
	modelYCCK
	// modelUpLuma is a YCbCr file whose luma is sampled more coarsely
	// than some chroma: only the luma is decoded, into its plane's samples,
	// and upsampled to the image as libjpeg does (see upsampleLuma).
	modelUpLuma
)

// The gray of a colour is what scaler.Grayscale gives for image/jpeg's
// decode of the file: the ITU-R 601-2 luma of 8-bit RGB in 16-bit fixed
// point, rounded to nearest, where RGB is
//
//   - for RGB files, the samples;
//   - for CMYK files, color.CMYKToRGB of the image.CMYK that image/jpeg
//     makes by inverting the samples: R = C'·K'/255 in 16 bits, truncated,
//     for stored samples C' and K' (inkRGB);
//   - for YCCK files, the same of the image.CMYK that image/jpeg makes by
//     converting YCbCr to RGB as color.YCbCrToRGB does, taking that RGB for
//     the inverted CMY and inverting K: R = (255−R_ycc)·K'/255.
//
// Subsampled components are replicated, as image/jpeg does.
const (
	lumaR    = 19595
	lumaG    = 38470
	lumaB    = 7471
	lumaHalf = 1 << 15
)

// luma returns the 601-2 luma of an 8-bit RGB colour.
func luma(r, g, b uint32) uint8 {
	return uint8((lumaR*r + lumaG*g + lumaB*b + lumaHalf) >> 16)
}

// inkRGB returns the 8-bit R, G or B that color.CMYKToRGB gives for the
// inverted samples 255−a and 255−k: the high byte of
// (a·0x101)·(k·0x101)/0xffff, which is a·k·257/255 since 0xffff is
// 0x101·255.
func inkRGB(a, k uint32) uint32 {
	return a * k * 257 / 255 >> 8
}

// clamp16 returns a 16.16 fixed-point colour value as 0..255, clamped, as
// color.YCbCrToRGB does.
func clamp16(v int32) uint32 {
	if uint32(v)&0xff000000 == 0 {
		return uint32(v) >> 16
	}
	return uint32(^(v >> 31)) & 0xff
}

// rgbGray writes the gray of the RGB samples to dst.
func rgbGray(dst, r, g, b []byte) {
	r, g, b = r[:len(dst)], g[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = luma(uint32(r[i]), uint32(g[i]), uint32(b[i]))
	}
}

// cmykGray writes the gray of the Adobe CMYK samples to dst.
func cmykGray(dst, c, m, y, k []byte) {
	c, m, y, k = c[:len(dst)], m[:len(dst)], y[:len(dst)], k[:len(dst)]
	for i := range dst {
		kk := uint32(k[i])
		dst[i] = luma(inkRGB(uint32(c[i]), kk), inkRGB(uint32(m[i]), kk), inkRGB(uint32(y[i]), kk))
	}
}

// ycckGray writes the gray of the Adobe YCCK samples to dst.
func ycckGray(dst, yy, cb, cr, k []byte) {
	yy, cb, cr, k = yy[:len(dst)], cb[:len(dst)], cr[:len(dst)], k[:len(dst)]
	for i := range dst {
		// color.YCbCrToRGB, written out.
		y1 := int32(yy[i]) * 0x10101
		b1, r1 := int32(cb[i])-128, int32(cr[i])-128
		r, g, b := clamp16(y1+91881*r1), clamp16(y1-22554*b1-46802*r1), clamp16(y1+116130*b1)
		kk := uint32(k[i])
		dst[i] = luma(inkRGB(255-r, kk), inkRGB(255-g, kk), inkRGB(255-b, kk))
	}
}

// A sampleRows holds rows of one plane's samples, at the scale of the
// decode: row y of the plane is pix[(y-y0)*stride:].
type sampleRows struct {
	pix    []byte
	stride int
	y0     int
}

// convertRows writes the rows y0 to y1-1 of d.img from the samples of the
// planes in src, one for each of d.planes, which hold the rows of samples
// that those rows of pixels need. buf, of len(d.planes)·d.img.Rect.Dx()
// bytes or more, holds the samples of subsampled planes replicated.
func (d *decoder) convertRows(src []sampleRows, y0, y1 int, buf []byte) {
	img := d.img
	w := img.Rect.Dx()
	var rows [4][]byte
	for y := y0; y < y1; y++ {
		for i := range d.planes {
			p, s := &d.planes[i], &src[i]
			row := s.pix[(y/p.ry-s.y0)*s.stride:]
			if p.rx == 1 {
				rows[i] = row[:w]
				continue
			}
			out := buf[i*w : (i+1)*w]
			replicate(out, row, p.rx)
			rows[i] = out
		}
		dst := img.Pix[y*img.Stride:][:w]
		switch d.model {
		case modelRGB:
			rgbGray(dst, rows[0], rows[1], rows[2])
		case modelCMYK:
			cmykGray(dst, rows[0], rows[1], rows[2], rows[3])
		case modelYCCK:
			ycckGray(dst, rows[0], rows[1], rows[2], rows[3])
		}
	}
}

// replicate fills out with each sample of src repeated r times.
func replicate(out, src []byte, r int) {
	if r == 2 {
		n := len(out) / 2
		src := src[:(len(out)+1)/2]
		for i := range n {
			v := src[i]
			out[2*i], out[2*i+1] = v, v
		}
		if len(out)&1 != 0 {
			out[len(out)-1] = src[n]
		}
		return
	}
	for i, j := 0, 0; i < len(out); j++ {
		v := src[j]
		for e := min(i+r, len(out)); i < e; i++ {
			out[i] = v
		}
	}
}

// convertAll converts the whole image from the planes' samples, in runs of
// rows on up to d.procs goroutines: for sequential colour files whose
// components came in different scans.
func (d *decoder) convertAll() {
	src := make([]sampleRows, len(d.planes))
	for i, p := range d.planes {
		src[i] = sampleRows{pix: p.pix, stride: p.stride}
	}
	h := d.img.Rect.Dy()
	const run = 32
	var next atomic.Int64
	parallel(d.procs, func() error {
		buf := make([]byte, len(d.planes)*d.img.Rect.Dx())
		for {
			y0 := int(next.Add(run)) - run
			if y0 >= h {
				return nil
			}
			d.convertRows(src, y0, min(y0+run, h), buf)
		}
	})
	d.converted = true
}
