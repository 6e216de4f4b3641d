package bmpdec_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/escala-img/escala/internal/codec/bmpdec"
)

// rleFile returns a w×h RLE8 (or, with rle4, RLE4) file of stream under
// grayPalette(256), so that index i is gray i and index 0 gray 50; a
// negative h means rows top-down.
func rleFile(w, h int32, rle4 bool, stream ...byte) []byte {
	f := bmpFile{width: w, height: h, bits: 8, compression: 1, colors: 256, palette: grayPalette(256), pixels: stream}
	if rle4 {
		f.bits, f.compression, f.colors, f.palette = 4, 2, 16, grayPalette(16)
	}
	return f.build()
}

// grays returns the rows of indexes of an image, top row first, as its
// gray under grayPalette: index 0 is 50.
func grays(rows ...[]byte) []byte {
	var out []byte
	for _, r := range rows {
		for _, v := range r {
			if v == 0 {
				v = 50
			}
			out = append(out, v)
		}
	}
	return out
}

// TestRLE decodes RLE streams that use each code, at the edges of rows and
// of the image, as Pillow reads them (with its delta and odd RLE4 runs
// fixed).
func TestRLE(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		want []byte
	}{
		{"encoded and absolute runs",
			rleFile(8, 2, false, 8, 1, 0, 0, 0, 3, 5, 6, 7, 0, 2, 9, 3, 4, 0, 0, 0, 1),
			grays([]byte{5, 6, 7, 9, 9, 4, 4, 4}, []byte{1, 1, 1, 1, 1, 1, 1, 1})},
		{"end of line, end of bitmap",
			rleFile(8, 2, false, 3, 1, 0, 0, 2, 2, 0, 1),
			grays([]byte{2, 2, 0, 0, 0, 0, 0, 0}, []byte{1, 1, 1, 0, 0, 0, 0, 0})},
		{"end of bitmap at once",
			rleFile(3, 2, false, 0, 1),
			grays([]byte{0, 0, 0}, []byte{0, 0, 0})},
		{"delta right 3 and up 1",
			rleFile(8, 3, false, 2, 1, 0, 2, 3, 1, 2, 2, 0, 0, 0, 1),
			grays(make([]byte, 8), []byte{0, 0, 0, 0, 0, 2, 2, 0}, []byte{1, 1, 0, 0, 0, 0, 0, 0})},
		{"delta right past the row",
			rleFile(4, 2, false, 2, 1, 0, 2, 3, 0, 1, 7, 0, 1),
			grays([]byte{0, 7, 0, 0}, []byte{1, 1, 0, 0})},
		{"delta past the image, then anything",
			rleFile(4, 2, false, 2, 1, 0, 2, 255, 255, 0xde, 0xad),
			grays([]byte{0, 0, 0, 0}, []byte{1, 1, 0, 0})},
		{"encoded run past the row",
			rleFile(4, 2, false, 6, 1, 2, 2, 0, 0, 4, 3),
			grays([]byte{3, 3, 3, 3}, []byte{1, 1, 1, 1})},
		{"encoded run past a row not ended",
			rleFile(4, 2, false, 2, 1, 4, 2, 3, 3, 0, 0, 4, 4),
			grays([]byte{4, 4, 4, 4}, []byte{1, 1, 2, 2})},
		{"absolute run into the next row",
			rleFile(4, 3, false, 0, 6, 1, 2, 3, 4, 5, 6, 2, 7, 0, 0, 4, 8),
			grays([]byte{8, 8, 8, 8}, []byte{5, 6, 0, 0}, []byte{1, 2, 3, 4})},
		{"absolute run past the image",
			rleFile(2, 2, false, 0, 6, 1, 2, 3, 4, 5, 6),
			grays([]byte{3, 4}, []byte{1, 2})},
		{"absolute run cut after the image is full",
			rleFile(2, 2, false, 0, 6, 1, 2, 3, 4),
			grays([]byte{3, 4}, []byte{1, 2})},
		{"top-down",
			rleFile(4, -2, false, 4, 1, 0, 0, 4, 2, 0, 1),
			grays([]byte{1, 1, 1, 1}, []byte{2, 2, 2, 2})},
		{"no end of bitmap, data after the image",
			rleFile(2, 1, false, 2, 9, 0, 0, 0, 0, 7),
			grays([]byte{9, 9})},
		{"RLE4 runs",
			rleFile(5, 2, true, 5, 0x12, 0, 0, 0, 3, 0x34, 0x50, 2, 0x67, 0, 1),
			grays([]byte{3, 4, 5, 6, 7}, []byte{1, 2, 1, 2, 1})},
		{"RLE4 odd absolute run, padded",
			rleFile(6, 2, true, 0, 5, 0x12, 0x34, 0x50, 0, 0, 0, 6, 0x77, 0, 1),
			grays([]byte{7, 7, 7, 7, 7, 7}, []byte{1, 2, 3, 4, 5, 0})},
		{"RLE4 absolute run into the next row, encoded run past it",
			rleFile(3, 2, true, 0, 5, 0x12, 0x34, 0x50, 0, 1, 0x90, 0, 1),
			grays([]byte{4, 5, 0}, []byte{1, 2, 3})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bmpdec.DecodeGray(tc.file, nil)
			if err != nil {
				t.Fatalf("DecodeGray: %v", err)
			}
			if !bytes.Equal(got.Pix, tc.want) {
				t.Errorf("DecodeGray = %v, want %v", got.Pix, tc.want)
			}
		})
	}
}

