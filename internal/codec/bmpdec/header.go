package bmpdec

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// The compression values of an info header.
const (
	biRGB            = 0
	biRLE8           = 1
	biRLE4           = 2
	biBitfields      = 3 // Huffman 1D in an OS/2 2.x header
	biJPEG           = 4 // RLE24 in an OS/2 2.x header
	biPNG            = 5
	biAlphaBitfields = 6
)

// fileHeaderSize is the size of the BITMAPFILEHEADER: "BM", the file size,
// two reserved words and the offset of the pixels.
const fileHeaderSize = 14

// bgraMasks are the bit field masks of blue, green, red and alpha bytes, as
// stored in a V4 or V5 header.
var bgraMasks = [16]byte{0, 0, 0xff, 0, 0, 0xff, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0xff}

// A header is what the file and info headers of a BMP file say, checked.
type header struct {
	size        int // of the info header
	width       int // > 0
	height      int // > 0
	topDown     bool
	bits        int // 1, 2, 4, 8, 16, 24 or 32
	compression int // biRGB, biRLE8, biRLE4, biBitfields or biAlphaBitfields

	// palette holds the colours of a file of 8 bits a pixel or fewer, as
	// stored: entry bytes each (3 in an OS/2 1.x file, 4 otherwise), blue,
	// green, red first; at most 256 of them.
	palette []byte
	entry   int

	// masks are the red, green, blue and alpha bit fields of a file of 16,
	// 24 or 32 bits a pixel, as Pillow reads them (see fields).
	masks [4]uint32

	// pixels is the offset in the file of the pixel data, or of the RLE
	// stream; it may be past the end of the data.
	pixels int64
}

// parseHeader reads and checks the file and info headers, the bit field
// masks and the palette of the BMP file in data.
func parseHeader(data []byte) (*header, error) {
	if len(data) < 2 {
		if string(data) == "BM"[:len(data)] {
			return nil, truncated("file header")
		}
		return nil, formatError("not a BMP file")
	}
	if data[0] != 'B' || data[1] != 'M' {
		return nil, formatError("not a BMP file")
	}
	if len(data) < fileHeaderSize+4 {
		return nil, truncated("file header")
	}
	offset := binary.LittleEndian.Uint32(data[10:])
	size := binary.LittleEndian.Uint32(data[14:])
	switch size {
	case 12, 16, 40, 52, 56, 64, 108, 124:
	default:
		return nil, unsupported("info header of %d bytes", size)
	}
	if len(data) < fileHeaderSize+int(size) {
		return nil, truncated("info header of %d bytes", size)
	}
	ih := data[fileHeaderSize : fileHeaderSize+size]
	h := &header{size: int(size), entry: 4}
	// OS/2 2.x headers give compression values 3 and 4 other meanings.
	os2 := size == 12 || size == 16 || size == 64

	var width, height int64
	var colors uint32
	if size == 12 {
		// BITMAPCOREHEADER: unsigned 16-bit sizes, bottom-up rows, no
		// compression, a palette of 3-byte entries.
		width = int64(binary.LittleEndian.Uint16(ih[4:]))
		height = int64(binary.LittleEndian.Uint16(ih[6:]))
		h.bits = int(binary.LittleEndian.Uint16(ih[10:]))
		h.entry = 3
	} else {
		width = int64(int32(binary.LittleEndian.Uint32(ih[4:])))
		height = int64(int32(binary.LittleEndian.Uint32(ih[8:])))
		h.bits = int(binary.LittleEndian.Uint16(ih[14:]))
		if size >= 40 {
			c := binary.LittleEndian.Uint32(ih[16:])
			if c > biAlphaBitfields {
				// Such as the CMYK compressions of Windows
				// metafiles.
				return nil, unsupported("compression %d", c)
			}
			h.compression = int(c)
			colors = binary.LittleEndian.Uint32(ih[32:])
		}
	}
	// The planes field, which should be 1, is ignored as Pillow does.
	// Embedded files come first, as their bit count may be 0.
	switch h.compression {
	case biJPEG:
		if os2 {
			return nil, unsupported("OS/2 RLE24 compression")
		}
		return nil, unsupported("embedded JPEG")
	case biPNG:
		return nil, unsupported("embedded PNG")
	}
	switch h.bits {
	case 1, 2, 4, 8, 16, 24, 32:
	default:
		return nil, unsupported("pixel depth of %d bits", h.bits)
	}
	if width < 0 {
		return nil, formatError("negative width %d", width)
	}
	if height < 0 {
		height, h.topDown = -height, true
	}
	if width == 0 || height == 0 {
		return nil, formatError("empty image %dx%d", width, height)
	}
	h.width, h.height = int(width), int(height)
	if int64(h.width) != width || int64(h.height) != height {
		// Only a 32-bit platform, and a height of -2^31.
		return nil, fmt.Errorf("%w: %dx%d is more than this platform can address", ErrTooLarge, width, height)
	}

	next := fileHeaderSize + int(size) // where masks or the palette start
	switch h.compression {
	case biRGB:
	case biRLE8, biRLE4:
		if h.bits > 8 {
			return nil, unsupported("RLE%d compression of %d-bit pixels", 8>>(h.compression-1), h.bits)
		}
	case biBitfields, biAlphaBitfields:
		if os2 && h.compression == biBitfields && h.bits == 1 {
			return nil, unsupported("OS/2 Huffman 1D compression")
		}
		if h.bits < 16 && size >= 108 && h.compression == biBitfields && string(ih[40:56]) == string(bgraMasks[:]) {
			// golang.org/x/image/bmp reads bit fields of the
			// usual masks as no compression, of paletted pixels
			// too; Pillow refuses those.
			h.compression = biRGB
			break
		}
		if h.bits < 16 {
			return nil, unsupported("bit field compression of %d-bit pixels", h.bits)
		}
		n := 3
		if h.compression == biAlphaBitfields {
			n = 4
		}
		if size >= 52 {
			// The masks are part of the header; a 52-byte one has no
			// alpha mask. Pillow reads them at the same place in an
			// OS/2 2.x header.
			for i := range min((int(size)-40)/4, 4) {
				h.masks[i] = binary.LittleEndian.Uint32(ih[40+4*i:])
			}
		} else {
			// BITMAPINFOHEADER: the masks follow it.
			if len(data) < next+4*n {
				return nil, truncated("bit field masks")
			}
			for i := range n {
				h.masks[i] = binary.LittleEndian.Uint32(data[next+4*i:])
			}
			next += 4 * n
		}
		if err := h.checkMasks(); err != nil {
			return nil, err
		}
	}

	// The palette follows the headers and masks, whatever the offset of
	// the pixels says. Its size is the header's colour count or, when
	// that is 0 or absent, 2^bits, at most 256.
	ncolors := int64(colors)
	if ncolors == 0 || size < 40 {
		ncolors = 1 << h.bits
	}
	if h.bits <= 8 {
		if ncolors > 256 {
			return nil, formatError("palette of %d colours, more than 256", ncolors)
		}
		// Pillow reads as much of it as the file holds: the pixels
		// may come before its end, and indexes past what is read have
		// the colours of its default palette.
		n := int(ncolors) * h.entry
		have := min(n, (len(data)-next)/h.entry*h.entry)
		h.palette = data[next : next+have]
		next += n
	}

	// Pillow reads the pixels where the file header says, except at 0,
	// when they follow the palette, and right after the info header of a
	// paletted file, when it skips 4 bytes per colour of the palette.
	h.pixels = int64(offset)
	switch {
	case offset == 0:
		h.pixels = int64(next)
	case int64(offset) == fileHeaderSize+int64(size) && h.bits <= 8:
		h.pixels += 4 * ncolors
	}
	return h, nil
}

