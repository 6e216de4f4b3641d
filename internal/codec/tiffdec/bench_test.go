package tiffdec

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/image/tiff"
)

// benchPhoto returns the corpus photo LadyBird.jpg as an image, or skips
// the benchmark when the corpus is absent.
func benchPhoto(b *testing.B) image.Image {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "corpus", "LadyBird.jpg"))
	if err != nil {
		b.Skipf("no corpus photo: %v", err)
	}
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkDecodeGray decodes the corpus photo written as a TIFF by
// x/image/tiff, uncompressed and with Deflate, next to x/image/tiff's
// decode of the same file (which gives colour, not yet gray).
func BenchmarkDecodeGray(b *testing.B) {
	photo := benchPhoto(b)
	for _, c := range []struct {
		name string
		opts tiff.Options
	}{
		{"none", tiff.Options{Compression: tiff.Uncompressed}},
		{"deflate", tiff.Options{Compression: tiff.Deflate}},
		{"deflate-predictor", tiff.Options{Compression: tiff.Deflate, Predictor: true}},
	} {
		var buf bytes.Buffer
		if err := tiff.Encode(&buf, photo, &c.opts); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		size := photo.Bounds().Size()
		name := c.name + "/" + strconv.Itoa(size.X) + "x" + strconv.Itoa(size.Y)
		b.Run(name+"/tiffdec", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := DecodeGray(data, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/x-image-tiff", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := tiff.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
