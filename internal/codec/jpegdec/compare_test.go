package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// diffStats is how a decode differs from image/jpeg's luma.
type diffStats struct {
	pixels  int
	max     int
	within1 int // pixels that differ by at most 1
	exact   int
}

func (s diffStats) String() string {
	return fmt.Sprintf("max diff %d, %.3f%% within ±1, %.3f%% exact, %d pixels",
		s.max, 100*float64(s.within1)/float64(max(s.pixels, 1)), 100*float64(s.exact)/float64(max(s.pixels, 1)), s.pixels)
}

// add accumulates t into s.
func (s *diffStats) add(t diffStats) {
	s.pixels += t.pixels
	s.max = max(s.max, t.max)
	s.within1 += t.within1
	s.exact += t.exact
}

// ok reports whether s meets the tolerance: ±1 on at least 99% of the
// pixels and ±2 at most.
func (s diffStats) ok() bool {
	return s.max <= 2 && s.within1*100 >= s.pixels*99
}

// lumaPlane returns the gray of an image/jpeg result as scaler.Grayscale
// computes it, with its stride: the Y plane of a YCbCr image, a Gray
// image's Pix, and for CMYK and RGBA images the ITU-R 601-2 luma of the
// colour's 8-bit RGB (color.CMYKToRGB for CMYK) in 16-bit fixed point.
func lumaPlane(tb testing.TB, m image.Image) (pix []byte, stride int, r image.Rectangle) {
	tb.Helper()
	switch m := m.(type) {
	case *image.YCbCr:
		return m.Y, m.YStride, m.Rect
	case *image.Gray:
		return m.Pix, m.Stride, m.Rect
	case *image.CMYK:
		g := image.NewGray(m.Rect)
		for y := 0; y < m.Rect.Dy(); y++ {
			for x := 0; x < m.Rect.Dx(); x++ {
				p := m.Pix[y*m.Stride+4*x:]
				r, gg, b := color.CMYKToRGB(p[0], p[1], p[2], p[3])
				g.Pix[y*g.Stride+x] = testLuma(r, gg, b)
			}
		}
		return g.Pix, g.Stride, g.Rect
	case *image.RGBA:
		g := image.NewGray(m.Rect)
		for y := 0; y < m.Rect.Dy(); y++ {
			for x := 0; x < m.Rect.Dx(); x++ {
				p := m.Pix[y*m.Stride+4*x:]
				if p[3] != 255 {
					tb.Fatalf("image/jpeg gave a pixel with alpha %d", p[3])
				}
				g.Pix[y*g.Stride+x] = testLuma(p[0], p[1], p[2])
			}
		}
		return g.Pix, g.Stride, g.Rect
	}
	tb.Fatalf("image/jpeg gave a %T, not YCbCr, Gray, CMYK or RGBA", m)
	return nil, 0, image.Rectangle{}
}

// testLuma is the luma of scaler.Grayscale.
func testLuma(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// compareLuma compares got with the luma of want row by row within their
// bounds, which must be the same size.
func compareLuma(tb testing.TB, got *image.Gray, want image.Image) diffStats {
	tb.Helper()
	pix, stride, r := lumaPlane(tb, want)
	if got.Rect.Dx() != r.Dx() || got.Rect.Dy() != r.Dy() {
		tb.Fatalf("size %v, image/jpeg %v", got.Rect.Size(), r.Size())
	}
	var s diffStats
	for y := 0; y < r.Dy(); y++ {
		a := got.Pix[y*got.Stride : y*got.Stride+r.Dx()]
		b := pix[y*stride : y*stride+r.Dx()]
		for x := range a {
			d := int(a[x]) - int(b[x])
			if d < 0 {
				d = -d
			}
			s.pixels++
			s.max = max(s.max, d)
			if d <= 1 {
				s.within1++
			}
			if d == 0 {
				s.exact++
			}
		}
	}
	return s
}

// decodeBoth decodes data with DecodeGray and image/jpeg and compares them.
func decodeBoth(tb testing.TB, data []byte) diffStats {
	tb.Helper()
	got, err := DecodeGray(data, nil)
	if err != nil {
		tb.Fatalf("DecodeGray: %v", err)
	}
	want, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("image/jpeg: %v", err)
	}
	return compareLuma(tb, got, want)
}
