package imagefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallFile is the largest file that the tests feed at every split point.
const smallFile = 8 << 10

// withTrailer returns f followed by trailer, in a new slice.
func withTrailer(f []byte) []byte {
	return append(append([]byte(nil), f...), trailer...)
}

// checkPartial fails unless (n, err), which Scan returned for the first k
// bytes of f, says that the file is not complete yet.
func checkPartial(tb testing.TB, f testFile, k, n int, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("Scan(%s[:%d]) error %v, want none", f.name, k, err)
	}
	if n != 0 && !(f.knownEarly() && n == len(f.data)) {
		tb.Fatalf("Scan(%s[:%d]) = %d before the file is complete, want 0", f.name, k, n)
	}
}

// checkComplete fails unless (n, err), which Scan returned once the whole
// file had arrived, gives the file's length.
func checkComplete(tb testing.TB, f testFile, s *Scanner, n int, err error) {
	tb.Helper()
	if err != nil || n != len(f.data) {
		tb.Fatalf("Scan(%s + trailer) = %d, %v, want %d, nil", f.name, n, err, len(f.data))
	}
	if got := s.Format(); got != f.format {
		tb.Fatalf("Format() after %s = %q, want %q", f.name, got, f.format)
	}
}

func TestScanWhole(t *testing.T) {
	for _, f := range testFiles(t) {
		t.Run(f.name, func(t *testing.T) {
			var s Scanner
			n, err := s.Scan(withTrailer(f.data))
			checkComplete(t, f, &s, n, err)

			// Exactly the file, and again: the result is sticky.
			var exact Scanner
			for range 2 {
				n, err = exact.Scan(f.data)
				checkComplete(t, f, &exact, n, err)
			}
		})
	}
}

// TestScanEndUnknown checks the files that say nothing, or something
// wrong, about where they end: the Scanner asks for more bytes (so that the
// upload ends when the sender stops) or reports the length the file gives,
// and never fails.
func TestScanEndUnknown(t *testing.T) {
	for name, why := range endUnknown {
		paths, _ := filepath.Glob(filepath.Join("..", "*", "testdata", name))
		if len(paths) != 1 {
			t.Fatalf("%s (%s): found %d files", name, why, len(paths))
		}
		data, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		var s Scanner
		n, err := s.Scan(withTrailer(data))
		if err != nil || n != 0 && n < len(data) {
			t.Errorf("Scan(%s, %s) = %d, %v; want 0 (more bytes) or at least %d, and no error", name, why, n, err, len(data))
		}
	}
}

func TestScanSplits(t *testing.T) {
	for _, f := range testFiles(t) {
		if len(f.data) > smallFile {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			whole := withTrailer(f.data)
			// Every split point: a prefix, then everything.
			for k := 1; k < len(f.data); k++ {
				var s Scanner
				n, err := s.Scan(whole[:k])
				checkPartial(t, f, k, n, err)
				n, err = s.Scan(whole)
				checkComplete(t, f, &s, n, err)
			}
			// One byte at a time.
			var s Scanner
			for k := 0; k < len(f.data); k++ {
				n, err := s.Scan(whole[:k])
				checkPartial(t, f, k, n, err)
			}
			n, err := s.Scan(whole[:len(f.data)])
			checkComplete(t, f, &s, n, err)
			n, err = s.Scan(whole)
			checkComplete(t, f, &s, n, err)
		})
	}
}

func TestScanChunks(t *testing.T) {
	for _, f := range testFiles(t) {
		if len(f.data) <= smallFile {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			whole := withTrailer(f.data)
			for seed := range uint64(4) {
				r := rand.New(rand.NewPCG(seed, 42))
				var s Scanner
				k := 0
				for k < len(f.data) {
					n, err := s.Scan(whole[:k])
					checkPartial(t, f, k, n, err)
					k += 1 + r.IntN(1<<(1+r.IntN(14)))
				}
				n, err := s.Scan(whole[:min(k, len(whole))])
				checkComplete(t, f, &s, n, err)
			}
		})
	}
}

