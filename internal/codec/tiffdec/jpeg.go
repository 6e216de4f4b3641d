package tiffdec

import (
	"errors"
	"image"
	"io"

	"github.com/escala-img/escala/internal/codec/jpegdec"
	"github.com/escala-img/escala/internal/codec/mem"
)

// adobeRGB is an Adobe APP14 segment with colour transform 0, which makes
// jpegdec (like image/jpeg) read a three-component stream as RGB rather
// than YCbCr: libtiff writes the RGB of a JPEG-compressed RGB image
// without a colour transform.
var adobeRGB = []byte{0xff, 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0}

// jpegChunk decodes strip or tile i, whose JPEG data is raw, to dst: rows
// rows of a byte a pixel, the one sample of a plane.
func (d *decoder) jpegChunk(s *state, dst, raw []byte, rows int, what string, i int) error {
	g, err := d.jpegDecode(s, raw, rows, what, i)
	if err != nil {
		return err
	}
	for r := range rows {
		copy(dst[r*d.chunkW:(r+1)*d.chunkW], g.Pix[r*g.Stride:])
	}
	mem.Bytes.Put(g.Pix)
	return nil
}

// jpegGray decodes strip or tile i of an image of contiguous samples, whose
// gray jpegdec gives, into the w×h pixels of img at (x0, y0).
func (d *decoder) jpegGray(s *state, i int, img *image.Gray, x0, y0, w, h, rows int) error {
	what := "strip"
	if d.tiled {
		what = "tile"
	}
	off, n := d.chunkRange(i)
	if n == 0 {
		return formatError("%s %d is empty", what, i)
	}
	if off > int64(len(d.data)) || n > int64(len(d.data))-off {
		return truncated("%s %d", what, i)
	}
	g, err := d.jpegDecode(s, d.data[off:off+n], rows, what, i)
	if err != nil {
		return err
	}
	for r := range h {
		out := img.Pix[(y0+r)*img.Stride+x0:][:w]
		copy(out, g.Pix[r*g.Stride:])
		if d.photometric == pWhiteIsZero {
			for j, v := range out {
				out[j] = 255 - v
			}
		}
	}
	mem.Bytes.Put(g.Pix)
	return nil
}

// jpegDecode decodes strip or tile i, whose JPEG data is raw: it puts
// together a JPEG stream from JPEGTables and the strip, as libtiff does,
// and decodes it with jpegdec to a gray image of at least rows rows, which
// the caller puts back in the pool.
func (d *decoder) jpegDecode(s *state, raw []byte, rows int, what string, i int) (*image.Gray, error) {
	if len(raw) < 2 || raw[0] != 0xff || raw[1] != 0xd8 {
		return nil, formatError("%s %d: JPEG data does not start with a start-of-image marker", what, i)
	}
	b := append(s.jpeg[:0], 0xff, 0xd8)
	if d.photometric == pRGB && d.planar == 1 {
		b = append(b, adobeRGB...)
	}
	if d.jpegTables.count > 0 {
		t := d.data[d.jpegTables.at:][:d.jpegTables.count]
		if len(t) >= 2 && t[0] == 0xff && t[1] == 0xd8 {
			t = t[2:]
		}
		if n := len(t); n >= 2 && t[n-2] == 0xff && t[n-1] == 0xd9 {
			t = t[:n-2]
		}
		b = append(b, t...)
	}
	b = append(b, raw[2:]...)
	s.jpeg = b

	g, err := jpegdec.DecodeGray(b, &jpegdec.Options{MaxPixels: d.jpegPixels()})
	switch {
	case errors.Is(err, jpegdec.ErrUnsupported):
		return nil, unsupported("JPEG data of %s %d: %v", what, i, err)
	case errors.Is(err, jpegdec.ErrTooLarge):
		return nil, formatError("%s %d: JPEG data much larger than %dx%d", what, i, d.chunkW, d.chunkH)
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The data lies within the file: it is the JPEG stream that is
		// cut short, not the file.
		return nil, formatError("%s %d: JPEG data ends early", what, i)
	case err != nil:
		return nil, formatError("%s %d: %v", what, i, err)
	}
	if w, h := g.Rect.Dx(), g.Rect.Dy(); w != d.chunkW || h < rows {
		mem.Bytes.Put(g.Pix)
		return nil, formatError("%s %d: JPEG data of %dx%d pixels, want %dx%d", what, i, w, h, d.chunkW, rows)
	}
	return g, nil
}

// jpegPixels returns the MaxPixels that a strip or tile's JPEG stream is
// decoded with: its pixels, and room for the padding to whole MCUs of up
// to 32×32 pixels, which jpegdec also checks against MaxPixels, so that
// strips of a row or two decode.
func (d *decoder) jpegPixels() int64 {
	return (int64(d.chunkW) + 32) * (int64(d.chunkH) + 32)
}
