package scaler_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/escala-img/escala/scaler"
)

// exifEntry is one 12-byte IFD entry. For a single SHORT, value is stored in
// the first two bytes of the value field, as the TIFF spec says; otherwise it
// fills the four bytes.
type exifEntry struct {
	tag, typ uint16
	count    uint32
	value    uint32
}

// exifOrientationEntry is a well-formed Orientation entry holding v.
func exifOrientationEntry(v uint16) exifEntry {
	return exifEntry{tag: 0x0112, typ: 3, count: 1, value: uint32(v)}
}

// exifOrder is binary.LittleEndian or binary.BigEndian.
type exifOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// exifOrderName is "II" for little-endian data and "MM" for big-endian.
func exifOrderName(order exifOrder) string {
	if order == exifOrder(binary.LittleEndian) {
		return "II"
	}
	return "MM"
}

// exifIFD appends to b an IFD with the given claimed entry count, entries and
// no next IFD.
func exifIFD(b []byte, order exifOrder, count uint16, entries []exifEntry) []byte {
	b = order.AppendUint16(b, count)
	for _, e := range entries {
		b = order.AppendUint16(b, e.tag)
		b = order.AppendUint16(b, e.typ)
		b = order.AppendUint32(b, e.count)
		if e.typ == 3 && e.count == 1 {
			b = order.AppendUint16(b, uint16(e.value))
			b = append(b, 0, 0)
		} else {
			b = order.AppendUint32(b, e.value)
		}
	}
	return order.AppendUint32(b, 0)
}

// exifTIFF returns an EXIF payload (a TIFF structure) in the given byte order
// whose IFD0 holds, like a camera's, a Make string and an XResolution stored
// past the IFD, with orient between them.
func exifTIFF(order exifOrder, orient exifEntry) []byte {
	const ifdEnd = 8 + 2 + 3*12 + 4 // header, count, 3 entries, next IFD
	b := append([]byte(exifOrderName(order)), 0, 0)
	order.PutUint16(b[2:], 42)
	b = order.AppendUint32(b, 8)
	b = exifIFD(b, order, 3, []exifEntry{
		{tag: 0x010F, typ: 2, count: 6, value: ifdEnd}, // Make, an ASCII string
		orient,
		{tag: 0x011A, typ: 5, count: 1, value: ifdEnd + 6}, // XResolution, a RATIONAL
	})
	b = append(b, "Phone\x00"...)
	b = order.AppendUint32(b, 72)
	return order.AppendUint32(b, 1)
}

// exifRawTIFF returns a TIFF structure whose IFD0, at ifdOffset (8 if zero),
// claims count entries and holds entries.
func exifRawTIFF(order exifOrder, ifdOffset uint32, count uint16, entries ...exifEntry) []byte {
	if ifdOffset == 0 {
		ifdOffset = 8
	}
	b := append([]byte(exifOrderName(order)), 0, 0)
	order.PutUint16(b[2:], 42)
	b = order.AppendUint32(b, ifdOffset)
	return exifIFD(b, order, count, entries)
}

// exifSegment returns a JPEG marker segment with the given code and payload.
func exifSegment(code byte, payload []byte) []byte {
	b := []byte{0xFF, code}
	b = binary.BigEndian.AppendUint16(b, uint16(2+len(payload)))
	return append(b, payload...)
}

// exifAPP1 returns the APP1 segment that holds the EXIF payload t.
func exifAPP1(t []byte) []byte {
	return exifSegment(0xE1, append([]byte("Exif\x00\x00"), t...))
}

// exifPlainJPEG returns a small gray JPEG made by image/jpeg.
func exifPlainJPEG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 4)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 50}); err != nil {
		tb.Fatalf("jpeg.Encode: %v", err)
	}
	return buf.Bytes()
}

