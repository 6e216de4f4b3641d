package jpegdec

import (
	"bytes"
	"image"
	"testing"
)

// TestEveryPixelWritten decodes every file of testdata, at every scale and
// on the serial and parallel paths, into images that already hold a
// pattern, as memory from the pool does, and checks that nothing of the
// pattern is left: the result must be the same whatever the memory held.
func TestEveryPixelWritten(t *testing.T) {
	old := newImage
	t.Cleanup(func() { newImage = old })
	decodeWith := func(data []byte, scale int, fill byte) (*image.Gray, error) {
		newImage = func(w, h int) *image.Gray {
			g := image.NewGray(image.Rect(0, 0, w, h))
			for i := range g.Pix {
				g.Pix[i] = fill + byte(i*7)
			}
			return g
		}
		return DecodeGray(data, &Options{Scale: scale})
	}
	for _, parallel := range []bool{false, true} {
		if parallel {
			smallBatches(t)
			withProcs(t, 4)
		}
		for _, f := range testFiles(t) {
			for _, scale := range []int{1, 2, 4, 8} {
				a, errA := decodeWith(f.data, scale, 0)
				b, errB := decodeWith(f.data, scale, 0x55)
				if (errA == nil) != (errB == nil) {
					t.Fatalf("%s at 1/%d: errors %v and %v", f.name, scale, errA, errB)
				}
				if errA == nil && !bytes.Equal(a.Pix, b.Pix) {
					t.Errorf("%s at 1/%d, parallel %v: pixels depend on what the memory held before", f.name, scale, parallel)
				}
			}
		}
	}
}
