package pngdec_test

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/escala-img/escala/internal/codec/pngdec"
	"github.com/escala-img/escala/scaler"
)

// corpusDir holds real photos on the developers' machines and in CI; a
// user's checkout does not have it.
const corpusDir = "../../../../shared/corpus"

// BenchmarkDecodeGray compares DecodeGray with image/png's Decode followed
// by scaler.Grayscale, the path it replaces, on the PNG files of the
// corpus (skipped when there is none) and on a generated 1024×1024 gray
// zone plate.
func BenchmarkDecodeGray(b *testing.B) {
	type input struct {
		name string
		data func(testing.TB) []byte
	}
	inputs := []input{{"ZonePlate-1024", zonePlate}}
	for _, name := range []string{"goldfish.png", "Stripes.png"} {
		inputs = append(inputs, input{name[:len(name)-len(filepath.Ext(name))], func(tb testing.TB) []byte {
			data, err := os.ReadFile(filepath.Join(corpusDir, name))
			if err != nil {
				tb.Skipf("no corpus: %v", err)
			}
			return data
		}})
	}
	for _, in := range inputs {
		b.Run(in.name+"/pngdec", func(b *testing.B) {
			data := in.data(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pngdec.DecodeGray(data, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(in.name+"/image-png", func(b *testing.B) {
			data := in.data(b)
			b.ReportAllocs()
			for b.Loop() {
				img, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				scaler.Grayscale(img)
			}
		})
	}
}

// zonePlate returns a 1024×1024 8-bit gray PNG of a zone plate,
// 128 + 127·cos(π·r²/1024), encoded by image/png.
func zonePlate(tb testing.TB) []byte {
	const n = 1024
	m := image.NewGray(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			dx, dy := float64(x-n/2), float64(y-n/2)
			m.Pix[y*n+x] = uint8(128 + 127*math.Cos(math.Pi*(dx*dx+dy*dy)/n))
		}
	}
	return encodePNG(tb, m)
}
