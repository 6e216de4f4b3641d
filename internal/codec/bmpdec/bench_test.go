// Package scaler, whose Grayscale the benchmarks compare with, does not
// build for 386 (see ximage_test.go).

//go:build !386

package bmpdec_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/escala-img/escala/internal/codec/bmpdec"
	"github.com/escala-img/escala/scaler"
)

// corpusDir holds real photos on the developers' machines and in CI; a
// user's checkout does not have it.
const corpusDir = "../../../../shared/corpus"

// corpusPhoto returns LadyBird.jpg of the corpus, 2560×1600, decoded, or
// skips the benchmark when there is no corpus.
var corpusPhoto = sync.OnceValues(func() (image.Image, error) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "LadyBird.jpg"))
	if err != nil {
		return nil, err
	}
	return jpeg.Decode(bytes.NewReader(data))
})

// photo returns the corpus photo, or skips b.
func photo(b *testing.B) image.Image {
	img, err := corpusPhoto()
	if err != nil {
		b.Skipf("no corpus: %v", err)
	}
	return img
}

// BenchmarkDecodeGray compares DecodeGray with golang.org/x/image/bmp's
// Decode followed by scaler.Grayscale, the path it replaces, on the corpus
// photo as a 24-bit BMP, and measures it on the photo as RLE8 (which
// x/image cannot decode).
func BenchmarkDecodeGray(b *testing.B) {
	b.Run("LadyBird-rgb24/bmpdec", func(b *testing.B) {
		data := rgb24File(b, photo(b))
		benchDecode(b, data)
	})
	b.Run("LadyBird-rgb24/x-image", func(b *testing.B) {
		data := rgb24File(b, photo(b))
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			img, err := bmp.Decode(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			scaler.Grayscale(img)
		}
	})
	b.Run("LadyBird-rle8/bmpdec", func(b *testing.B) {
		benchDecode(b, rle8File(photo(b)))
	})
}

// benchDecode runs DecodeGray on data.
func benchDecode(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bmpdec.DecodeGray(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// rgb24File returns img as a 24-bit BMP, as x/image writes it.
func rgb24File(b *testing.B, img image.Image) []byte {
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// rle8File returns img as an RLE8 BMP: each pixel the nearest colour of a
// 6×7×6 colour cube, without dithering, and each row runs of 3 pixels or
// more and absolute runs of the rest.
func rle8File(img image.Image) []byte {
	bounds := img.Bounds()
	w, h := bounds.Dx(), bounds.Dy()
	var pal [][3]byte
	for r := range 6 {
		for g := range 7 {
			for b := range 6 {
				pal = append(pal, [3]byte{byte(r * 51), byte(g * 255 / 6), byte(b * 51)})
			}
		}
	}
	row := make([]byte, w)
	var stream []byte
	for y := h - 1; y >= 0; y-- {
		for x := range w {
			r, g, b, _ := img.At(bounds.Min.X+x, bounds.Min.Y+y).RGBA()
			row[x] = byte(((r>>8)+25)/51*42 + ((g>>8)*6+127)/255*6 + ((b>>8)+25)/51)
		}
		stream = appendRLE8Row(stream, row)
	}
	stream = append(stream, 0, 1)
	return bmpFile{width: int32(w), height: int32(h), bits: 8, compression: 1, colors: uint32(len(pal)), palette: pal, pixels: stream}.build()
}

// appendRLE8Row appends the RLE8 codes of a row of indexes and an end of
// line.
func appendRLE8Row(out, row []byte) []byte {
	var lit []byte
	flush := func() {
		for len(lit) > 0 {
			n := min(len(lit), 255)
			if n < 3 {
				for _, v := range lit[:n] {
					out = append(out, 1, v)
				}
			} else {
				out = append(append(out, 0, byte(n)), lit[:n]...)
				if n%2 != 0 {
					out = append(out, 0)
				}
			}
			lit = lit[n:]
		}
	}
	for x := 0; x < len(row); {
		n := 1
		for x+n < len(row) && row[x+n] == row[x] && n < 255 {
			n++
		}
		if n >= 3 {
			flush()
			out = append(out, byte(n), row[x])
		} else {
			lit = append(lit, row[x:x+n]...)
		}
		x += n
	}
	flush()
	return binary.LittleEndian.AppendUint16(out, 0)
}