// TestRLETruncated checks that a stream that ends before the image is full,
// without an end of bitmap, is truncated.
func TestRLETruncated(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"no code", rleFile(4, 2, false)},
		{"after a row", rleFile(4, 2, false, 4, 1)},
		{"within a code", rleFile(4, 2, false, 4, 1, 0)},
		{"within a delta", rleFile(4, 2, false, 4, 1, 0, 2, 1)},
		{"within an absolute run", rleFile(4, 2, false, 4, 1, 0, 4, 1, 2)},
		{"within an RLE4 absolute run", rleFile(4, 2, true, 4, 0x11, 0, 3, 0x12)},
		{"ends of lines only", rleFile(4, 2, false, 0, 0, 0, 0, 0, 0)},
		{"offset past the end", bmpFile{width: 4, height: 2, bits: 8, compression: 1, offset: 5000, pixels: []byte{0, 1}}.build()},
	} {
		if _, err := bmpdec.DecodeGray(tc.file, nil); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("DecodeGray(%s) = %v, want an error wrapping io.ErrUnexpectedEOF", tc.name, err)
		}
	}
}

// TestRLEBombs checks that streams that try to write forever, or to make
// a small file into a large image, stop at the image's end or at the pixel
// limit, in time linear in the stream and the image.
func TestRLEBombs(t *testing.T) {
	// 30000×30000 from 2 bytes: refused by the limit, before allocation.
	huge := rleFile(30000, 30000, false, 0, 1)
	if _, err := bmpdec.DecodeGray(huge, &bmpdec.Options{MaxPixels: 1 << 20}); !errors.Is(err, bmpdec.ErrTooLarge) {
		t.Errorf("DecodeGray(30000x30000 RLE) = %v, want ErrTooLarge", err)
	}

	// A megabyte of encoded runs that write nothing, after a row filled
	// without an end of line: each costs its two bytes.
	stream := []byte{255, 1, 255, 1, 255, 1, 255, 1}
	for range 1 << 19 {
		stream = append(stream, 255, 2)
	}
	stream = append(stream, 0, 1)
	got, err := bmpdec.DecodeGray(rleFile(1000, 1000, false, stream...), &bmpdec.Options{MaxPixels: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if got.Pix[999*1000+999] != 1 || got.Pix[998*1000] != 50 {
		t.Errorf("DecodeGray gave %d, %d at the end of the bottom row and the start of the next, want 1, 50", got.Pix[999*1000+999], got.Pix[998*1000])
	}

	// Deltas of 255 rows each: a long jump from a 4-byte code stops at the
	// image's end.
	got, err = bmpdec.DecodeGray(rleFile(7, 600, false, 1, 9, 0, 2, 255, 255, 0, 2, 255, 255, 0, 2, 255, 255, 1, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Pix[599*7] != 9 || bytes.Count(got.Pix, []byte{50}) != 7*600-1 {
		t.Errorf("DecodeGray of deltas past the image wrote other pixels")
	}
}

// TestRLEPalette checks the gray of indexes past the palette, which
// Pillow's default palette gives: index i is gray i.
func TestRLEPalette(t *testing.T) {
	pal := [][3]byte{{255, 0, 0}, {0, 255, 0}}
	file := bmpFile{width: 4, height: 1, bits: 8, compression: 1, colors: 2, palette: pal,
		pixels: []byte{1, 0, 1, 1, 1, 7, 1, 200, 0, 1}}.build()
	got, err := bmpdec.DecodeGray(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{76, 150, 7, 200}; !bytes.Equal(got.Pix, want) {
		t.Errorf("DecodeGray = %v, want %v", got.Pix, want)
	}
}
