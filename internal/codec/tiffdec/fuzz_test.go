package tiffdec

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
	"golang.org/x/image/tiff"
)

var genSeeds = flag.Bool("genseeds", false, "rewrite the seed corpus in testdata/fuzz/FuzzDecodeGray")

// fuzzSeeds returns the generated part of the seed corpus of
// FuzzDecodeGray: small files broken in the ways the decoder checks for.
// The corpus also holds inputs that the fuzzer found, found-*, kept by
// hand.
func fuzzSeeds(tb testing.TB) []fuzzcorpus.Seed {
	tb.Helper()
	gray := grayFields(3, 2, 1, 1)
	strip := [][]byte{{1, 2, 3, 4, 5, 6}}
	rgb := []field{
		long(tagImageWidth, 3), long(tagImageLength, 2),
		short(tagBitsPerSample, 8, 8, 8), short(tagCompression, 1),
		short(tagPhotometric, 2), short(tagSamplesPerPixel, 3),
		long(tagRowsPerStrip, 1), short(tagPlanarConfig, 2),
	}
	planes := [][]byte{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
	var seeds []fuzzcorpus.Seed
	add := func(name string, data []byte) { seeds = append(seeds, fuzzcorpus.Seed{Name: name, Args: []any{data}}) }
	add("gray", buildTIFF(le, gray, strip))
	add("gray-big-endian-tiles", buildTIFF(be, with(gray, long(tagTileWidth, 16), long(tagTileLength, 16)), [][]byte{make([]byte, 256)}))
	add("rgb-planes", buildTIFF(le, rgb, planes))
	add("rgb-planes-lzw", buildTIFF(le, with(rgb, short(tagCompression, 5)), [][]byte{{0x80, 0, 0x40, 0x40}}))
	add("huge-header", buildTIFF(le, with(gray, long(tagImageWidth, 1<<30), long(tagImageLength, 1<<30), long(tagRowsPerStrip, 1<<30)), strip))
	add("huge-tile", buildTIFF(le, with(gray, long(tagTileWidth, 1<<30), long(tagTileLength, 16)), strip))
	add("many-strips", buildTIFF(le, with(gray, long(tagImageLength, 1<<24), long(tagRowsPerStrip, 1)), strip))
	add("deflate-bomb", buildTIFF(le, grayFields(2, 2, 8, 1), [][]byte{deflate(tb, make([]byte, 1<<20))}))
	add("lzw-bomb", buildTIFF(le, grayFields(2, 2, 5, 1), [][]byte{lzwZeros(1 << 16)}))
	add("packbits", buildTIFF(le, grayFields(3, 2, 32773, 1), [][]byte{{0x81, 7, 2, 1, 2, 3}}))
	add("palette-2bit", buildTIFF(be, with(gray, short(tagPhotometric, 3), short(tagBitsPerSample, 2),
		field{tagColorMap, 3, make([]uint32, 12)}), [][]byte{{0x1b, 0xe4}}))
	add("ycbcr-42", buildTIFF(le, with(gray, short(tagPhotometric, 6), short(tagSamplesPerPixel, 3),
		short(tagBitsPerSample, 8, 8, 8), short(tagYCbCrSubsampling, 4, 2)), [][]byte{make([]byte, 10)}))
	add("jpeg-no-data", buildTIFF(le, with(gray, short(tagCompression, 7)), [][]byte{{0xff, 0xd8, 0xff, 0xd9}}))
	add("ccitt-g4", buildTIFF(le, with(gray, short(tagCompression, 4), short(tagBitsPerSample, 1)), [][]byte{{0xff, 0xff}}))
	add("too-many-entries", tooManyEntries()[:16])
	return seeds
}

// TestFuzzCorpus checks that testdata/fuzz/FuzzDecodeGray holds the seeds
// of fuzzSeeds, within the size limits, and rewrites them with -genseeds:
//
//	go test ./internal/codec/tiffdec -run '^TestFuzzCorpus$' -genseeds
func TestFuzzCorpus(t *testing.T) {
	fuzzcorpus.Sync(t, "FuzzDecodeGray", fuzzSeeds(t), *genSeeds)
}

// FuzzDecodeGray checks that DecodeGray never panics, that what it decodes
// has the size DecodeConfig reads (and x/image/tiff too, when it decodes
// the file), that with MaxPixels 1<<20 a larger header gives ErrTooLarge,
// that it allocates no more than Config.Memory says it holds and a little
// for each strip (and little when it fails on the directory), and that its
// errors are one line. The
// seeds are the files of testdata and testdata/fuzz/FuzzDecodeGray.
func FuzzDecodeGray(f *testing.F) {
	for _, tf := range testFiles(f) {
		f.Add(tf.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 20
		cfg, cerr := DecodeConfig(data)
		var m *image.Gray
		var err error
		n := allocated(func() { m, err = DecodeGray(data, &Options{MaxPixels: limit}) })
		// What a decode holds at its peak, and the garbage that each
		// strip or tile may leave: a CCITT reader, jpegdec's state.
		most := uint64(1 << 20)
		if cerr == nil {
			d, _ := parse(data)
			most += uint64(cfg.Memory()) + 64<<10*uint64(d.across*d.down*d.planes)
		}
		if n > most {
			t.Fatalf("DecodeGray allocated %d bytes for a %dx%d image (DecodeConfig: %v; Memory %d)", n, cfg.Width, cfg.Height, cerr, cfg.Memory())
		}
		if cerr == nil && int64(cfg.Width)*int64(cfg.Height) > limit && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("DecodeGray of a %dx%d image = %v, want ErrTooLarge", cfg.Width, cfg.Height, err)
		}
		if err != nil {
			if m != nil {
				t.Fatalf("DecodeGray returned an image and %v", err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "tiffdec: ") {
				t.Fatalf("error %q is not one line prefixed tiffdec:", msg)
			}
			return
		}
		if cerr != nil {
			t.Fatalf("DecodeGray succeeded, DecodeConfig: %v", cerr)
		}
		if want := image.Rect(0, 0, cfg.Width, cfg.Height); m.Rect != want || m.Stride != cfg.Width || len(m.Pix) != cfg.Width*cfg.Height {
			t.Fatalf("DecodeGray gave %v (stride %d), DecodeConfig says %dx%d", m.Rect, m.Stride, cfg.Width, cfg.Height)
		}
		if sc, err := tiff.DecodeConfig(bytes.NewReader(data)); err != nil || sc.Width*sc.Height > limit/4 {
			return
		}
		if std, err := tiff.Decode(bytes.NewReader(data)); err == nil && std.Bounds().Size() != image.Pt(cfg.Width, cfg.Height) {
			t.Fatalf("DecodeGray read %dx%d, x/image/tiff %v", cfg.Width, cfg.Height, std.Bounds().Size())
		}
	})
}
