package pngdec_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/adler32"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/codec/pngdec"
)

// agree fails unless DecodeGray and image/png both refuse data, or both
// accept it and give the same gray; it returns DecodeGray's error.
func agree(t *testing.T, data []byte) error {
	t.Helper()
	want, stdErr := stdGray(data)
	got, err := pngdec.DecodeGray(data, nil)
	switch {
	case err != nil && stdErr != nil:
		if got != nil {
			t.Errorf("DecodeGray returned an image and %v", err)
		}
		if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "pngdec: ") {
			t.Errorf("DecodeGray error %q is not one line starting pngdec:", err)
		}
		return err
	case err != nil:
		t.Fatalf("DecodeGray: %v; image/png accepts the file", err)
	case stdErr != nil:
		t.Fatalf("DecodeGray accepts the file; image/png: %v", stdErr)
	}
	if msg := diffGray(got, want); msg != "" {
		t.Fatalf("DecodeGray differs from Grayscale(png.Decode): %s", msg)
	}
	return nil
}

// TestTruncated cuts files at every few bytes: each cut gives an error
// wrapping io.ErrUnexpectedEOF.
func TestTruncated(t *testing.T) {
	files := map[string][]byte{
		"rgba-17x9":         encodePNG(t, testImage("nrgba", 17, 9)),
		"paletted-adam7":    (&pngFile{width: 17, height: 9, colorType: 3, depth: 4, interlaced: true, plte: testPalette(16), trns: []byte{1, 2}}).build(t),
		"gray16-split-idat": (&pngFile{width: 30, height: 20, colorType: 0, depth: 16, idat: []int{50, 0, 50}}).build(t),
		"rgb-300x200":       encodePNG(t, testImage("rgba", 300, 200)),
	}
	for name, data := range files {
		step := max(1, len(data)/300)
		for n := 0; n < len(data); n += step {
			err := agree(t, data[:n])
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s cut to %d of %d bytes: %v, want io.ErrUnexpectedEOF", name, n, len(data), err)
			}
		}
	}
}

// TestBadCRC spoils the CRC of each chunk of a file in turn, ancillary
// ones included, as image/png checks them all.
func TestBadCRC(t *testing.T) {
	f := pngFile{width: 9, height: 7, colorType: 3, depth: 8, plte: testPalette(100), trns: []byte{9, 8, 7}, idat: []int{20, 20}}
	cs := chunks(t, f.build(t))
	cs = append(cs[:1:1], append([]chunk{{typ: "tEXt", data: []byte("a\x00b")}}, cs[1:]...)...)
	data := rebuild(cs)
	for _, c := range chunks(t, data) {
		bad := append([]byte(nil), data...)
		bad[c.off+8+len(c.data)] ^= 0x40
		t.Run(c.typ, func(t *testing.T) {
			if err := agree(t, bad); !strings.Contains(err.Error(), "CRC") {
				t.Errorf("DecodeGray with a bad %s CRC: %v", c.typ, err)
			}
		})
	}
}

// streamFile returns a 5×4 8-bit gray file whose IDAT chunk holds the zlib
// stream z, after the signature and IHDR, and then IEND.
func streamFile(z []byte) []byte {
	out := appendChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", []byte{0, 0, 0, 5, 0, 0, 0, 4, 8, 0, 0, 0, 0})
	out = appendChunk(out, "IDAT", z)
	return appendChunk(out, "IEND", nil)
}

