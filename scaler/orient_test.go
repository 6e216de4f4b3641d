package scaler_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/escala-img/escala/scaler"
)

var orientAll = []scaler.Orientation{
	scaler.TopLeft, scaler.TopRight, scaler.BottomRight, scaler.BottomLeft,
	scaler.LeftTop, scaler.RightTop, scaler.RightBottom, scaler.LeftBottom,
}

// orientInverse is written out by hand: rotating 90° one way is undone
// by rotating 90° the other way, and every mirror is its own inverse.
var orientInverse = map[scaler.Orientation]scaler.Orientation{
	scaler.TopLeft:     scaler.TopLeft,
	scaler.TopRight:    scaler.TopRight,
	scaler.BottomRight: scaler.BottomRight,
	scaler.BottomLeft:  scaler.BottomLeft,
	scaler.LeftTop:     scaler.LeftTop,
	scaler.RightTop:    scaler.LeftBottom,
	scaler.RightBottom: scaler.RightBottom,
	scaler.LeftBottom:  scaler.RightTop,
}

// orient3x2 is the stored 3×2 image used by the hand tables:
//
//	1 2 3
//	4 5 6
var orient3x2 = [][]uint8{
	{1, 2, 3},
	{4, 5, 6},
}

// orient3x2Upright holds, for each orientation, the upright image worked out
// by hand from the definitions on scaler.Orientation, row by row.
var orient3x2Upright = map[scaler.Orientation][][]uint8{
	scaler.TopLeft:     {{1, 2, 3}, {4, 5, 6}},
	scaler.TopRight:    {{3, 2, 1}, {6, 5, 4}},
	scaler.BottomRight: {{6, 5, 4}, {3, 2, 1}},
	scaler.BottomLeft:  {{4, 5, 6}, {1, 2, 3}},
	scaler.LeftTop:     {{1, 4}, {2, 5}, {3, 6}},
	scaler.RightTop:    {{4, 1}, {5, 2}, {6, 3}}, // turned 90° clockwise
	scaler.RightBottom: {{6, 3}, {5, 2}, {4, 1}},
	scaler.LeftBottom:  {{3, 6}, {2, 5}, {1, 4}}, // turned 90° counter-clockwise
}

// orientGrayOf returns a *image.Gray holding rows. With a non-zero at, the
// image is a sub-image, at that position, of a larger image whose other
// pixels are 0xEE.
func orientGrayOf(tb testing.TB, rows [][]uint8, at image.Point) *image.Gray {
	tb.Helper()
	w, h := len(rows[0]), len(rows)
	r := image.Rect(0, 0, w, h).Add(at)
	big := image.NewGray(image.Rect(0, 0, r.Max.X+3, r.Max.Y+2))
	for i := range big.Pix {
		big.Pix[i] = 0xEE
	}
	for y, row := range rows {
		if len(row) != w {
			tb.Fatalf("row %d has %d pixels, want %d", y, len(row), w)
		}
		for x, v := range row {
			big.SetGray(r.Min.X+x, r.Min.Y+y, color.Gray{Y: v})
		}
	}
	return big.SubImage(r).(*image.Gray)
}

// orientRowsOf returns the pixels of g, row by row, from g.Bounds().Min.
func orientRowsOf(g *image.Gray) [][]uint8 {
	b := g.Bounds()
	rows := make([][]uint8, b.Dy())
	for y := range rows {
		rows[y] = make([]uint8, b.Dx())
		for x := range rows[y] {
			rows[y][x] = g.GrayAt(b.Min.X+x, b.Min.Y+y).Y
		}
	}
	return rows
}

func TestOrientGrayTable(t *testing.T) {
	for _, at := range []image.Point{{0, 0}, {2, 1}} {
		src := orientGrayOf(t, orient3x2, at)
		for _, o := range orientAll {
			t.Run(fmt.Sprintf("%d/at%d,%d", o, at.X, at.Y), func(t *testing.T) {
				got, ok := scaler.Orient(src, o).(*image.Gray)
				if !ok {
					t.Fatalf("Orient(*image.Gray, %d) is a %T, want *image.Gray", o, scaler.Orient(src, o))
				}
				want := orient3x2Upright[o]
				if o != scaler.TopLeft && got.Bounds() != image.Rect(0, 0, len(want[0]), len(want)) {
					t.Fatalf("Orient(3x2, %d).Bounds() = %v, want %v", o, got.Bounds(), image.Rect(0, 0, len(want[0]), len(want)))
				}
				if g := orientRowsOf(got); fmt.Sprint(g) != fmt.Sprint(want) {
					t.Errorf("Orient(3x2, %d) = %v, want %v", o, g, want)
				}
			})
		}
	}
}

