package imagefile

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// A testFile is a complete image file that the tests feed to a Scanner.
type testFile struct {
	name   string
	format string
	data   []byte
}

// knownEarly reports whether a Scanner may report the file's length before
// the whole file has arrived.
func (f testFile) knownEarly() bool {
	return f.format == "bmp" || f.format == "webp" || f.format == "tiff"
}

// trailer is appended to files to check that the Scanner stops at their end.
// It holds bytes that would end or continue a file of any format.
var trailer = []byte("\xff\xd9\x3b\x00\x00\x00\x00IEND\xaeB`\x82\x21\xf9\xff\xd8\xffjunk after the file")

// testFiles returns the files that the Scanner must find the end of: files
// written by the standard and x/image encoders and files built by hand to
// exercise the corners of each format.
func testFiles(tb testing.TB) []testFile {
	tb.Helper()
	small := noise(40, 30, 1)
	big := noise(256, 256, 2)
	files := []testFile{
		{"jpeg/baseline", "jpeg", encodeJPEG(tb, small)},
		{"jpeg/gray", "jpeg", encodeJPEG(tb, grayOf(small))},
		{"jpeg/big", "jpeg", encodeJPEG(tb, big)},
		{"jpeg/exif-thumbnail", "jpeg", jpegWithThumbnail(tb)},
		{"jpeg/restart-markers", "jpeg", jpegRestart()},
		{"jpeg/fill-bytes", "jpeg", jpegFill()},
		{"jpeg/progressive", "jpeg", jpegProgressive()},
		{"jpeg/stray-bytes", "jpeg", jpegStray()},

		{"png/rgba", "png", encodePNG(tb, small)},
		{"png/paletted", "png", encodePNG(tb, paletted(9, 7, testPalette))},
		{"png/big", "png", encodePNG(tb, big)},

		{"gif/two-frames", "gif", encodeGIF(tb, 12, 9)},
		{"gif/big", "gif", encodeGIF(tb, 200, 150)},

		{"bmp/gray", "bmp", encodeBMP(tb, grayOf(noise(7, 5, 3)))},
		{"bmp/paletted", "bmp", encodeBMP(tb, paletted(9, 4, testPalette))},
		{"bmp/24-bit", "bmp", encodeBMP(tb, opaque(noise(7, 5, 4)))},
		{"bmp/32-bit", "bmp", encodeBMP(tb, noise(7, 5, 5))},
		{"bmp/big", "bmp", encodeBMP(tb, opaque(big))},
		{"bmp/no-bfsize", "bmp", bmpNoFileSize(tb, false, false)},
		{"bmp/no-sizes", "bmp", bmpNoFileSize(tb, true, false)},
		{"bmp/no-sizes-top-down", "bmp", bmpNoFileSize(tb, true, true)},
		{"bmp/core-header", "bmp", bmpCore()},

		{"tiff/uncompressed", "tiff", encodeTIFF(tb, noise(11, 7, 6), tiff.Uncompressed)},
		{"tiff/gray", "tiff", encodeTIFF(tb, grayOf(noise(11, 7, 7)), tiff.Uncompressed)},
		{"tiff/deflate", "tiff", encodeTIFF(tb, noise(11, 7, 8), tiff.Deflate)},
		{"tiff/big-deflate", "tiff", encodeTIFF(tb, big, tiff.Deflate)},
		{"tiff/big-endian-strips-tiles", "tiff", tiffChain()},
		{"tiff/sub-ifds-exif", "tiff", tiffSubIFDs()},

		{"webp/even", "webp", webp(8)},
		{"webp/odd", "webp", webp(7)},
		{"webp/big", "webp", webp(100001)},
	}
	return append(files, decoderFiles(tb)...)
}

// endUnknown are decoder test files whose end no Scanner can find, and why:
// TestScanEndUnknown checks what it does with them.
var endUnknown = map[string]string{
	// Its file header counts the padding of the last row, which is not
	// there: a sender that does not close its side stalls.
	"info-rgb24-17x9-unpadded.bmp": "bfSize is one byte more than the file",
	// libtiff reads strips without byte counts up to the end of the file.
	"rgb-lzw-nobytecounts.tif": "strips without byte counts",
}

