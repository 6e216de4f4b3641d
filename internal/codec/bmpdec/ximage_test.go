// Package scaler, whose Grayscale these tests compare with, does not build
// for 386, where internal/codec/jpegenc's 1<<dcShift overflows an int.

//go:build !386

package bmpdec_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/escala-img/escala/internal/codec/bmpdec"
	"github.com/escala-img/escala/scaler"
)

// stdGray returns what scaler decodes the file to today: the gray that
// scaler.Grayscale gives of golang.org/x/image/bmp's image, or x/image's
// error. For 32-bit BI_RGB pixels under a header larger than 40 bytes,
// which x/image reads with alpha and Pillow as opaque, the alpha is made
// opaque first: DecodeGray follows Pillow there.
func stdGray(data []byte) (*image.Gray, error) {
	img, err := bmp.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if n, ok := img.(*image.NRGBA); ok && xBytesAsAlpha(data) {
		for i := 3; i < len(n.Pix); i += 4 {
			n.Pix[i] = 255
		}
	}
	return scaler.Grayscale(img), nil
}

// xBytesAsAlpha reports a file of 32-bit BI_RGB pixels under a header of
// more than 40 bytes, the one layout whose 4th byte x/image takes for
// alpha and Pillow for padding.
func xBytesAsAlpha(data []byte) bool {
	if len(data) < 34 {
		return false
	}
	size := binary.LittleEndian.Uint32(data[14:])
	bits := binary.LittleEndian.Uint16(data[28:])
	comp := binary.LittleEndian.Uint32(data[30:])
	return size > 40 && bits == 32 && comp == 0
}

// TestXImage checks that every file of testdata that golang.org/x/image/bmp
// decodes decodes to the gray scaler makes of x/image's image today,
// exactly.
func TestXImage(t *testing.T) {
	decoded := 0
	for _, name := range testFiles(t) {
		data := readFile(t, name)
		want, err := stdGray(data)
		if err != nil {
			continue
		}
		decoded++
		got, err := bmpdec.DecodeGray(data, nil)
		if err != nil {
			t.Errorf("%s: DecodeGray: %v; x/image decodes it", filepath.Base(name), err)
			continue
		}
		if got.Rect != want.Rect {
			t.Errorf("%s: DecodeGray gave %v, x/image %v", filepath.Base(name), got.Rect, want.Rect)
			continue
		}
		if d, at := maxDiff(got, want); d != 0 {
			t.Errorf("%s: DecodeGray differs from Grayscale(x/image) by up to %d, at %v", filepath.Base(name), d, at)
		}
	}
	// x/image reads BITMAPINFOHEADER, V4 and V5 headers of paletted, 24-bit
	// and 32-bit files.
	if decoded < 20 {
		t.Errorf("x/image decoded %d files of testdata, want 20 or more", decoded)
	}
}

// TestXImageAlpha checks the one difference from scaler's gray of
// x/image's image: the 4th byte of 32-bit BI_RGB pixels under a V5 header,
// which x/image takes for alpha, is padding, as Pillow reads it.
func TestXImageAlpha(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "v5-rgb32-xbytes.bmp"))
	img, err := bmp.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	got, err := bmpdec.DecodeGray(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := maxDiff(got, scaler.Grayscale(img)); d == 0 {
		t.Errorf("DecodeGray of v5-rgb32-xbytes.bmp equals Grayscale of x/image's image, which has alpha")
	}
	opaque, _ := stdGray(data)
	if d, at := maxDiff(got, opaque); d != 0 {
		t.Errorf("DecodeGray of v5-rgb32-xbytes.bmp differs from Grayscale of x/image's image made opaque by %d at %v", d, at)
	}
}