func TestScanTruncated(t *testing.T) {
	for _, f := range testFiles(t) {
		t.Run(f.name, func(t *testing.T) {
			// Every prefix of a small file; for a big one, the first and
			// last few hundred prefixes and a random sample between.
			ks := []int{}
			for k := range len(f.data) {
				if len(f.data) <= smallFile || k < 300 || k > len(f.data)-300 {
					ks = append(ks, k)
				}
			}
			if len(f.data) > smallFile {
				r := rand.New(rand.NewPCG(uint64(len(f.data)), 7))
				for range 100 {
					ks = append(ks, r.IntN(len(f.data)))
				}
			}
			for _, k := range ks {
				var s Scanner
				n, err := s.Scan(f.data[:k])
				checkPartial(t, f, k, n, err)
			}
		})
	}
}

// pngChunk returns a PNG chunk with a zero CRC.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return append(c, 0, 0, 0, 0)
}

const pngSig = "\x89PNG\r\n\x1a\n"

// gifHead is a GIF header and logical screen descriptor with a 4-colour
// global colour table.
const gifHead = "GIF89a\x02\x00\x02\x00\x81\x00\x00" + "\x00\x00\x00\xff\xff\xff\x3b\x3b\x3b\x21\x2c\x00"

// tiffHead returns a little-endian TIFF header whose first IFD is at off.
func tiffHead(off uint32) []byte {
	return binary.LittleEndian.AppendUint32([]byte("II*\x00"), off)
}

// emptyIFD returns a little-endian IFD with no entries and the given next
// IFD offset.
func emptyIFD(next uint32) []byte {
	return binary.LittleEndian.AppendUint32([]byte{0, 0}, next)
}

// bmpHead returns the first 38 bytes of a BMP file.
func bmpHead(fileSize, pixOffset, dibSize, compression uint32) []byte {
	le := binary.LittleEndian
	h := make([]byte, 38)
	copy(h, "BM")
	le.PutUint32(h[2:], fileSize)
	le.PutUint32(h[10:], pixOffset)
	le.PutUint32(h[14:], dibSize)
	le.PutUint32(h[18:], 4)
	le.PutUint32(h[22:], 4)
	le.PutUint16(h[26:], 1)
	le.PutUint16(h[28:], 24)
	le.PutUint32(h[30:], compression)
	return h
}

func cat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

