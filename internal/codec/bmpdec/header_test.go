package bmpdec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/codec/bmpdec"
)

// TestHandComputed decodes 2×2 files whose gray is worked out by hand:
// luma (19595·R + 38470·G + 7471·B + 2^15) >> 16 of red 76, green 150,
// blue 29, white 255, and black of alpha 128 over white
// (0·128 + 255·127 + 127)/255 = 127.
func TestHandComputed(t *testing.T) {
	le := binary.LittleEndian
	px32 := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = le.AppendUint32(b, x)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		file bmpFile
		want []byte // top row first
	}{
		{"24 bits bottom-up", bmpFile{width: 2, height: 2, bits: 24,
			pixels: []byte{0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0}},
			[]byte{29, 255, 76, 150}},
		{"24 bits top-down", bmpFile{width: 2, height: -2, bits: 24,
			pixels: []byte{0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0}},
			[]byte{76, 150, 29, 255}},
		{"32 bits BI_RGB: the 4th byte is not alpha", bmpFile{headerSize: 124, width: 2, height: -2, bits: 32,
			pixels: px32(0x00ff0000, 0x0000ff00, 0x000000ff, 0x80000000)},
			[]byte{76, 150, 29, 0}},
		{"32 bits BGRA", bmpFile{headerSize: 124, width: 2, height: -2, bits: 32, compression: 3,
			masks:  []uint32{0xff0000, 0xff00, 0xff, 0xff000000},
			pixels: px32(0xffff0000, 0xff00ff00, 0x00123456, 0x80000000)},
			[]byte{76, 150, 255, 127}},
		{"16 bits 5-6-5", bmpFile{width: 2, height: -2, bits: 16, compression: 3,
			masks:  []uint32{0xf800, 0x7e0, 0x1f},
			pixels: []byte{0x00, 0xf8, 0xe0, 0x07, 0x1f, 0x00, 0xff, 0xff}},
			[]byte{76, 150, 29, 255}},
		{"16 bits 4-4-4-4, alpha 8/15 = 136", bmpFile{headerSize: 56, width: 2, height: -1, bits: 16, compression: 3,
			masks:  []uint32{0xf00, 0xf0, 0xf, 0xf000},
			pixels: []byte{0xff, 0x80, 0x00, 0x00}},
			// Red 0, alpha 136: (0 + 255·119 + 127)/255 = 119;
			// green and blue 255. Alpha 0: white.
			[]byte{(19595*119 + 38470*255 + 7471*255 + 1<<15) >> 16, 255}},
		{"1 bit, palette of 1 colour: index 1 is gray 1", bmpFile{width: 2, height: 1, bits: 1, colors: 1,
			palette: [][3]byte{{0, 0, 255}}, pixels: []byte{0x40, 0, 0, 0}},
			[]byte{29, 1}},
		{"OS/2 1.x, 8 bits", bmpFile{headerSize: 12, width: 2, height: 1, bits: 8,
			palette: append([][3]byte{{255, 0, 0}, {0, 255, 0}}, make([][3]byte, 254)...), pixels: []byte{1, 0, 0, 0}},
			[]byte{150, 76}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bmpdec.DecodeGray(tc.file.build(), nil)
			if err != nil {
				t.Fatalf("DecodeGray: %v", err)
			}
			if !bytes.Equal(got.Pix, tc.want) {
				t.Errorf("DecodeGray = %v, want %v", got.Pix, tc.want)
			}
		})
	}
}

