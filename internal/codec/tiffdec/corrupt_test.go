package tiffdec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

var le, be = byteOrder(binary.LittleEndian), byteOrder(binary.BigEndian)

// TestSmall decodes 2×2 images whose gray is worked out by hand:
// luma(r, g, b) = (19595r + 38470g + 7471b + 32768) >> 16.
func TestSmall(t *testing.T) {
	rgb := func(spp uint32, extra ...uint32) []field {
		f := []field{
			long(tagImageWidth, 2), long(tagImageLength, 2),
			short(tagBitsPerSample, 8), short(tagCompression, 1),
			short(tagPhotometric, 2), short(tagSamplesPerPixel, spp),
			long(tagRowsPerStrip, 2),
		}
		if len(extra) > 0 {
			f = append(f, short(tagExtraSamples, extra...))
		}
		return f
	}
	cmyk := with(rgb(4), short(tagPhotometric, 5))
	tests := []struct {
		name   string
		order  byteOrder
		fields []field
		chunks [][]byte
		want   []byte
	}{
		{"RGB", le, rgb(3), [][]byte{{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30}},
			// 255·19595, 255·38470, 255·7471, and 10, 20, 30 together.
			[]byte{76, 150, 29, 18}},
		{"RGB big-endian in planes", be, with(rgb(3), short(tagPlanarConfig, 2)),
			[][]byte{{255, 0, 0, 10}, {0, 255, 0, 20}, {0, 0, 255, 30}},
			[]byte{76, 150, 29, 18}},
		{"RGB 16-bit keeps the high byte", be, with(rgb(3), short(tagBitsPerSample, 16, 16, 16)),
			[][]byte{{255, 9, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 255, 1, 10, 0, 20, 0, 30, 255}},
			[]byte{76, 150, 29, 18}},
		{"RGBA unassociated", le, rgb(4, 2),
			// (200, 100, 0) at alpha 128 onto white: (227, 177, 127).
			[][]byte{{200, 100, 0, 128, 0, 0, 0, 0, 255, 0, 0, 255, 10, 20, 30, 255}},
			[]byte{186, 255, 76, 18}},
		{"RGBA associated", le, rgb(4, 1),
			// (100, 50, 0) premultiplied at 128: (227, 177, 127).
			[][]byte{{100, 50, 0, 128, 0, 0, 0, 0, 255, 0, 0, 255, 10, 20, 30, 255}},
			[]byte{186, 255, 76, 18}},
		{"RGB and an unspecified extra sample", le, rgb(4, 0),
			[][]byte{{255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 10, 20, 30, 0}},
			[]byte{76, 150, 29, 18}},
		{"CMYK", le, cmyk,
			// Magenta ink is (255, 0, 255); (128, 0, 0, 128) is (63, 127, 127).
			[][]byte{{0, 255, 0, 0, 128, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0, 255}},
			[]byte{105, 108, 255, 0}},
		{"WhiteIsZero", le, grayFields(2, 2, 1, 0), [][]byte{{0, 255, 1, 200}}, []byte{255, 0, 254, 55}},
		{"2-bit BlackIsZero", le, with(grayFields(2, 2, 1, 1), short(tagBitsPerSample, 2)),
			[][]byte{{0b00_11_0000, 0b01_10_0000}}, []byte{0, 255, 85, 170}},
		{"1-bit WhiteIsZero, FillOrder 2", le, with(grayFields(2, 2, 1, 0), short(tagBitsPerSample, 1), short(tagFillOrder, 2)),
			// Each row is 0b10 (black, white) from the low bit up.
			[][]byte{{0b01, 0b01}}, []byte{0, 255, 0, 255}},
		{"palette", be, with(grayFields(2, 2, 1, 3), short(tagBitsPerSample, 1),
			field{tagColorMap, 3, []uint32{0xffff, 0x0aff, 0, 0x14ff, 0, 0x1eff}}),
			// Entry 0 is red, entry 1 (10, 20, 30) from the high bytes.
			[][]byte{{0b01_000000, 0b10_000000}}, []byte{76, 18, 18, 76}},
		{"float gray", be, with(grayFields(2, 2, 1, 1), short(tagBitsPerSample, 32), short(tagSampleFormat, 3)),
			// -1, 0.6, 254.9 and 300: truncated and clamped.
			[][]byte{{0xbf, 0x80, 0, 0, 0x3f, 0x19, 0x99, 0x9a, 0x43, 0x7e, 0xe6, 0x66, 0x43, 0x96, 0, 0}},
			[]byte{0, 0, 254, 255}},
		{"gray PackBits", le, grayFields(2, 2, 32773, 1),
			// A literal of 1 byte, then a run of 3.
			[][]byte{{0, 7, 0xfe, 9}}, []byte{7, 9, 9, 9}},
		{"gray Deflate with differencing", le, with(grayFields(2, 2, 8, 1), short(tagPredictor, 2)),
			[][]byte{deflate(t, []byte{10, 5, 200, 100})}, []byte{10, 15, 200, 44}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := buildTIFF(tc.order, tc.fields, tc.chunks)
			got, err := DecodeGray(data, nil)
			if err != nil {
				t.Fatalf("DecodeGray: %v", err)
			}
			if !bytes.Equal(got.Pix, tc.want) {
				t.Errorf("DecodeGray(2x2 %s) = %v, want %v", tc.name, got.Pix, tc.want)
			}
		})
	}
}