// checkMasks checks the bit field masks of h and sets those Pillow sets
// itself: all-zero colour masks mean the usual layout of the pixel size
// (5-5-5 bits of 16-bit pixels, 8-bit blue, green and red otherwise, and
// an alpha byte on top of a 32-bit pixel whose alpha mask is also zero),
// and Pillow ignores the alpha mask of 16- and 24-bit pixels laid out as it
// knows them (5-6-5 and 5-5-5 bits of red, green and blue, and 8 bits
// each).
func (h *header) checkMasks() error {
	m := &h.masks
	if m[0]|m[1]|m[2] == 0 {
		switch h.bits {
		case 16:
			m[0], m[1], m[2] = 0x7c00, 0x3e0, 0x1f
		default:
			m[0], m[1], m[2] = 0xff0000, 0xff00, 0xff
			if h.bits == 32 && m[3] == 0 {
				m[3] = 0xff000000
			}
		}
	}
	if h.compression == biBitfields {
		rgb := [3]uint32{m[0], m[1], m[2]}
		switch {
		case h.bits == 16 && (rgb == [3]uint32{0xf800, 0x7e0, 0x1f} || rgb == [3]uint32{0x7c00, 0x3e0, 0x1f}),
			h.bits == 24 && rgb == [3]uint32{0xff0000, 0xff00, 0xff}:
			m[3] = 0
		}
	}
	for _, v := range m {
		if h.bits < 32 && v>>h.bits != 0 {
			return formatError("bit field mask %#x is wider than a %d-bit pixel", v, h.bits)
		}
		if v != 0 {
			if f := v >> bits.TrailingZeros32(v); f&(f+1) != 0 {
				return unsupported("non-contiguous bit field mask %#x", v)
			}
		}
	}
	return nil
}
