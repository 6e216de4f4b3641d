package scaler_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/escala-img/escala/scaler"
)

// The decoders' test files, written by libjpeg-turbo, ImageMagick, Pillow
// and libwebp, with the references their scripts recorded: djpeg's
// grayscale decode as SHA-256 hashes for JPEG, and Pillow's gray (alpha
// composited onto white, 16-bit samples scaled to 8 bits) as PGM files
// beside the others. These tests check them through DecodeGray and Decode,
// as a user calls them; the decoders' own tests check the details.
const codecs = "../internal/codec"

// TestDecodeGrayMatchesLibjpeg: every JPEG that djpeg -grayscale decodes,
// DecodeGray decodes to the same gray, bit for bit.
func TestDecodeGrayMatchesLibjpeg(t *testing.T) {
	dir := filepath.Join(codecs, "jpegdec", "testdata")
	hashes := readHashes(t, filepath.Join(dir, "djpeg-gray.sha256"))
	if len(hashes) < 50 {
		t.Fatalf("%d djpeg references, want the whole suite", len(hashes))
	}
	for name, want := range hashes {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			g, err := scaler.DecodeGray(bytes.NewReader(data), nil)
			if err != nil {
				t.Fatalf("DecodeGray: %v", err)
			}
			if got := pgmHash(g); got != want {
				t.Errorf("DecodeGray(%s): PGM hash %s, djpeg's %s", name, got, want)
			}
		})
	}
}

// TestDecodeGrayMatchesPillow: every BMP, TIFF and WebP file that Pillow
// decodes, DecodeGray decodes to within two levels of Pillow's gray; Decode
// gives an image of the same size, and the files named unsupported-* give
// an error that says what is not supported.
func TestDecodeGrayMatchesPillow(t *testing.T) {
	n := 0
	for _, c := range []struct{ pkg, ext string }{{"bmpdec", "bmp"}, {"tiffdec", "tif"}, {"webpdec", "webp"}} {
		paths, err := filepath.Glob(filepath.Join(codecs, c.pkg, "testdata", "*."+c.ext))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			name := c.pkg + "/" + filepath.Base(p)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			ref := strings.TrimSuffix(p, "."+c.ext) + ".pgm"
			if strings.HasPrefix(filepath.Base(p), "unsupported-") {
				t.Run(name, func(t *testing.T) {
					_, err := scaler.DecodeGray(bytes.NewReader(data), nil)
					if !errors.Is(err, scaler.ErrInvalid) || !strings.Contains(err.Error(), "not supported") {
						t.Errorf("DecodeGray(%s) = %v, want an invalid-image error that says what is not supported", name, err)
					}
				})
				continue
			}
			want, err := os.ReadFile(ref)
			if errors.Is(err, os.ErrNotExist) {
				continue // a file that Pillow refuses too
			} else if err != nil {
				t.Fatal(err)
			}
			n++
			t.Run(name, func(t *testing.T) {
				g, err := scaler.DecodeGray(bytes.NewReader(data), nil)
				if err != nil {
					t.Fatalf("DecodeGray: %v", err)
				}
				if d := maxDiff(t, g, parsePGM(t, want)); d > 2 {
					t.Errorf("DecodeGray(%s) differs from Pillow's gray by up to %d levels, want at most 2", name, d)
				}
				img, err := scaler.Decode(bytes.NewReader(data), nil)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if img.Bounds().Size() != g.Rect.Size() {
					t.Errorf("Decode(%s) is %v, DecodeGray %v", name, img.Bounds().Size(), g.Rect.Size())
				}
			})
		}
	}
	if n < 100 {
		t.Fatalf("%d files with Pillow references, want the whole suite", n)
	}
}

func readHashes(tb testing.TB, path string) map[string]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		hash, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			tb.Fatalf("bad line %q in %s", sc.Text(), path)
		}
		m[name] = hash
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return m
}

// pgmHash returns the SHA-256 of g written as a binary PGM, as djpeg
// writes it.
func pgmHash(g *image.Gray) string {
	h := sha256.New()
	w, ht := g.Rect.Dx(), g.Rect.Dy()
	fmt.Fprintf(h, "P5\n%d %d\n255\n", w, ht)
	for y := range ht {
		h.Write(g.Pix[y*g.Stride:][:w])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// parsePGM reads a binary 8-bit PGM: "P5", width, height and 255, each
// followed by one whitespace byte, comments allowed before each number.
func parsePGM(tb testing.TB, data []byte) *image.Gray {
	tb.Helper()
	var fields []int
	rest := data
	if !bytes.HasPrefix(rest, []byte("P5")) {
		tb.Fatal("not a binary PGM")
	}
	rest = rest[2:]
	for len(fields) < 3 {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) > 0 && rest[0] == '#' {
			if i := bytes.IndexByte(rest, '\n'); i >= 0 {
				rest = rest[i+1:]
				continue
			}
		}
		i := bytes.IndexAny(rest, " \t\r\n")
		if i < 0 {
			tb.Fatal("short PGM header")
		}
		var v int
		if _, err := fmt.Sscan(string(rest[:i]), &v); err != nil {
			tb.Fatalf("PGM header: %v", err)
		}
		fields = append(fields, v)
		rest = rest[i+1:]
	}
	w, h := fields[0], fields[1]
	if fields[2] != 255 || len(rest) != w*h {
		tb.Fatalf("PGM %dx%d of maxval %d with %d bytes of pixels", w, h, fields[2], len(rest))
	}
	return &image.Gray{Pix: rest, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// maxDiff returns the largest difference between two gray images of the
// same size.
func maxDiff(tb testing.TB, a, b *image.Gray) int {
	tb.Helper()
	if a.Rect.Size() != b.Rect.Size() {
		tb.Fatalf("sizes %v and %v", a.Rect.Size(), b.Rect.Size())
	}
	d := 0
	for y := range a.Rect.Dy() {
		ra, rb := a.Pix[y*a.Stride:][:a.Rect.Dx()], b.Pix[y*b.Stride:][:b.Rect.Dx()]
		for x := range ra {
			d = max(d, abs(int(ra[x])-int(rb[x])))
		}
	}
	return d
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