// TestUnsupported checks that what is not supported is named, and is
// ErrUnsupported.
func TestUnsupported(t *testing.T) {
	gray := grayFields(2, 2, 1, 1)
	strip := [][]byte{{1, 2, 3, 4}}
	tests := []struct {
		name   string
		data   []byte
		substr string
	}{
		{"BigTIFF", []byte("II+\x00\x08\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00"), "BigTIFF"},
		{"old JPEG", buildTIFF(le, with(gray, short(tagCompression, 6)), strip), "old-style JPEG"},
		{"modified Huffman", buildTIFF(le, with(gray, short(tagCompression, 2), short(tagBitsPerSample, 1)), strip), "modified Huffman"},
		{"Group 3 2D", buildTIFF(le, with(gray, short(tagCompression, 3), short(tagBitsPerSample, 1), long(tagT4Options, 1)), strip), "two-dimensional"},
		{"Group 3 fill", buildTIFF(le, with(gray, short(tagCompression, 3), short(tagBitsPerSample, 1), long(tagT4Options, 4)), strip), "fill bits"},
		{"JBIG", buildTIFF(le, with(gray, short(tagCompression, 34661)), strip), "compression 34661"},
		{"CIELab", buildTIFF(le, with(gray, short(tagPhotometric, 8), short(tagSamplesPerPixel, 3)), strip), "CIELab"},
		{"float RGB", buildTIFF(le, with(gray, short(tagBitsPerSample, 32), short(tagSampleFormat, 3), short(tagPhotometric, 2), short(tagSamplesPerPixel, 3)), strip), "floating-point samples"},
		{"64-bit float", buildTIFF(le, with(gray, short(tagBitsPerSample, 64), short(tagSampleFormat, 3)), strip), "floating-point samples"},
		{"32-bit integer", buildTIFF(le, with(gray, short(tagBitsPerSample, 32)), strip), "32-bit integer"},
		{"signed", buildTIFF(le, with(gray, short(tagSampleFormat, 2)), strip), "signed"},
		{"12-bit", buildTIFF(le, with(gray, short(tagBitsPerSample, 12)), strip), "12-bit"},
		{"float predictor", buildTIFF(le, with(gray, short(tagPredictor, 3)), strip), "floating-point predictor"},
		{"4-bit differencing", buildTIFF(le, with(gray, short(tagBitsPerSample, 4), short(tagPredictor, 2)), strip), "differencing of 4-bit"},
		{"4-bit RGB", buildTIFF(le, with(gray, short(tagBitsPerSample, 4), short(tagPhotometric, 2), short(tagSamplesPerPixel, 3)), strip), "4-bit samples"},
		{"JPEG CMYK", buildTIFF(le, with(gray, short(tagCompression, 7), short(tagPhotometric, 5), short(tagSamplesPerPixel, 4)), strip), "JPEG-compressed CMYK"},
		{"YCbCr planes", buildTIFF(le, with(gray, short(tagPhotometric, 6), short(tagSamplesPerPixel, 3), short(tagPlanarConfig, 2)), strip), "YCbCr in separate planes"},
		{"InkSet 2", buildTIFF(le, with(gray, short(tagPhotometric, 5), short(tagSamplesPerPixel, 4), short(tagInkSet, 2)), strip), "InkSet 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeGray(tc.data, nil)
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("DecodeGray = %v, want ErrUnsupported naming %q", err, tc.substr)
			}
			if _, err := DecodeConfig(tc.data); !errors.Is(err, ErrUnsupported) {
				t.Errorf("DecodeConfig = %v, want ErrUnsupported", err)
			}
		})
	}
}