// decoderFiles returns the test files of the decoders beside this package,
// written by libjpeg-turbo, ImageMagick, Pillow and libwebp: arithmetic
// coding, RLE and bit-field BMP, TIFF of every compression, WebP of every
// kind. A raw upload of any file that a decoder reads must be found whole.
func decoderFiles(tb testing.TB) []testFile {
	tb.Helper()
	var files []testFile
	for _, ext := range []string{"jpg", "png", "bmp", "tif", "webp"} {
		paths, err := filepath.Glob(filepath.Join("..", "*", "testdata", "*."+ext))
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			format := Sniff(data)
			if format == "" {
				continue // a file that tests refusing a bad signature
			}
			if _, ok := endUnknown[filepath.Base(p)]; ok {
				continue
			}
			files = append(files, testFile{strings.TrimPrefix(filepath.ToSlash(p), "../"), format, data})
		}
	}
	if len(files) == 0 {
		tb.Fatal("no test files of the decoders found")
	}
	return files
}

// noise returns a w×h image of pseudo-random pixels, most of them opaque.
func noise(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 0))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.Uint32())
	}
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 0xff
	}
	m.Pix[3] = 0x80 // one translucent pixel, premultiplied below
	m.Pix[0], m.Pix[1], m.Pix[2] = m.Pix[0]/2, m.Pix[1]/2, m.Pix[2]/2
	return m
}

func opaque(m *image.RGBA) *image.RGBA {
	o := image.NewRGBA(m.Rect)
	copy(o.Pix, m.Pix)
	o.Pix[3] = 0xff
	return o
}

func grayOf(m image.Image) *image.Gray {
	g := image.NewGray(m.Bounds())
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			g.Set(x, y, m.At(x, y))
		}
	}
	return g
}

// testPalette has colours whose bytes are GIF block bytes, so that a colour
// table read as blocks would end the file or fail.
var testPalette = color.Palette{
	color.RGBA{0x3b, 0x3b, 0x3b, 0xff},
	color.RGBA{0x21, 0x2c, 0x3b, 0xff},
	color.RGBA{0xff, 0xd9, 0x00, 0xff},
	color.RGBA{0x10, 0x20, 0x30, 0xff},
}

func paletted(w, h int, p color.Palette) *image.Paletted {
	m := image.NewPaletted(image.Rect(0, 0, w, h), p)
	for i := range m.Pix {
		m.Pix[i] = uint8(i*7) % uint8(len(p))
	}
	return m
}

func encodeJPEG(tb testing.TB, m image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 80}); err != nil {
		tb.Fatalf("jpeg.Encode: %v", err)
	}
	return buf.Bytes()
}

func encodePNG(tb testing.TB, m image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		tb.Fatalf("png.Encode: %v", err)
	}
	return buf.Bytes()
}

// encodeGIF encodes two w×h frames with a delay and a loop count, so that
// the file has a graphic control and an application extension; the first
// frame uses the global colour table and the second a local one.
func encodeGIF(tb testing.TB, w, h int) []byte {
	tb.Helper()
	other := color.Palette{color.Black, color.White, color.RGBA{0x3b, 0, 0x2c, 0xff}}
	g := &gif.GIF{
		Image:     []*image.Paletted{paletted(w, h, testPalette), paletted(w, h, other)},
		Delay:     []int{10, 20},
		LoopCount: 3,
		Config:    image.Config{ColorModel: testPalette, Width: w, Height: h},
	}
	// Make the frames' pixels less regular, so that LZW emits varied codes.
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for _, m := range g.Image {
		for i := range m.Pix {
			if r.IntN(3) == 0 {
				m.Pix[i] = uint8(r.IntN(len(m.Palette)))
			}
		}
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		tb.Fatalf("gif.EncodeAll: %v", err)
	}
	return buf.Bytes()
}

func encodeBMP(tb testing.TB, m image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, m); err != nil {
		tb.Fatalf("bmp.Encode: %v", err)
	}
	return buf.Bytes()
}

func encodeTIFF(tb testing.TB, m image.Image, c tiff.CompressionType) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, m, &tiff.Options{Compression: c}); err != nil {
		tb.Fatalf("tiff.Encode: %v", err)
	}
	return buf.Bytes()
}

// segment returns a JPEG marker segment: ff m, the length, the payload.
func segment(m byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xff, m, byte(n >> 8), byte(n)}, payload...)
}

// tricky returns n bytes of segment payload that holds EOI, SOI and other
// markers, which a scanner that looked inside payloads would trip over.
func tricky(n int) []byte {
	p := make([]byte, n)
	marks := []byte("\xff\xd9\xff\xd8\xff\x00\xff\xda\xff")
	for i := range p {
		p[i] = marks[i%len(marks)]
	}
	return p
}