// TestBadHeaders checks the errors of broken, absurd and unsupported
// headers: one line naming the problem, ErrUnsupported for what this
// package does not implement, io.ErrUnexpectedEOF for data that ends, and
// ErrTooLarge from the header alone.
func TestBadHeaders(t *testing.T) {
	rgb := func(f bmpFile) []byte {
		if f.width == 0 && f.height == 0 {
			f.width, f.height = 2, 2
		}
		if f.bits == 0 {
			f.bits = 24
		}
		f.pixels = make([]byte, 16)
		return f.build()
	}
	patch := func(data []byte, at int, v uint32) []byte {
		data = bytes.Clone(data)
		binary.LittleEndian.PutUint32(data[at:], v)
		return data
	}
	good := rgb(bmpFile{})
	const (
		unsupported = iota
		truncated
		tooLarge
		malformed
	)
	for _, tc := range []struct {
		name string
		data []byte
		kind int
		msg  string // the error message holds it
	}{
		{"empty", nil, truncated, "file header"},
		{"B", []byte("B"), truncated, "file header"},
		{"not BM", []byte("GIF89a...................................."), malformed, "not a BMP file"},
		{"file header only", good[:14], truncated, "file header"},
		{"info header cut", good[:40], truncated, "info header"},
		{"header size 0", patch(good, 14, 0), unsupported, "info header of 0 bytes"},
		{"header size 20", patch(good, 14, 20), unsupported, "info header of 20 bytes"},
		{"header size 2^32-1", patch(good, 14, 1<<32-1), unsupported, "info header of 4294967295 bytes"},
		{"width 0", rgb(bmpFile{width: 0, height: 3}), malformed, "empty image 0x3"},
		{"height 0", rgb(bmpFile{width: 3, height: 0}), malformed, "empty image 3x0"},
		{"negative width", rgb(bmpFile{width: -3, height: 3}), malformed, "negative width -3"},
		{"0 bits", rgb(bmpFile{bits: 0xffff}), unsupported, "pixel depth of 65535 bits"},
		{"3 bits", rgb(bmpFile{bits: 3}), unsupported, "pixel depth of 3 bits"},
		{"64 bits", rgb(bmpFile{bits: 64}), unsupported, "pixel depth of 64 bits"},
		{"compression 7", rgb(bmpFile{compression: 7}), unsupported, "compression 7"},
		{"CMYK", rgb(bmpFile{compression: 11}), unsupported, "compression 11"},
		{"JPEG", rgb(bmpFile{compression: 4}), unsupported, "embedded JPEG"},
		{"PNG", rgb(bmpFile{compression: 5}), unsupported, "embedded PNG"},
		{"RLE8 of 24 bits", rgb(bmpFile{compression: 1}), unsupported, "RLE8 compression of 24-bit pixels"},
		{"RLE4 of 32 bits", rgb(bmpFile{compression: 2, bits: 32}), unsupported, "RLE4 compression of 32-bit pixels"},
		{"bit fields of 8 bits", rgb(bmpFile{compression: 3, bits: 8}), unsupported, "bit field compression of 8-bit pixels"},
		{"bit fields of 8 bits, V2", rgb(bmpFile{headerSize: 52, compression: 3, bits: 8}), unsupported, "bit field compression of 8-bit pixels"},
		{"bit fields of 4 bits, OS/2 2.x", rgb(bmpFile{headerSize: 64, compression: 3, bits: 4}), unsupported, "bit field compression of 4-bit pixels"},
		{"masks missing", bmpFile{width: 2, height: 2, bits: 16, compression: 3}.build()[:60], truncated, "bit field masks"},
		{"mask not contiguous", rgb(bmpFile{compression: 3, bits: 16, masks: []uint32{0xf00f, 0x7e0, 0x1f}}), unsupported, "non-contiguous bit field mask 0xf00f"},
		{"mask wider than the pixel", rgb(bmpFile{compression: 3, bits: 16, masks: []uint32{0x1f800, 0x7e0, 0x1f}}), malformed, "bit field mask 0x1f800 is wider than a 16-bit pixel"},
		{"alpha mask not contiguous", rgb(bmpFile{headerSize: 108, compression: 3, bits: 32, masks: []uint32{0xff0000, 0xff00, 0xff, 0x81000000}}), unsupported, "0x81000000"},
		{"palette of 300", bmpFile{width: 2, height: 2, bits: 8, colors: 300, palette: make([][3]byte, 300), pixels: make([]byte, 8)}.build(), malformed, "palette of 300 colours"},
		{"palette of 2^32-1", bmpFile{width: 2, height: 2, bits: 8, colors: 1<<32 - 1, pixels: make([]byte, 8)}.build(), malformed, "palette of 4294967295 colours"},
		{"palette cut, no pixels", bmpFile{width: 2, height: 2, bits: 8, palette: make([][3]byte, 10)}.build(), truncated, "0 bytes of pixels cannot hold the 2 rows"},
		{"pixels past the end", rgb(bmpFile{offset: 1 << 31}), truncated, "pixels at offset 2147483648"},
		{"pixels cut", good[:len(good)-7], truncated, "rows"},
		{"30000x30000", rgb(bmpFile{width: 30000, height: 30000}), tooLarge, "30000x30000"},
		{"OS/2 1.x 65535x65535", rgb(bmpFile{headerSize: 12, width: -1, height: -1}), tooLarge, "65535x65535"},
		{"height -2^31", rgb(bmpFile{width: 1, height: -1 << 31}), tooLarge, "1x2147483648"},
		{"2^31-1 x 2^31-1", rgb(bmpFile{width: 1<<31 - 1, height: 1<<31 - 1}), tooLarge, "2147483647x2147483647"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bmpdec.DecodeGray(tc.data, &bmpdec.Options{MaxPixels: 1 << 20})
			if err == nil || got != nil {
				t.Fatalf("DecodeGray = %v, %v; want an error", got, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "bmpdec: ") || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.msg) {
				t.Errorf("DecodeGray: %q, want one line starting bmpdec: that says %q", msg, tc.msg)
			}
			is := []bool{
				unsupported: errors.Is(err, bmpdec.ErrUnsupported),
				truncated:   errors.Is(err, io.ErrUnexpectedEOF),
				tooLarge:    errors.Is(err, bmpdec.ErrTooLarge),
			}
			for kind, ok := range is {
				if ok != (kind == tc.kind) {
					t.Errorf("DecodeGray: %v: errors.Is its kind %d = %v", err, kind, ok)
				}
			}
		})
	}
}

