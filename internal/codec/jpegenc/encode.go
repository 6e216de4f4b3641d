package jpegenc

import (
	"errors"
	"fmt"
	"image"
	"io"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/escala-img/escala/internal/codec/jpegtab"
	"github.com/escala-img/escala/internal/codec/par"
)

// maxSide is the largest width or height a baseline JPEG can hold.
const maxSide = 65535

// Bands. An image of at least 2·bandBlocks blocks is cut into bands of
// whole MCU rows, about bandBlocks blocks each and at most maxBands unless
// the 65535-MCU cap on a restart interval needs more. Each band is a restart
// interval, entropy-coded on its own. The cut depends on the size only, so
// the output does not depend on GOMAXPROCS.
const (
	bandBlocks = 1024
	maxBands   = 16
)

// maxPooled is the largest band buffer kept for reuse.
const maxPooled = 4 << 20

// encoder holds what every band of one EncodeGray call shares. It is
// read-only while the bands run.
type encoder struct {
	pix      []byte
	stride   int
	w, h     int
	q        *quantizer
	quant    [64]uint8 // natural order
	rows     int       // MCU rows
	bandRows int       // MCU rows per band
	bands    int
	cols     int // MCUs per row
}

// bandBuf is a pooled output buffer for one band.
type bandBuf struct{ b []byte }

var bandPool = sync.Pool{New: func() any { return new(bandBuf) }}

// EncodeGray writes g as a baseline JPEG with one 8-bit component: the
// luminance quantisation table of ITU T.81 Annex K scaled for quality as the
// IJG library does (quality 1..100; the same tables image/jpeg uses), and
// the Annex K luminance Huffman tables. It returns an error for a quality
// outside 1..100, an empty image, or a size over 65535 in either dimension,
// and otherwise w's first error. g may be a sub-image (any Bounds().Min, any
// Stride). It may use up to GOMAXPROCS goroutines when no other call of the
// codecs runs (see internal/codec/par), and returns only after all have
// ended.
//
// It also returns an error, and writes nothing, for a nil g or one whose
// Pix and Stride do not cover Rect. Errors are prefixed "jpegenc: "; w's
// error is wrapped, for errors.Is.
//
// The file starts with a JFIF APP0 segment. An image of at least 2048
// blocks of 8×8 in at least two rows of blocks is coded as bands of whole
// block rows in separate restart intervals (a DRI segment and RSTn markers,
// all baseline), which lets the bands be coded in parallel and costs a few
// bytes per band (under 0.1% of the file at 1280×800). The output
// depends only on g's pixels, size and quality, not on GOMAXPROCS.
// EncodeGray does not retain g or w; g must not change during the call. It
// is safe for concurrent use.
func EncodeGray(w io.Writer, g *image.Gray, quality int) error {
	if quality < 1 || quality > 100 {
		return fmt.Errorf("jpegenc: quality %d outside 1..100", quality)
	}
	e := new(encoder)
	if err := e.init(g, quality); err != nil {
		return err
	}
	if e.bands == 1 {
		bb := bandPool.Get().(*bandBuf)
		defer putBand(bb)
		bb.b = e.encode(bb.b[:0], 0)
		if _, err := w.Write(bb.b); err != nil {
			return fmt.Errorf("jpegenc: %w", err)
		}
		return nil
	}

	out := make([]*bandBuf, e.bands)
	defer func() {
		for _, bb := range out {
			if bb != nil {
				putBand(bb)
			}
		}
	}()
	var next atomic.Int64
	work := func() error {
		for {
			i := int(next.Add(1) - 1)
			if i >= e.bands {
				return nil
			}
			bb := bandPool.Get().(*bandBuf)
			bb.b = e.encode(bb.b[:0], i)
			out[i] = bb
		}
	}
	func() {
		var grp errgroup.Group
		// Deferred, so that no worker outlives the call even if this
		// goroutine's share of the work panics.
		defer grp.Wait()
		procs := par.Enter()
		defer par.Leave()
		for range min(procs, e.bands) - 1 {
			grp.Go(work)
		}
		work() // the calling goroutine is a worker too
	}()
	for _, bb := range out {
		if _, err := w.Write(bb.b); err != nil {
			return fmt.Errorf("jpegenc: %w", err)
		}
	}
	return nil
}

// putBand returns bb to the pool unless its buffer has grown too large.
func putBand(bb *bandBuf) {
	if cap(bb.b) <= maxPooled {
		bandPool.Put(bb)
	}
}