// entropy returns about n bytes of synthetic entropy-coded data: random bytes
// with every 0xff stuffed with a zero, and RSTn markers every restart bytes
// when restart > 0.
func entropy(r *rand.Rand, n, restart int) []byte {
	d := make([]byte, 0, n+n/64)
	rst := 0
	for i := range n {
		if restart > 0 && i > 0 && i%restart == 0 {
			d = append(d, 0xff, 0xd0+byte(rst%8))
			rst++
		}
		c := byte(r.Uint32())
		d = append(d, c)
		if c == 0xff {
			d = append(d, 0x00)
		}
	}
	return d
}

// sosHeader is the payload of a three-component SOS segment.
var sosHeader = []byte{3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0}

// jpegWithThumbnail returns a JPEG whose APP1 Exif segment holds a complete
// JPEG thumbnail, with its own SOI and EOI, before the main image.
func jpegWithThumbnail(tb testing.TB) []byte {
	tb.Helper()
	thumb := encodeJPEG(tb, grayOf(noise(8, 8, 9)))
	main := encodeJPEG(tb, grayOf(noise(16, 8, 10)))
	payload := append([]byte("Exif\x00\x00II*\x00\x08\x00\x00\x00"), thumb...)
	f := []byte{0xff, 0xd8}
	f = append(f, segment(0xe1, payload)...)
	return append(f, main[2:]...)
}

// jpegRestart returns a baseline-shaped JPEG with a DRI segment and restart
// markers in its entropy-coded data.
func jpegRestart() []byte {
	r := rand.New(rand.NewPCG(11, 0))
	f := []byte{0xff, 0xd8}
	f = append(f, segment(0xdb, tricky(65))...)   // DQT
	f = append(f, segment(0xdd, []byte{0, 4})...) // DRI
	f = append(f, segment(0xc0, tricky(15))...)   // SOF0
	f = append(f, segment(0xc4, tricky(40))...)   // DHT
	f = append(f, segment(0xda, sosHeader)...)    // SOS
	f = append(f, entropy(r, 600, 37)...)         // data with RSTn
	return append(f, 0xff, 0xd9)
}

