package jpegdec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"io"
	"math/rand/v2"
	"testing"
)

// segment is a marker segment of a JPEG file: the offset of its 0xFF, its
// marker and the offset just past its payload.
type segment struct {
	at  int
	m   byte
	end int
}

// segments walks the marker segments of a well-formed file, skipping
// entropy-coded data, up to EOI.
func segments(tb testing.TB, data []byte) []segment {
	tb.Helper()
	var segs []segment
	pos := 2
	for {
		at, m := nextMarker(data, pos, true)
		if at < 0 {
			tb.Fatal("no EOI")
		}
		if m == 0xd9 {
			return append(segs, segment{at, m, at + 2})
		}
		n := int(binary.BigEndian.Uint16(data[at+2:]))
		segs = append(segs, segment{at, m, at + 2 + n})
		pos = at + 2 + n
	}
}

// findSegment returns the first segment with marker m.
func findSegment(tb testing.TB, data []byte, m byte) segment {
	tb.Helper()
	for _, s := range segments(tb, data) {
		if s.m == m {
			return s
		}
	}
	tb.Fatalf("no marker %#02x", m)
	return segment{}
}

// nthSegment returns the segment with marker m after n others.
func nthSegment(tb testing.TB, data []byte, m byte, n int) segment {
	tb.Helper()
	for _, s := range segments(tb, data) {
		if s.m == m {
			if n == 0 {
				return s
			}
			n--
		}
	}
	tb.Fatalf("no marker %#02x number %d", m, n)
	return segment{}
}

// patched returns a copy of data with f applied.
func patched(data []byte, f func(b []byte)) []byte {
	b := bytes.Clone(data)
	f(b)
	return b
}

// insert returns data with ins inserted at offset at.
func insert(data []byte, at int, ins ...byte) []byte {
	return append(append(append([]byte{}, data[:at]...), ins...), data[at:]...)
}

// rgbIDs returns 444-base.jpg, given as base, with component ids 'R', 'G'
// and 'B' and no JFIF segment: an RGB file for image/jpeg.
func rgbIDs(tb testing.TB, base []byte) []byte {
	tb.Helper()
	sof, sos := findSegment(tb, base, 0xc0).at, findSegment(tb, base, 0xda).at
	return patched(base, func(b []byte) {
		copy(b[findSegment(tb, b, 0xe0).at+4:], "JFIX") // no JFIF segment
		b[sof+10], b[sof+13], b[sof+16] = 'R', 'G', 'B'
		b[sos+5], b[sos+7], b[sos+9] = 'R', 'G', 'B'
	})
}