// exifJPEG returns a JPEG made by image/jpeg with segs inserted right after
// SOI, checking that image/jpeg still decodes it.
func exifJPEG(tb testing.TB, segs ...[]byte) []byte {
	tb.Helper()
	plain := exifPlainJPEG(tb)
	b := append([]byte{}, plain[:2]...)
	for _, s := range segs {
		b = append(b, s...)
	}
	b = append(b, plain[2:]...)
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		tb.Fatalf("jpeg.Decode of the test JPEG: %v", err)
	}
	return b
}

// exifPNGChunk returns a PNG chunk with a correct CRC.
func exifPNGChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// exifPNG returns a PNG made by image/png with chunks inserted before the
// first chunk of type before ("IDAT" or "IEND"), checking that image/png
// still decodes it.
func exifPNG(tb testing.TB, before string, chunks ...[]byte) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 4, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 20)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatalf("png.Encode: %v", err)
	}
	plain := buf.Bytes()
	i := 8
	for string(plain[i+4:i+8]) != before {
		i += 12 + int(binary.BigEndian.Uint32(plain[i:]))
	}
	b := append([]byte{}, plain[:i]...)
	for _, c := range chunks {
		b = append(b, c...)
	}
	b = append(b, plain[i:]...)
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		tb.Fatalf("png.Decode of the test PNG: %v", err)
	}
	return b
}

// exifBits writes a VP8L bit stream, least significant bit first.
type exifBits struct {
	b []byte
	n int // bits written
}

func (w *exifBits) write(v uint32, n int) {
	for range n {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v&1) << (w.n % 8)
		v >>= 1
		w.n++
	}
}

// exifVP8L returns a lossless WebP bit stream of one opaque gray pixel: no
// transforms, no color cache, no meta codes, and five one-symbol prefix codes
// (green, red, blue, alpha, distance), so the pixel itself takes no bits.
func exifVP8L() []byte {
	w := &exifBits{b: []byte{0x2F}, n: 8}
	w.write(0, 14) // width - 1
	w.write(0, 14) // height - 1
	w.write(0, 1)  // alpha is unused
	w.write(0, 3)  // version
	w.write(0, 1)  // no transform
	w.write(0, 1)  // no color cache
	w.write(0, 1)  // no meta prefix codes

	for _, sym := range []uint32{0x80, 0x80, 0x80, 0xFF} { // green, red, blue, alpha
		w.write(1, 1) // simple code
		w.write(0, 1) // one symbol
		w.write(1, 1) // of 8 bits
		w.write(sym, 8)
	}
	w.write(1, 1) // distance: simple code
	w.write(0, 1) // one symbol
	w.write(0, 1) // of 1 bit
	w.write(0, 1) // symbol 0
	return w.b
}

// exifRIFFChunk returns a RIFF chunk, padded to an even size.
func exifRIFFChunk(fourCC string, data []byte) []byte {
	b := append([]byte(fourCC), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(data)))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// exifWebP returns an extended (VP8X) WebP of one pixel whose image data is
// followed by extra chunks, with the EXIF flag set, checking that x/image/webp
// still decodes it.
func exifWebP(tb testing.TB, extra ...[]byte) []byte {
	tb.Helper()
	vp8x := make([]byte, 10) // flags, 3 reserved, canvas width-1, height-1 (24 bits each)
	vp8x[0] = 1 << 3         // EXIF metadata present
	b := exifWebPFile(exifRIFFChunk("VP8X", vp8x), exifRIFFChunk("VP8L", exifVP8L()))
	for _, c := range extra {
		b = exifWebPFile(b[12:], c)
	}
	m, err := webp.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("webp.Decode of the test WebP: %v", err)
	}
	if r, g, b, a := m.At(0, 0).RGBA(); r>>8 != 0x80 || g>>8 != 0x80 || b>>8 != 0x80 || a>>8 != 0xFF {
		tb.Fatalf("test WebP pixel = %v, want gray 0x80", m.At(0, 0))
	}
	return b
}

