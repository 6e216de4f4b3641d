package bmpdec

import (
	"encoding/binary"
	"image"

	"github.com/escala-img/escala/internal/codec/mem"
)

// decodeRLE decodes the RLE8 or RLE4 stream of h from data, as Pillow does
// but for its faults.
//
// The stream is a sequence of two-byte codes. A count n > 0 and a value v
// make an encoded run of n pixels: index v repeated, or for RLE4 the two
// nibbles of v in turn, the high one first. A zero count and then v = 0
// ends the line, 1 ends the bitmap, 2 moves right and up by the next two
// bytes (a delta), and v ≥ 3 starts an absolute run: v indexes as stored,
// a byte each or two a byte (high nibble first), padded to an even offset
// in the file.
//
// Pillow decodes the stream as if the rows were one line, in the order they
// are stored, keeping a count x of the pixels of the current row:
//
//   - an encoded run stops at the end of the row (where x reaches the
//     width), and one that starts there writes nothing;
//   - an absolute run carries on into the next row, as far as it goes,
//     and adds to x, which then may pass the width;
//   - the end of a line fills the rest of the row with index 0 and sets x
//     to 0; a delta moves dx + dy×width pixels on, filling them with index
//     0, and sets x to the column it reaches;
//   - decoding stops when the image is full, whatever follows.
//
// Pillow 9.4 reads a delta's two bytes and then takes the next two for it,
// and an odd absolute run of RLE4 one byte short; here a delta is the two
// bytes that follow its code and a run of n nibbles takes (n+1)/2 bytes,
// as in the format and as later versions of Pillow do. Pillow 9.4 refuses
// a stream that ends the bitmap before the image is full; here the pixels
// left are index 0, as the end of a line and a delta leave them. A stream
// that ends before the image is full without ending the bitmap is
// truncated.
func (h *header) decodeRLE(data []byte) (*image.Gray, error) {
	if h.pixels > int64(len(data)) {
		return nil, truncated("RLE stream at offset %d of a file of %d bytes", h.pixels, len(data))
	}
	// Every pixel is written, the skipped ones with the gray of index 0,
	// so recycled memory serves.
	z := &rleWriter{img: h.newImage(), w: h.width, h: h.height, topDown: h.topDown}
	z.setRow()
	lut := h.paletteGray()
	if err := z.decode(data, int(h.pixels), h.compression == biRLE4, lut); err != nil {
		mem.Bytes.Put(z.img.Pix)
		return nil, err
	}
	return z.img, nil
}

// An rleWriter writes the gray of the pixels of an RLE stream into img, in
// the order they are stored.
type rleWriter struct {
	img     *image.Gray
	w, h    int
	topDown bool
	row     int    // of the stream: 0 is the bottom row unless topDown
	col     int    // of the next pixel, under the width
	pix     []byte // the pixels of the row, nil once the image is full
}

// decode decodes the stream that starts at data[p], whose indexes have
// the gray lut gives.
func (z *rleWriter) decode(data []byte, p int, rle4 bool, lut *[256]uint8) error {
	w := z.w
	x := 0 // Pillow's count of the pixels of the row
	// The row and the column are kept here for encoded runs, the most
	// common code, and in z for the others.
	pix, col := z.pix, z.col
	for pix != nil {
		if len(data)-p < 2 {
			return truncated("RLE stream at row %d of %d", z.row, z.h)
		}
		n, v := int(data[p]), data[p+1]
		p += 2
		if n > 0 {
			// An encoded run, which stops at the end of the row. While
			// x is under the width, it is the column.
			if x >= w {
				continue
			}
			n = min(n, w-x)
			x += n
			// The pattern of the run's grays, 8 pixels of it.
			pattern := uint64(lut[v]) * 0x0101010101010101
			if rle4 {
				pattern = (uint64(lut[v>>4]) | uint64(lut[v&15])<<8) * 0x0001000100010001
			}
			if n <= 8 && col+8 <= w {
				// 8 pixels at once, whatever n: those past the run
				// are in the row, and written again by the codes
				// that follow, as every pixel is written in turn.
				binary.LittleEndian.PutUint64(pix[col:], pattern)
			} else {
				s := pix[col : col+n]
				for i := range s {
					s[i] = uint8(pattern >> (8 * (i & 1)))
				}
			}
			if col += n; col == w {
				z.col, z.row = 0, z.row+1
				z.setRow()
				pix, col = z.pix, 0
			}
			continue
		}
		z.col = col
		switch v {
		case 0: // end of line
			if z.col != 0 {
				z.fill(int64(w-z.col), lut[0])
			}
			x = 0
		case 1: // end of bitmap
			z.fill(z.left(), lut[0])
			return nil
		case 2: // delta
			if len(data)-p < 2 {
				return truncated("RLE delta at row %d of %d", z.row, z.h)
			}
			dx, dy := int64(data[p]), int64(data[p+1])
			p += 2
			z.fill(dx+dy*int64(w), lut[0])
			x = z.col
		default: // an absolute run of v indexes
			n = int(v)
			size := n
			if rle4 {
				size = (n + 1) / 2
			}
			if len(data)-p < size {
				// Enough, still, if the image is full before the run
				// ends.
				size = len(data) - p
				n = min(n, size<<b2i(rle4))
				z.put(data[p:], n, rle4, lut)
				if z.pix != nil {
					return truncated("RLE absolute run at row %d of %d", z.row, z.h)
				}
				return nil
			}
			z.put(data[p:p+size], n, rle4, lut)
			p += size
			x += n
			// The next code starts at an even offset in the file; the
			// padding of a last run may be missing.
			p += p & 1
			p = min(p, len(data))
		}
		pix, col = z.pix, z.col
	}
	return nil
}

// setRow points pix at the pixels of the row, or sets it to nil when the
// image is full.
func (z *rleWriter) setRow() {
	if z.row >= z.h {
		z.pix = nil
		return
	}
	y := z.row
	if !z.topDown {
		y = z.h - 1 - z.row
	}
	z.pix = z.img.Pix[y*z.w : y*z.w+z.w : y*z.w+z.w]
}

// left returns the number of pixels not yet written.
func (z *rleWriter) left() int64 {
	return int64(z.h-z.row)*int64(z.w) - int64(z.col)
}

// advance moves the position on by k pixels, which do not pass the end of
// the row.
func (z *rleWriter) advance(k int) {
	z.col += k
	if z.col == z.w {
		z.col = 0
		z.row++
		z.setRow()
	}
}

// fill writes n pixels of gray g from the current position on, from row to
// row, stopping at the end of the image.
func (z *rleWriter) fill(n int64, g uint8) {
	for n > 0 && z.pix != nil {
		s := z.pix[z.col:][:min(n, int64(z.w-z.col))]
		for i := range s {
			s[i] = g
		}
		n -= int64(len(s))
		z.advance(len(s))
	}
}

// put writes the gray of n indexes stored in src, one a byte or, for RLE4,
// two, from row to row, stopping at the end of the image.
func (z *rleWriter) put(src []byte, n int, rle4 bool, lut *[256]uint8) {
	i := 0 // of the next index
	for i < n && z.pix != nil {
		s := z.pix[z.col:][:min(n-i, z.w-z.col)]
		if rle4 {
			for k := range s {
				j := i + k
				s[k] = lut[src[j/2]>>(4-4*(j%2))&15]
			}
		} else {
			for k, v := range src[i : i+len(s)] {
				s[k] = lut[v]
			}
		}
		i += len(s)
		z.advance(len(s))
	}
}

// b2i returns 1 for true and 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
