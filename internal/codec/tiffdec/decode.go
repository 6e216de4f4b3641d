package tiffdec

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"math/bits"

	"github.com/escala-img/escala/internal/codec/mem"
	"golang.org/x/image/ccitt"
)

// codecState is the fixed memory of the decompressors, counted by
// Config.Memory: the LZW table, the inflater's tables, the CCITT reader,
// and the decoder's own fields.
const codecState = 160 << 10

// jpegdecMemory is what jpegdec.DecodeGray allocates at most for a strip or
// tile of n pixels when it is given MaxPixels n: as its Options document,
// under 10 bytes a pixel and 20 MiB.
func jpegdecMemory(n int64) int64 { return 10*n + 20<<20 }

// rowBytes returns the bytes of a row of w pixels of one plane.
func (d *decoder) rowBytes(w int) int64 {
	spp := int64(d.spp)
	if d.planar == 2 {
		spp = 1
	}
	return (int64(w)*spp*int64(d.bps) + 7) / 8
}

// planeBytes returns the bytes of rows rows of a strip or tile of one
// plane, as the file stores them uncompressed.
func (d *decoder) planeBytes(rows int) int64 {
	if d.subX > 0 {
		blocks := int64((d.chunkW+d.subX-1)/d.subX) * int64((rows+d.subY-1)/d.subY)
		return blocks * int64(d.subX*d.subY+2)
	}
	return int64(rows) * d.rowBytes(d.chunkW)
}

// outBytes returns the bytes that a strip or tile of one plane
// decompresses to: planeBytes, or for JPEG compression a byte a pixel, the
// gray or the one sample that jpegdec gives.
func (d *decoder) outBytes() int64 {
	if d.compression == cJPEG {
		return int64(d.chunkW) * int64(d.chunkH)
	}
	return d.planeBytes(d.chunkH)
}

// memory returns what Config.Memory reports; see there.
func (d *decoder) memory() int64 {
	m := int64(d.width)*int64(d.height) + int64(d.planes)*d.outBytes() + codecState
	m += 2 * int64(d.chunkW) * int64(d.spp) // rows of 8-bit samples, CCITT rows
	if d.fillOrder == 2 {
		m += int64(d.maxCount) // the data with its bits reversed
	}
	if d.compression == cJPEG {
		m += int64(d.maxCount) + int64(d.jpegTables.count) + 32
		m += jpegdecMemory(d.jpegPixels())
	}
	return m
}

// checkBuffers returns ErrTooLarge when the buffers of a strip or tile
// are more than this platform can address.
func (d *decoder) checkBuffers() error {
	if m := d.memory(); m > int64(^uint(0)>>2) {
		return tooLargeBuffers
	}
	return nil
}

var tooLargeBuffers = fmt.Errorf("%w: strips or tiles too large for this platform", ErrTooLarge)

// expansion is the most bytes that a byte of data compressed with each
// scheme can decompress to: 128 of 2 for PackBits, a 12-bit code of up to
// 4094 bytes for LZW, 258 of a bit for Deflate, a row of 1 bit for CCITT
// (counted as 8 rows a byte by checkData), a block of 8×8 samples of 1 bit
// for JPEG.
var expansion = map[int]int64{
	cNone: 1, cPackBits: 64, cLZW: 4096, cDeflate: 258 * 8, cDeflate2: 258 * 8, cJPEG: 64 * 8,
}

// checkData refuses, before the image is allocated, a file whose strips or
// tiles hold too few bytes to decompress to the image: the file ends early,
// or it is corrupt.
func (d *decoder) checkData() error {
	need := int64(d.planes) * int64(d.across) * (int64(d.down-1)*d.planeBytes(d.chunkH) + d.planeBytes(d.lastRows()))
	could := d.sumCount * expansion[d.compression]
	if d.compression == cG3 || d.compression == cG4 {
		could = (8*d.sumCount + int64(d.across*d.down)) * d.rowBytes(d.chunkW)
	}
	if d.compression == cJPEG {
		need = int64(d.planes) * int64(d.width) * int64(d.height)
	}
	if could >= need {
		return nil
	}
	what := "strip"
	if d.tiled {
		what = "tile"
	}
	if d.pastEnd >= 0 {
		return truncated("%s %d", what, d.pastEnd)
	}
	return formatError("%d bytes of compressed data cannot make %d bytes of samples", d.sumCount, need)
}

