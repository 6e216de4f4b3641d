package scaler_test

import (
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
	"github.com/escala-img/escala/scaler"
)

// exifSeedNames are the samples of exif_test.go that seed
// FuzzExifOrientation: each container and byte order, and each way of
// breaking one.
var exifSeedNames = []string{
	"jpeg/II/8", "jpeg/MM/6", "png/II/3", "png/MM/6", "webp/MM/5", "webp-exif-prefix/II/7",
	"tiff/II/2", "tiff-struct/MM/6",

	"jpeg/first-exif-without-orientation", "jpeg/app1-after-sos", "jpeg/app1-length-past-end",
	"jpeg/app1-length-1", "jpeg/stuffed-zero", "jpeg/MM/type-LONG", "jpeg/II/value-0x601",
	"png/bad-crc", "png/huge-chunk-first", "png/chunk-length-past-end", "png/exif-after-idat",
	"webp/exif-past-riff-size", "webp/exif-size-past-end", "webp/huge-vp8x",
	"tiff/MM/huge-count", "tiff/II/ifd-past-end", "tiff/II/ifd-at-last-byte", "tiff/bigtiff",
	"tiff/mixed-order",
}

// exifSeeds returns the seed corpus of FuzzExifOrientation, and two
// samples cut one byte short of the block that holds the orientation.
func exifSeeds(tb testing.TB) []fuzzcorpus.Seed {
	byName := map[string]exifSample{}
	for _, s := range append(exifSamples(tb), exifNegatives(tb)...) {
		byName[s.name] = s
	}
	var seeds []fuzzcorpus.Seed
	add := func(name string, data []byte) {
		seeds = append(seeds, fuzzcorpus.Seed{Name: strings.ReplaceAll(name, "/", "-"), Args: []any{data}})
	}
	for _, name := range exifSeedNames {
		s, ok := byName[name]
		if !ok {
			tb.Fatalf("no EXIF sample %s", name)
		}
		add(name, s.data)
	}
	for _, name := range []string{"jpeg/MM/6", "webp/II/3"} {
		s := byName[name]
		add(name+"-cut", s.data[:s.need-1])
	}
	return seeds
}

func TestFuzzCorpusExif(t *testing.T) {
	fuzzcorpus.Sync(t, "FuzzExifOrientation", exifSeeds(t), *scaler.GenSeeds)
}
