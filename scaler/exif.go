package scaler

import (
	"encoding/binary"
	"hash/crc32"
)

// tagOrientation is the EXIF/TIFF tag that holds the [Orientation].
const tagOrientation = 0x0112

// typeShort is the TIFF field type SHORT: an unsigned 16-bit integer.
const typeShort = 3

// maxIFDEntries caps the entries of an IFD that ExifOrientation reads. Real
// IFD0s have a few dozen; a claimed count above this is taken as malformed.
const maxIFDEntries = 1024

// ExifOrientation returns the EXIF orientation recorded in the encoded image
// data, or [TopLeft] when there is none, it is out of range, or data cannot be
// parsed. The format is recognised by its signature, not by a name:
//
//   - JPEG: the first APP1 segment whose payload starts with "Exif\x00\x00",
//     among the marker segments before the first SOS (or EOI); nothing after
//     SOS is looked at.
//   - PNG: the eXIf chunk, if it comes before the first IDAT and its CRC is
//     correct.
//   - WebP: the "EXIF" chunk of an extended (VP8X) RIFF container, with or
//     without an "Exif\x00\x00" prefix. Simple (VP8 or VP8L only) files carry
//     no EXIF.
//   - TIFF: the first IFD of the file itself (classic TIFF, not BigTIFF).
//
// In each case the orientation is the tag 0x0112 of IFD0, of type SHORT and
// count 1; any other type or count counts as no orientation. A segment or chunk
// that is cut short by the end of data is ignored, and so is an IFD0 that claims
// more than 1024 entries or more entries than data holds.
//
// ExifOrientation does not retain or modify data, reads only the headers it
// walks through and the EXIF block it finds, allocates nothing, never panics,
// and is safe for concurrent use.
func ExifOrientation(data []byte) Orientation {
	switch {
	case len(data) >= 2 && data[0] == 0xFF && data[1] == 0xD8:
		return jpegOrientation(data)
	case hasPrefix(data, pngSignature):
		return pngOrientation(data)
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return webpOrientation(data)
	case hasPrefix(data, "II*\x00"), hasPrefix(data, "MM\x00*"):
		return tiffOrientation(data)
	}
	return TopLeft
}

// exifHeader starts the payload of a JPEG APP1 segment that holds EXIF, and
// optionally the EXIF chunk of a WebP file.
const exifHeader = "Exif\x00\x00"

// jpegOrientation walks the marker segments of a JPEG file, which starts with
// SOI (FF D8), up to the first SOS or EOI.
func jpegOrientation(data []byte) Orientation {
	i := 2
	for {
		// A marker is 0xFF, any number of 0xFF fill bytes, then a code.
		if i >= len(data) || data[i] != 0xFF {
			return TopLeft
		}
		for i < len(data) && data[i] == 0xFF {
			i++
		}
		if i >= len(data) {
			return TopLeft
		}
		code := data[i]
		i++
		switch {
		case code == 0xDA || code == 0xD9: // SOS, EOI: no more headers
			return TopLeft
		case code == 0x01 || code >= 0xD0 && code <= 0xD8: // TEM, RSTn, SOI: no length
			continue
		case code == 0x00: // a stuffed zero is not a marker
			return TopLeft
		}
		if len(data)-i < 2 {
			return TopLeft
		}
		n := int(binary.BigEndian.Uint16(data[i:])) // counts itself, not the marker
		if n < 2 || n > len(data)-i {
			return TopLeft
		}
		payload := data[i+2 : i+n]
		i += n
		if code == 0xE1 && hasPrefix(payload, exifHeader) {
			return tiffOrientation(payload[len(exifHeader):])
		}
	}
}

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// pngOrientation walks the chunks of a PNG file up to the first IDAT or IEND.
func pngOrientation(data []byte) Orientation {
	i := len(pngSignature)
	// A chunk is 4 (length) + 4 (type) + n (data) + 4 (CRC) bytes.
	for len(data)-i >= 12 {
		n := binary.BigEndian.Uint32(data[i:])
		typ := string(data[i+4 : i+8])
		if typ == "IDAT" || typ == "IEND" {
			return TopLeft
		}
		if uint64(n) > uint64(len(data)-i-12) {
			return TopLeft
		}
		end := i + 8 + int(n)
		if typ == "eXIf" {
			crc := binary.BigEndian.Uint32(data[end:])
			if crc32.ChecksumIEEE(data[i+4:end]) != crc {
				return TopLeft
			}
			return tiffOrientation(data[i+8 : end])
		}
		i = end + 4
	}
	return TopLeft
}

// webpOrientation walks the chunks of a RIFF WebP file. The EXIF chunk comes
// after the image data, so the chunks in between are skipped by their sizes.
func webpOrientation(data []byte) Orientation {
	// The RIFF size counts the bytes after itself; trust it only to shorten.
	if size := binary.LittleEndian.Uint32(data[4:]); uint64(size) < uint64(len(data)-8) {
		data = data[:8+int(size)]
	}
	i := 12
	for first := true; len(data)-i >= 8; first = false {
		fourCC := string(data[i : i+4])
		n := binary.LittleEndian.Uint32(data[i+4:])
		if first && fourCC != "VP8X" {
			return TopLeft // a simple file: no metadata
		}
		if uint64(n) > uint64(len(data)-i-8) {
			return TopLeft
		}
		body := data[i+8 : i+8+int(n)]
		if fourCC == "EXIF" {
			if hasPrefix(body, exifHeader) {
				body = body[len(exifHeader):]
			}
			return tiffOrientation(body)
		}
		i += 8 + int(n)
		if n%2 == 1 {
			i++ // chunks are padded to an even size
		}
	}
	return TopLeft
}

// tiffOrientation returns the orientation recorded in IFD0 of a TIFF
// structure: a TIFF file, or the payload of an EXIF block. Offsets in it are
// relative to its first byte.
func tiffOrientation(t []byte) Orientation {
	if len(t) < 8 {
		return TopLeft
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return TopLeft
	}
	if order.Uint16(t[2:]) != 42 {
		return TopLeft
	}
	off := order.Uint32(t[4:])
	if uint64(off) > uint64(len(t)-2) {
		return TopLeft
	}
	ifd := t[off:]
	count := int(order.Uint16(ifd))
	if count > maxIFDEntries || count > (len(ifd)-2)/12 {
		return TopLeft // claims more entries than there are bytes
	}
	for k := range count {
		e := ifd[2+12*k : 2+12*k+12]
		if order.Uint16(e) != tagOrientation {
			continue
		}
		if order.Uint16(e[2:]) != typeShort || order.Uint32(e[4:]) != 1 {
			return TopLeft
		}
		// A single SHORT sits in the first two bytes of the value field.
		if v := order.Uint16(e[8:]); v >= uint16(TopLeft) && v <= uint16(LeftBottom) {
			return Orientation(v)
		}
		return TopLeft
	}
	return TopLeft
}

// hasPrefix reports whether b starts with s, without allocating.
func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}