func TestScanErrors(t *testing.T) {
	ihdr := pngChunk("IHDR", make([]byte, 13))
	jpegHead := cat([]byte{0xff, 0xd8}, segment(0xdb, tricky(65)))
	tiffLong := func(tag uint16, count, value uint32) []byte {
		e := binary.LittleEndian.AppendUint16(nil, tag)
		e = binary.LittleEndian.AppendUint16(e, 4)
		e = binary.LittleEndian.AppendUint32(e, count)
		return binary.LittleEndian.AppendUint32(e, value)
	}
	// A chain of 65 empty IFDs: the 65th is one too many.
	var chain []byte
	for i := range 65 {
		chain = append(chain, emptyIFD(uint32(8+6*(i+1)))...)
	}

	tests := []struct {
		name string
		in   []byte
		// errAt is the length of the shortest prefix that Scan rejects;
		// 0 means all of in.
		errAt int
		want  string
	}{
		{name: "text", in: []byte("The quick brown fox jumps over the lazy dog"), errAt: 1, want: "imagefile: not a known image format"},
		{name: "hello", in: []byte("hello"), errAt: 1, want: "imagefile: not a known image format"},
		{name: "zero bytes", in: make([]byte, 64), errAt: 1, want: "imagefile: not a known image format"},
		{name: "B then junk", in: []byte("BZ2h"), errAt: 2, want: "imagefile: not a known image format"},
		{name: "ff then junk", in: []byte("\xff\xfe\xff"), errAt: 2, want: "imagefile: not a known image format"},
		{name: "II then BigTIFF", in: []byte("II+\x00\x08\x00\x00\x00"), errAt: 4, want: "imagefile: tiff: BigTIFF is not supported"},

		{name: "jpeg bad signature", in: []byte("\xff\xd8\x00"), want: "imagefile: jpeg: bad signature"},
		{name: "jpeg ff 00 for a marker", in: cat(jpegHead, []byte{0xff, 0x00}), want: fmt.Sprintf("imagefile: jpeg: expected marker at offset %d", len(jpegHead))},
		{name: "jpeg ff 00 after fill", in: cat(jpegHead, []byte{0xff, 0xff, 0xff, 0x00}), want: "imagefile: jpeg: expected marker at offset"},
		{name: "jpeg second SOI", in: cat(jpegHead, []byte{0xff, 0xd8}), want: "imagefile: jpeg: unexpected SOI marker"},
		{name: "jpeg length 1", in: cat(jpegHead, []byte{0xff, 0xc4, 0x00, 0x01}), want: "imagefile: jpeg: marker ff c4 at offset"},
		{name: "jpeg SOI after scan", in: cat(jpegHead, segment(0xda, sosHeader), []byte{1, 2, 0xff, 0, 3, 0xff, 0xd8}), want: "imagefile: jpeg: unexpected SOI"},

		{name: "png bad signature", in: []byte("\x89PNG\r\n\x1b\n"), errAt: 7, want: "imagefile: png: bad signature"},
		{name: "png first chunk not IHDR", in: cat([]byte(pngSig), pngChunk("IDAT", make([]byte, 20))), errAt: 16, want: `imagefile: png: first chunk is "IDAT", not IHDR`},
		{name: "png huge chunk", in: cat([]byte(pngSig), ihdr, []byte("\x80\x00\x00\x00IDAT")), want: "imagefile: png: chunk at offset 33 has length 2147483648"},
		{name: "png bad chunk type", in: cat([]byte(pngSig), ihdr, []byte("\x00\x00\x00\x00ID\x00T")), want: "imagefile: png: invalid chunk type"},

		{name: "gif bad signature", in: []byte("GIF88a"), errAt: 5, want: "imagefile: gif: bad signature"},
		{name: "gif bad block", in: cat([]byte(gifHead), []byte{0x21, 0xf9, 4, 0, 0, 0, 0, 0, 0x99}), want: "imagefile: gif: unexpected block type 0x99 at offset 33"},
		{name: "gif bad block after image", in: cat([]byte(gifHead), []byte{0x2c, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 2, 0x4c, 0x01, 0, 0x00}), want: "imagefile: gif: unexpected block type 0x00"},

		{name: "bmp bad DIB header size", in: bmpHead(100, 54, 41, 0)[:18], want: "imagefile: bmp: unsupported DIB header size 41"},
		{name: "bmp pixels inside header", in: bmpHead(50, 40, 40, 0)[:18], want: "imagefile: bmp: pixel data offset 40 lies inside"},
		{name: "bmp RLE without sizes", in: bmpHead(0, 54, 40, 1), want: "imagefile: bmp: compressed pixel data"},

		{name: "webp not WEBP", in: []byte("RIFF\x10\x00\x00\x00WAVE"), errAt: 10, want: "imagefile: webp: not a RIFF WEBP header"},
		{name: "webp size 3", in: []byte("RIFF\x03\x00\x00\x00WEBP"), want: "imagefile: webp: RIFF size 3 is less than 4"},

		{name: "tiff no IFD", in: tiffHead(0), want: "imagefile: tiff: no IFD"},
		{name: "tiff IFD in header", in: tiffHead(4), want: "imagefile: tiff: IFD offset 4 lies inside the header"},
		{name: "tiff IFD loop to itself", in: cat(tiffHead(8), emptyIFD(8)), want: "imagefile: tiff: IFD loop at offset 8"},
		{name: "tiff IFD loop of two", in: cat(tiffHead(8), emptyIFD(14), emptyIFD(8)), want: "imagefile: tiff: IFD loop at offset 8"},
		{name: "tiff too many IFDs", in: cat(tiffHead(8), chain), errAt: 8 + 64*6, want: "imagefile: tiff: more than 64 IFDs"},
		{name: "tiff too many entries", in: cat(tiffHead(8), []byte{0x01, 0x10}), want: "imagefile: tiff: IFD at offset 8 has 4097 entries"},
		{name: "tiff strip counts without offsets", in: cat(tiffHead(8), []byte{1, 0}, tiffLong(279, 1, 100), []byte{0, 0, 0, 0}), want: "imagefile: tiff: IFD at offset 8 has only one of StripOffsets and StripByteCounts"},
		{name: "tiff strip count mismatch", in: cat(tiffHead(8), []byte{2, 0}, tiffLong(273, 1, 100), tiffLong(279, 2, 38), []byte{0, 0, 0, 0}, []byte{1, 0, 0, 0, 2, 0, 0, 0}), want: "imagefile: tiff: IFD at offset 8 has 1 and 2 values"},
		{name: "tiff strip offsets of type ASCII", in: cat(tiffHead(8), []byte{1, 0, 0x11, 0x01, 2, 0, 4, 0, 0, 0, 'a', 'b', 'c', 0}, []byte{0, 0, 0, 0}), want: "imagefile: tiff: tag 273 at offset 10 has type 2"},
		{name: "tiff too many SubIFDs", in: cat(tiffHead(8), []byte{1, 0}, tiffLong(330, 65, 100), []byte{0, 0, 0, 0}), want: "imagefile: tiff: tag 330 at offset 10 points to 65 IFDs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errAt := tc.errAt
			if errAt == 0 {
				errAt = len(tc.in)
			}
			var s Scanner
			n, err := s.Scan(tc.in)
			if err == nil || n != 0 || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Scan(%q) = %d, %v, want 0 and an error starting %q", tc.in, n, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Scan(%q) error %q has more than one line", tc.in, err)
			}
			// The error is sticky.
			if n2, err2 := s.Scan(tc.in); n2 != 0 || err2 != err {
				t.Errorf("second Scan(%q) = %d, %v, want 0, %v", tc.in, n2, err2, err)
			}
			// Rejected as soon as the bytes rule the file out, not before.
			var early Scanner
			if n, err := early.Scan(tc.in[:errAt-1]); n != 0 || err != nil {
				t.Errorf("Scan(%q) = %d, %v, want 0, nil", tc.in[:errAt-1], n, err)
			}
			if _, err := early.Scan(tc.in[:errAt]); err == nil {
				t.Errorf("Scan(%q) reported no error", tc.in[:errAt])
			}
			// The same error when the bytes arrive one at a time.
			var slow Scanner
			var slowErr error
			for k := 0; k <= len(tc.in) && slowErr == nil; k++ {
				_, slowErr = slow.Scan(tc.in[:k])
			}
			if slowErr == nil || slowErr.Error() != err.Error() {
				t.Errorf("Scan one byte at a time: error %v, want %v", slowErr, err)
			}
		})
	}
}

