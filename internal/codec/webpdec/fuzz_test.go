package webpdec

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/webp"

	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
)

var genSeeds = flag.Bool("genseeds", false, "rewrite the seed corpus in testdata/fuzz/FuzzDecodeGray")

// fuzzSeeds returns the generated part of the seed corpus of
// FuzzDecodeGray: headers too large for the limit or for their data, and
// some of badFiles. The files of testdata are added by the target itself.
func fuzzSeeds(tb testing.TB) []fuzzcorpus.Seed {
	tb.Helper()
	var seeds []fuzzcorpus.Seed
	add := func(name string, data []byte) {
		seeds = append(seeds, fuzzcorpus.Seed{Name: name, Args: []any{data}})
	}
	vp8 := chunkData(tb, readTestFile(tb, "lossy-17x9.webp"), "VP8 ")
	big := patched(vp8, func(b []byte) { b[6], b[7], b[8], b[9] = 0xff, 0x3f, 0xff, 0x3f })
	lossless := readTestFile(tb, "lossless-1x1.webp")
	add("huge-vp8", riffFile(riffChunk("VP8 ", big)))
	add("huge-vp8l", patched(lossless, func(b []byte) { b[21], b[22], b[23], b[24] = 0xff, 0xff, 0xff, 0x0f|b[24]&0xf0 }))
	add("huge-vp8x", riffFile(riffChunk("VP8X", vp8x(0x10, 16383, 16383)), riffChunk("ALPH", []byte{0}), riffChunk("VP8 ", big)))
	add("huge-anim-canvas", riffFile(riffChunk("VP8X", vp8x(0x12, 1<<14, 1<<14)), riffChunk("ANMF", anmf(8, 8, 17, 9, riffChunk("VP8 ", vp8)))))
	for _, tc := range badFiles(tb) {
		switch tc.name {
		case "vp8x-size-mismatch", "vp8-cut-partitions", "vp8l-cut", "alph-raw-short", "anim-frame-outside", "riff-size-cuts-chunk":
			add(tc.name, []byte(tc.data))
		}
	}
	return seeds
}

// TestFuzzCorpus checks that testdata/fuzz/FuzzDecodeGray holds the seeds
// of fuzzSeeds, within the size limits, and rewrites them with -genseeds:
//
//	go test ./internal/codec/webpdec -run '^TestFuzzCorpus$' -genseeds
func TestFuzzCorpus(t *testing.T) {
	fuzzcorpus.Sync(t, "FuzzDecodeGray", fuzzSeeds(t), *genSeeds)
}

// FuzzDecodeGray checks that DecodeGray never panics; that what it
// decodes has the size DecodeConfig reads; that with MaxPixels 1<<20 a
// larger header gives ErrTooLarge; that it allocates no more than
// Config.Memory says; and that it decodes every file x/image/webp decodes,
// to the same size. The seeds are the files of testdata and
// testdata/fuzz/FuzzDecodeGray.
func FuzzDecodeGray(f *testing.F) {
	for _, tf := range testFiles(f) {
		f.Add(tf.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 20
		cfg, cerr := DecodeConfig(data)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := DecodeGray(data, &Options{MaxPixels: limit})
		runtime.ReadMemStats(&after)
		n := int64(after.TotalAlloc - before.TotalAlloc)
		if cerr == nil && n > cfg.Memory()+1<<20 {
			t.Fatalf("DecodeGray allocated %d bytes for a %dx%d image, Memory() = %d", n, cfg.Width, cfg.Height, cfg.Memory())
		}
		if cerr == nil && int64(cfg.Width)*int64(cfg.Height) > limit && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("DecodeGray of a %dx%d image = %v, want ErrTooLarge", cfg.Width, cfg.Height, err)
		}
		if err != nil {
			if m != nil {
				t.Fatalf("DecodeGray returned an image and %v", err)
			}
			// libwebp, and so DecodeGray, refuses a file shorter than its
			// RIFF size, one whose first chunk is not VP8, VP8L or VP8X
			// (x/image/webp reads on to the chunk it needs), and an ALPH
			// header with pre-processing past 1 or reserved bits set
			// (x/image/webp ignores them).
			msg := err.Error()
			stricter := strings.Contains(msg, "RIFF size") || strings.Contains(msg, "first chunk is") || strings.Contains(msg, "ALPH header")
			if sc, serr := webp.DecodeConfig(bytes.NewReader(data)); serr == nil && sc.Width*sc.Height <= limit/4 && !errors.Is(err, ErrTooLarge) && !stricter {
				if _, serr := webp.Decode(bytes.NewReader(data)); serr == nil {
					t.Fatalf("DecodeGray: %v; x/image/webp decodes the file", err)
				}
			}
			return
		}
		if cerr != nil {
			t.Fatalf("DecodeGray succeeded, DecodeConfig: %v", cerr)
		}
		if want := image.Rect(0, 0, cfg.Width, cfg.Height); m.Rect != want || m.Stride != cfg.Width || len(m.Pix) != cfg.Width*cfg.Height {
			t.Fatalf("DecodeGray gave %v stride %d, DecodeConfig says %dx%d", m.Rect, m.Stride, cfg.Width, cfg.Height)
		}
		if cfg.Animated {
			return
		}
		if std, err := webp.Decode(bytes.NewReader(data)); err == nil && std.Bounds() != m.Rect {
			t.Fatalf("DecodeGray gave %v, x/image/webp %v", m.Rect, std.Bounds())
		}
	})
}
