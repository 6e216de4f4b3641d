package jpegdec

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"runtime"
	"testing"
)

// FuzzDecodeGray checks that DecodeGray never panics, that what it decodes
// has the size DecodeConfig reads (and image/jpeg too, when it decodes the
// file), and that with MaxPixels 1<<20 a larger header gives ErrTooLarge and
// no large allocation happens. The seeds are the files of testdata, small
// images encoded by image/jpeg, and testdata/fuzz/FuzzDecodeGray.
func FuzzDecodeGray(f *testing.F) {
	for _, tf := range testFiles(f) {
		f.Add(tf.data)
	}
	f.Add(encodeTest(f, benchImage(9, 7), 50))
	f.Add(encodeTest(f, toGray(benchImage(20, 3)), 90))
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 20
		cfg, cerr := DecodeConfig(data)
		scale := 1 << (len(data) % 4)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := DecodeGray(data, &Options{MaxPixels: limit, Scale: scale})
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 12*limit+32<<20 {
			t.Fatalf("DecodeGray allocated %d bytes for a %dx%d image", n, cfg.Width, cfg.Height)
		}
		if cerr == nil && int64(cfg.Width)*int64(cfg.Height) > limit && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("DecodeGray of a %dx%d image = %v, want ErrTooLarge", cfg.Width, cfg.Height, err)
		}
		if err != nil {
			if m != nil {
				t.Fatalf("DecodeGray returned an image and %v", err)
			}
			return
		}
		if cerr != nil {
			t.Fatalf("DecodeGray succeeded, DecodeConfig: %v", cerr)
		}
		want := image.Rect(0, 0, (cfg.Width+scale-1)/scale, (cfg.Height+scale-1)/scale)
		if m.Rect != want || len(m.Pix) != want.Dx()*want.Dy() {
			t.Fatalf("DecodeGray at scale %d gave %v, DecodeConfig says %dx%d", scale, m.Rect, cfg.Width, cfg.Height)
		}
		if sc, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || sc.Width*sc.Height > limit/4 {
			return
		}
		if std, err := jpeg.Decode(bytes.NewReader(data)); err == nil && std.Bounds().Size() != image.Pt(cfg.Width, cfg.Height) {
			t.Fatalf("DecodeGray read %dx%d, image/jpeg %v", cfg.Width, cfg.Height, std.Bounds().Size())
		}
	})
}
