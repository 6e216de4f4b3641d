package jpegenc

import (
	"flag"
	"math"
	"testing"

	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
)

var genSeeds = flag.Bool("genseeds", false, "rewrite the seed corpus in testdata/fuzz/FuzzEncodeGray")

// An encodeSeed holds the arguments of FuzzEncodeGray: the geometry of an
// image, consistent or not, a quality, how many bytes Pix lacks, and the
// bytes its pixels repeat.
type encodeSeed struct {
	name         string
	w, h, stride uint16
	minX, minY   int16
	quality, cut int
	pixels       []byte
}

// encodeSeeds are sizes around the 8×8 block, sub-images, strides that
// pad rows or do not cover them, Pix cut short, qualities at and past the
// limits, and pixels flat, extreme or noisy.
var encodeSeeds = []encodeSeed{
	{"1x1", 1, 1, 1, 0, 0, 75, 0, []byte{128}},
	{"8x8", 8, 8, 8, 0, 0, 90, 0, []byte{0, 255}},
	{"16x16-flat", 16, 16, 16, 0, 0, 50, 0, []byte{77}},
	{"17x9", 17, 9, 17, 0, 0, 80, 0, []byte("ramp\x00\x10\x20\x30\x40")},
	{"wide", 299, 1, 299, 0, 0, 80, 0, []byte{1, 2, 3, 250}},
	{"tall", 1, 299, 1, 0, 0, 80, 0, []byte{9, 200}},
	{"largest", 299, 299, 299, 0, 0, 85, 0, []byte("\x00\xff\x7f\x80\x01\xfe noise \x13\x37")},
	{"padded-stride", 9, 7, 40, 0, 0, 70, 0, []byte{33, 66, 99}},
	{"sub-image", 12, 10, 20, -3, 5, 95, 0, []byte("seed")},
	{"negative-origin", 8, 8, 8, -32768, -32768, 60, 0, []byte{5}},
	{"positive-origin", 8, 8, 8, 32767, 32767, 60, 0, []byte{6}},
	{"stride-short", 16, 4, 8, 0, 0, 80, 0, []byte{1}},
	{"stride-0", 5, 5, 0, 0, 0, 80, 0, []byte{2}},
	{"pix-1-short", 10, 10, 10, 0, 0, 80, 1, []byte{3}},
	{"pix-63-short", 64, 40, 64, 0, 0, 80, 63, []byte{4}},
	{"width-0", 0, 8, 8, 0, 0, 80, 0, []byte{7}},
	{"height-0", 8, 0, 8, 0, 0, 80, 0, []byte{7}},
	{"quality-0", 8, 8, 8, 0, 0, 0, 0, []byte{8}},
	{"quality-1", 24, 16, 24, 0, 0, 1, 0, []byte{0, 255, 0, 255}},
	{"quality-100", 24, 16, 24, 0, 0, 100, 0, []byte{0, 255, 17}},
	{"quality-101", 8, 8, 8, 0, 0, 101, 0, []byte{9}},
	{"quality-negative", 8, 8, 8, 0, 0, math.MinInt32, 0, []byte{10}},
	{"no-pixels", 70, 3, 60, 0, 0, 100, 3, nil},
	{"black", 33, 33, 33, 0, 0, 100, 0, []byte{0, 249}},
	{"white", 33, 33, 33, 0, 0, 100, 0, []byte{255, 249}},
}

// TestFuzzCorpus checks that testdata/fuzz/FuzzEncodeGray holds
// encodeSeeds, within the size limits of package fuzzcorpus, and rewrites
// it with -genseeds:
//
//	go test ./internal/jpegenc -run '^TestFuzzCorpus$' -genseeds
func TestFuzzCorpus(t *testing.T) {
	var seeds []fuzzcorpus.Seed
	for _, s := range encodeSeeds {
		seeds = append(seeds, fuzzcorpus.Seed{
			Name: s.name,
			Args: []any{s.w, s.h, s.stride, s.minX, s.minY, s.quality, s.cut, s.pixels},
		})
	}
	fuzzcorpus.Sync(t, "FuzzEncodeGray", seeds, *genSeeds)
}