// orientSource returns the stored coordinates of the upright pixel (x, y) of a
// stored w×h image, straight from the EXIF definitions.
func orientSource(o scaler.Orientation, w, h, x, y int) (sx, sy int) {
	switch o {
	case scaler.TopRight:
		return w - 1 - x, y
	case scaler.BottomRight:
		return w - 1 - x, h - 1 - y
	case scaler.BottomLeft:
		return x, h - 1 - y
	case scaler.LeftTop:
		return y, x
	case scaler.RightTop:
		return y, h - 1 - x
	case scaler.RightBottom:
		return w - 1 - y, h - 1 - x
	case scaler.LeftBottom:
		return w - 1 - y, x
	}
	return x, y
}

// orientCheck compares got, the result of Orient(src, o), with src pixel by
// pixel through color.RGBAModel.
func orientCheck(tb testing.TB, src, got image.Image, o scaler.Orientation) {
	tb.Helper()
	sb := src.Bounds()
	w, h := sb.Dx(), sb.Dy()
	want := image.Rect(0, 0, w, h)
	if o.Transposed() {
		want = image.Rect(0, 0, h, w)
	}
	if got.Bounds() != want {
		tb.Fatalf("Orient(%dx%d, %d).Bounds() = %v, want %v", w, h, o, got.Bounds(), want)
	}
	for y := range want.Dy() {
		for x := range want.Dx() {
			sx, sy := orientSource(o, w, h, x, y)
			g := color.RGBAModel.Convert(got.At(x, y))
			s := color.RGBAModel.Convert(src.At(sb.Min.X+sx, sb.Min.Y+sy))
			if g != s {
				tb.Fatalf("Orient(%dx%d, %d) at (%d, %d) = %v, want %v from (%d, %d)", w, h, o, x, y, g, s, sx, sy)
			}
		}
	}
}

// orientInputs returns one image of each kind Orient handles differently, all
// sub-images with a non-zero origin and distinct pixels.
func orientInputs(tb testing.TB) map[string]image.Image {
	tb.Helper()
	const w, h = 5, 3
	r := image.Rect(0, 0, w, h).Add(image.Pt(3, 2))
	gray := image.NewGray(image.Rect(0, 0, 11, 7))
	rgba := image.NewRGBA(gray.Rect)
	nrgba := image.NewNRGBA(gray.Rect)
	pal := image.NewPaletted(gray.Rect, nil)
	for i := range 256 {
		pal.Palette = append(pal.Palette, color.NRGBA{uint8(i), uint8(255 - i), uint8(i * 7), 255})
	}
	for y := range 7 {
		for x := range 11 {
			v := uint8(16*y + x)
			gray.SetGray(x, y, color.Gray{Y: v})
			rgba.SetRGBA(x, y, color.RGBA{v, v / 2, 255 - v, 255})
			nrgba.SetNRGBA(x, y, color.NRGBA{v, 2 * v, 255 - v, 128 + v/2})
			pal.SetColorIndex(x, y, v)
		}
	}
	return map[string]image.Image{
		"Gray":     gray.SubImage(r),
		"RGBA":     rgba.SubImage(r),
		"NRGBA":    nrgba.SubImage(r),
		"Paletted": pal.SubImage(r),
	}
}

func TestOrientKinds(t *testing.T) {
	for name, src := range orientInputs(t) {
		for _, o := range orientAll[1:] {
			t.Run(fmt.Sprintf("%s/%d", name, o), func(t *testing.T) {
				got := scaler.Orient(src, o)
				wantType := "*image.RGBA"
				if name == "Gray" {
					wantType = "*image.Gray"
				}
				if typ := fmt.Sprintf("%T", got); typ != wantType {
					t.Fatalf("Orient(%T, %d) is a %s, want %s", src, o, typ, wantType)
				}
				orientCheck(t, src, got, o)
			})
		}
	}
}

// TestOrientNRGBA checks a translucent NRGBA pixel by hand: it must come out
// premultiplied, as image/draw converts it.
func TestOrientNRGBA(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	src.SetNRGBA(0, 0, color.NRGBA{200, 100, 0, 255})
	src.SetNRGBA(1, 0, color.NRGBA{200, 100, 50, 128})
	got, ok := scaler.Orient(src, scaler.RightTop).(*image.RGBA)
	if !ok {
		t.Fatalf("Orient(*image.NRGBA, RightTop) is a %T, want *image.RGBA", scaler.Orient(src, scaler.RightTop))
	}
	want := []uint8{
		200, 100, 0, 255, // upright (0, 0) = stored (0, 0)
		100, 50, 25, 128, // upright (0, 1) = stored (1, 0), premultiplied
	}
	if got.Bounds() != image.Rect(0, 0, 1, 2) || fmt.Sprint(got.Pix) != fmt.Sprint(want) {
		t.Errorf("Orient(2x1 NRGBA, RightTop) = %v %v, want %v %v", got.Bounds(), got.Pix, image.Rect(0, 0, 1, 2), want)
	}
}