// TestHeaders decodes files whose headers were patched: what this package
// leaves to image/jpeg must give ErrUnsupported from DecodeGray and
// DecodeConfig alike; malformed headers must give an error.
func TestHeaders(t *testing.T) {
	base := readTestFile(t, "444-base.jpg")
	prog := readTestFile(t, "gray-prog.jpg")
	sof := findSegment(t, base, 0xc0).at
	sos := findSegment(t, base, 0xda).at
	dht := findSegment(t, base, 0xc4).at
	psos := findSegment(t, prog, 0xda).at
	psos2 := nthSegment(t, prog, 0xda, 1).at // the first AC scan
	ycck := readTestFile(t, "ycck-base.jpg")
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"12-bit samples", patched(base, func(b []byte) { b[sof+4] = 12 }), ErrUnsupported},
		{"SOF1 12-bit", patched(base, func(b []byte) { b[sof+1], b[sof+4] = 0xc1, 12 }), ErrUnsupported},
		{"lossless SOF3", patched(base, func(b []byte) { b[sof+1] = 0xc3 }), ErrUnsupported},
		{"hierarchical SOF5", patched(base, func(b []byte) { b[sof+1] = 0xc5 }), ErrUnsupported},
		{"lossless SOF11", patched(base, func(b []byte) { b[sof+1] = 0xcb }), ErrUnsupported},
		{"hierarchical SOF13", patched(base, func(b []byte) { b[sof+1] = 0xcd }), ErrUnsupported},
		{"JPG marker", patched(base, func(b []byte) { b[sof+1] = 0xc8 }), ErrUnsupported},
		{"height from DNL", patched(base, func(b []byte) { b[sof+5], b[sof+6] = 0, 0 }), ErrUnsupported},
		{"luma coarser by 3:2", patched(base, func(b []byte) { b[sof+11], b[sof+14] = 0x21, 0x31 }), ErrUnsupported},
		{"16-bit samples", patched(base, func(b []byte) { b[sof+4] = 16 }), errFormat},
		{"RGB component ids", rgbIDs(t, base), nil},
		{"Adobe transform 2, 3 components", patched(readTestFile(t, "adobe-ycc.jpg"), func(b []byte) { b[2+15] = 2 }), nil},
		{"4 components, no Adobe segment", patched(ycck, func(b []byte) {
			copy(b[findSegment(t, b, 0xee).at+4:], "Adobx")
		}), ErrUnsupported},
		{"4 components, sampling 3 and 2", patched(ycck, func(b []byte) {
			s := findSegment(t, b, 0xc0).at
			b[s+11], b[s+14] = 0x33, 0x22
		}), ErrUnsupported},

		{"hierarchical DHP", insert(base, 2, 0xff, 0xde, 0, 2), ErrUnsupported},
		{"zero width", patched(base, func(b []byte) { b[sof+7], b[sof+8] = 0, 0 }), errFormat},
		{"no components", patched(base, func(b []byte) { b[sof+9] = 0 }), errFormat},
		{"sampling factor 0", patched(base, func(b []byte) { b[sof+11] = 0x01 }), errFormat},
		{"sampling factor 5", patched(base, func(b []byte) { b[sof+11] = 0x51 }), errFormat},
		{"quantization table 4", patched(base, func(b []byte) { b[sof+12] = 4 }), errFormat},
		{"missing quantization table", patched(base, func(b []byte) { b[sof+12] = 3 }), errFormat},
		{"repeated component id", patched(base, func(b []byte) { b[sof+13] = b[sof+10] }), errFormat},
		{"second SOF", insert(base, sos, base[sof:findSegment(t, base, 0xc0).end]...), errFormat},
		{"no SOF", patched(base, func(b []byte) { b[sof+1] = 0xef }), errFormat},
		{"SOS unknown component", patched(base, func(b []byte) { b[sos+5] = 9 }), errFormat},
		{"SOS component twice", patched(base, func(b []byte) { b[sos+7] = b[sos+5] }), errFormat},
		{"SOS missing Huffman table", patched(base, func(b []byte) { b[sos+6] = 0x33 }), errFormat},
		{"SOS Huffman table 4", patched(base, func(b []byte) { b[sos+6] = 0x04 }), errFormat},
		{"SOS length", patched(base, func(b []byte) { b[sos+3]-- }), errFormat},
		{"DHT class 2", patched(base, func(b []byte) { b[dht+4] = 0x20 }), errFormat},
		{"DHT codes overflow", patched(base, func(b []byte) { b[dht+5] = 3 }), errFormat},
		{"DHT over 256 codes", insert(base, dht, append([]byte{0xff, 0xc4, 0x01, 0x15, 0x10,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 255}, make([]byte, 257)...)...), errFormat},
		{"DHT DC symbol 16", insert(base, dht, 0xff, 0xc4, 0, 20, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16), errFormat},
		{"DQT table 4", insert(base, dht, append([]byte{0xff, 0xdb, 0, 67, 0x04}, make([]byte, 64)...)...), errFormat},
		{"DQT precision 2", insert(base, dht, append([]byte{0xff, 0xdb, 0, 67, 0x20}, make([]byte, 64)...)...), errFormat},
		{"DRI length", insert(base, dht, 0xff, 0xdd, 0, 3, 0, 1, 0), errFormat},
		{"marker length 1", insert(base, dht, 0xff, 0xe5, 0, 1), errFormat},
		{"reserved marker", insert(base, dht, 0xff, 0x02, 0, 2), errFormat},
		{"SOI again", insert(base, dht, 0xff, 0xd8), errFormat},
		{"not a JPEG", []byte("GIF89a......"), errFormat},
		{"progressive Se 0 for AC", patched(prog, func(b []byte) { b[psos+7], b[psos+8] = 1, 0 }), errFormat},
		{"progressive DC Se 64", patched(prog, func(b []byte) { b[psos+7], b[psos+8] = 0, 64 }), errFormat},
		{"progressive Ss > Se", patched(prog, func(b []byte) { b[psos2+7], b[psos2+8] = 5, 3 }), errFormat},
		{"progressive AC Se 64", patched(prog, func(b []byte) { b[psos2+8] = 64 }), errFormat},
		{"progressive Al 14", patched(prog, func(b []byte) { b[psos+9] = 0x0e }), errFormat},
		{"progressive Ah not Al+1", patched(prog, func(b []byte) { b[psos+9] = 0x30 }), errFormat},
		{"progressive AC before DC", patched(prog, func(b []byte) { b[psos+7], b[psos+8] = 1, 5 }), errFormat},
		{"too large for the data", patched(base, func(b []byte) { b[sof+5], b[sof+7] = 0x40, 0x40 }), io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeGray(tc.data, nil)
			if !sameError(err, tc.want) {
				t.Errorf("DecodeGray = %v, want %v", err, tc.want)
			}
			if tc.want == ErrUnsupported {
				if _, err := DecodeConfig(tc.data); !errors.Is(err, ErrUnsupported) {
					t.Errorf("DecodeConfig = %v, want ErrUnsupported", err)
				}
			}
		})
	}
}

