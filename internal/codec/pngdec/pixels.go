package pngdec

import (
	"fmt"
	"image"
	"io"
	"math"

	"github.com/escala-img/escala/internal/codec/mem"
)

// maxInflate bounds how many bytes deflate can make of one compressed
// byte: every code is at least a bit long and makes at most 258 bytes.
const maxInflate = 258 * 8

// pass is one pass of Adam7 interlacing: it holds the pixels at
// (x0 + dx·i, y0 + dy·j).
type pass struct{ x0, y0, dx, dy int }

// adam7 are the seven passes of Adam7, in the order of the file.
var adam7 = [7]pass{
	{0, 0, 8, 8},
	{4, 0, 8, 8},
	{0, 4, 4, 8},
	{2, 0, 4, 4},
	{0, 2, 2, 4},
	{1, 0, 2, 2},
	{0, 1, 1, 2},
}

// size returns the width and height of the reduced image of pass p of a
// w×h image; either may be 0.
func (p pass) size(w, h int) (int, int) {
	return (w - p.x0 + p.dx - 1) / p.dx, (h - p.y0 + p.dy - 1) / p.dy
}

// passes returns the passes of d's image: Adam7's, or one of the whole image.
func (d *decoder) passes() []pass {
	if d.interlaced {
		return adam7[:]
	}
	return []pass{{0, 0, 1, 1}}
}

// rowBytes returns the bytes of samples in a row of w pixels, at most 8w,
// which checkSize keeps within an int.
func (d *decoder) rowBytes(w int) int {
	return int((int64(d.depth*channels(d.colorType))*int64(w) + 7) / 8)
}

// decodePixels decodes the image from the IDAT chunk at pos and those that
// follow it, into d.img, and returns the offset of the chunk after the one
// in which the zlib stream ends.
func (d *decoder) decodePixels(pos int) (int, error) {
	// Nothing of the image's size is allocated before its compressed
	// data is known to be long enough to make it.
	var raw int64
	for _, p := range d.passes() {
		if w, h := p.size(d.width, d.height); w > 0 && h > 0 {
			raw += int64(h) * int64(1+d.rowBytes(w))
		}
	}
	avail, cut := idatBytes(d.data, pos)
	if raw/maxInflate > avail {
		if cut {
			return 0, truncated("IDAT chunk")
		}
		return 0, truncated("%d bytes of IDAT data cannot hold the %d bytes of a %dx%d image", avail, raw, d.width, d.height)
	}

	r := newIDATReader(d.data, pos)
	zr, err := newZReader(r)
	if err != nil {
		return 0, d.streamError(r, err, 0, 0)
	}
	defer zr.release()
	// Every pixel is written (the passes of Adam7 cover the image), so
	// recycled memory serves; on an error it goes back.
	img := &image.Gray{Pix: mem.Bytes.Get(d.width * d.height), Stride: d.width, Rect: image.Rect(0, 0, d.width, d.height)}
	if err := d.readRows(img, r, zr); err != nil {
		mem.Bytes.Put(img.Pix)
		return 0, err
	}
	// The zlib stream must end here, with its checksum, and image/png
	// refuses what it would read of the last IDAT chunk after it.
	if err := zr.finish(); err != nil {
		return 0, d.streamError(r, err, -1, 0)
	}
	if !r.tailAccepted() {
		return 0, formatError("%d bytes after the end of the zlib stream in the IDAT chunk at offset %d", r.end-r.p, r.start-8)
	}
	d.img = img
	return r.end + 4, nil
}

// readRows reads the rows of every pass from zr, reverses their filters
// and writes their gray into img.
func (d *decoder) readRows(img *image.Gray, r *idatReader, zr *zreader) error {
	convert := d.converter()
	bpp := max(1, d.depth*channels(d.colorType)/8)
	n := 1 + d.rowBytes(d.width)
	size := 2 * int64(n)
	if d.interlaced {
		size += int64(d.width) // a pass's row of gray, before it is spread out
	}
	if size > math.MaxInt {
		return fmt.Errorf("%w: rows of %dx%d are more than this platform can address", ErrTooLarge, d.width, d.height)
	}
	buf := mem.Bytes.Get(int(size))
	defer mem.Bytes.Put(buf)
	prev, cur, gray := buf[:n:n], buf[n:2*n:2*n], buf[2*n:size]
	for pi, p := range d.passes() {
		w, h := p.size(d.width, d.height)
		if w == 0 || h == 0 {
			continue // no rows, not even filter type bytes
		}
		n := 1 + d.rowBytes(w)
		clear(prev[:n])
		for y := range h {
			if err := zr.readFull(cur[:n]); err != nil {
				return d.streamError(r, err, pi, y)
			}
			if !unfilter(cur[0], cur[1:n], prev[1:n], bpp) {
				if d.interlaced {
					return formatError("bad filter type %d in row %d of pass %d", cur[0], y, pi+1)
				}
				return formatError("bad filter type %d in row %d", cur[0], y)
			}
			if !d.interlaced {
				convert(img.Pix[y*d.width:(y+1)*d.width], cur[1:n])
			} else {
				convert(gray[:w], cur[1:n])
				out := img.Pix[(p.y0+y*p.dy)*d.width:]
				for i, v := range gray[:w] {
					out[p.x0+i*p.dx] = v
				}
			}
			prev, cur = cur, prev
		}
	}
	return nil
}

// streamError returns the error for err, from the zlib reader, when reading
// row y of pass pi, or after the last row for pi −1.
func (d *decoder) streamError(r *idatReader, err error, pi, y int) error {
	where := "after the last row"
	switch {
	case pi >= 0 && d.interlaced:
		where = fmt.Sprintf("in row %d of pass %d", y, pi+1)
	case pi >= 0:
		where = fmt.Sprintf("in row %d", y)
	}
	if r.err != nil {
		err = r.err
	}
	switch {
	case err == errNoIDAT, err == io.EOF, err == io.ErrUnexpectedEOF && r.err == nil:
		return truncated("compressed pixel data ends %s", where)
	case err == io.ErrUnexpectedEOF:
		return truncated("IDAT chunk")
	case err == errZlibTooLong:
		return formatError("compressed pixel data holds more than the image")
	case err == errZlibChecksum, err == errZlibHeader, err == errZlibDict:
		return formatError("%v in the compressed pixel data", err)
	}
	if e, ok := err.(inflateError); ok {
		return formatError("corrupt compressed pixel data %s: %v", where, e)
	}
	if err == r.err {
		return err // a bad CRC, said by the idatReader
	}
	return formatError("reading the compressed pixel data %s: %v", where, err)
}
