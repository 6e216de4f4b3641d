package pngdec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/codec/pngdec"
	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
)

var genSeeds = flag.Bool("genseeds", false, "rewrite the seed corpus in testdata/fuzz/FuzzDecodeGray")

// fuzzSeeds returns the seed corpus of FuzzDecodeGray: small files of every
// colour type and bit depth, with tRNS, interlaced, in several IDAT
// chunks, and broken in each way the decoder checks for.
func fuzzSeeds(tb testing.TB) []fuzzcorpus.Seed {
	tb.Helper()
	var seeds []fuzzcorpus.Seed
	add := func(name string, data []byte) {
		seeds = append(seeds, fuzzcorpus.Seed{Name: name, Args: []any{data}})
	}
	build := func(f pngFile) []byte { return f.build(tb) }
	add("gray-1bit", build(pngFile{width: 17, height: 9, colorType: 0, depth: 1}))
	add("gray-2bit-adam7", build(pngFile{width: 17, height: 9, colorType: 0, depth: 2, interlaced: true}))
	add("gray-4bit-trns", build(pngFile{width: 17, height: 9, colorType: 0, depth: 4, trns: []byte{0, 5}}))
	add("gray-8bit-trns", build(pngFile{width: 17, height: 9, colorType: 0, depth: 8, trns: []byte{0, 255}}))
	add("gray-16bit-trns-adam7", build(pngFile{width: 9, height: 7, colorType: 0, depth: 16, interlaced: true, trns: []byte{255, 255}}))
	add("rgb-8bit-trns", build(pngFile{width: 17, height: 9, colorType: 2, depth: 8, trns: []byte{0, 255, 0, 255, 0, 255}}))
	add("rgb-16bit-adam7", build(pngFile{width: 9, height: 7, colorType: 2, depth: 16, interlaced: true}))
	add("paletted-1bit", build(pngFile{width: 17, height: 9, colorType: 3, depth: 1, plte: testPalette(2)}))
	add("paletted-4bit-trns-adam7", build(pngFile{width: 17, height: 9, colorType: 3, depth: 4, interlaced: true, plte: testPalette(11), trns: []byte{0, 100}}))
	add("paletted-8bit-trns", build(pngFile{width: 17, height: 9, colorType: 3, depth: 8, plte: testPalette(200), trns: []byte{0, 1, 2, 3}}))
	add("gray-alpha-8bit", build(pngFile{width: 17, height: 9, colorType: 4, depth: 8}))
	add("gray-alpha-16bit", build(pngFile{width: 9, height: 7, colorType: 4, depth: 16}))
	add("rgba-8bit-adam7", build(pngFile{width: 17, height: 9, colorType: 6, depth: 8, interlaced: true}))
	add("rgba-16bit", build(pngFile{width: 9, height: 7, colorType: 6, depth: 16}))
	add("rgba-paeth", build(pngFile{width: 23, height: 5, colorType: 6, depth: 8, filter: func(p, y int) byte { return 4 }}))
	add("idat-split", build(pngFile{width: 17, height: 9, colorType: 2, depth: 8, idat: []int{0, 30, 1, 0, 100}}))
	add("stdlib-nrgba", encodePNG(tb, testImage("nrgba", 13, 11)))

	good := zlibOf(tb, grayRows(4, 1))
	add("garbage-after-stream", streamFile(append(append([]byte(nil), good...), "garbage"...)))
	badFilter := grayRows(4, 3)
	badFilter[6] = 5
	add("bad-filter", streamFile(zlibOf(tb, badFilter)))
	add("too-many-rows", streamFile(zlibOf(tb, grayRows(5, 0))))
	rgb := build(pngFile{width: 17, height: 9, colorType: 2, depth: 8})
	add("truncated", rgb[:len(rgb)*2/3])
	badCRC := append([]byte(nil), rgb...)
	badCRC[len(badCRC)-20] ^= 1
	add("bad-idat-crc", badCRC)
	huge := append([]byte(nil), rgb...)
	binary.BigEndian.PutUint32(huge[16:], 1<<31-1)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	add("huge-header", huge)
	return seeds
}

// TestFuzzCorpus checks that testdata/fuzz/FuzzDecodeGray holds the seeds
// of fuzzSeeds, within the size limits, and rewrites them with -genseeds:
//
//	go test ./internal/codec/pngdec -run '^TestFuzzCorpus$' -genseeds
func TestFuzzCorpus(t *testing.T) {
	seeds := fuzzSeeds(t)
	for _, s := range seeds {
		t.Run(s.Name, func(t *testing.T) { checkDecode(t, s.Args[0].([]byte)) })
	}
	fuzzcorpus.Sync(t, "FuzzDecodeGray", seeds, *genSeeds)
}

// FuzzDecodeGray checks that DecodeGray never panics, that its errors are
// one line, that with MaxPixels 1<<20 a larger header gives ErrTooLarge
// and no large allocation happens, and that for a file whose header
// image/png reads within that limit it refuses what image/png refuses and
// decodes what image/png decodes to what Grayscale makes of it.
func FuzzDecodeGray(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.Args[0].([]byte))
	}
	f.Fuzz(checkDecode)
}

// checkDecode is FuzzDecodeGray's check of one input.
func checkDecode(t *testing.T, data []byte) {
	const limit = 1 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := pngdec.DecodeGray(data, &pngdec.Options{MaxPixels: limit})
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 18*limit+1<<20 {
		t.Fatalf("DecodeGray allocated %d bytes", n)
	}
	if err != nil {
		if got != nil {
			t.Fatalf("DecodeGray returned an image and %v", err)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "pngdec: ") {
			t.Fatalf("DecodeGray error %q is not one line starting pngdec:", msg)
		}
	}
	// image/png allocates the image its header describes: only headers
	// within the limit are decoded with it.
	cfg, cerr := png.DecodeConfig(bytes.NewReader(data))
	switch {
	case cerr != nil:
		if err == nil {
			t.Fatalf("DecodeGray succeeded; image/png's DecodeConfig: %v", cerr)
		}
		return
	case int64(cfg.Width)*int64(cfg.Height) > limit:
		if !errors.Is(err, pngdec.ErrTooLarge) {
			t.Fatalf("DecodeGray of a %dx%d image = %v, want ErrTooLarge", cfg.Width, cfg.Height, err)
		}
		return
	}
	want, stdErr := stdGray(data)
	switch {
	case err != nil && stdErr == nil:
		t.Fatalf("DecodeGray: %v; image/png decodes the file", err)
	case err == nil && stdErr != nil:
		t.Fatalf("DecodeGray decodes the file; image/png: %v", stdErr)
	case err == nil:
		if msg := diffGray(got, want); msg != "" {
			t.Fatalf("DecodeGray differs from Grayscale(png.Decode): %s", msg)
		}
	}
}