// init checks g and quality and sets up e to encode g.
func (e *encoder) init(g *image.Gray, quality int) error {
	if g == nil {
		return errors.New("jpegenc: nil image")
	}
	r := g.Rect
	if r.Max.X <= r.Min.X || r.Max.Y <= r.Min.Y {
		return fmt.Errorf("jpegenc: empty image %v", r)
	}
	// The subtractions may overflow for huge rectangles; the result is then
	// negative or still too large.
	w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide {
		return fmt.Errorf("jpegenc: image %v larger than %d pixels a side", r, maxSide)
	}
	// Pixel (x, y) of g is Pix[(y-Min.Y)*Stride + x-Min.X]; the last one
	// needed is at (h-1)*Stride + w-1.
	if g.Stride < w {
		return fmt.Errorf("jpegenc: stride %d less than width %d", g.Stride, w)
	}
	if len(g.Pix) < w || (len(g.Pix)-w)/g.Stride < h-1 {
		return fmt.Errorf("jpegenc: %d bytes of Pix too few for %v with stride %d", len(g.Pix), r, g.Stride)
	}
	e.pix, e.stride, e.w, e.h = g.Pix, g.Stride, w, h
	e.quant = quantTable(quality)
	e.q = quantizerFor(quality, &e.quant)
	e.cols, e.rows = (w+7)/8, (h+7)/8
	e.bandRows, e.bands = bandLayout(e.cols, e.rows)
	return nil
}

// quantizers caches the quantizer of each quality.
var quantizers [101]atomic.Pointer[quantizer]

// quantizerFor returns the quantizer for quality, whose table is q.
func quantizerFor(quality int, q *[64]uint8) *quantizer {
	t := quantizers[quality].Load()
	if t == nil {
		t = newQuantizer(q) // a race only computes it twice
		quantizers[quality].Store(t)
	}
	return t
}

// bandLayout returns how many MCU rows each band holds and how many bands
// there are for an image of cols×rows MCUs.
func bandLayout(cols, rows int) (per, n int) {
	n = min(cols*rows/bandBlocks, maxBands, rows)
	if n <= 1 {
		return rows, 1
	}
	per = (rows + n - 1) / n
	per = min(per, maxSide/cols) // a restart interval holds at most 65535 MCUs
	return per, (rows + per - 1) / per
}

// encode appends band i to dst, with the file header before band 0, an RSTn
// marker after every band but the last and EOI after the last.
func (e *encoder) encode(dst []byte, i int) []byte {
	if i == 0 {
		dst = e.appendHeader(dst)
	}
	if cap(dst) < len(dst)+maxBlockBytes {
		// About 1 bit a pixel before growing; most images at quality 80
		// need less.
		dst = append(make([]byte, 0, len(dst)+maxBlockBytes+e.bandRows*e.cols*8), dst...)
	}
	r0 := i * e.bandRows
	dst = e.encodeBand(dst, r0, min(r0+e.bandRows, e.rows))
	if i == e.bands-1 {
		return append(dst, 0xff, 0xd9) // EOI
	}
	return append(dst, 0xff, 0xd0+byte(i%8)) // RSTn
}

// appendHeader appends the markers from SOI to SOS to dst.
func (e *encoder) appendHeader(dst []byte) []byte {
	dst = append(dst,
		0xff, 0xd8, // SOI
		0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, // APP0 JFIF
		1, 1, // version 1.01
		0,          // density unit: none, aspect ratio only
		0, 1, 0, 1, // density 1:1
		0, 0, // no thumbnail
		0xff, 0xdb, 0, 67, 0, // DQT, 8-bit table 0
	)
	for _, n := range jpegtab.Zigzag {
		dst = append(dst, e.quant[n])
	}
	dst = append(dst,
		0xff, 0xc0, 0, 11, // SOF0
		8, // precision
		byte(e.h>>8), byte(e.h), byte(e.w>>8), byte(e.w),
		1,             // components
		1, 0x11, 0x00, // id 1, 1×1 sampling, table 0
	)
	n := 2 + 2*17 + len(lumaDC.values) + len(lumaAC.values)
	dst = append(dst, 0xff, 0xc4, byte(n>>8), byte(n))
	dst = append(dst, 0x00) // DC table 0
	dst = append(dst, lumaDC.counts[:]...)
	dst = append(dst, lumaDC.values...)
	dst = append(dst, 0x10) // AC table 0
	dst = append(dst, lumaAC.counts[:]...)
	dst = append(dst, lumaAC.values...)
	if e.bands > 1 {
		ri := e.bandRows * e.cols
		dst = append(dst, 0xff, 0xdd, 0, 4, byte(ri>>8), byte(ri)) // DRI
	}
	return append(dst,
		0xff, 0xda, 0, 8, // SOS
		1,       // components
		1, 0x00, // id 1, DC and AC table 0
		0, 63, 0, // spectral selection 0..63, no approximation
	)
}
