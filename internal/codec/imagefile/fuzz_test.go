package imagefile

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
)

var (
	update   = flag.Bool("update", false, "rewrite the fuzz seeds in testdata/fuzz/FuzzScan")
	genSeeds = flag.Bool("genseeds", false, "the same as -update, as in the other packages")
)

// seedDir holds the FuzzScan seed corpus, in the go test fuzz v1 format.
var seedDir = filepath.Join("testdata", "fuzz", "FuzzScan")

// Each FuzzScan corpus file is smaller than maxSeedFile bytes, a limit
// stricter than fuzzcorpus.MaxFileSize.
const maxSeedFile = 4096

// seedFiles are the test files written to seedDir, one per kind of
// structure.
var seedFiles = []string{
	"jpeg/exif-thumbnail", "jpeg/restart-markers", "jpeg/fill-bytes", "jpeg/progressive",
	"png/paletted", "gif/two-frames", "bmp/24-bit", "bmp/no-sizes-top-down", "bmp/core-header",
	"tiff/deflate", "tiff/big-endian-strips-tiles", "tiff/sub-ifds-exif", "webp/odd",
}

// A scanSeed is one file of the seed corpus.
type scanSeed struct {
	name     string
	data     []byte
	complete bool // one of seedFiles, whose end Scan must find
}

// scanSeeds returns the seed corpus: the files named in seedFiles, and
// broken files of each format: cut short, with a flipped signature byte,
// or with absurd lengths and offsets.
func scanSeeds(tb testing.TB) []scanSeed {
	tb.Helper()
	files := map[string][]byte{}
	for _, f := range testFiles(tb) {
		files[f.name] = f.data
	}
	var seeds []scanSeed
	for _, name := range seedFiles {
		data, ok := files[name]
		if !ok {
			tb.Fatalf("seed %s: no such test file", name)
		}
		seeds = append(seeds, scanSeed{seedName(name), data, true})
	}
	add := func(name string, data []byte) { seeds = append(seeds, scanSeed{name, data, false}) }
	half := func(name string) []byte { return files[name][:len(files[name])/2] }
	patch := func(name string, off int, p ...byte) []byte {
		b := append([]byte(nil), files[name]...)
		copy(b[off:], p)
		return b
	}
	thumb := files["jpeg/exif-thumbnail"]
	jpegHead := cat([]byte{0xff, 0xd8}, segment(0xdb, tricky(65)))
	ihdr := pngChunk("IHDR", make([]byte, 13))

	add("jpeg-thumbnail-truncated", thumb[:len(thumb)/3])
	add("jpeg-bad-signature", []byte("\xff\xd8\x00"))
	add("jpeg-segment-past-end", cat(jpegHead, []byte{0xff, 0xc4, 0xff, 0xff}))
	add("png-paletted-truncated", half("png/paletted"))
	add("png-bad-signature", patch("png/paletted", 6, 0x1b))
	add("png-huge-chunk", cat([]byte(pngSig), ihdr, []byte("\x80\x00\x00\x00IDAT")))
	add("gif-two-frames-truncated", half("gif/two-frames"))
	add("gif-bad-block", cat([]byte(gifHead), []byte{0x21, 0xf9, 4, 0, 0, 0, 0, 0, 0x99}))
	add("bmp-24-bit-truncated", half("bmp/24-bit"))
	add("bmp-huge-file-size", patch("bmp/24-bit", 2, 0xff, 0xff, 0xff, 0x7f))
	add("bmp-rle-without-sizes", bmpHead(0, 54, 40, 1))
	add("tiff-deflate-truncated", half("tiff/deflate"))
	add("tiff-huge-ifd-offset", tiffHead(0xfffffff0))
	add("tiff-ifd-loop", cat(tiffHead(8), emptyIFD(14), emptyIFD(8)))
	add("tiff-too-many-entries", cat(tiffHead(8), []byte{0x01, 0x10}))
	add("webp-huge-riff-size", patch("webp/odd", 4, 0xff, 0xff, 0xff, 0xff))
	add("webp-riff-size-3", []byte("RIFF\x03\x00\x00\x00WEBP"))
	return seeds
}

// seedName returns the corpus file name for a test file.
func seedName(name string) string {
	return strings.ReplaceAll(name, "/", "-")
}