func TestOrientInverse(t *testing.T) {
	for name, src := range orientInputs(t) {
		// Compare against the RGBA conversion for kinds Orient converts.
		var ref image.Image = src
		if _, ok := src.(*image.Gray); !ok {
			rgba := image.NewRGBA(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
			draw.Draw(rgba, rgba.Rect, src, src.Bounds().Min, draw.Src)
			ref = rgba
		}
		for _, o := range orientAll {
			t.Run(fmt.Sprintf("%s/%d", name, o), func(t *testing.T) {
				inv := orientInverse[o]
				got := scaler.Orient(scaler.Orient(src, o), inv)
				if o == scaler.TopLeft {
					if got != src {
						t.Fatalf("Orient(Orient(img, 1), 1) is not img")
					}
					return
				}
				orientCheck(t, ref, got, scaler.TopLeft)
			})
		}
	}
}

func TestOrientNoSharing(t *testing.T) {
	for name := range orientInputs(t) {
		for _, o := range orientAll[1:] {
			t.Run(fmt.Sprintf("%s/%d", name, o), func(t *testing.T) {
				src := orientInputs(t)[name] // a fresh copy to scribble on
				got := scaler.Orient(src, o)
				before := fmt.Sprint(got)
				b := src.Bounds()
				for y := b.Min.Y; y < b.Max.Y; y++ {
					for x := b.Min.X; x < b.Max.X; x++ {
						src.(draw.Image).Set(x, y, color.RGBA{1, 2, 3, 255})
					}
				}
				if fmt.Sprint(got) != before {
					t.Errorf("Orient(%T, %d) changed when its input was overwritten", src, o)
				}
			})
		}
	}
}

func TestOrientIdentity(t *testing.T) {
	src := orientGrayOf(t, orient3x2, image.Pt(1, 1))
	for _, o := range []scaler.Orientation{scaler.TopLeft, 0, 9, 255} {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			if got := scaler.Orient(src, o); got != src {
				t.Errorf("Orient(img, %d) = %p, want img itself (%p)", o, got, src)
			}
		})
	}
}

func TestOrientationTransposed(t *testing.T) {
	for o := range 256 {
		want := o >= 5 && o <= 8
		if got := scaler.Orientation(o).Transposed(); got != want {
			t.Errorf("Orientation(%d).Transposed() = %v, want %v", o, got, want)
		}
	}
}

func TestOrientEmpty(t *testing.T) {
	for _, src := range []image.Image{
		image.NewGray(image.Rect(2, 3, 2, 8)),
		image.NewRGBA(image.Rect(0, 0, 4, 0)),
		image.NewNRGBA(image.Rect(0, 0, 0, 0)),
	} {
		for _, o := range orientAll[1:] {
			t.Run(fmt.Sprintf("%T/%v/%d", src, src.Bounds(), o), func(t *testing.T) {
				got := scaler.Orient(src, o)
				w, h := src.Bounds().Dx(), src.Bounds().Dy()
				if o.Transposed() {
					w, h = h, w
				}
				if got.Bounds() != image.Rect(0, 0, w, h) {
					t.Errorf("Orient(%v, %d).Bounds() = %v, want %v", src.Bounds(), o, got.Bounds(), image.Rect(0, 0, w, h))
				}
			})
		}
	}
}

func BenchmarkOrient(b *testing.B) {
	const w, h = 1200, 900
	gray := image.NewGray(image.Rect(0, 0, w, h))
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 7)
	}
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i * 5)
	}
	size := fmt.Sprintf("%dx%d", w, h)
	for _, src := range []draw.Image{gray, rgba} {
		kind := fmt.Sprintf("%T", src)[len("*image."):]
		b.Run(kind+"/draw/"+size, func(b *testing.B) {
			// Baseline: a plain copy of the same image through image/draw.
			b.ReportAllocs()
			_, gray := src.(*image.Gray)
			for b.Loop() {
				var dst draw.Image
				if gray {
					dst = image.NewGray(src.Bounds())
				} else {
					dst = image.NewRGBA(src.Bounds())
				}
				draw.Draw(dst, dst.Bounds(), src, image.Point{}, draw.Src)
			}
		})
		for _, o := range []scaler.Orientation{scaler.TopRight, scaler.BottomLeft, scaler.RightTop, scaler.LeftBottom} {
			b.Run(fmt.Sprintf("%s/%d/%s", kind, o, size), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					scaler.Orient(src, o)
				}
			})
		}
	}
}
