package webpdec

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"

	"golang.org/x/image/vp8"
	"golang.org/x/image/vp8l"

	"github.com/escala-img/escala/internal/codec/mem"
)

// ErrTooLarge means the image has more pixels than [Options.MaxPixels], or
// more than this platform can address. It is returned from the headers,
// before any pixel memory is allocated.
var ErrTooLarge = errors.New("webpdec: image too large")

// Options are the settings of [DecodeGray]. A nil *Options means the zero
// value: no pixel limit.
type Options struct {
	// MaxPixels is the largest width×height that is decoded, counting
	// both the canvas and the frame the file's bitstream holds; a larger
	// image gives ErrTooLarge. 0 means no limit. What DecodeGray holds at
	// its peak is [Config.Memory]: for a lossy file 2.5 bytes a pixel of
	// MaxPixels plus the file's size (a byte more with alpha), for a
	// lossless one, or lossless alpha, 11 bytes a pixel plus the Huffman
	// tables its data can define (at most 1.4 KB a byte of the file, and
	// 140 MB).
	MaxPixels int64
}

// Config is what the headers of a WebP file say.
type Config struct {
	// Width and Height are the image's size in pixels: the canvas of an
	// extended file, else the size of its bitstream.
	Width, Height int
	// Lossless reports a VP8L (lossless) bitstream; otherwise it is VP8
	// (lossy). For an animation it is that of the first frame.
	Lossless bool
	// Alpha reports that the gray composites the image's alpha onto
	// white, because libwebp decodes the image with alpha: for a lossy
	// image or an animation, when the VP8X alpha flag is set (an ALPH
	// chunk is ignored otherwise); for a still lossless image, when the
	// VP8L header's alpha hint is set, whatever the VP8X flag says.
	// Otherwise any alpha the bitstream holds is ignored, as Pillow, which
	// then decodes RGB, ignores it.
	Alpha bool
	// Animated reports an animation, of which DecodeGray decodes the
	// first frame.
	Animated bool

	// The first frame: its size, offset on the canvas and chunks.
	frame image.Rectangle
	// alphaBytes and imageBytes are the sizes of the ALPH chunk's and the
	// VP8 or VP8L chunk's data; alphaLossless reports ALPH data
	// compressed as VP8L.
	alphaBytes, imageBytes int
	alphaLossless          bool
}

// Memory returns an upper bound of the bytes that DecodeGray holds at its
// peak while it decodes an image with this header. For a lossy image that
// is the gray image, the YCbCr image x/image/vp8 decodes (1.5 bytes a
// pixel of the size rounded up to 16), its copy of the file's partitions
// and its per-macroblock state, the alpha plane and two rows of chroma.
// For a lossless image, and for alpha compressed losslessly, it is what
// x/image/vp8l holds: the NRGBA image, the packed image and its unpacking
// when the colours are indexed (up to 6 bytes a pixel), the transforms'
// sub-images, and the Huffman tables, bounded both by what the data can
// describe and by the 2600 groups of tables x/image/vp8l accepts.
func (c Config) Memory() int64 {
	const fixed = 64 << 10 // decoders' state, readers, tables
	w, h := int64(c.Width), int64(c.Height)
	fw, fh := int64(c.frame.Dx()), int64(c.frame.Dy())
	n := w*h + fixed
	if c.Lossless {
		return n + losslessMemory(fw, fh, int64(c.imageBytes)) + 4*fw*fh
	}
	mbs := ((fw + 15) / 16) * ((fh + 15) / 16)
	n += 384*mbs + 8*mbs + int64(c.imageBytes) + 4*(fw+2)
	if c.alphaBytes > 0 {
		n += fw * fh
		if c.alphaLossless {
			// The data is copied behind a made-up VP8L header.
			n += int64(c.alphaBytes) + losslessMemory(fw, fh, int64(c.alphaBytes))
		}
	}
	return n
}

// losslessMemory bounds what x/image/vp8l holds while it decodes a w×h
// image from n bytes of data: the NRGBA image, and the packed image it is
// unpacked from when colours are indexed; the sub-images of the
// transforms and of the Huffman groups, a pixel in 16 each; and the
// Huffman tables. A group of tables takes 2680 bytes and up to 6267 nodes
// of 8 bytes; it costs at least 20 bits of data, and every node at least a
// sixteenth of a byte, and x/image/vp8l refuses more than 2600 groups.
func losslessMemory(w, h, n int64) int64 {
	const (
		group     = 2680 + 6267*8
		maxGroups = 2600 + 4 // the entropy image's, and one per sub-image
	)
	tiles := ((w + 3) / 4) * ((h + 3) / 4)
	tables := min((2680*8/20+16*8)*n, maxGroups*group) + 4*group
	return 6*w*h + 8*(h+w) + 3*4*tiles + tables
}

// DecodeConfig parses the headers of the WebP file in data: the RIFF
// header, the VP8X chunk of an extended file, and the header of the first
// frame's bitstream, with its ALPH chunk. It returns ErrTooLarge, with the
// Config filled in, for an image this platform cannot address; an error
// wrapping io.ErrUnexpectedEOF when data is shorter than its RIFF header
// says or ends inside the bitstream's header; and a format error for a
// malformed file.
func DecodeConfig(data []byte) (Config, error) {
	f, err := parse(data)
	if err != nil {
		return f.config, err
	}
	return f.config, checkSize(f.config, 0)
}

