package bmpdec_test

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/escala-img/escala/internal/codec/bmpdec"
	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
)

var genSeeds = flag.Bool("genseeds", false, "rewrite the seed corpus in testdata/fuzz/FuzzDecodeGray")

// fuzzSeeds returns the seed corpus of FuzzDecodeGray besides the files of
// testdata, which the target adds itself: small files broken or absurd in
// each way the decoder checks for, and RLE streams at the edges of rows and
// of the image.
func fuzzSeeds(tb testing.TB) []fuzzcorpus.Seed {
	tb.Helper()
	var seeds []fuzzcorpus.Seed
	add := func(name string, data []byte) {
		seeds = append(seeds, fuzzcorpus.Seed{Name: name, Args: []any{data}})
	}
	add("rle8-bomb-30000x30000", rleFile(30000, 30000, false, 0, 1))
	add("rle8-eob-1000x1000", rleFile(1000, 1000, false, 0, 1))
	add("rle8-deltas", rleFile(7, 600, false, 1, 9, 0, 2, 255, 255, 0, 2, 3, 0, 5, 1, 0, 0, 0, 1))
	add("rle8-row-overflow", rleFile(4, 3, false, 0, 6, 1, 2, 3, 4, 5, 6, 2, 7, 0, 0, 4, 8))
	add("rle8-truncated", rleFile(4, 2, false, 4, 1, 0, 4, 1, 2))
	add("rle8-topdown", rleFile(4, -2, false, 4, 1, 0, 0, 4, 2, 0, 1))
	add("rle4-odd-runs", rleFile(6, 2, true, 0, 5, 0x12, 0x34, 0x50, 0, 0, 0, 6, 0x77, 0, 1))
	add("rle4-wrap", rleFile(3, 2, true, 0, 5, 0x12, 0x34, 0x50, 0, 1, 0x90, 0, 1))
	add("rle8-1bit", bmpFile{width: 9, height: 2, bits: 1, compression: 1, palette: [][3]byte{{9, 9, 9}, {200, 0, 0}}, pixels: []byte{9, 1, 0, 0, 3, 0, 0, 1}}.build())
	add("pal2-short-palette", bmpFile{width: 9, height: 2, bits: 2, colors: 3, palette: grayPalette(3), pixels: []byte{0x1b, 0xe4, 0xff, 0, 0x1b, 0xe4, 0xff, 0}}.build())
	add("pal8-offset0", bmpFile{width: 3, height: 2, bits: 8, colors: 4, palette: grayPalette(4), offset: -1, pixels: []byte{0, 1, 2, 0, 3, 4, 5, 0}}.build())
	add("os2-core-pal4", bmpFile{headerSize: 12, width: 5, height: 2, bits: 4, palette: grayPalette(16), pixels: []byte{0x12, 0x34, 0x50, 0, 0xfe, 0xdc, 0xb0, 0}}.build())
	add("os2-core-65535x65535", bmpFile{headerSize: 12, width: -1, height: -1, bits: 24}.build())
	add("os2v2-short", bmpFile{headerSize: 16, width: 2, height: 2, bits: 24, pixels: make([]byte, 16)}.build())
	add("bitfields-2101010", bmpFile{headerSize: 124, width: 2, height: -2, bits: 32, compression: 3,
		masks: []uint32{0x3ff00000, 0xffc00, 0x3ff, 0xc0000000}, pixels: []byte{1, 2, 3, 4, 5, 6, 7, 0x80, 9, 10, 11, 0x40, 13, 14, 15, 0xc0}}.build())
	add("bitfields-4444", bmpFile{headerSize: 56, width: 3, height: 1, bits: 16, compression: 3,
		masks: []uint32{0xf00, 0xf0, 0xf, 0xf000}, pixels: []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0, 0}}.build())
	add("alphabitfields-24", bmpFile{width: 2, height: 1, bits: 24, compression: 6,
		masks: []uint32{0xf80000, 0x7e000, 0x1f80, 0x7f}, pixels: []byte{1, 2, 3, 4, 5, 6, 0, 0}}.build())
	add("bitfields-zero-masks-16", bmpFile{width: 2, height: 1, bits: 16, compression: 3, masks: []uint32{0, 0, 0}, pixels: []byte{1, 2, 3, 4}}.build())
	add("v5-rgb32-alpha-bytes", bmpFile{headerSize: 124, width: 2, height: 1, bits: 32, pixels: []byte{1, 2, 3, 0, 5, 6, 7, 128}}.build())
	add("rgb24-30000x30000", bmpFile{width: 30000, height: 30000, bits: 24, pixels: make([]byte, 64)}.build())
	add("rgb24-offset-past-end", bmpFile{width: 2, height: 2, bits: 24, offset: 1 << 20, pixels: make([]byte, 16)}.build())
	add("header-size-200", bmpFile{headerSize: 200, width: 2, height: 2, bits: 24, pixels: make([]byte, 16)}.build())
	add("mask-not-contiguous", bmpFile{width: 2, height: 1, bits: 16, compression: 3, masks: []uint32{0xf00f, 0x7e0, 0x1f}, pixels: make([]byte, 4)}.build())
	add("palette-of-300", bmpFile{width: 2, height: 1, bits: 8, colors: 300, palette: make([][3]byte, 300), pixels: make([]byte, 4)}.build())
	return seeds
}