// allocated returns the bytes that f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostile checks that broken and hostile files are refused cheaply,
// or decoded with no more memory than their image needs.
func TestHostile(t *testing.T) {
	gray := grayFields(2, 2, 1, 1)
	strip := [][]byte{{1, 2, 3, 4}}
	zeros := make([]byte, 16<<20)
	tests := []struct {
		name string
		data []byte
		opts *Options
		want error // nil: decodes; errAny: any error
		max  uint64
	}{
		{"huge image, limit", buildTIFF(le, with(gray, long(tagImageWidth, 1<<20), long(tagImageLength, 1<<20), long(tagRowsPerStrip, 1<<20)), strip), &Options{MaxPixels: 1 << 24}, ErrTooLarge, 1 << 16},
		{"huge image, no limit", buildTIFF(le, with(gray, long(tagImageWidth, 1<<20), long(tagImageLength, 1<<20), long(tagRowsPerStrip, 1<<20)), strip), nil, errAny, 1 << 16},
		{"huge tile", buildTIFF(le, with(gray, long(tagTileWidth, 1<<16), long(tagTileLength, 1<<16)), strip), &Options{MaxPixels: 1 << 24}, ErrTooLarge, 1 << 16},
		{"more strips than offsets", buildTIFF(le, with(gray, long(tagImageLength, 1<<30), long(tagRowsPerStrip, 1)), strip), nil, errAny, 1 << 16},
		{"offsets past the end", buildTIFF(le, with(gray, field{tagStripOffsets, 4, []uint32{1 << 30}}), strip), nil, io.ErrUnexpectedEOF, 1 << 16},
		{"strip past the end", buildTIFF(le, with(gray, long(tagStripByteCounts, 1<<30)), strip), nil, io.ErrUnexpectedEOF, 1 << 16},
		{"too many entries", tooManyEntries(), nil, errAny, 1 << 16},
		{"zero strip", buildTIFF(le, gray, [][]byte{{}}), nil, errAny, 1 << 16},
		{"short strip", buildTIFF(le, gray, [][]byte{{1, 2, 3}}), nil, errAny, 1 << 16},
		{"Deflate bomb", buildTIFF(le, grayFields(2, 2, 8, 1), [][]byte{deflate(t, zeros)}), nil, nil, 1 << 20},
		{"PackBits bomb", buildTIFF(le, grayFields(2, 2, 32773, 1), [][]byte{bytes.Repeat([]byte{0x81, 0}, 1<<20)}), nil, nil, 1 << 20},
		{"LZW bomb", buildTIFF(le, grayFields(2, 2, 5, 1), [][]byte{lzwZeros(1 << 20)}), nil, nil, 1 << 20},
		{"LZW too short", buildTIFF(le, grayFields(2000, 2000, 5, 1), [][]byte{{0x80, 0, 0x20}}), nil, errAny, 1 << 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = DecodeGray(tc.data, tc.opts) })
			switch {
			case tc.want == nil && err != nil:
				t.Errorf("DecodeGray: %v", err)
			case tc.want == errAny && err == nil, tc.want != nil && tc.want != errAny && !errors.Is(err, tc.want):
				t.Errorf("DecodeGray = %v, want %v", err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "tiffdec: ")) {
				t.Errorf("error %q is not one line prefixed tiffdec:", err)
			}
			if n > tc.max {
				t.Errorf("DecodeGray allocated %d bytes, want at most %d", n, tc.max)
			}
		})
	}
}

// errAny stands for any error in TestHostile.
var errAny = errors.New("any error")

// tooManyEntries returns a file whose directory says it has 5000 entries.
func tooManyEntries() []byte {
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = binary.LittleEndian.AppendUint16(b, 5000)
	return append(b, make([]byte, 12*5000+4)...)
}

// lzwZeros returns TIFF LZW data that decodes to about n zero bytes: a
// literal zero, then the codes of ever longer runs of zeros, each the
// previous one and a zero, which at 12 bits keep the table growing.
func lzwZeros(n int) []byte {
	var out []byte
	var acc uint64
	var nbits uint
	width := uint(9)
	put := func(code uint32) {
		acc = acc<<width | uint64(code)
		nbits += width
		for nbits >= 8 {
			out = append(out, byte(acc>>(nbits-8)))
			nbits -= 8
		}
	}
	put(lzwClear)
	put(0)
	next, total, run := uint32(lzwFirst), 1, 1
	for total < n && next < lzwMax-2 {
		put(next) // the previous run and a zero: a new entry each time
		next++
		run++
		total += run
		if next+1 == 1<<width && width < 12 {
			width++
		}
	}
	put(lzwEOI)
	if nbits > 0 {
		out = append(out, byte(acc<<(8-nbits)))
	}
	return out
}