// TestTooLargeAllocatesNothing checks that the pixel limit is applied to
// the header, and that the data is found too short for the rows, before
// any pixel memory is allocated.
func TestTooLargeAllocatesNothing(t *testing.T) {
	data := bmpFile{width: 1 << 14, height: 1 << 14, bits: 8, palette: grayPalette(256), pixels: make([]byte, 1<<10)}.build()
	for _, tc := range []struct {
		maxPixels int64
		want      error
	}{
		{1<<28 - 1, bmpdec.ErrTooLarge},
		{1 << 28, io.ErrUnexpectedEOF},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := bmpdec.DecodeGray(data, &bmpdec.Options{MaxPixels: tc.maxPixels})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, tc.want) {
			t.Errorf("DecodeGray(16384x16384 in 1 KiB, MaxPixels %d) = %v, want %v", tc.maxPixels, err, tc.want)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 16<<10 {
			t.Errorf("DecodeGray(16384x16384 in 1 KiB, MaxPixels %d) allocated %d bytes", tc.maxPixels, n)
		}
	}
	if _, err := bmpdec.DecodeGray(data, &bmpdec.Options{MaxPixels: -1}); err == nil {
		t.Errorf("DecodeGray with MaxPixels -1 succeeded")
	}
}

// TestPalettedBitfields checks the one paletted layout with bit fields that
// is decoded: golang.org/x/image/bmp reads the usual masks of blue, green,
// red and alpha bytes under a V4 or V5 header as no compression.
func TestPalettedBitfields(t *testing.T) {
	f := bmpFile{headerSize: 108, width: 2, height: 1, bits: 8, compression: 3,
		colors: 3, masks: []uint32{0xff0000, 0xff00, 0xff, 0xff000000}, palette: grayPalette(3), pixels: []byte{1, 2, 0, 0}}
	got, err := bmpdec.DecodeGray(f.build(), nil)
	if err != nil || !bytes.Equal(got.Pix, []byte{1, 2}) {
		t.Errorf("DecodeGray(8 bits, usual masks) = %v, %v; want [1 2]", got, err)
	}
	f.masks[3] = 0
	if _, err := bmpdec.DecodeGray(f.build(), nil); !errors.Is(err, bmpdec.ErrUnsupported) {
		t.Errorf("DecodeGray(8 bits, masks without alpha) = %v, want ErrUnsupported", err)
	}
}

// TestShortPalette checks a palette that the file ends within, the pixels
// before its end (a header that says 0 colours, meaning 256, over a palette
// of 16), as Pillow reads it: the entries the file holds, pixels among
// them, and for the indexes past them its default gray ramp.
func TestShortPalette(t *testing.T) {
	pal := grayPalette(16)
	pal[1] = [3]byte{255, 0, 0}
	f := bmpFile{width: 4, height: 1, bits: 8, palette: pal, pixels: []byte{1, 16, 17, 18, 0xaa, 0xbb}}
	got, err := bmpdec.DecodeGray(f.build(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Entry 16 is the pixels (blue 1, green 16, red 17): gray 15. The 2
	// bytes after them are not a whole entry: 17 and 18 are gray 17, 18.
	if want := []byte{76, 15, 17, 18}; !bytes.Equal(got.Pix, want) {
		t.Errorf("DecodeGray = %v, want %v (as Pillow 9.4)", got.Pix, want)
	}
}

// TestMemory checks that what DecodeGray allocates stays within
// Config.Memory, but for the rounding up of the image to a size class of
// the pool (at most a fifth more).
func TestMemory(t *testing.T) {
	const w, h = 256, 200
	for _, f := range []bmpFile{
		{width: w, height: h, bits: 16, pixels: make([]byte, 2*w*h)},
		{width: w, height: h, bits: 16, compression: 3, masks: []uint32{0xf00, 0xf0, 0xf}, pixels: make([]byte, 2*w*h)},
		{width: w, height: h, bits: 24, pixels: make([]byte, 3*w*h)},
		{width: w, height: h, bits: 32, compression: 3, masks: []uint32{0x3ff00000, 0xffc00, 0x3ff}, pixels: make([]byte, 4*w*h)},
		{width: w, height: h, bits: 4, palette: grayPalette(16), pixels: make([]byte, w*h/2)},
		{width: w, height: h, bits: 8, compression: 1, palette: grayPalette(256), pixels: []byte{0, 1}},
	} {
		data := f.build()
		cfg, err := bmpdec.DecodeConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = bmpdec.DecodeGray(data, nil)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > uint64(cfg.Memory())*6/5 {
			t.Errorf("DecodeGray of %d bits, compression %d allocated %d bytes; Config.Memory() = %d", cfg.BitsPerPixel, cfg.Compression, n, cfg.Memory())
		}
	}
}

// TestConfigFromHead checks that DecodeConfig reads a file's size from its
// first 154 bytes, the most that the headers and masks take.
func TestConfigFromHead(t *testing.T) {
	for _, name := range testFiles(t) {
		data := readFile(t, name)
		want, werr := bmpdec.DecodeConfig(data)
		got, err := bmpdec.DecodeConfig(data[:min(len(data), 154)])
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("DecodeConfig(first 154 bytes of %s) = %+v, %v; of the whole %+v, %v", name, got, err, want, werr)
		}
	}
}