// lastRows returns the rows of the last strip, or of a tile.
func (d *decoder) lastRows() int {
	if d.tiled {
		return d.chunkH
	}
	return d.height - (d.down-1)*d.chunkH
}

// state is what a decode keeps between strips and tiles.
type state struct {
	bufs     [][]byte // a strip or tile of each plane, decompressed
	cur      [][]byte // the samples of the current one: bufs, or data itself
	rows     [][]byte // a row of each plane
	raw      []byte   // compressed data with its bits reversed, for FillOrder 2
	lzw      lzwDecoder
	inflater inflater
	jpeg     []byte // a JPEG stream put together from the tables and a strip
	convert  rowConverter
}

// decode decodes every strip or tile of the image into img.
func (d *decoder) decode(img *image.Gray) error {
	if err := d.checkBuffers(); err != nil {
		return err
	}
	s := &state{bufs: make([][]byte, d.planes), cur: make([][]byte, d.planes), rows: make([][]byte, d.planes)}
	out := int(d.outBytes())
	for p := range s.bufs {
		// Every byte is written by the decompressor before it is read.
		s.bufs[p] = mem.Bytes.Get(out)
	}
	defer func() {
		for _, b := range s.bufs {
			mem.Bytes.Put(b)
		}
	}()
	if d.subX == 0 {
		s.convert = d.converter()
	}
	rb := int(d.rowBytes(d.chunkW))
	if d.compression == cJPEG {
		rb = d.chunkW
	}
	for cy := range d.down {
		y0 := cy * d.chunkH
		h := min(d.chunkH, d.height-y0)
		rows := h // rows of data: a strip ends with the image
		if d.tiled {
			rows = d.chunkH
		}
		for cx := range d.across {
			x0 := cx * d.chunkW
			w := min(d.chunkW, d.width-x0)
			if d.compression == cJPEG && d.planar == 1 {
				// jpegdec gives the gray: straight into the image.
				if err := d.jpegGray(s, cy*d.across+cx, img, x0, y0, w, h, rows); err != nil {
					return err
				}
				continue
			}
			for p := range d.planes {
				i := (p*d.down+cy)*d.across + cx
				n := d.planeBytes(rows)
				if d.compression == cJPEG {
					n = int64(rows) * int64(d.chunkW)
				}
				buf, err := d.chunk(s, i, s.bufs[p][:n], rows)
				if err != nil {
					return err
				}
				s.cur[p] = buf
			}
			if d.subX > 0 {
				d.ycbcrChunk(img, s.cur[0], x0, y0, w, h)
				continue
			}
			for r := range h {
				for p := range s.rows {
					s.rows[p] = s.cur[p][r*rb : (r+1)*rb]
				}
				o := (y0+r)*img.Stride + x0
				s.convert(img.Pix[o:o+w], s.rows)
			}
		}
	}
	return nil
}

