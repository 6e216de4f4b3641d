package scaler

import (
	"image"
	"image/color"
	"testing"
)

// The expected values are worked out by hand from
// L = round(R·0.299 + G·0.587 + B·0.114) on the colour composited onto
// white, e.g. (100, 150, 200) → 29.9 + 88.05 + 22.8 = 140.75 → 141.
func TestGrayscale(t *testing.T) {
	tests := []struct {
		name string
		img  image.Image
		want []uint8 // row by row
	}{
		{
			name: "RGBA opaque",
			img: rgbaImage(2, 2,
				color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255},
				color.RGBA{0, 0, 255, 255}, color.RGBA{100, 150, 200, 255}),
			want: []uint8{76, 150, 29, 141},
		},
		{
			name: "RGBA translucent",
			img: rgbaImage(2, 2,
				color.RGBA{0, 0, 0, 0}, color.RGBA{0, 0, 0, 128}, // black at 128/255 over white: 127
				color.RGBA{255, 255, 255, 255}, color.RGBA{0, 0, 0, 255}),
			want: []uint8{255, 127, 255, 0},
		},
		{
			name: "NRGBA",
			img: nrgbaImage(2, 2,
				color.NRGBA{200, 100, 50, 255}, color.NRGBA{255, 0, 0, 0}, // 59.8 + 58.7 + 5.7; fully transparent
				color.NRGBA{0, 0, 0, 128}, color.NRGBA{0, 0, 255, 51}), // 255·127/255 = 127; blue at 20%: (204, 204, 255) → 209.8
			want: []uint8{124, 255, 127, 210},
		},
		{
			name: "YCbCr 4:2:0",
			img:  ycbcrImage(2, 2, []uint8{100, 200, 90, 0}, 128, 128),
			want: []uint8{100, 200, 90, 0},
		},
		{
			// (200, 50, 200) is (255, 176, 62) after clamping: 76.245 +
			// 103.312 + 7.068 = 186.6. The Y plane alone would say 200.
			name: "YCbCr saturated",
			img:  ycbcrImage(2, 2, []uint8{200, 200, 200, 200}, 50, 200),
			want: []uint8{187, 187, 187, 187},
		},
		{
			name: "Paletted",
			img: palettedImage(2, 2,
				color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 0, 0}, color.Gray{77}},
				[]uint8{0, 1, 2, 0}),
			want: []uint8{76, 255, 77, 76},
		},
		{
			name: "Gray16",
			img:  gray16Image(2, 1, 0x1234, 0xffff),
			want: []uint8{0x12, 0xff},
		},
		{
			name: "CMYK",
			img: cmykImage(2, 2,
				color.CMYK{0, 0, 0, 0}, color.CMYK{0, 255, 255, 0}, // white; red
				color.CMYK{0, 0, 0, 255}, color.CMYK{30, 60, 90, 40}), // black; (190, 165, 139) → 169.5
			want: []uint8{255, 76, 0, 170},
		},
		{
			name: "NRGBA64 through color.Color",
			img: nrgba64Image(2, 1,
				color.NRGBA64{0xffff, 0, 0, 0xffff}, color.NRGBA64{0, 0, 0, 0}),
			want: []uint8{76, 255},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Grayscale(tc.img)
			if got.Bounds() != tc.img.Bounds() {
				t.Fatalf("Grayscale bounds = %v, want %v", got.Bounds(), tc.img.Bounds())
			}
			b := got.Bounds()
			i := 0
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if v := got.GrayAt(x, y).Y; v != tc.want[i] {
						t.Errorf("Grayscale(%v) at (%d,%d) = %d, want %d", tc.img.At(x, y), x, y, v, tc.want[i])
					}
					i++
				}
			}
		})
	}
}

func TestGrayscaleReturnsGrayAsIs(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 2, 2))
	if Grayscale(g) != g {
		t.Error("Grayscale(*image.Gray) made a copy")
	}
}

// A large image takes the parallel path; a sub-image has a non-zero origin.
// Both must agree with the colour-by-colour computation.
func TestGrayscaleLargeSubImage(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 700, 500))
	for i := range src.Pix {
		src.Pix[i] = uint8(i*7 + i/3)
	}
	sub := src.SubImage(image.Rect(13, 17, 690, 499)).(*image.NRGBA)
	got := Grayscale(sub)
	b := sub.Bounds()
	if got.Bounds() != b {
		t.Fatalf("bounds = %v, want %v", got.Bounds(), b)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := sub.NRGBAAt(x, y)
			r, g, bl := overWhite(uint32(c.R), uint32(c.A)), overWhite(uint32(c.G), uint32(c.A)), overWhite(uint32(c.B), uint32(c.A))
			if want := luma(r, g, bl); got.GrayAt(x, y).Y != want {
				t.Fatalf("Grayscale at (%d,%d) of %v = %d, want %d", x, y, c, got.GrayAt(x, y).Y, want)
			}
		}
	}
}

func rgbaImage(w, h int, px ...color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, c := range px {
		m.SetRGBA(i%w, i/w, c)
	}
	return m
}

func nrgbaImage(w, h int, px ...color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, c := range px {
		m.SetNRGBA(i%w, i/w, c)
	}
	return m
}

func nrgba64Image(w, h int, px ...color.NRGBA64) *image.NRGBA64 {
	m := image.NewNRGBA64(image.Rect(0, 0, w, h))
	for i, c := range px {
		m.SetNRGBA64(i%w, i/w, c)
	}
	return m
}

func cmykImage(w, h int, px ...color.CMYK) *image.CMYK {
	m := image.NewCMYK(image.Rect(0, 0, w, h))
	for i, c := range px {
		m.SetCMYK(i%w, i/w, c)
	}
	return m
}

func gray16Image(w, h int, px ...uint16) *image.Gray16 {
	m := image.NewGray16(image.Rect(0, 0, w, h))
	for i, v := range px {
		m.SetGray16(i%w, i/w, color.Gray16{v})
	}
	return m
}

func palettedImage(w, h int, p color.Palette, idx []uint8) *image.Paletted {
	m := image.NewPaletted(image.Rect(0, 0, w, h), p)
	copy(m.Pix, idx)
	return m
}

// ycbcrImage returns a 4:2:0 image with the given luma and one chroma
// value everywhere.
func ycbcrImage(w, h int, y []uint8, cb, cr uint8) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	copy(m.Y, y)
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = cb, cr
	}
	return m
}

// The YCbCr fast path agrees with color.YCbCrToRGB for every subsampling,
// at every position of a sub-image.
func TestGrayscaleYCbCrRatios(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	for _, ratio := range ratios {
		t.Run(ratio.String(), func(t *testing.T) {
			m := image.NewYCbCr(image.Rect(0, 0, 37, 23), ratio)
			seed := uint32(7)
			for _, plane := range [][]uint8{m.Y, m.Cb, m.Cr} {
				for i := range plane {
					seed = seed*1103515245 + 12345
					plane[i] = uint8(seed >> 23)
				}
			}
			sub := m.SubImage(image.Rect(3, 5, 36, 22)).(*image.YCbCr)
			got := Grayscale(sub)
			b := sub.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					c := sub.YCbCrAt(x, y)
					r, g, bl := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
					if want := luma(uint32(r), uint32(g), uint32(bl)); got.GrayAt(x, y).Y != want {
						t.Fatalf("Grayscale(%v) at (%d,%d) = %d, want %d", c, x, y, got.GrayAt(x, y).Y, want)
					}
				}
			}
		})
	}
}