// TestArithmeticProgression checks that an arithmetic-coded progressive
// file whose scans code a coefficient's bits again, or skip some, is
// refused: the luma refinement scans of arith-420-prog.jpg made first
// scans, or given another Ah.
func TestArithmeticProgression(t *testing.T) {
	data := readTestFile(t, "arith-420-prog.jpg")
	if _, err := DecodeGray(data, nil); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, s := range segments(t, data) {
		// Ns 1, luma (component id 1), Ah not 0: a refinement.
		if s.m != 0xda || data[s.at+4] != 1 || data[s.at+5] != 1 || data[s.at+9]>>4 == 0 {
			continue
		}
		found++
		for _, ahal := range []byte{data[s.at+9] & 0x0f, data[s.at+9] + 0x11} {
			bad := patched(data, func(b []byte) { b[s.at+9] = ahal })
			if _, err := DecodeGray(bad, nil); !sameError(err, errFormat) {
				t.Errorf("DecodeGray with scan at %d given Ah/Al %#02x = %v, want a format error", s.at, ahal, err)
			}
		}
	}
	if found == 0 {
		t.Fatal("no luma refinement scan in arith-420-prog.jpg")
	}
}

// TestUnsupportedNamed checks that the errors of what DecodeGray does
// not decode name it, and match ErrUnsupported.
func TestUnsupportedNamed(t *testing.T) {
	base := readTestFile(t, "444-base.jpg")
	sof := findSegment(t, base, 0xc0).at
	ycck := readTestFile(t, "ycck-base.jpg")
	rgb := readTestFile(t, "rgb-base.jpg")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"lossless", patched(base, func(b []byte) { b[sof+1] = 0xc3 }), "jpegdec: lossless JPEG is not supported"},
		{"12-bit", patched(base, func(b []byte) { b[sof+4] = 12 }), "jpegdec: 12-bit samples are not supported"},
		{"hierarchical", patched(base, func(b []byte) { b[sof+1] = 0xc6 }), "jpegdec: hierarchical JPEG is not supported"},
		{"DHP", insert(base, 2, 0xff, 0xde, 0, 2), "jpegdec: hierarchical JPEG is not supported"},
		{"DNL", patched(base, func(b []byte) { b[sof+5], b[sof+6] = 0, 0 }), "jpegdec: a height defined by a DNL marker is not supported"},
		{"2 components", twoComponents(t, base), "jpegdec: 2-component JPEG is not supported"},
		{"no Adobe", patched(ycck, func(b []byte) {
			copy(b[findSegment(t, b, 0xee).at+4:], "Adobx")
		}), "jpegdec: a 4-component JPEG without an Adobe APP14 segment is not supported"},
		{"luma 3:2", patched(base, func(b []byte) { b[sof+11], b[sof+14] = 0x21, 0x31 }),
			"jpegdec: a luma sampling factor that does not divide the chroma's is not supported"},
		{"RGB 3:2", patched(rgb, func(b []byte) {
			s := findSegment(t, b, 0xc0).at
			b[s+11], b[s+14] = 0x21, 0x31
		}), "jpegdec: sampling factors that do not divide the largest ones in an RGB, CMYK or YCCK file are not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeGray(tc.data, nil)
			if err == nil || err.Error() != tc.want || !errors.Is(err, ErrUnsupported) {
				t.Errorf("DecodeGray = %v, want %q matching ErrUnsupported", err, tc.want)
			}
			if _, err := DecodeConfig(tc.data); err == nil || err.Error() != tc.want {
				t.Errorf("DecodeConfig = %v, want %q", err, tc.want)
			}
		})
	}
}

// twoComponents returns 444-base.jpg, given as base, with its frame cut to
// two components.
func twoComponents(tb testing.TB, base []byte) []byte {
	tb.Helper()
	seg := findSegment(tb, base, 0xc0)
	out := append([]byte{}, base[:seg.at]...)
	sof := append([]byte{}, base[seg.at:seg.at+4+6+6]...)
	sof[3] = 2 + 6 + 6
	sof[9] = 2
	out = append(out, sof...)
	return append(out, base[seg.end:]...)
}