// readSeed parses a corpus file written by TestFuzzSeeds.
func readSeed(tb testing.TB, path string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if len(raw) >= maxSeedFile {
		tb.Errorf("%s: %d bytes, want under %d", path, len(raw), maxSeedFile)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 3 || lines[0] != "go test fuzz v1" {
		tb.Fatalf("%s: not a FuzzScan corpus file", path)
	}
	q, ok := strings.CutPrefix(lines[1], "[]byte(")
	q, ok2 := strings.CutSuffix(q, ")")
	data, err := strconv.Unquote(q)
	if !ok || !ok2 || err != nil {
		tb.Fatalf("%s: bad []byte line", path)
	}
	return []byte(data)
}

// TestFuzzSeeds checks that the seed corpus holds the seeds of scanSeeds,
// each file under maxSeedFile bytes, and the files of seedFiles complete,
// and rewrites it with -genseeds or -update:
//
//	go test ./internal/imagefile -run '^TestFuzzSeeds$' -genseeds
//
// Files named found-*, inputs the fuzzer found, are kept.
func TestFuzzSeeds(t *testing.T) {
	seeds := scanSeeds(t)
	corpus := make([]fuzzcorpus.Seed, len(seeds))
	for i, s := range seeds {
		corpus[i] = fuzzcorpus.Seed{Name: s.name, Args: []any{s.data, uint64(i)}}
	}
	fuzzcorpus.Sync(t, "FuzzScan", corpus, *update || *genSeeds)
	for _, s := range seeds {
		t.Run(s.name, func(t *testing.T) {
			data := readSeed(t, filepath.Join(seedDir, s.name))
			if !s.complete {
				return
			}
			var sc Scanner
			if n, err := sc.Scan(data); n != len(data) || err != nil {
				t.Errorf("Scan(seed %s) = %d, %v, want %d, nil", s.name, n, err, len(data))
			}
		})
	}
}

// scanChunks feeds data to a new Scanner in chunks whose sizes come from
// seed (1-byte chunks when seed is 0) and returns the result once the file is
// complete or rejected, or after all of data.
func scanChunks(data []byte, seed uint64) (int, error) {
	r := rand.New(rand.NewPCG(seed, seed>>32))
	var s Scanner
	k := 0
	for {
		n, err := s.Scan(data[:k])
		if err != nil || n < 0 {
			return n, err
		}
		if n > 0 && n <= k || k == len(data) {
			// Later calls return the same, whatever b holds.
			if n2, err2 := s.Scan(data); n2 != n || err2 != nil {
				return -1, fmt.Errorf("second Scan = %d, %v after %d", n2, err2, n)
			}
			return n, nil
		}
		step := 1
		if seed != 0 {
			step = 1 + r.IntN(1<<r.IntN(12))
		}
		k = min(len(data), k+step)
	}
}

func FuzzScan(f *testing.F) {
	for i, tf := range testFiles(f) {
		if len(tf.data) < 4096 {
			f.Add(tf.data, uint64(i))
			f.Add(append(tf.data[:len(tf.data):len(tf.data)], trailer...), uint64(i+100))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		var s Scanner
		n, err := s.Scan(data)
		if n < 0 || err != nil && n != 0 {
			t.Fatalf("Scan = %d, %v", n, err)
		}
		if err != nil && (!strings.HasPrefix(err.Error(), "imagefile: ") || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("Scan error %q is not one line prefixed imagefile:", err)
		}
		if len(data) >= 2 {
			if f := Sniff(data[:2]); s.Format() != f {
				t.Fatalf("Format() = %q, Sniff of the first 2 bytes = %q", s.Format(), f)
			}
			if Sniff(data[:2]) == "" && err == nil {
				t.Fatalf("Scan accepted bytes that Sniff rejects")
			}
		}
		if err == nil && n > 0 && n <= len(data) {
			// A complete file is complete on its own, with nothing after it.
			var exact Scanner
			if n2, err2 := exact.Scan(data[:n]); n2 != n || err2 != nil {
				t.Fatalf("Scan(data) = %d, but Scan(data[:%d]) = %d, %v", n, n, n2, err2)
			}
		}
		// A caller that breaks the contract gets meaningless results, but no
		// panic.
		var misused Scanner
		for _, b := range [][]byte{data[:len(data)/2], data[len(data)/3:], data[:len(data)/4], data} {
			_, _ = misused.Scan(b)
		}
		for _, sd := range []uint64{0, seed | 1} {
			n2, err2 := scanChunks(data, sd)
			if n2 != n || fmt.Sprint(err2) != fmt.Sprint(err) {
				t.Fatalf("in chunks (seed %d): Scan = %d, %v; all at once: %d, %v", sd, n2, err2, n, err)
			}
		}
	})
}

func TestScanChunksHelper(t *testing.T) {
	// scanChunks must see a truncated file as incomplete and a full one as
	// complete, or FuzzScan compares nothing.
	data := webp(7)
	for _, seed := range []uint64{0, 1, 2} {
		if n, err := scanChunks(data, seed); n != len(data) || err != nil {
			t.Errorf("scanChunks(webp, %d) = %d, %v, want %d, nil", seed, n, err, len(data))
		}
		if n, err := scanChunks(bytes.Repeat([]byte{'x'}, 9), seed); n != 0 || err == nil {
			t.Errorf("scanChunks(xxx, %d) = %d, %v, want an error", seed, n, err)
		}
	}
}