// chunk decompresses strip or tile i, of rows rows, into dst, which has
// exactly the size the rows take, and returns the samples: dst, or for
// uncompressed samples that need no change the strip itself.
func (d *decoder) chunk(s *state, i int, dst []byte, rows int) ([]byte, error) {
	what := "strip"
	if d.tiled {
		what = "tile"
	}
	off, n := d.chunkRange(i)
	if n == 0 {
		return nil, formatError("%s %d is empty", what, i)
	}
	if off > int64(len(d.data)) || n > int64(len(d.data))-off {
		return nil, truncated("%s %d", what, i)
	}
	raw := d.data[off : off+n]
	if d.compression == cNone && d.fillOrder == 1 && d.predictor == 1 && len(raw) >= len(dst) {
		return raw[:len(dst)], nil
	}
	if d.fillOrder == 2 && d.compression != cJPEG && d.compression != cG3 && d.compression != cG4 {
		s.raw = append(s.raw[:0], raw...)
		for j, b := range s.raw {
			s.raw[j] = bits.Reverse8(b)
		}
		raw = s.raw
	}
	var got int
	var err error
	name := ""
	switch d.compression {
	case cNone:
		got, name = copy(dst, raw), "uncompressed"
	case cLZW:
		got, err = s.lzw.decode(dst, raw)
		name = "LZW"
	case cDeflate, cDeflate2:
		got, err = s.inflater.inflate(dst, raw)
		name = "Deflate"
	case cPackBits:
		got, err = unpackBits(dst, raw)
		name = "PackBits"
	case cG3, cG4:
		got, err = d.fax(dst, raw, rows)
		name = "CCITT"
	case cJPEG:
		return dst, d.jpegChunk(s, dst, raw, rows, what, i)
	}
	if err != nil {
		return nil, formatError("%s %d: %s: %v", what, i, name, err)
	}
	if got < len(dst) {
		return nil, formatError("%s %d: %s data gives %d bytes of %d", what, i, name, got, len(dst))
	}
	if d.predictor == 2 && !d.fusedPredictor() {
		d.undifference(dst)
	}
	return dst, nil
}

// fax decodes a strip or tile of CCITT Group 3 or 4 data into dst, rows of
// 1-bit samples where a white run is 0 and a black one 1, as libtiff
// decodes them whatever the photometric interpretation.
func (d *decoder) fax(dst, src []byte, rows int) (int, error) {
	order := ccitt.MSB
	if d.fillOrder == 2 {
		order = ccitt.LSB
	}
	sf := ccitt.Group3
	if d.compression == cG4 {
		sf = ccitt.Group4
	}
	r := ccitt.NewReader(bytes.NewReader(src), order, sf, d.chunkW, rows, &ccitt.Options{Invert: true})
	n, err := io.ReadFull(r, dst)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return n, err
}

// undifference reverses horizontal differencing (Predictor 2) in the rows
// of a strip or tile of 8- or 16-bit samples.
func (d *decoder) undifference(buf []byte) {
	stride := d.spp
	if d.planar == 2 {
		stride = 1
	}
	rb := int(d.rowBytes(d.chunkW))
	for len(buf) >= rb {
		row := buf[:rb]
		buf = buf[rb:]
		switch {
		case d.bps == 8 && stride == 3:
			// Running sums in registers rather than through memory.
			if len(row) < 3 {
				continue
			}
			r, g, b := row[0], row[1], row[2]
			for i := 3; i+2 < len(row); i += 3 {
				r += row[i]
				g += row[i+1]
				b += row[i+2]
				row[i], row[i+1], row[i+2] = r, g, b
			}
		case d.bps == 8:
			for i := stride; i < len(row); i++ {
				row[i] += row[i-stride]
			}
		case d.order.Uint16([]byte{1, 0}) == 1: // 16 bits, little-endian
			st := 2 * stride
			for i := st; i+1 < len(row); i += 2 {
				v := uint16(row[i]) | uint16(row[i+1])<<8
				v += uint16(row[i-st]) | uint16(row[i-st+1])<<8
				row[i], row[i+1] = byte(v), byte(v>>8)
			}
		default: // 16 bits, big-endian
			st := 2 * stride
			for i := st; i+1 < len(row); i += 2 {
				v := uint16(row[i])<<8 | uint16(row[i+1])
				v += uint16(row[i-st])<<8 | uint16(row[i-st+1])
				row[i], row[i+1] = byte(v>>8), byte(v)
			}
		}
	}
}
