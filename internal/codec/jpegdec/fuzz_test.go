package jpegdec

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"runtime"
	"testing"

	"github.com/escala-img/escala/internal/codec/simd"
	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
)

var genSeeds = flag.Bool("genseeds", false, "rewrite the seed corpus in testdata/fuzz/FuzzDecodeGray")

// fuzzSeeds returns the generated part of the seed corpus of
// FuzzDecodeGray, the files of testdata broken in each way the decoder
// checks for, and a few of them whole. The corpus also holds inputs that
// the fuzzer found, found-*, kept by hand.
func fuzzSeeds(tb testing.TB) []testFile {
	tb.Helper()
	var seeds []testFile
	add := func(name string, data []byte) { seeds = append(seeds, testFile{name, data}) }
	seq := readTestFile(tb, "17x9-420.jpg")
	sof := findSegment(tb, seq, 0xc0).at
	sos := findSegment(tb, seq, 0xda)
	dht := findSegment(tb, seq, 0xc4).at
	prog := readTestFile(tb, "8x8-gray-prog.jpg")
	psof := findSegment(tb, prog, 0xc2).at
	psos := findSegment(tb, prog, 0xda).at
	psos2 := nthSegment(tb, prog, 0xda, 1).at
	gray := readTestFile(tb, "1x1-gray.jpg")
	gsof := findSegment(tb, gray, 0xc0).at
	rst := readTestFile(tb, "17x9-gray-rst1.jpg")
	prog1 := readTestFile(tb, "1x1-422-prog.jpg")
	cmyk := readTestFile(tb, "17x9-cmyk-22.jpg")

	// Described in testdata/README.md.
	add("huge-header", patched(gray, func(b []byte) { copy(b[gsof+5:], []byte{0xff, 0xff, 0xff, 0xff}) }))
	add("progressive-1x1-truncated", prog1[:len(prog1)-9])
	add("restart-every-mcu", rst)

	add("sof-12-bit", patched(seq, func(b []byte) { b[sof+4] = 12 }))
	add("sof-arithmetic", patched(seq, func(b []byte) { b[sof+1] = 0xc9 }))
	add("sof-zero-width", patched(seq, func(b []byte) { b[sof+7], b[sof+8] = 0, 0 }))
	add("sof-no-components", patched(seq, func(b []byte) { b[sof+9] = 0 }))
	add("sof-sampling-5", patched(seq, func(b []byte) { b[sof+11] = 0x51 }))
	add("sof-too-large-for-data", patched(seq, func(b []byte) { b[sof+5], b[sof+7] = 0x40, 0x40 }))
	add("sos-unknown-component", patched(seq, func(b []byte) { b[sos.at+5] = 9 }))
	add("sos-missing-huffman-table", patched(seq, func(b []byte) { b[sos.at+6] = 0x33 }))
	add("dht-codes-overflow", patched(seq, func(b []byte) { b[dht+5] = 3 }))
	add("dqt-table-4", insert(seq, dht, append([]byte{0xff, 0xdb, 0, 67, 0x04}, make([]byte, 64)...)...))
	add("dri-length", insert(seq, dht, 0xff, 0xdd, 0, 3, 0, 1, 0))
	add("fill-bytes", insert(seq, dht, 0xff, 0xff, 0xff))
	add("scan-cut-then-eoi", append(seq[:sos.end+40:sos.end+40], 0xff, 0xd9))
	add("scan-corrupt", patched(seq, func(b []byte) { copy(b[sos.end+20:], []byte{0x00, 0xff, 0x13, 0x77, 0xfe}) }))
	add("restart-out-of-order", patched(rst, func(b []byte) {
		i := bytes.Index(b[findSegment(tb, b, 0xda).end:], []byte{0xff, 0xd1}) + findSegment(tb, b, 0xda).end
		b[i+1] = 0xd5
	}))
	add("progressive-huge", patched(prog, func(b []byte) { copy(b[psof+5:], []byte{0xff, 0xff, 0xff, 0xff}) }))
	add("progressive-dc-se-64", patched(prog, func(b []byte) { b[psos+7], b[psos+8] = 0, 64 }))
	add("progressive-al-14", patched(prog, func(b []byte) { b[psos+9] = 0x0e }))
	add("progressive-ac-before-dc", patched(prog, func(b []byte) { b[psos+7], b[psos+8] = 1, 5 }))
	add("progressive-ss-over-se", patched(prog, func(b []byte) { b[psos2+7], b[psos2+8] = 5, 3 }))
	add("cmyk-truncated", cmyk[:len(cmyk)/2])

	arith := readTestFile(tb, "arith-17x9-420.jpg")
	asof := findSegment(tb, arith, 0xc9).at
	asos := findSegment(tb, arith, 0xda)
	aprog := readTestFile(tb, "arith-1x1-gray-prog.jpg")
	add("arith-huge", patched(arith, func(b []byte) { copy(b[asof+5:], []byte{0xff, 0xff, 0xff, 0xff}) }))
	add("arith-scan-corrupt", patched(arith, func(b []byte) { copy(b[asos.end+10:], []byte{0xff, 0x00, 0x13, 0xff, 0xd3}) }))
	add("arith-progressive-refine-first", patched(aprog, func(b []byte) { b[nthSegment(tb, b, 0xda, 0).at+9] = 0x10 }))
	fine := readTestFile(tb, "fine-17x9-11-22-prog.jpg")
	add("fine-chroma-truncated", fine[:len(fine)*2/3])
	return seeds
}

// TestFuzzCorpus checks that testdata/fuzz/FuzzDecodeGray holds the seeds
// of fuzzSeeds, within the size limits, and rewrites them with -genseeds:
//
//	go test ./internal/jpegdec -run '^TestFuzzCorpus$' -genseeds
func TestFuzzCorpus(t *testing.T) {
	var seeds []fuzzcorpus.Seed
	for _, s := range fuzzSeeds(t) {
		seeds = append(seeds, fuzzcorpus.Seed{Name: s.name, Args: []any{s.data}})
	}
	fuzzcorpus.Sync(t, "FuzzDecodeGray", seeds, *genSeeds)
}

// FuzzDecodeGray checks that DecodeGray never panics, that what it decodes
// has the size DecodeConfig reads (and image/jpeg too, when it decodes the
// file), that with MaxPixels 1<<20 a larger header gives ErrTooLarge and
// no large allocation happens, and, with AVX2, that the pure-Go paths give
// the same result. The seeds are the files of testdata, small
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
		if simd.AVX2 {
			// The pure-Go transforms give the same pixels as the vector
			// ones, whatever the coefficients.
			simd.AVX2 = false
			g, gerr := DecodeGray(data, &Options{MaxPixels: limit, Scale: scale})
			simd.AVX2 = true
			if fmt.Sprint(err) != fmt.Sprint(gerr) || err == nil && !bytes.Equal(m.Pix, g.Pix) {
				t.Fatalf("DecodeGray gives other pixels or errors with AVX2 (%v) than without (%v)", err, gerr)
			}
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
