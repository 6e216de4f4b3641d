package tiffdec

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

// testFile is a file of testdata.
type testFile struct {
	name string
	data []byte
}

// testFiles returns the TIFF files of testdata.
func testFiles(tb testing.TB) []testFile {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.tif"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no TIFF files in testdata: %v", err)
	}
	var files []testFile
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, testFile{filepath.Base(n), data})
	}
	return files
}

// readPGM reads a binary 8-bit PGM file.
func readPGM(tb testing.TB, path string) *image.Gray {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	// "P5\n<w> <h>\n255\n" then the samples.
	f := strings.Fields(string(data[:min(len(data), 32)]))
	if len(f) < 4 || f[0] != "P5" || f[3] != "255" {
		tb.Fatalf("%s: not an 8-bit binary PGM", path)
	}
	w, _ := strconv.Atoi(f[1])
	h, _ := strconv.Atoi(f[2])
	head := len(fmt.Sprintf("P5\n%d %d\n255\n", w, h))
	if len(data) != head+w*h {
		tb.Fatalf("%s: %d bytes for %dx%d", path, len(data), w, h)
	}
	return &image.Gray{Pix: data[head:], Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// maxDiff returns the largest difference between two gray images of the
// same size, and where it is.
func maxDiff(a, b *image.Gray) (int, image.Point) {
	most, at := 0, image.Point{}
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			d := int(a.Pix[y*a.Stride+x]) - int(b.Pix[y*b.Stride+x])
			if d < 0 {
				d = -d
			}
			if d > most {
				most, at = d, image.Pt(x, y)
			}
		}
	}
	return most, at
}

// TestPillow compares the gray of every file of testdata with Pillow's,
// recorded by testdata/gen.py.
func TestPillow(t *testing.T) {
	for _, tf := range testFiles(t) {
		t.Run(tf.name, func(t *testing.T) {
			want := readPGM(t, filepath.Join("testdata", strings.TrimSuffix(tf.name, ".tif")+".pgm"))
			got, err := DecodeGray(tf.data, nil)
			if err != nil {
				t.Fatalf("DecodeGray: %v", err)
			}
			if got.Rect != want.Rect || got.Stride != want.Rect.Dx() {
				t.Fatalf("DecodeGray gave %v (stride %d), Pillow %v", got.Rect, got.Stride, want.Rect)
			}
			if d, at := maxDiff(got, want); d > 2 {
				t.Errorf("DecodeGray differs from Pillow by %d at %v: %d, want %d", d, at, got.GrayAt(at.X, at.Y).Y, want.GrayAt(at.X, at.Y).Y)
			}
			cfg, err := DecodeConfig(tf.data)
			if err != nil {
				t.Fatalf("DecodeConfig: %v", err)
			}
			if cfg.Width != got.Rect.Dx() || cfg.Height != got.Rect.Dy() {
				t.Errorf("DecodeConfig says %dx%d, DecodeGray gave %v", cfg.Width, cfg.Height, got.Rect)
			}
			// What DecodeGray allocates in all bounds what it holds at
			// its peak.
			if n := allocated(func() { _, err = DecodeGray(tf.data, nil) }); err != nil || n > uint64(cfg.Memory()) {
				t.Errorf("DecodeGray allocated %d bytes (%v), Memory() = %d", n, err, cfg.Memory())
			}
		})
	}
}

// grayOf returns the gray of img as package scaler's Grayscale computes it
// for what the standard decoders return: the luma of each colour's 8-bit
// RGB, composited onto white through its premultiplied 16-bit RGBA.
func grayOf(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var v uint8
			switch c := img.At(x, y).(type) {
			case color.Gray16:
				v = uint8(c.Y >> 8)
			case color.NRGBA:
				a := uint32(c.A)
				v = luma(overWhite(uint32(c.R), a), overWhite(uint32(c.G), a), overWhite(uint32(c.B), a))
			default:
				r, gg, bb, a := c.RGBA()
				white := 0xffff - a
				v = luma((r+white)>>8, (gg+white)>>8, (bb+white)>>8)
			}
			g.Pix[(y-b.Min.Y)*g.Stride+x-b.Min.X] = v
		}
	}
	return g
}

// TestXImage compares DecodeGray with the gray of what
// golang.org/x/image/tiff decodes, on the files that it decodes.
func TestXImage(t *testing.T) {
	decoded := 0
	for _, tf := range testFiles(t) {
		std, err := tiff.Decode(bytes.NewReader(tf.data))
		if err != nil {
			continue
		}
		if cfg, _ := DecodeConfig(tf.data); (cfg.Compression == cG3 || cfg.Compression == cG4) && cfg.Photometric == pBlackIsZero {
			// x/image/tiff makes a white run of a BlackIsZero fax image
			// 1, which displays white; libtiff makes every white run 0,
			// whatever the photometric interpretation, and so does
			// DecodeGray, as Pillow's references check.
			continue
		}
		decoded++
		got, err := DecodeGray(tf.data, nil)
		if err != nil {
			t.Errorf("%s: DecodeGray: %v; x/image/tiff decodes it", tf.name, err)
			continue
		}
		want := grayOf(std)
		if got.Rect != want.Rect {
			t.Errorf("%s: DecodeGray gave %v, x/image/tiff %v", tf.name, got.Rect, want.Rect)
			continue
		}
		if d, at := maxDiff(got, want); d > 2 {
			t.Errorf("%s: DecodeGray differs from x/image/tiff by %d at %v (%T)", tf.name, d, at, std)
		}
	}
	if decoded < 20 {
		t.Errorf("x/image/tiff decoded only %d files", decoded)
	}
}

// TestTruncated checks that a file cut short gives an error that wraps
// io.ErrUnexpectedEOF, or, when the cut takes only bytes that the decoder
// does not read (the next directory's offset, tags it ignores), the same
// gray as the whole file; never a panic.
func TestTruncated(t *testing.T) {
	for _, tf := range testFiles(t) {
		whole, err := DecodeGray(tf.data, nil)
		if err != nil {
			t.Fatalf("%s: %v", tf.name, err)
		}
		failed := 0
		for n := 0; n < len(tf.data); n += 1 + n/32 {
			got, err := DecodeGray(tf.data[:n], nil)
			switch {
			case err == nil && !bytes.Equal(got.Pix, whole.Pix):
				t.Errorf("%s cut to %d bytes: no error, and other pixels", tf.name, n)
			case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
				t.Errorf("%s cut to %d bytes: %v, want an error wrapping io.ErrUnexpectedEOF", tf.name, n, err)
			case err != nil:
				failed++
			}
		}
		if failed == 0 {
			t.Errorf("%s: no cut gave an error", tf.name)
		}
	}
}

// TestErrorsAreOneLine checks the form of the errors of broken files.
func TestErrorsAreOneLine(t *testing.T) {
	for _, tf := range testFiles(t) {
		for n := 0; n < len(tf.data); n += 7 {
			_, err := DecodeGray(tf.data[:n], nil)
			if err == nil {
				continue
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "tiffdec: ") {
				t.Fatalf("%s cut to %d: error %q is not one line prefixed tiffdec:", tf.name, n, msg)
			}
		}
	}
}
