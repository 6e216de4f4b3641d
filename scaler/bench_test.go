package scaler

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/escala-img/escala/internal/codec/simd"
	"golang.org/x/image/draw"
)

// benchPhoto returns a w×h gray image with the texture of a photo: smooth
// gradients, a hard edge and some noise.
func benchPhoto(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := range h {
		for x := range w {
			seed = seed*1664525 + 1013904223
			v := 110 + 70*math.Sin(float64(x)/97) + 40*math.Cos(float64(y)/61) + float64(seed>>28)
			if (x-w/2)*(x-w/2)+(y-h/3)*(y-h/3) < h*h/16 {
				v = 230
			}
			g.Pix[y*g.Stride+x] = uint8(max(0, min(255, v)))
		}
	}
	return g
}

// BenchmarkResize halves gray images, from a thumbnail to photo sizes,
// with each filter, next to x/image/draw's CatmullRom and ApproxBiLinear
// on the same input. The /go variants run the pure-Go loops, with
// simd.AVX2 turned off, so that the assembly is measured against them in
// the same run.
func BenchmarkResize(b *testing.B) {
	for _, sz := range []image.Point{{350, 418}, {2560, 1600}, {4000, 3000}} {
		src := benchPhoto(sz.X, sz.Y)
		dw, dh := sz.X/2, sz.Y/2
		name := fmt.Sprintf("%dx%d", sz.X, sz.Y)
		for _, f := range filters {
			for _, pureGo := range []bool{false, true} {
				sub := f.Name + "/" + name
				if pureGo {
					sub += "/go"
				}
				b.Run(sub, func(b *testing.B) {
					if pureGo {
						defer func(avx2 bool) { simd.AVX2 = avx2 }(simd.AVX2)
						simd.AVX2 = false
					}
					b.ReportAllocs()
					b.SetBytes(int64(sz.X * sz.Y))
					for b.Loop() {
						if _, err := Resize(src, dw, dh, &Options{Filter: f}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
		for _, k := range []struct {
			name string
			s    draw.Scaler
		}{{"draw.CatmullRom", draw.CatmullRom}, {"draw.ApproxBiLinear", draw.ApproxBiLinear}} {
			b.Run(k.name+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(sz.X * sz.Y))
				for b.Loop() {
					dst := image.NewGray(image.Rect(0, 0, dw, dh))
					k.s.Scale(dst, dst.Rect, src, src.Rect, draw.Src, nil)
				}
			})
		}
	}
}

// corpus returns the photos of ../shared/corpus by name, or skips the
// benchmark when the folder is absent: it is optional.
func corpus(b *testing.B) map[string][]byte {
	b.Helper()
	paths, _ := filepath.Glob("../../shared/corpus/*")
	if len(paths) == 0 {
		b.Skip("no ../shared/corpus")
	}
	files := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files[filepath.Base(p)] = data
	}
	return files
}

// BenchmarkPipeline runs the service's work on each corpus photo: decode
// to gray, halve with the default filter and encode as JPEG q80; and, as
// the baseline, the same with the standard library and x/image/draw.
func BenchmarkPipeline(b *testing.B) {
	for name, data := range corpus(b) {
		b.Run(name+"/escala", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g, err := DecodeGray(bytes.NewReader(data), nil)
				if err != nil {
					b.Fatal(err)
				}
				half, err := Resize(g, g.Rect.Dx()/2, g.Rect.Dy()/2, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := Encode(io.Discard, half, JPEG, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/stdlib", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				img, _, err := image.Decode(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				r := img.Bounds()
				gray := image.NewGray(r)
				draw.Draw(gray, r, img, r.Min, draw.Src)
				half := image.NewGray(image.Rect(0, 0, r.Dx()/2, r.Dy()/2))
				draw.CatmullRom.Scale(half, half.Rect, gray, r, draw.Src, nil)
				if err := jpeg.Encode(io.Discard, half, &jpeg.Options{Quality: 80}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
