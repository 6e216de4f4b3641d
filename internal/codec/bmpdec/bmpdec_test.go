package bmpdec_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/codec/bmpdec"
)

// testFiles returns the names of the BMP files of testdata, which gen.py
// made.
func testFiles(tb testing.TB) []string {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.bmp"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(names) < 50 {
		tb.Fatalf("testdata holds %d BMP files, want the 50 and more of gen.py", len(names))
	}
	return names
}

// readFile returns the contents of a file of testdata.
func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// readPGM reads a binary PGM of 8-bit samples, as gen.py writes them.
func readPGM(tb testing.TB, name string) *image.Gray {
	tb.Helper()
	data := readFile(tb, name)
	var w, h, maxv int
	n, err := fmt.Sscanf(string(data), "P5\n%d %d\n%d", &w, &h, &maxv)
	if err != nil || n != 3 || maxv != 255 {
		tb.Fatalf("%s: not a PGM of 8-bit samples: %v", name, err)
	}
	pix := data[len(data)-w*h:]
	return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// maxDiff returns the largest difference between two gray images of the
// same size, and where it is.
func maxDiff(a, b *image.Gray) (d int, at image.Point) {
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			v := int(a.Pix[y*a.Stride+x]) - int(b.Pix[y*b.Stride+x])
			if v < 0 {
				v = -v
			}
			if v > d {
				d, at = v, image.Pt(x, y)
			}
		}
	}
	return d, at
}

// TestPillow decodes every file of testdata and compares its gray with the
// one Pillow 9.4 gives, as gen.py recorded it: within 2 levels, and in
// fact exactly.
func TestPillow(t *testing.T) {
	for _, name := range testFiles(t) {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "unsupported-") {
			continue
		}
		t.Run(base, func(t *testing.T) {
			data := readFile(t, name)
			want := readPGM(t, strings.TrimSuffix(name, ".bmp")+".pgm")
			got, err := bmpdec.DecodeGray(data, nil)
			if err != nil {
				t.Fatalf("DecodeGray: %v", err)
			}
			if got.Rect != want.Rect || got.Stride != want.Rect.Dx() || len(got.Pix) != len(want.Pix) {
				t.Fatalf("DecodeGray gave %v, stride %d, %d pixels; Pillow %v", got.Rect, got.Stride, len(got.Pix), want.Rect)
			}
			// The decoder follows Pillow's arithmetic: any difference
			// is a fault, though the contract allows 2 levels.
			if d, at := maxDiff(got, want); d != 0 {
				t.Errorf("DecodeGray differs from Pillow by up to %d, at %v: %d, Pillow %d", d, at, got.GrayAt(at.X, at.Y).Y, want.GrayAt(at.X, at.Y).Y)
			}
			cfg, err := bmpdec.DecodeConfig(data)
			if err != nil || cfg.Width != want.Rect.Dx() || cfg.Height != want.Rect.Dy() {
				t.Errorf("DecodeConfig = %+v, %v; want %v", cfg, err, want.Rect.Size())
			}
			if m := cfg.Memory(); m < int64(len(got.Pix)) || m > int64(len(got.Pix))+68<<10 {
				t.Errorf("Config.Memory() = %d for a %v image", m, want.Rect.Size())
			}
		})
	}
}

// TestUnsupported checks that the files of features this package does not
// implement are refused with an error that names them.
func TestUnsupported(t *testing.T) {
	for name, want := range map[string]string{
		"unsupported-jpeg.bmp":        "bmpdec: embedded JPEG is not supported",
		"unsupported-png.bmp":         "bmpdec: embedded PNG is not supported",
		"unsupported-os2-rle24.bmp":   "bmpdec: OS/2 RLE24 compression is not supported",
		"unsupported-os2-huffman.bmp": "bmpdec: OS/2 Huffman 1D compression is not supported",
	} {
		data := readFile(t, filepath.Join("testdata", name))
		_, err := bmpdec.DecodeGray(data, nil)
		if !errors.Is(err, bmpdec.ErrUnsupported) || err.Error() != want {
			t.Errorf("DecodeGray(%s) = %v, want %q matching ErrUnsupported", name, err, want)
		}
		if _, err := bmpdec.DecodeConfig(data); !errors.Is(err, bmpdec.ErrUnsupported) {
			t.Errorf("DecodeConfig(%s) = %v, want ErrUnsupported", name, err)
		}
	}
}

// TestTruncated cuts every file of testdata at every length: each part
// must give an error wrapping io.ErrUnexpectedEOF, unless only what no
// pixel needs was cut (the padding of the last row, what follows the end
// of an RLE bitmap), when it must decode to the same gray as the whole.
func TestTruncated(t *testing.T) {
	for _, name := range testFiles(t) {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "unsupported-") {
			continue
		}
		data := readFile(t, name)
		whole, err := bmpdec.DecodeGray(data, nil)
		if err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		for n := range len(data) {
			got, err := bmpdec.DecodeGray(data[:n], nil)
			switch {
			case err == nil && n < len(data)-8:
				// No file here ends in more than 8 bytes that no
				// pixel needs: ImageMagick's RLE has a run past the
				// end of the last row, an end of line and an end of
				// bitmap.
				t.Errorf("%s cut to %d of %d bytes decodes", base, n, len(data))
			case err == nil:
				if !bytes.Equal(got.Pix, whole.Pix) {
					t.Errorf("%s cut to %d bytes decodes to other pixels than the whole", base, n)
				}
			case !errors.Is(err, io.ErrUnexpectedEOF):
				t.Errorf("%s cut to %d bytes: %v, want an error wrapping io.ErrUnexpectedEOF", base, n, err)
			}
		}
	}
}