// exifWebPFile returns a RIFF WEBP file made of chunks.
func exifWebPFile(chunks ...[]byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBP")
	for _, c := range chunks {
		b = append(b, c...)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// exifPlainTIFF returns a 3×2 gray TIFF made by x/image/tiff.
func exifPlainTIFF(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(img.Pix, []uint8{10, 20, 30, 40, 50, 60})
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, img, nil); err != nil {
		tb.Fatalf("tiff.Encode: %v", err)
	}
	return buf.Bytes()
}

// exifPatchTIFF returns a copy of the TIFF file f with a new IFD0 appended to
// it: the entries of the old IFD0 plus e, kept sorted by tag. It checks that
// x/image/tiff still decodes the result.
func exifPatchTIFF(tb testing.TB, f []byte, e exifEntry) []byte {
	tb.Helper()
	if string(f[:4]) != "II*\x00" {
		tb.Fatalf("exifPatchTIFF: not a little-endian TIFF: % x", f[:4])
	}
	order := binary.LittleEndian
	off := order.Uint32(f[4:])
	n := int(order.Uint16(f[off:]))
	var entries []exifEntry
	for k := range n {
		raw := f[int(off)+2+12*k:]
		old := exifEntry{tag: order.Uint16(raw), typ: order.Uint16(raw[2:]), count: order.Uint32(raw[4:]), value: order.Uint32(raw[8:])}
		if old.typ == 3 && old.count == 1 {
			old.value = uint32(order.Uint16(raw[8:]))
		}
		if e.tag != 0 && old.tag > e.tag {
			entries, e = append(entries, e), exifEntry{}
		}
		entries = append(entries, old)
	}
	if e.tag != 0 {
		entries = append(entries, e)
	}
	b := append([]byte{}, f...)
	if len(b)%2 == 1 {
		b = append(b, 0) // IFDs start on a word boundary
	}
	order.PutUint32(b[4:], uint32(len(b)))
	b = exifIFD(b, order, uint16(len(entries)), entries)
	if _, err := tiff.Decode(bytes.NewReader(b)); err != nil {
		tb.Fatalf("tiff.Decode of the patched TIFF: %v", err)
	}
	return b
}

// exifSample is an encoded image, the orientation it records, and the length
// of the shortest prefix of it that still records it.
type exifSample struct {
	name string
	data []byte
	want scaler.Orientation
	need int
}

// exifSamples returns, for each container and byte order, a file recording
// each of the eight orientations.
func exifSamples(tb testing.TB) []exifSample {
	tb.Helper()
	var out []exifSample
	for _, order := range []exifOrder{binary.LittleEndian, binary.BigEndian} {
		for v := uint16(1); v <= 8; v++ {
			o := scaler.Orientation(v)
			block := exifTIFF(order, exifOrientationEntry(v))
			name := func(c string) string { return fmt.Sprintf("%s/%s/%d", c, exifOrderName(order), v) }
			end := func(data []byte, pad int) int { return bytes.Index(data, block) + len(block) + pad }

			j := exifJPEG(tb, exifAPP1(block))
			out = append(out, exifSample{name("jpeg"), j, o, end(j, 0)})

			p := exifPNG(tb, "IDAT", exifPNGChunk("eXIf", block))
			out = append(out, exifSample{name("png"), p, o, end(p, 4)}) // and the CRC

			w := exifWebP(tb, exifRIFFChunk("EXIF", block))
			out = append(out, exifSample{name("webp"), w, o, end(w, 0)})

			wp := exifWebP(tb, exifRIFFChunk("EXIF", append([]byte("Exif\x00\x00"), block...)))
			out = append(out, exifSample{name("webp-exif-prefix"), wp, o, end(wp, 0)})

			// A TIFF file is read directly: a bare TIFF structure is one. Only
			// its IFD0 entries are needed, not the next-IFD offset after them
			// nor the values stored elsewhere.
			out = append(out, exifSample{name("tiff-struct"), block, o, 8 + 2 + 3*12})
			if order == exifOrder(binary.LittleEndian) {
				t := exifPatchTIFF(tb, exifPlainTIFF(tb), exifOrientationEntry(v))
				out = append(out, exifSample{name("tiff"), t, o, len(t) - 4}) // IFD0 is last
			}
		}
	}
	return out
}

func TestExifOrientation(t *testing.T) {
	for _, s := range exifSamples(t) {
		t.Run(s.name, func(t *testing.T) {
			if got := scaler.ExifOrientation(s.data); got != s.want {
				t.Errorf("ExifOrientation(%s) = %d, want %d", s.name, got, s.want)
			}
		})
	}
}

// TestExifOrientationLayouts covers legal layouts that image/jpeg and
// image/png do not write.
func TestExifOrientationLayouts(t *testing.T) {
	mm6 := exifTIFF(binary.BigEndian, exifOrientationEntry(6))
	xmp := exifSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	jfif := exifSegment(0xE0, []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00"))
	plain := exifPlainJPEG(t)
	tests := []struct {
		name string
		data []byte
	}{
		{"jpeg/JFIF-then-EXIF", exifJPEG(t, jfif, exifAPP1(mm6))},
		{"jpeg/XMP-then-EXIF", exifJPEG(t, xmp, exifAPP1(mm6))},
		{"jpeg/fill-bytes", append(append([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xFF}, exifAPP1(mm6)[1:]...), plain[2:]...)},
		{"jpeg/after-tables", append(append(append([]byte{}, plain[:bytes.Index(plain, []byte{0xFF, 0xDA})]...), exifAPP1(mm6)...), plain[bytes.Index(plain, []byte{0xFF, 0xDA}):]...)},
		{"png/after-text", exifPNG(t, "IDAT", exifPNGChunk("tEXt", []byte("Software\x00escala")), exifPNGChunk("eXIf", mm6))},
		{"webp/odd-chunk-first", exifWebP(t, exifRIFFChunk("XYZW", []byte{1, 2, 3}), exifRIFFChunk("EXIF", mm6))},
		{"webp/without-flag", func() []byte {
			b := exifWebP(t, exifRIFFChunk("EXIF", mm6))
			b[20] = 0 // the VP8X flags
			return b
		}()},
		{"tiff/unsorted", exifRawTIFF(binary.LittleEndian, 0, 2,
			exifEntry{tag: 0x0131, typ: 2, count: 4, value: 0x006f67},
			exifOrientationEntry(6))},
		{"tiff/ifd-at-end", func() []byte {
			b := exifRawTIFF(binary.BigEndian, 16, 1, exifOrientationEntry(6))
			return append(append(b[:8:8], "padding!"...), b[8:]...)
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := scaler.ExifOrientation(tc.data); got != scaler.RightTop {
				t.Errorf("ExifOrientation(%s) = %d, want %d", tc.name, got, scaler.RightTop)
			}
		})
	}
}

// exifNegatives returns inputs that record no usable orientation.
func exifNegatives(tb testing.TB) []exifSample {
	tb.Helper()
	ii, mm := exifOrder(binary.LittleEndian), exifOrder(binary.BigEndian)
	ok := exifTIFF(mm, exifOrientationEntry(6))
	plainJPEG := exifPlainJPEG(tb)
	jpegWith := func(segs ...[]byte) []byte {
		b := append([]byte{}, plainJPEG[:2]...)
		for _, s := range segs {
			b = append(b, s...)
		}
		return append(b, plainJPEG[2:]...)
	}
	var out []exifSample
	add := func(name string, data []byte) {
		out = append(out, exifSample{name: name, data: data, want: scaler.TopLeft})
	}

	add("nil", nil)
	add("empty", []byte{})
	add("text", []byte("hello, world"))
	add("jpeg/soi-only", []byte{0xFF, 0xD8})
	add("png/signature-only", []byte("\x89PNG\r\n\x1a\n"))
	add("webp/header-only", []byte("RIFF\x04\x00\x00\x00WEBP"))
	add("tiff/header-only", []byte("II*\x00"))

	add("jpeg/no-exif", plainJPEG)
	add("png/no-exif", exifPNG(tb, "IDAT"))
	add("webp/no-exif", exifWebP(tb))
	add("tiff/no-orientation", exifPlainTIFF(tb))

	for _, order := range []exifOrder{ii, mm} {
		on := exifOrderName(order)
		for _, v := range []uint16{0, 9, 0xFF, 0x106, 0x601, 0xFFFF} {
			add(fmt.Sprintf("jpeg/%s/value-%#x", on, v), jpegWith(exifAPP1(exifTIFF(order, exifOrientationEntry(v)))))
		}
		add("jpeg/"+on+"/type-LONG", jpegWith(exifAPP1(exifTIFF(order, exifEntry{0x0112, 4, 1, 6}))))
		add("jpeg/"+on+"/type-SSHORT", jpegWith(exifAPP1(exifTIFF(order, exifEntry{0x0112, 8, 1, 6}))))
		add("jpeg/"+on+"/count-2", jpegWith(exifAPP1(exifTIFF(order, exifEntry{0x0112, 3, 2, 6 | 6<<16}))))
		add("jpeg/"+on+"/count-0", jpegWith(exifAPP1(exifTIFF(order, exifEntry{0x0112, 3, 0, 6}))))
		add("tiff/"+on+"/ifd-past-end", exifRawTIFF(order, 0xFFFFFFF0, 1, exifOrientationEntry(6)))
		add("tiff/"+on+"/ifd-at-end", exifRawTIFF(order, 26, 1, exifOrientationEntry(6)))
		add("tiff/"+on+"/ifd-at-last-byte", exifRawTIFF(order, 25, 1, exifOrientationEntry(6)))
		add("tiff/"+on+"/huge-count", exifRawTIFF(order, 0, 0xFFFF, exifOrientationEntry(6)))
		add("tiff/"+on+"/count-one-too-many", exifRawTIFF(order, 0, 2, exifOrientationEntry(6)))
		many := make([]exifEntry, 2000)
		many[0] = exifOrientationEntry(6)
		add("tiff/"+on+"/count-over-cap", exifRawTIFF(order, 0, uint16(len(many)), many...))
	}
	bigTIFF := append([]byte{}, ok...)
	bigTIFF[3] = 43
	add("tiff/bigtiff", bigTIFF)
	mixed := append([]byte{}, ok...)
	mixed[1] = 'I'
	add("tiff/mixed-order", mixed)

	add("jpeg/xmp-only", jpegWith(exifSegment(0xE1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), ok...))))
	add("jpeg/exif-header-missing", jpegWith(exifSegment(0xE1, ok)))
	add("jpeg/exif-in-app2", jpegWith(exifSegment(0xE2, append([]byte("Exif\x00\x00"), ok...))))
	add("jpeg/first-exif-without-orientation", jpegWith(
		exifAPP1(exifRawTIFF(mm, 0, 0)), exifAPP1(ok)))
	add("jpeg/app1-length-past-end", append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, exifAPP1(ok)[4:]...))
	add("jpeg/app1-length-1", append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01}, exifAPP1(ok)[4:]...))
	add("jpeg/no-marker", append([]byte{0xFF, 0xD8, 0x00}, exifAPP1(ok)...))
	add("jpeg/stuffed-zero", append([]byte{0xFF, 0xD8, 0xFF, 0x00}, exifAPP1(ok)...))
	add("jpeg/eoi-first", append([]byte{0xFF, 0xD8, 0xFF, 0xD9}, exifAPP1(ok)...))
	eoi := len(plainJPEG) - 2
	add("jpeg/app1-after-sos", append(append(append([]byte{}, plainJPEG[:eoi]...), exifAPP1(ok)...), plainJPEG[eoi:]...))
	sos := bytes.Index(plainJPEG, []byte{0xFF, 0xDA})
	sos += 2 + int(binary.BigEndian.Uint16(plainJPEG[sos+2:])) // the first entropy-coded byte
	add("jpeg/app1-after-sos-header", append(append(append([]byte{}, plainJPEG[:sos]...), exifAPP1(ok)...), plainJPEG[sos:]...))

	add("png/exif-after-idat", exifPNG(tb, "IEND", exifPNGChunk("eXIf", ok)))
	badCRC := exifPNG(tb, "IDAT", exifPNGChunk("eXIf", ok))
	badCRC[bytes.Index(badCRC, ok)+len(ok)+3] ^= 1
	add("png/bad-crc", badCRC)
	add("png/huge-chunk-first", append([]byte("\x89PNG\r\n\x1a\n\xFF\xFF\xFF\xFFtEXt"), exifPNGChunk("eXIf", ok)...))
	add("png/chunk-length-past-end", append([]byte("\x89PNG\r\n\x1a\n"), exifPNGChunk("eXIf", ok)[:len(ok)+8]...))

	add("webp/simple-file", exifWebPFile(exifRIFFChunk("VP8L", exifVP8L()), exifRIFFChunk("EXIF", ok)))
	hugeChunk := exifWebP(tb, exifRIFFChunk("EXIF", ok))
	binary.LittleEndian.PutUint32(hugeChunk[len(hugeChunk)-len(ok)-4:], 0xFFFFFFFF)
	add("webp/exif-size-past-end", hugeChunk)
	shortRIFF := exifWebP(tb, exifRIFFChunk("EXIF", ok))
	binary.LittleEndian.PutUint32(shortRIFF[4:], uint32(len(shortRIFF)-8-len(ok)))
	add("webp/exif-past-riff-size", shortRIFF)
	add("webp/huge-vp8x", exifWebPFile([]byte("VP8X\xFF\xFF\xFF\xFF"), exifRIFFChunk("EXIF", ok)))
	return out
}