// TestFillBytes adds 0xFF fill bytes before every marker, including the
// restart markers inside scans, which must change nothing.
func TestFillBytes(t *testing.T) {
	for _, name := range []string{"420-base-rst4.jpg", "422-prog-rst4.jpg", "gray-base-rst1row.jpg", "exif-thumbnail.jpg"} {
		t.Run(name, func(t *testing.T) {
			data := readTestFile(t, name)
			var out []byte
			out = append(out, data[:2]...)
			for i := 2; i < len(data); i++ {
				if data[i] == 0xff && i+1 < len(data) && data[i+1] != 0 && data[i+1] != 0xff && !inSegment(t, data, i) {
					out = append(out, 0xff, 0xff)
				}
				out = append(out, data[i])
			}
			if len(out) == len(data) {
				t.Fatal("no marker found")
			}
			want, err := DecodeGray(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeGray(out, nil)
			if err != nil {
				t.Fatalf("DecodeGray with fill bytes: %v", err)
			}
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("DecodeGray with fill bytes differs")
			}
		})
	}
}

// inSegment reports whether offset i is inside a marker segment's payload
// (an Exif thumbnail's markers are not the file's).
func inSegment(tb testing.TB, data []byte, i int) bool {
	tb.Helper()
	for _, s := range segments(tb, data) {
		if s.at < i && i < s.end {
			return true
		}
	}
	return false
}

// TestTruncated cuts files at every length: each must give an error
// wrapping io.ErrUnexpectedEOF.
func TestTruncated(t *testing.T) {
	files := []string{"420-base.jpg", "444-base-rst4.jpg", "420-prog.jpg", "440-prog-rst4.jpg",
		"gray-prog.jpg", "seq-noninterleaved.jpg", "prog-script.jpg", "exif-thumbnail.jpg", "1x1-422-prog.jpg",
		"arith-420-base-rst4.jpg", "arith-422-prog.jpg", "arith-rgb-base.jpg", "fine-11-22-arith-prog-rst2.jpg", "fine-11-21.jpg"}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			data := readTestFile(t, name)
			step := 1
			if testing.Short() {
				step = 7
			}
			for n := 0; n < len(data); n += step {
				for _, scale := range []int{1, 8} {
					m, err := DecodeGray(data[:n:n], &Options{Scale: scale})
					if !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Fatalf("DecodeGray(first %d of %d bytes, scale %d) = %v, %v; want io.ErrUnexpectedEOF", n, len(data), scale, imageSize(m), err)
					}
				}
			}
		})
	}
}

// TestEarlyEOI cuts the scan of sequential files short and ends them with
// an EOI marker: each must give an error wrapping io.ErrUnexpectedEOF, as
// truncated files do.
func TestEarlyEOI(t *testing.T) {
	for _, name := range []string{"420-base.jpg", "444-base-rst4.jpg", "gray-base-rst1row.jpg", "17x9-420.jpg"} {
		t.Run(name, func(t *testing.T) {
			data := readTestFile(t, name)
			sos := findSegment(t, data, 0xda)
			eoi := len(data) - 2
			for n := sos.end; n < eoi-2; n += 5 {
				cut := append(data[:n:n], 0xff, 0xd9)
				m, err := DecodeGray(cut, nil)
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("DecodeGray(scan cut to %d of %d bytes, then EOI) = %v, %v; want io.ErrUnexpectedEOF", n-sos.end, eoi-sos.end, imageSize(m), err)
				}
			}
		})
	}
}

// imageSize returns m's size, or a zero size for nil.
func imageSize(m *image.Gray) image.Point {
	if m == nil {
		return image.Point{}
	}
	return m.Rect.Size()
}

// TestCorrupt changes random bytes of files: each must give an error or an
// image of the size that DecodeConfig reads, never a panic.
func TestCorrupt(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	rounds := 300
	if testing.Short() {
		rounds = 30
	}
	for _, f := range testFiles(t) {
		t.Run(f.name, func(t *testing.T) {
			var ok, failed int
			for i := 0; i < rounds; i++ {
				b := bytes.Clone(f.data)
				for n := 1 + r.IntN(4); n > 0; n-- {
					// Mostly in the entropy-coded data at the end, sometimes
					// anywhere.
					at := len(b) - 1 - r.IntN(len(b)/2)
					if r.IntN(4) == 0 {
						at = r.IntN(len(b))
					}
					b[at] = byte(r.Uint32())
				}
				scale := []int{1, 2, 4, 8}[i%4]
				m, err := DecodeGray(b, &Options{Scale: scale})
				if err != nil {
					failed++
					continue
				}
				ok++
				cfg, cerr := DecodeConfig(b)
				want := image.Pt((cfg.Width+scale-1)/scale, (cfg.Height+scale-1)/scale)
				if cerr != nil || m.Rect.Size() != want {
					t.Fatalf("DecodeGray gave %v, DecodeConfig %+v, %v", m.Rect.Size(), cfg, cerr)
				}
			}
			t.Logf("%d decoded, %d errors", ok, failed)
		})
	}
}