// zlibOf compresses raw with compress/zlib.
func zlibOf(tb testing.TB, raw []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(raw)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// grayRows returns n rows of 5 filtered gray bytes with filter type ft.
func grayRows(n int, ft byte) []byte {
	var raw []byte
	for y := range n {
		raw = append(raw, ft, byte(y), 2, 3, 4, 5)
	}
	return raw
}

// TestPixelData checks the filtered rows and their zlib stream: filter
// types, rows too few or too many, the zlib header and checksum, and the
// bytes after the stream that image/png accepts and refuses.
func TestPixelData(t *testing.T) {
	good := zlibOf(t, grayRows(4, 1))
	badFilter := grayRows(4, 0)
	badFilter[2*6] = 7
	stored := []byte{0x78, 0x01, 1, 24, 0, ^byte(24), 0xff}
	stored = append(stored, grayRows(4, 2)...)
	stored = binary.BigEndian.AppendUint32(stored, adler32.Checksum(grayRows(4, 2)))
	withDict := func(id uint32) []byte {
		z := []byte{0x78, 0x20}
		z[1] += byte(31 - binary.BigEndian.Uint16(z)%31)
		z = binary.BigEndian.AppendUint32(z, id)
		return append(z, good[2:]...)
	}
	badSum := append([]byte(nil), good...)
	badSum[len(badSum)-1] ^= 1
	tests := []struct {
		name string
		z    []byte
		want string // in the error; "" for a file image/png accepts
	}{
		{"good", good, ""},
		{"stored-block", stored, ""},
		{"bad-filter", zlibOf(t, badFilter), "bad filter type 7 in row 2"},
		{"too-few-rows", zlibOf(t, grayRows(3, 0)), "unexpected EOF"},
		{"short-last-row", zlibOf(t, grayRows(4, 0)[:23]), "unexpected EOF"},
		{"too-many-rows", zlibOf(t, grayRows(5, 0)), "more than the image"},
		{"one-byte-more", zlibOf(t, append(grayRows(4, 0), 0)), "more than the image"},
		{"bad-checksum", badSum, "Adler-32"},
		{"no-checksum", good[:len(good)-4], "unexpected EOF"},
		{"bad-header", append([]byte{0x78, 0x9d}, good[2:]...), "zlib header"},
		{"window-64k", append([]byte{0x88, 0x98}, good[2:]...), "zlib header"},
		{"dictionary", withDict(0x12345678), "dictionary"},
		// compress/zlib, given no dictionary, takes one whose Adler-32
		// is that of no bytes.
		{"empty-dictionary", withDict(1), ""},
		{"corrupt-deflate", append([]byte{0x78, 0x9c, 0xff, 0xff}, good[4:]...), "corrupt"},
		// image/png reads the IDAT data 4096 bytes at a time and takes
		// what the read that ends the stream brought with it.
		{"garbage-after-stream", append(append([]byte(nil), good...), "garbage"...), ""},
		{"garbage-to-4096", append(append([]byte(nil), good...), make([]byte, 4096-len(good))...), ""},
		{"garbage-past-4096", append(append([]byte(nil), good...), make([]byte, 4097-len(good))...), "after the end of the zlib stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := agree(t, streamFile(tc.z))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("DecodeGray: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("DecodeGray: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestStreamEndInLaterChunk ends the zlib stream in a later IDAT chunk with
// bytes after it, on each side of where image/png stops accepting them,
// and puts IDAT chunks image/png skips after it.
func TestStreamEndInLaterChunk(t *testing.T) {
	raw := (&pngFile{width: 200, height: 100, colorType: 2, depth: 8}).filtered()
	z := zlibOf(t, raw)
	head := chunks(t, (&pngFile{width: 200, height: 100, colorType: 2, depth: 8}).build(t))[0]
	for _, tail := range []int{0, 1, 4095, 4096, 5000, 8191, 8192, 9000} {
		for _, split := range []int{1, len(z) / 2, len(z) - 5, len(z) - 1} {
			last := append(append([]byte(nil), z[split:]...), make([]byte, tail)...)
			cs := []chunk{head, {typ: "IDAT", data: z[:split]}, {typ: "IDAT", data: last}, {typ: "IDAT", data: []byte("xyz")}, {typ: "IEND"}}
			agree(t, rebuild(cs))
		}
	}
}

// TestChunkOrder checks the order of the critical chunks, and that the
// chunks image/png refuses DecodeGray refuses too.
func TestChunkOrder(t *testing.T) {
	pal := pngFile{width: 4, height: 3, colorType: 3, depth: 2, plte: testPalette(4), trns: []byte{0}}
	p := chunks(t, pal.build(t)) // IHDR PLTE tRNS IDAT IEND
	rgb := chunks(t, (&pngFile{width: 4, height: 3, colorType: 2, depth: 8, trns: make([]byte, 6)}).build(t))
	rgba := chunks(t, (&pngFile{width: 4, height: 3, colorType: 6, depth: 8}).build(t))
	gray := chunks(t, (&pngFile{width: 4, height: 3, colorType: 0, depth: 8}).build(t))
	text := chunk{typ: "tEXt", data: []byte("k\x00v")}
	plte := chunk{typ: "PLTE", data: testPalette(4)}
	trns := func(n int) chunk { return chunk{typ: "tRNS", data: make([]byte, n)} }
	tests := []struct {
		name string
		cs   []chunk
		ok   bool
	}{
		{"paletted", p, true},
		{"text-first", []chunk{text, p[0], p[1], p[2], p[3], p[4]}, true},
		{"no-ihdr", p[1:], false},
		{"two-ihdr", []chunk{p[0], p[0], p[1], p[3], p[4]}, false},
		{"no-plte", []chunk{p[0], p[3], p[4]}, false},
		{"trns-before-plte", []chunk{p[0], p[2], p[1], p[3], p[4]}, false},
		{"two-plte", []chunk{p[0], p[1], p[1], p[3], p[4]}, false},
		{"two-trns", []chunk{p[0], p[1], p[2], p[2], p[3], p[4]}, false},
		{"plte-after-idat", []chunk{p[0], p[1], p[3], p[1], p[4]}, false},
		{"no-idat", []chunk{p[0], p[1], p[4]}, false},
		{"no-iend", p[:4], false},
		{"idat-after-iend", append(append([]chunk(nil), p...), p[3]), true},
		{"long-trns", []chunk{p[0], p[1], trns(256), p[3], p[4]}, true},
		{"trns-257", []chunk{p[0], p[1], trns(257), p[3], p[4]}, false},
		{"plte-too-long", []chunk{p[0], {typ: "PLTE", data: testPalette(5)}, p[3], p[4]}, false},
		{"plte-not-3n", []chunk{p[0], {typ: "PLTE", data: make([]byte, 7)}, p[3], p[4]}, false},
		{"rgb-plte-trns", []chunk{rgb[0], plte, rgb[1], rgb[2], rgb[3]}, true},
		{"rgb-trns-plte", []chunk{rgb[0], rgb[1], plte, rgb[2], rgb[3]}, false},
		{"rgb-trns-5", []chunk{rgb[0], trns(5), rgb[2], rgb[3]}, false},
		{"rgba-plte", []chunk{rgba[0], plte, rgba[1], rgba[2]}, true},
		{"rgba-trns", []chunk{rgba[0], trns(6), rgba[1], rgba[2]}, false},
		{"gray-plte", []chunk{gray[0], plte, gray[1], gray[2]}, false},
		{"gray-trns-2", []chunk{gray[0], trns(2), gray[1], gray[2]}, true},
		{"gray-trns-6", []chunk{gray[0], trns(6), gray[1], gray[2]}, false},
		{"iend-not-empty", []chunk{gray[0], gray[1], {typ: "IEND", data: []byte{0}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := agree(t, rebuild(tc.cs))
			if (err == nil) != tc.ok {
				t.Errorf("DecodeGray: %v, want success %v", err, tc.ok)
			}
		})
	}
}

// eofOrTooLarge is what DecodeGray says of a header of w×h pixels with no
// data after it: that the data ends early, or, where the image is more
// than 8 bytes a pixel can address (on 32-bit platforms), that it is too
// large, from the header, as image/png refuses it too.
func eofOrTooLarge(w, h int64) error {
	if w*h > math.MaxInt/8 {
		return pngdec.ErrTooLarge
	}
	return io.ErrUnexpectedEOF
}

// TestIHDR checks the header's fields, and that sizes too large for the
// limit, for the platform or for the data are refused before anything of
// the image's size is allocated.
func TestIHDR(t *testing.T) {
	ihdr := func(w, h uint32, depth, ct, interlace byte) []byte {
		p := binary.BigEndian.AppendUint32(nil, w)
		p = binary.BigEndian.AppendUint32(p, h)
		return append(p, depth, ct, 0, 0, interlace)
	}
	file := func(ihdr []byte) []byte {
		out := appendChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr)
		out = appendChunk(out, "IDAT", zlibOf(t, make([]byte, 1000)))
		return appendChunk(out, "IEND", nil)
	}
	tests := []struct {
		name string
		ihdr []byte
		want error // nil: a format error
	}{
		{"width-0", ihdr(0, 10, 8, 0, 0), nil},
		{"height-0", ihdr(10, 0, 8, 0, 0), nil},
		{"width-2^31", ihdr(1<<31, 1, 8, 0, 0), nil},
		{"depth-3", ihdr(10, 10, 3, 0, 0), nil},
		{"rgb-4-bit", ihdr(10, 10, 4, 2, 0), nil},
		{"paletted-16-bit", ihdr(10, 10, 16, 3, 0), nil},
		{"colour-type-5", ihdr(10, 10, 8, 5, 0), nil},
		{"interlace-2", ihdr(10, 10, 8, 0, 2), nil},
		{"compression-1", append(ihdr(10, 10, 8, 0, 0)[:10], 1, 0, 0), nil},
		{"filter-method-1", append(ihdr(10, 10, 8, 0, 0)[:11], 1, 0), nil},
		{"2^31-1-square", ihdr(1<<31-1, 1<<31-1, 16, 6, 0), pngdec.ErrTooLarge},
		{"2^31-1-wide", ihdr(1<<31-1, 1, 16, 6, 0), eofOrTooLarge(1<<31-1, 1)},
		{"2^31-1-high", ihdr(1, 1<<31-1, 8, 0, 1), eofOrTooLarge(1, 1<<31-1)},
		{"64k-square", ihdr(1<<16, 1<<16, 8, 0, 0), eofOrTooLarge(1<<16, 1<<16)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := file(tc.ihdr)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := pngdec.DecodeGray(data, nil)
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("DecodeGray allocated %d bytes before refusing", n)
			}
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) || tc.want == nil && (errors.Is(err, pngdec.ErrTooLarge) || errors.Is(err, io.ErrUnexpectedEOF)) {
				t.Fatalf("DecodeGray: %v, want %v", err, tc.want)
			}
			if tc.want == nil || tc.want == pngdec.ErrTooLarge {
				// image/png refuses these from IHDR; the others it
				// refuses only after allocating the image.
				agree(t, data)
			}
		})
	}
	t.Run("MaxPixels", func(t *testing.T) {
		data := file(ihdr(100000, 100000, 8, 0, 0))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := pngdec.DecodeGray(data, &pngdec.Options{MaxPixels: 1 << 20})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, pngdec.ErrTooLarge) {
			t.Errorf("DecodeGray(100000x100000, MaxPixels 1<<20) = %v, want ErrTooLarge", err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("DecodeGray allocated %d bytes before refusing", n)
		}
	})
}

// TestPaletteIndexes checks indexes past the palette, which image/png
// makes opaque black, and tRNS entries past it, which add black entries
// with alpha.
func TestPaletteIndexes(t *testing.T) {
	for _, depth := range []int{1, 2, 4, 8} {
		f := pngFile{width: 37, height: 5, colorType: 3, depth: depth, plte: testPalette(1)}
		agree(t, f.build(t))
		f.trns = []byte{10, 200, 0}
		agree(t, f.build(t))
	}
}

// TestAllocs checks that decoding allocates no more than Config.Memory
// says: the image, a few rows and the inflater, far less than image/png.
func TestAllocs(t *testing.T) {
	for _, model := range []string{"nrgba64", "gray", "paletted"} {
		data := encodePNG(t, testImage(model, 300, 200))
		cfg, err := pngdec.DecodeConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := pngdec.DecodeGray(data, nil); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > uint64(cfg.Memory()) {
			t.Errorf("DecodeGray of a 300x200 %s image allocated %d bytes, more than Config.Memory's %d", model, n, cfg.Memory())
		}
	}
}
