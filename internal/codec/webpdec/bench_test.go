package webpdec

import (
	"bytes"
	"flag"
	"image"
	"os"
	"testing"

	"golang.org/x/image/vp8"
	"golang.org/x/image/webp"
)

var benchFile = flag.String("webp", "", "BenchmarkDecodeGray: a large WebP file to time besides testdata's, such as cwebp -q 80 of ../shared/corpus/LadyBird.jpg")

// BenchmarkDecodeGray times DecodeGray, and the two parts of it on a lossy
// file: x/image/vp8's decoding of the frame, and the conversion of its
// YCbCr to gray. It runs on a file of testdata and on the file of -webp
// (skipped without it).
func BenchmarkDecodeGray(b *testing.B) {
	files := map[string]func(testing.TB) []byte{
		"lossy-96x64": func(tb testing.TB) []byte { return readTestFile(tb, "lossy-96x64-q80.webp") },
		"file": func(tb testing.TB) []byte {
			if *benchFile == "" {
				tb.Skip("no -webp file")
			}
			data, err := os.ReadFile(*benchFile)
			if err != nil {
				tb.Fatal(err)
			}
			return data
		},
	}
	for name, file := range files {
		b.Run(name+"/DecodeGray", func(b *testing.B) {
			data := file(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeGray(data, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/x-image-webp", func(b *testing.B) {
			data := file(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := webp.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/convert", func(b *testing.B) {
			data := file(b)
			f, err := parse(data)
			if err != nil || f.config.Lossless {
				b.Skipf("not a lossy file: %v", err)
			}
			d := vp8.NewDecoder()
			d.Init(bytes.NewReader(f.image), len(f.image))
			if _, err := d.DecodeFrameHeader(); err != nil {
				b.Fatal(err)
			}
			m, err := d.DecodeFrame()
			if err != nil {
				b.Fatal(err)
			}
			g := image.NewGray(m.Rect)
			b.ReportAllocs()
			for b.Loop() {
				yuvGray(g.Pix, g.Stride, m, nil)
			}
		})
	}
}
