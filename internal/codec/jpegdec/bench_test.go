package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchImage returns a w×h photo-like image: smooth gradients with detail.
func benchImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			noise := int(seed>>27) - 16
			i := m.PixOffset(x, y)
			m.Pix[i+0] = clampTest(x*255/w + noise)
			m.Pix[i+1] = clampTest(y*255/h + noise/2)
			m.Pix[i+2] = clampTest((x^y)&255/2 + 64 + noise)
			m.Pix[i+3] = 255
		}
	}
	return m
}

func clampTest(v int) uint8 {
	return uint8(min(max(v, 0), 255))
}

// encodeTest encodes m with image/jpeg at quality q: baseline 4:2:0 for
// colour images, 1 component for *image.Gray.
func encodeTest(tb testing.TB, m image.Image, q int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// toYCbCr444 returns m as a 4:4:4 YCbCr image, which image/jpeg encodes
// without chroma subsampling.
func toYCbCr444(m *image.RGBA) *image.YCbCr {
	r := m.Bounds()
	out := image.NewYCbCr(r, image.YCbCrSubsampleRatio444)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := m.PixOffset(x, y)
			yy, cb, cr := color.RGBToYCbCr(m.Pix[i], m.Pix[i+1], m.Pix[i+2])
			out.Y[out.YOffset(x, y)] = yy
			out.Cb[out.COffset(x, y)] = cb
			out.Cr[out.COffset(x, y)] = cr
		}
	}
	return out
}

// BenchmarkDecodeGray compares DecodeGray (full size, and half size in the
// DCT domain) with image/jpeg's Decode on generated 2560×1600 baseline
// images and on the corpus photos, when there is a corpus, one of which
// (video-001.cmyk) is a CMYK file.
func BenchmarkDecodeGray(b *testing.B) {
	type input struct {
		name string
		data func(testing.TB) []byte
	}
	inputs := []input{
		{"Generated-420-2560x1600", func(tb testing.TB) []byte { return encodeTest(tb, benchImage(2560, 1600), 85) }},
		{"Generated-444-2560x1600", func(tb testing.TB) []byte { return encodeTest(tb, toYCbCr444(benchImage(2560, 1600)), 85) }},
	}
	for _, name := range []string{"LadyBird.jpg", "LadyBird-progressive.jpg", "the-mouse.jpg", "Storm.jpg", "Garden-350x418.jpg", "Elephants_3840x2160.jpg", "Elephants_5640x3172.jpg", "video-001.cmyk.jpeg"} {
		inputs = append(inputs, input{name[:len(name)-len(filepath.Ext(name))], func(tb testing.TB) []byte {
			data, err := os.ReadFile(filepath.Join(corpusDir, name))
			if err != nil {
				tb.Skipf("no corpus: %v", err)
			}
			return data
		}})
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			data := in.data(b)
			b.Run("jpegdec", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := DecodeGray(data, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("jpegdec-half", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := DecodeGray(data, &Options{Scale: 2}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("image-jpeg", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// toGray returns m converted to gray, which image/jpeg encodes with one
// component.
func toGray(m *image.RGBA) *image.Gray {
	g := image.NewGray(m.Bounds())
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		for x := m.Rect.Min.X; x < m.Rect.Max.X; x++ {
			g.Set(x, y, m.At(x, y))
		}
	}
	return g
}

// BenchmarkSmallImages measures what decoding an image of a few hundred
// pixels a side on several goroutines gains when the machine is idle
// ("alone"), and what it costs when every core is busy decoding
// ("loaded": GOMAXPROCS decodes at once, ns/op per image): "pipelined"
// uses up to GOMAXPROCS goroutines for each image, "one" only the calling
// one. smallImage is chosen from it, and from the same on progressive
// files made by cjpeg.
func BenchmarkSmallImages(b *testing.B) {
	for _, side := range []int{256, 362, 512, 724} {
		data := encodeTest(b, benchImage(side, side), 85)
		for _, mode := range []string{"pipelined", "one"} {
			setMode := func(b *testing.B) {
				old := smallImage
				smallImage = 0
				if mode == "one" {
					smallImage = 1 << 62
				}
				b.Cleanup(func() { smallImage = old })
			}
			b.Run(fmt.Sprintf("%dx%d/%s/alone", side, side, mode), func(b *testing.B) {
				setMode(b)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := DecodeGray(data, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%dx%d/%s/loaded", side, side, mode), func(b *testing.B) {
				setMode(b)
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := DecodeGray(data, nil); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkArithmetic measures DecodeGray on arithmetic-coded versions of
// corpus photos, sequential and progressive, which jpegtran makes from
// them (with the same coefficients), so it needs jpegtran and the corpus.
func BenchmarkArithmetic(b *testing.B) {
	if _, err := exec.LookPath("jpegtran"); err != nil {
		b.Skip("no jpegtran to make arithmetic-coded files")
	}
	for _, name := range []string{"LadyBird.jpg", "Elephants_3840x2160.jpg"} {
		src := filepath.Join(corpusDir, name)
		if _, err := os.Stat(src); err != nil {
			b.Skipf("no corpus: %v", err)
		}
		for _, mode := range []string{"sequential", "progressive"} {
			b.Run(strings.TrimSuffix(name, ".jpg")+"/"+mode, func(b *testing.B) {
				args := []string{"-arithmetic"}
				if mode == "progressive" {
					args = append(args, "-progressive")
				}
				data, err := exec.Command("jpegtran", append(args, src)...).Output()
				if err != nil {
					b.Fatalf("jpegtran: %v", err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := DecodeGray(data, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