func TestScanKnownEarly(t *testing.T) {
	// Formats whose headers give the length report it before the data.
	tests := []struct {
		name string
		in   []byte
		want int
	}{
		{"bmp bfSize", bmpHead(1000, 54, 40, 0)[:18], 1000},
		{"bmp biSizeImage", func() []byte {
			h := bmpHead(0, 54, 40, 0)
			binary.LittleEndian.PutUint32(h[34:], 500)
			return h
		}(), 554},
		{"bmp computed", bmpHead(10, 54, 40, 0), 54 + 4*12},
		{"webp even", []byte("RIFF\x00\x10\x00\x00WEBP"), 8 + 4096},
		{"webp odd", []byte("RIFF\xff\x0f\x00\x00WEBP"), 8 + 4096},
		{"tiff strips after IFD", cat(tiffHead(8), []byte{2, 0},
			[]byte{0x11, 0x01, 4, 0, 1, 0, 0, 0, 0x00, 0x10, 0, 0}, // StripOffsets 4096
			[]byte{0x17, 0x01, 4, 0, 1, 0, 0, 0, 0x00, 0x01, 0, 0}, // StripByteCounts 256
			[]byte{0, 0, 0, 0}), 4096 + 256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s Scanner
			n, err := s.Scan(tc.in)
			if n != tc.want || err != nil {
				t.Fatalf("Scan(%q) = %d, %v, want %d, nil", tc.in, n, err, tc.want)
			}
			if n, err := s.Scan(append(tc.in, 0)); n != tc.want || err != nil {
				t.Fatalf("second Scan = %d, %v, want %d, nil", n, err, tc.want)
			}
			var short Scanner
			if n, err := short.Scan(tc.in[:len(tc.in)-1]); n != 0 || err != nil {
				t.Fatalf("Scan(%q) = %d, %v, want 0, nil", tc.in[:len(tc.in)-1], n, err)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", ""},
		{"\xff", ""},
		{"\xff\xd8", "jpeg"},
		{"\x89P", "png"},
		{"GI", "gif"},
		{"BM", "bmp"},
		{"MM", "tiff"},
		{"II", "tiff"},
		{"RI", "webp"},
		{"xx", ""},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			var s Scanner
			_, _ = s.Scan([]byte(tc.in))
			if got := s.Format(); got != tc.want {
				t.Errorf("Format() after Scan(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// bigFiles returns synthetic files of about size bytes whose bulk is what
// the Scanner must step through: entropy-coded data, chunks, sub-blocks.
func bigFiles(size int) []testFile {
	r := rand.New(rand.NewPCG(99, 0))

	jpg := []byte{0xff, 0xd8}
	jpg = append(jpg, segment(0xdb, tricky(65))...)
	jpg = append(jpg, segment(0xdd, []byte{0, 64})...)
	jpg = append(jpg, segment(0xc0, tricky(15))...)
	jpg = append(jpg, segment(0xda, sosHeader)...)
	jpg = append(jpg, entropy(r, size, 4096)...)
	jpg = append(jpg, 0xff, 0xd9)

	pngFile := append([]byte(pngSig), pngChunk("IHDR", make([]byte, 13))...)
	for len(pngFile) < size {
		pngFile = append(pngFile, pngChunk("IDAT", tricky(1000))...)
	}
	pngFile = append(pngFile, pngChunk("IEND", nil)...)

	gifFile := []byte(gifHead)
	gifFile = append(gifFile, 0x2c, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2)
	for len(gifFile) < size {
		gifFile = append(gifFile, 255)
		gifFile = append(gifFile, bytes.Repeat([]byte{0x3b}, 255)...)
	}
	gifFile = append(gifFile, 0, 0x3b)

	// A TIFF with a big IFD followed by big strip arrays, so that the walk
	// waits a long time for bytes after reading the IFD.
	const dummies = 1000
	strips := size / 16
	arrays := 8 + 2 + 12*(dummies+2) + 4
	entries := []ifdEntry{
		{273, 4, uint32(strips), uint32(arrays)},
		{279, 4, uint32(strips), uint32(arrays + 4*strips)},
	}
	for i := range dummies {
		entries = append(entries, ifdEntry{uint16(40000 + i), 1, 1, 0})
	}
	t := newTIFF(binary.LittleEndian, 8)
	t.ifd(8, 0, entries...)
	pixels := arrays + 8*strips
	for i := range strips {
		t.put32(arrays+4*i, uint32(pixels+8*i))
		t.put32(arrays+4*strips+4*i, 8)
	}
	t.put(pixels, make([]byte, 8*strips))

	return []testFile{
		{"jpeg", "jpeg", jpg},
		{"png", "png", pngFile},
		{"gif", "gif", gifFile},
		{"tiff", "tiff", t.buf},
	}
}

// TestScanWork checks that the work over all calls stays proportional to the
// file's length however small the appends: rescanning from the start on each
// call would examine about len²/(2·chunk) bytes.
func TestScanWork(t *testing.T) {
	size := 4 << 20
	if testing.Short() {
		size = 1 << 20
	}
	for _, f := range bigFiles(size) {
		for _, chunk := range []int{1, 512, 64 << 10} {
			t.Run(fmt.Sprintf("%s/%d", f.name, chunk), func(t *testing.T) {
				var s Scanner
				var n int
				var err error
				for k := chunk; err == nil; k += chunk {
					b := f.data[:min(k, len(f.data))]
					if n, err = s.Scan(b); n > 0 && n <= len(b) {
						break
					}
				}
				if err != nil || n != len(f.data) {
					t.Fatalf("Scan = %d, %v, want %d, nil", n, err, len(f.data))
				}
				if limit := 3*int64(len(f.data)) + 4096; s.work > limit {
					t.Errorf("Scan examined %d bytes of a %d-byte file in %d-byte appends, want at most %d",
						s.work, len(f.data), chunk, limit)
				}
			})
		}
	}
}