// checkSize returns ErrTooLarge if the canvas or the frame of c has more
// pixels than maxPixels allows (0: no limit) or than this platform can
// address with the decoders' 6 bytes a pixel.
func checkSize(c Config, maxPixels int64) error {
	for _, s := range [...]image.Point{{c.Width, c.Height}, c.frame.Size()} {
		n := int64(s.X) * int64(s.Y)
		if n > int64(maxInt/8) {
			return fmt.Errorf("%w: %dx%d is more than this platform can address", ErrTooLarge, s.X, s.Y)
		}
		if maxPixels > 0 && n > maxPixels {
			return fmt.Errorf("%w: %dx%d is more than %d pixels", ErrTooLarge, s.X, s.Y, maxPixels)
		}
	}
	return nil
}

const maxInt = int(^uint(0) >> 1)

// DecodeGray decodes the WebP file in data to 8-bit gray, as an
// *image.Gray of the image's size whose Rect starts at (0, 0) and whose
// Stride is its width; a nil opts means the zero Options. The pixels are
// decoded by golang.org/x/image's vp8 and vp8l packages, and the gray is
// what Pillow's convert("L") gives for the image libwebp decodes, with
// alpha composited onto white (see the package doc). Of an animation, the
// first frame is decoded, on a canvas that is transparent where the frame
// does not cover it. The result's Pix is new memory that shares nothing
// with data, and data is only read.
//
// Corrupt files give a one-line error, never a panic; files that end
// early, and bitstreams that end before their last pixel, give an error
// that wraps io.ErrUnexpectedEOF. Images larger than opts.MaxPixels give
// ErrTooLarge before any pixel memory is allocated, and so do lossy
// images whose first partition is too short to describe all their
// macroblocks, which cannot be valid.
//
// DecodeGray runs on the calling goroutine alone. It is safe to call
// concurrently.
func DecodeGray(data []byte, opts *Options) (*image.Gray, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxPixels < 0 {
		return nil, fmt.Errorf("webpdec: negative MaxPixels %d", o.MaxPixels)
	}
	f, err := parse(data)
	if err != nil {
		return nil, err
	}
	c := f.config
	if err := checkSize(c, o.MaxPixels); err != nil {
		return nil, err
	}
	if !c.Lossless {
		if err := checkPartition(f.image, c.frame.Dx(), c.frame.Dy()); err != nil {
			return nil, err
		}
	}
	var alpha []byte
	if f.alpha != nil {
		if alpha, err = decodeAlpha(f.alpha, c.frame.Dx(), c.frame.Dy()); err != nil {
			return nil, err
		}
	}

	// The decoded frame, then its gray.
	var conv func(dst []byte, stride int)
	if c.Lossless {
		m, err := vp8l.Decode(bytes.NewReader(f.image))
		if err != nil {
			return nil, bitstreamError("VP8L", err)
		}
		nrgba, ok := m.(*image.NRGBA)
		if !ok || nrgba.Rect != image.Rect(0, 0, c.frame.Dx(), c.frame.Dy()) {
			return nil, fmt.Errorf("webpdec: VP8L bitstream decodes to %v, its header says %dx%d", m.Bounds(), c.frame.Dx(), c.frame.Dy())
		}
		conv = func(dst []byte, stride int) { nrgbaGray(dst, stride, nrgba, c.Alpha) }
	} else {
		d := vp8.NewDecoder()
		d.Init(bytes.NewReader(f.image), len(f.image))
		if _, err := d.DecodeFrameHeader(); err != nil {
			return nil, bitstreamError("VP8", err)
		}
		m, err := d.DecodeFrame()
		if err != nil {
			return nil, bitstreamError("VP8", err)
		}
		if m.Rect != image.Rect(0, 0, c.frame.Dx(), c.frame.Dy()) || m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			return nil, fmt.Errorf("webpdec: VP8 bitstream decodes to %v, its header says %dx%d", m.Rect, c.frame.Dx(), c.frame.Dy())
		}
		conv = func(dst []byte, stride int) { yuvGray(dst, stride, m, alpha) }
	}

	w, h := c.Width, c.Height
	img := &image.Gray{Pix: mem.Bytes.Get(w * h), Stride: w, Rect: image.Rect(0, 0, w, h)}
	if c.frame != img.Rect {
		// The canvas around the first frame of an animation is
		// transparent black: white once composited, black when the
		// file says it has no alpha.
		bg := byte(0)
		if c.Alpha {
			bg = 255
		}
		for i := range img.Pix {
			img.Pix[i] = bg
		}
	}
	conv(img.Pix[c.frame.Min.Y*w+c.frame.Min.X:], w)
	return img, nil
}

// bitstreamError returns the one-line error for what x/image's decoder of
// the format (VP8 or VP8L) returned, wrapping io.ErrUnexpectedEOF when the
// bitstream ended early.
func bitstreamError(format string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("webpdec: %s bitstream ends before its last pixel: %w", format, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("webpdec: %v", err)
}

// formatError returns a one-line error for a malformed file.
func formatError(format string, args ...any) error {
	return fmt.Errorf("webpdec: "+format, args...)
}

// truncated returns an error wrapping io.ErrUnexpectedEOF for data that
// ends too early.
func truncated(format string, args ...any) error {
	return fmt.Errorf("webpdec: "+format+": %w", append(args, io.ErrUnexpectedEOF)...)
}
