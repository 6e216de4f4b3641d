package webpdec

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A testFile is a file of testdata.
type testFile struct {
	name string
	data []byte
}

// testFiles returns the WebP files of testdata, which gen.sh made.
func testFiles(tb testing.TB) []testFile {
	tb.Helper()
	names, err := filepath.Glob("testdata/*.webp")
	if err != nil || len(names) < 30 {
		tb.Fatalf("testdata/*.webp: %d files, %v; want the files gen.sh makes", len(names), err)
	}
	var files []testFile
	for _, n := range names {
		files = append(files, testFile{filepath.Base(n), readTestFile(tb, filepath.Base(n))})
	}
	return files
}

// readTestFile returns the contents of testdata/name.
func readTestFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// readPGM parses a binary PGM of 8-bit samples, as gen.sh writes them.
func readPGM(tb testing.TB, name string) *image.Gray {
	tb.Helper()
	b := readTestFile(tb, name)
	var w, h, maxv int
	n, err := fmt.Sscanf(string(b), "P5\n%d %d\n%d\n", &w, &h, &maxv)
	if err != nil || n != 3 || maxv != 255 {
		tb.Fatalf("%s: not an 8-bit binary PGM: %v", name, err)
	}
	hdr := fmt.Sprintf("P5\n%d %d\n255\n", w, h)
	if !strings.HasPrefix(string(b), hdr) || len(b) != len(hdr)+w*h {
		tb.Fatalf("%s: %d bytes, want a %q header and %d samples", name, len(b), hdr, w*h)
	}
	return &image.Gray{Pix: b[len(hdr):], Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// TestPillow compares DecodeGray of every file of testdata with the gray
// that Pillow gives for it (gen.sh's PGM files): no pixel may differ by
// more than 2 levels. It also checks how many do differ, so that a loss
// of exactness is seen even within the tolerance.
func TestPillow(t *testing.T) {
	for _, tf := range testFiles(t) {
		t.Run(tf.name, func(t *testing.T) {
			want := readPGM(t, strings.TrimSuffix(tf.name, ".webp")+".pgm")
			got, err := DecodeGray(tf.data, nil)
			if err != nil {
				t.Fatalf("DecodeGray: %v", err)
			}
			if got.Rect != want.Rect || got.Stride != want.Rect.Dx() || len(got.Pix) != len(want.Pix) {
				t.Fatalf("DecodeGray = %v stride %d, %d bytes; Pillow's is %v", got.Rect, got.Stride, len(got.Pix), want.Rect)
			}
			worst, off := 0, 0
			for i := range want.Pix {
				d := int(got.Pix[i]) - int(want.Pix[i])
				d = max(d, -d)
				worst = max(worst, d)
				if d != 0 {
					off++
				}
			}
			if worst > 2 {
				t.Errorf("DecodeGray differs from Pillow by up to %d levels (%d of %d pixels differ)", worst, off, len(want.Pix))
			}
			if off != 0 {
				t.Errorf("DecodeGray differs from Pillow in %d of %d pixels, by up to %d levels; it was exact", off, len(want.Pix), worst)
			}
			cfg, err := DecodeConfig(tf.data)
			if err != nil || cfg.Width != want.Rect.Dx() || cfg.Height != want.Rect.Dy() {
				t.Errorf("DecodeConfig = %+v, %v; want %v", cfg, err, want.Rect.Size())
			}
			if bytes.Equal(got.Pix, tf.data[:min(len(tf.data), len(got.Pix))]) && len(got.Pix) > 16 {
				t.Errorf("DecodeGray returned the file's bytes")
			}
		})
	}
}