// TestFuzzCorpus checks that testdata/fuzz/FuzzDecodeGray holds the seeds
// of fuzzSeeds, within the size limits, and that each passes
// FuzzDecodeGray's check; -genseeds rewrites them:
//
//	go test ./internal/codec/bmpdec -run '^TestFuzzCorpus$' -genseeds
func TestFuzzCorpus(t *testing.T) {
	seeds := fuzzSeeds(t)
	for _, s := range seeds {
		t.Run(s.Name, func(t *testing.T) { checkDecode(t, s.Args[0].([]byte)) })
	}
	fuzzcorpus.Sync(t, "FuzzDecodeGray", seeds, *genSeeds)
}

// FuzzDecodeGray checks that DecodeGray never panics; that its errors are
// one line starting "bmpdec: "; that with MaxPixels 1<<20 a larger header
// gives ErrTooLarge and nothing much larger than the limit is allocated;
// that DecodeConfig agrees with it; and that a file that
// golang.org/x/image/bmp decodes within the limit decodes to the gray
// scaler makes of x/image's image (but for the alpha of 32-bit BI_RGB
// pixels, see stdGray).
func FuzzDecodeGray(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.Args[0].([]byte))
	}
	names, _ := filepath.Glob(filepath.Join("testdata", "*.bmp"))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(checkDecode)
}

// checkDecode is FuzzDecodeGray's check of one input.
func checkDecode(t *testing.T, data []byte) {
	const limit = 1 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := bmpdec.DecodeGray(data, &bmpdec.Options{MaxPixels: limit})
	runtime.ReadMemStats(&after)
	// The pool may hand out a slice up to twice as large as asked.
	if n := after.TotalAlloc - before.TotalAlloc; n > 2*limit+1<<20 {
		t.Fatalf("DecodeGray allocated %d bytes", n)
	}
	cfg, cerr := bmpdec.DecodeConfig(data)
	if err != nil {
		if got != nil {
			t.Fatalf("DecodeGray returned an image and %v", err)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "bmpdec: ") {
			t.Fatalf("DecodeGray error %q is not one line starting bmpdec:", msg)
		}
		if errors.Is(err, bmpdec.ErrUnsupported) != errors.Is(cerr, bmpdec.ErrUnsupported) {
			t.Fatalf("DecodeGray: %v; DecodeConfig: %v", err, cerr)
		}
	}
	switch {
	case cerr == nil && int64(cfg.Width)*int64(cfg.Height) > limit:
		if !errors.Is(err, bmpdec.ErrTooLarge) {
			t.Fatalf("DecodeGray of a %dx%d image = %v, want ErrTooLarge", cfg.Width, cfg.Height, err)
		}
	case err == nil:
		if cerr != nil {
			t.Fatalf("DecodeGray succeeded; DecodeConfig: %v", cerr)
		}
		if want := image.Rect(0, 0, cfg.Width, cfg.Height); got.Rect != want || got.Stride != cfg.Width || len(got.Pix) != cfg.Width*cfg.Height {
			t.Fatalf("DecodeGray gave %v, stride %d, %d pixels; DecodeConfig says %dx%d", got.Rect, got.Stride, len(got.Pix), cfg.Width, cfg.Height)
		}
	}

	// x/image allocates the image its header describes: only headers well
	// within the limit are decoded with it.
	if sc, err := bmp.DecodeConfig(bytes.NewReader(data)); err != nil || sc.Width*sc.Height > limit/4 || sc.Width == 0 {
		return
	}
	want, stdErr := stdGray(data)
	switch {
	case errors.Is(stdErr, errNoStdGray):
	case stdErr == nil && err != nil:
		t.Fatalf("DecodeGray: %v; x/image decodes the file", err)
	case stdErr == nil:
		if got.Rect != want.Rect {
			t.Fatalf("DecodeGray gave %v, x/image %v", got.Rect, want.Rect)
		}
		if d, at := maxDiff(got, want); d != 0 {
			t.Fatalf("DecodeGray differs from Grayscale(x/image) by up to %d at %v", d, at)
		}
	}
}

// errNoStdGray is stdGray's error where scaler does not build.
var errNoStdGray = errors.New("no scaler.Grayscale on this platform")