func TestExifOrientationNone(t *testing.T) {
	for _, s := range exifNegatives(t) {
		t.Run(s.name, func(t *testing.T) {
			if got := scaler.ExifOrientation(s.data); got != scaler.TopLeft {
				t.Errorf("ExifOrientation(%s) = %d, want %d", s.name, got, scaler.TopLeft)
			}
		})
	}
}

// TestExifOrientationTruncated cuts each sample at every length: the
// orientation must be found exactly when the block holding it is complete.
func TestExifOrientationTruncated(t *testing.T) {
	for _, s := range exifSamples(t) {
		if s.want == scaler.TopLeft {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			for n := range len(s.data) + 1 {
				want := scaler.TopLeft
				if n >= s.need {
					want = s.want
				}
				// A fresh copy, so that reading past n would be caught by -race
				// or the bounds checks rather than see the rest of s.data.
				data := append([]byte(nil), s.data[:n]...)
				if got := scaler.ExifOrientation(data); got != want {
					t.Fatalf("ExifOrientation(%s[:%d]) = %d, want %d (complete from %d on)", s.name, n, got, want, s.need)
				}
			}
		})
	}
}

func TestExifOrientationAllocs(t *testing.T) {
	inputs := append(exifSamples(t), exifNegatives(t)...)
	allocs := testing.AllocsPerRun(10, func() {
		for _, s := range inputs {
			scaler.ExifOrientation(s.data)
		}
	})
	if allocs != 0 {
		t.Errorf("ExifOrientation allocated %v times per run of %d inputs, want 0", allocs, len(inputs))
	}
}

func FuzzExifOrientation(f *testing.F) {
	for _, s := range exifSamples(f) {
		f.Add(s.data)
	}
	for _, s := range exifNegatives(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o := scaler.ExifOrientation(data)
		if o < scaler.TopLeft || o > scaler.LeftBottom {
			t.Fatalf("ExifOrientation(% x) = %d, want 1 to 8", data, o)
		}
	})
}
