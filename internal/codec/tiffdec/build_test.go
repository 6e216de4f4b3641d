package tiffdec

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"sort"
	"testing"
)

// field is a directory entry of a file that buildTIFF writes: tag, type
// and values (two a RATIONAL, each byte one for BYTE and UNDEFINED).
type field struct {
	tag  uint16
	typ  uint16
	vals []uint32
}

// short and long return a SHORT and a LONG field.
func short(tag uint16, v ...uint32) field { return field{tag, 3, v} }
func long(tag uint16, v ...uint32) field  { return field{tag, 4, v} }

// buildTIFF returns a TIFF file in byte order o with the given fields and
// strips (or tiles, when the fields have TileWidth): the strips first, then
// the values that do not fit their entry, then the directory. Offsets and
// byte counts are added unless the fields have them.
func buildTIFF(o byteOrder, fields []field, chunks [][]byte) []byte {
	var b []byte
	if o == binary.AppendByteOrder(binary.LittleEndian) {
		b = []byte("II*\x00\x00\x00\x00\x00")
	} else {
		b = []byte("MM\x00*\x00\x00\x00\x00")
	}
	var offs, counts []uint32
	for _, c := range chunks {
		offs = append(offs, uint32(len(b)))
		counts = append(counts, uint32(len(c)))
		b = append(b, c...)
	}
	has := map[uint16]bool{}
	tiled := false
	for _, f := range fields {
		has[f.tag] = true
		tiled = tiled || f.tag == tagTileWidth
	}
	offTag, countTag := uint16(tagStripOffsets), uint16(tagStripByteCounts)
	if tiled {
		offTag, countTag = tagTileOffsets, tagTileByteCounts
	}
	if !has[offTag] {
		fields = append(fields, long(offTag, offs...))
	}
	if !has[countTag] {
		fields = append(fields, long(countTag, counts...))
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].tag < fields[j].tag })
	var entries []byte
	for _, f := range fields {
		var val []byte
		for _, v := range f.vals {
			switch f.typ {
			case 1, 7:
				val = append(val, byte(v))
			case 3:
				val = o.AppendUint16(val, uint16(v))
			default:
				val = o.AppendUint32(val, v)
			}
		}
		n := len(f.vals)
		if f.typ == 5 {
			n /= 2
		}
		e := o.AppendUint16(nil, f.tag)
		e = o.AppendUint16(e, f.typ)
		e = o.AppendUint32(e, uint32(n))
		if len(val) <= 4 {
			e = append(e, append(val, make([]byte, 4-len(val))...)...)
		} else {
			e = o.AppendUint32(e, uint32(len(b)))
			b = append(b, val...)
		}
		entries = append(entries, e...)
	}
	copy(b[4:], o.AppendUint32(nil, uint32(len(b))))
	b = o.AppendUint16(b, uint16(len(fields)))
	b = append(b, entries...)
	return append(b, 0, 0, 0, 0)
}

// grayFields returns the fields of a w×h image of one 8-bit sample a pixel
// in one strip, of the given compression and photometric interpretation.
func grayFields(w, h, compression, photometric uint32) []field {
	return []field{
		long(tagImageWidth, w), long(tagImageLength, h),
		short(tagBitsPerSample, 8), short(tagCompression, compression),
		short(tagPhotometric, photometric), short(tagSamplesPerPixel, 1),
		long(tagRowsPerStrip, h),
	}
}

// with returns fields with f in place of the field of its tag, or added.
func with(fields []field, f ...field) []field {
	out := append([]field(nil), fields...)
	for _, g := range f {
		found := false
		for i := range out {
			if out[i].tag == g.tag {
				out[i], found = g, true
			}
		}
		if !found {
			out = append(out, g)
		}
	}
	return out
}

// deflate returns data compressed with zlib.
func deflate(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if _, err := zw.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// byteOrder is the byte order of a file that buildTIFF writes.
type byteOrder = binary.AppendByteOrder