// jpegFill returns a JPEG with fill bytes before markers, in and out of
// entropy-coded data, and the stand-alone TEM and RSTn markers between
// segments.
func jpegFill() []byte {
	r := rand.New(rand.NewPCG(12, 0))
	f := []byte{0xff, 0xd8, 0xff, 0xff, 0xff}
	f = append(f, segment(0xe0, []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00"))...)
	f = append(f, 0xff, 0xff)
	f = append(f, segment(0xdb, tricky(65))...)
	f = append(f, 0xff, 0x01, 0xff, 0xff, 0xd3) // TEM, fill, RST3
	f = append(f, segment(0xc0, tricky(15))...)
	f = append(f, segment(0xda, sosHeader)...)
	f = append(f, entropy(r, 300, 0)...)
	f = append(f, 0xff, 0xff, 0xd5) // fill, then a restart marker in the data
	f = append(f, entropy(r, 150, 0)...)
	return append(f, 0xff, 0xff, 0xff, 0xff, 0xd9)
}

// jpegProgressive returns a progressive-shaped JPEG: several SOS segments,
// with DHT segments between scans.
func jpegProgressive() []byte {
	r := rand.New(rand.NewPCG(13, 0))
	f := []byte{0xff, 0xd8}
	f = append(f, segment(0xdb, tricky(65))...)
	f = append(f, segment(0xc2, tricky(15))...) // SOF2
	for scan := range 5 {
		f = append(f, segment(0xc4, tricky(20+scan))...)
		f = append(f, segment(0xda, sosHeader)...)
		f = append(f, entropy(r, 60+40*scan, 0)...)
	}
	return append(f, 0xff, 0xd9)
}

// jpegStray returns a JPEG with stray non-0xff bytes between segments, which
// libjpeg skips with a warning.
func jpegStray() []byte {
	r := rand.New(rand.NewPCG(14, 0))
	f := []byte{0xff, 0xd8}
	f = append(f, segment(0xdb, tricky(65))...)
	f = append(f, "stray\x00\x01"...)
	f = append(f, segment(0xc0, tricky(15))...)
	f = append(f, segment(0xda, sosHeader)...)
	f = append(f, entropy(r, 400, 0)...)
	return append(f, 0xff, 0xd9)
}

// bmpNoFileSize returns a 24-bit BMP whose bfSize is 0, and whose
// biSizeImage is 0 too if noImageSize, so that its length must be computed
// from the dimensions. topDown stores a negative height.
func bmpNoFileSize(tb testing.TB, noImageSize, topDown bool) []byte {
	tb.Helper()
	f := encodeBMP(tb, opaque(noise(7, 5, 15)))
	le := binary.LittleEndian
	le.PutUint32(f[2:], 0)
	if noImageSize {
		le.PutUint32(f[34:], 0)
	}
	if topDown {
		le.PutUint32(f[22:], uint32(-int32(le.Uint32(f[22:]))))
	}
	return f
}

// bmpCore returns a 5×3 24-bit BMP with a 12-byte BITMAPCOREHEADER and no
// bfSize.
func bmpCore() []byte {
	le := binary.LittleEndian
	f := make([]byte, 26, 26+3*16)
	copy(f, "BM")
	le.PutUint32(f[10:], 26) // pixel data offset
	le.PutUint32(f[14:], 12) // header size
	le.PutUint16(f[18:], 5)  // width
	le.PutUint16(f[20:], 3)  // height
	le.PutUint16(f[22:], 1)  // planes
	le.PutUint16(f[24:], 24) // bits per pixel
	for i := range 3 * 16 {  // 3 rows of 15 bytes padded to 16
		f = append(f, byte(i))
	}
	return f
}

// webp returns a WebP file whose RIFF size is size, padded to an even length.
func webp(size int) []byte {
	f := make([]byte, 8+size+size%2)
	copy(f, "RIFF")
	binary.LittleEndian.PutUint32(f[4:], uint32(size))
	copy(f[8:], "WEBPVP8L")
	for i := 16; i < len(f); i++ {
		f[i] = byte(i)
	}
	return f
}

// A tiffBuilder lays out a TIFF file by hand, at explicit offsets.
type tiffBuilder struct {
	order binary.ByteOrder
	buf   []byte
}

// An ifdEntry is one IFD entry. value is the offset of the values when they
// do not fit in 4 bytes, else the value itself (one SHORT or one LONG).
type ifdEntry struct {
	tag, typ     uint16
	count, value uint32
}

func newTIFF(order binary.ByteOrder, first uint32) *tiffBuilder {
	t := &tiffBuilder{order: order}
	if order == binary.BigEndian {
		t.put(0, []byte("MM\x00*"))
	} else {
		t.put(0, []byte("II*\x00"))
	}
	t.put32(4, first)
	return t
}

// put writes p at off, filling any gap before it with pseudo-random bytes.
func (t *tiffBuilder) put(off int, p []byte) {
	for len(t.buf) < off+len(p) {
		t.buf = append(t.buf, byte(len(t.buf)*131>>3))
	}
	copy(t.buf[off:], p)
}

func (t *tiffBuilder) put16(off int, v uint16) {
	var b [2]byte
	t.order.PutUint16(b[:], v)
	t.put(off, b[:])
}

func (t *tiffBuilder) put32(off int, v uint32) {
	var b [4]byte
	t.order.PutUint32(b[:], v)
	t.put(off, b[:])
}

// ifd writes an IFD at off and returns the offset just after it.
func (t *tiffBuilder) ifd(off int, next uint32, entries ...ifdEntry) int {
	t.put16(off, uint16(len(entries)))
	for i, e := range entries {
		p := off + 2 + 12*i
		t.put16(p, e.tag)
		t.put16(p+2, e.typ)
		t.put32(p+4, e.count)
		if e.typ == 3 && e.count == 1 {
			t.put16(p+8, uint16(e.value))
			t.put16(p+10, 0)
		} else {
			t.put32(p+8, e.value)
		}
	}
	end := off + 2 + 12*len(entries)
	t.put32(end, next)
	return end + 4
}

// longs writes LONG values at off.
func (t *tiffBuilder) longs(off int, vs ...uint32) {
	for i, v := range vs {
		t.put32(off+4*i, v)
	}
}

// shorts writes SHORT values at off.
func (t *tiffBuilder) shorts(off int, vs ...uint16) {
	for i, v := range vs {
		t.put16(off+2*i, v)
	}
}

// tiffChain returns a big-endian TIFF with two IFDs in a chain before the
// pixel data: the first with three strips whose arrays are out of line, the
// second with two tiles and an out-of-line ASCII value that ends the file.
func tiffChain() []byte {
	t := newTIFF(binary.BigEndian, 8)
	t.ifd(8, 300,
		ifdEntry{256, 3, 1, 4},
		ifdEntry{257, 3, 1, 6},
		ifdEntry{258, 3, 1, 8},
		ifdEntry{259, 3, 1, 1},
		ifdEntry{262, 3, 1, 1},
		ifdEntry{270, 2, 20, 220}, // ImageDescription, 220..240
		ifdEntry{273, 4, 3, 200},  // StripOffsets, 200..212
		ifdEntry{277, 3, 1, 1},
		ifdEntry{278, 3, 1, 2},
		ifdEntry{279, 3, 3, 212}, // StripByteCounts (SHORT), 212..218
	)
	t.longs(200, 1000, 1008, 1016)
	t.shorts(212, 8, 8, 8)
	t.put(220, []byte("a big-endian TIFF\x00\x00\x00"))
	t.ifd(300, 0,
		ifdEntry{256, 3, 1, 16},
		ifdEntry{257, 3, 1, 32},
		ifdEntry{305, 2, 30, 1536}, // Software, 1536..1566, the last bytes
		ifdEntry{322, 3, 1, 16},
		ifdEntry{323, 3, 1, 16},
		ifdEntry{324, 4, 2, 400}, // TileOffsets, 400..408
		ifdEntry{325, 4, 2, 408}, // TileByteCounts, 408..416
	)
	t.longs(400, 1024, 1280)
	t.longs(408, 256, 256)
	t.put(1000, bytes.Repeat([]byte{0xaa}, 24))  // strips
	t.put(1024, bytes.Repeat([]byte{0x55}, 512)) // tiles
	t.put(1536, []byte("escala test writer 1.0\x00\x00\x00\x00\x00\x00\x00\x00"))
	return t.buf
}

// tiffSubIFDs returns a little-endian TIFF whose first IFD points to two
// SubIFDs and an Exif IFD. The Exif IFD and its value come last in the file,
// after all pixel data, and the second SubIFD has a JPEG thumbnail.
func tiffSubIFDs() []byte {
	t := newTIFF(binary.LittleEndian, 8)
	t.ifd(8, 0,
		ifdEntry{256, 3, 1, 2},
		ifdEntry{257, 3, 1, 2},
		ifdEntry{273, 4, 1, 200}, // one strip, 200..216
		ifdEntry{279, 4, 1, 16},
		ifdEntry{330, 4, 2, 100},   // SubIFDs at 100..108
		ifdEntry{34665, 4, 1, 300}, // Exif IFD
	)
	t.longs(100, 120, 150)
	t.ifd(120, 0,
		ifdEntry{273, 4, 1, 216}, // 216..232
		ifdEntry{279, 3, 1, 16},
	)
	t.ifd(150, 0,
		ifdEntry{513, 4, 1, 232}, // JPEG thumbnail, 232..272
		ifdEntry{514, 4, 1, 40},
	)
	t.put(200, bytes.Repeat([]byte{0x11}, 72)) // pixel data and thumbnail
	t.ifd(300, 0,
		ifdEntry{36864, 7, 4, 0x30333230}, // ExifVersion, inline
		ifdEntry{37510, 7, 40, 330},       // UserComment, 330..370
	)
	t.put(330, bytes.Repeat([]byte("comment."), 5))
	return t.buf
}

// TestFilesDecode checks that the test files which a decoder can read are
// valid images, so that the Scanner is tested against real files; the other
// hand-built files have synthetic pixel data.
func TestFilesDecode(t *testing.T) {
	decodable := map[string]bool{
		"jpeg/baseline": true, "jpeg/gray": true, "jpeg/big": true, "jpeg/exif-thumbnail": true,
		"png/rgba": true, "png/paletted": true, "png/big": true,
		"gif/two-frames": true, "gif/big": true,
		"bmp/gray": true, "bmp/paletted": true, "bmp/24-bit": true, "bmp/32-bit": true, "bmp/big": true,
		"bmp/no-bfsize": true, "bmp/no-sizes": true, "bmp/no-sizes-top-down": true,
		"tiff/uncompressed": true, "tiff/gray": true, "tiff/deflate": true, "tiff/big-deflate": true,
	}
	decoders := map[string]func(io.Reader) (image.Image, error){
		"jpeg": jpeg.Decode, "png": png.Decode, "gif": gif.Decode, "bmp": bmp.Decode, "tiff": tiff.Decode,
	}
	for _, f := range testFiles(t) {
		if !decodable[f.name] {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			if _, err := decoders[f.format](bytes.NewReader(f.data)); err != nil {
				t.Errorf("decode %s: %v", f.name, err)
			}
		})
	}
}
