package bmpdec

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"

	"github.com/escala-img/escala/internal/codec/mem"
)

// ErrUnsupported is matched (with errors.Is) by the errors of files that
// use a valid feature this decoder does not implement: embedded JPEG or PNG
// data, OS/2 Huffman 1D and RLE24 compression, compression values past 6
// (such as the CMYK ones of Windows metafiles), bit
// fields that are not contiguous, RLE of pixels wider than 8 bits, bit
// fields of pixels narrower than 16 bits (but for the usual masks of a V4
// or V5 header, see the package doc), pixels of other than 1, 2, 4, 8,
// 16, 24 or 32 bits, and info headers of other sizes than 12, 16, 40, 52,
// 56, 64, 108 and 124 bytes. Each such error names the feature, as in
// "bmpdec: embedded JPEG is not supported". They are returned from the
// header alone, before any pixel work.
var ErrUnsupported = errors.New("bmpdec: unsupported BMP")

// ErrTooLarge means the image has more pixels than [Options.MaxPixels], or
// more than this platform can address. It is returned from the header,
// before any pixel memory is allocated.
var ErrTooLarge = errors.New("bmpdec: image too large")

// Options are the settings of [DecodeGray]. A nil *Options means the zero
// value: no pixel limit.
type Options struct {
	// MaxPixels is the largest width×height that is decoded; a larger image
	// gives ErrTooLarge. 0 means no limit. What DecodeGray allocates is the
	// gray image, one byte a pixel, and at most 68 KiB besides (see
	// [Config.Memory]). Without a limit, an uncompressed image is
	// allocated only when the file holds all its rows, but an RLE file of
	// a few bytes (one that ends its bitmap at once) may ask for as large
	// an image as this platform can address.
	MaxPixels int64
}

// Config is what the headers of a BMP file say.
type Config struct {
	// Width and Height are the image's size in pixels, both positive.
	Width, Height int
	// HeaderSize is the size of the info header in bytes: 12 (OS/2 1.x
	// BITMAPCOREHEADER), 16 or 64 (OS/2 2.x), 40 (BITMAPINFOHEADER), 52
	// and 56 (its versions 2 and 3), 108 (V4) or 124 (V5).
	HeaderSize int
	// BitsPerPixel is 1, 2, 4, 8, 16, 24 or 32.
	BitsPerPixel int
	// Compression is the header's compression: 0 none (BI_RGB), 1 RLE8, 2
	// RLE4, 3 bit fields (BI_BITFIELDS) or 6 bit fields with alpha
	// (BI_ALPHABITFIELDS).
	Compression int
	// TopDown reports rows stored top row first (a negative height in the
	// header) rather than bottom row first.
	TopDown bool
}

// Memory returns the bytes that DecodeGray holds at its peak while it
// decodes an image with this header: the gray image, 4 KiB for the
// decoder's state and, for 16-bit pixels of an image of 32768 pixels or
// more, 64 KiB for the gray of every pixel value.
func (c Config) Memory() int64 {
	n := int64(c.Width) * int64(c.Height)
	m := n + 4<<10
	if c.BitsPerPixel == 16 && n >= lut16Pixels {
		m += 1 << 16
	}
	return m
}

// DecodeGray decodes the BMP file in data to 8-bit gray, as an *image.Gray
// of the image's size whose Rect starts at (0, 0) and whose Stride is its
// width; a nil opts means the zero Options. The gray of a pixel is the
// ITU-R 601-2 luma of its colour, composited onto white when it has alpha,
// as Pillow decodes the file (see the package doc). The result's Pix is new
// memory that shares nothing with data, and data is only read.
//
// Corrupt files give a one-line error, never a panic. Files that end
// before their last pixel (or an RLE stream that ends before it without an
// end-of-bitmap code) give an error that wraps io.ErrUnexpectedEOF; files
// that use a feature this package does not implement give an error
// matching ErrUnsupported; and images larger than opts.MaxPixels give
// ErrTooLarge, before any pixel memory is allocated.
//
// DecodeGray runs on the calling goroutine alone. It is safe to call
// concurrently.
func DecodeGray(data []byte, opts *Options) (*image.Gray, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxPixels < 0 {
		return nil, fmt.Errorf("bmpdec: negative MaxPixels %d", o.MaxPixels)
	}
	h, err := parseHeader(data)
	if err != nil {
		return nil, err
	}
	if err := h.checkSize(o.MaxPixels); err != nil {
		return nil, err
	}
	if h.compression == biRLE8 || h.compression == biRLE4 {
		return h.decodeRLE(data)
	}
	return h.decodeRows(data)
}

// DecodeConfig parses the headers of the BMP file in data and returns what
// they say, or an error: one matching ErrUnsupported for a file that
// [DecodeGray] refuses as unsupported, a format error for a malformed
// header, ErrTooLarge (with the Config filled in) for an image this
// platform cannot address, or an error wrapping io.ErrUnexpectedEOF when
// data ends within the headers or the bit field masks that follow them. It
// does not look at the pixels, and a palette cut short is not an error:
// the first 154 bytes of a file are always enough.
func DecodeConfig(data []byte) (Config, error) {
	h, err := parseHeader(data)
	if err != nil {
		return Config{}, err
	}
	return h.config(), h.checkSize(0)
}

// config returns the Config of h.
func (h *header) config() Config {
	return Config{
		Width:        h.width,
		Height:       h.height,
		HeaderSize:   h.size,
		BitsPerPixel: h.bits,
		Compression:  h.compression,
		TopDown:      h.topDown,
	}
}

// checkSize returns ErrTooLarge if the image has more pixels than
// maxPixels allows (0: no limit), or than this platform can address.
func (h *header) checkSize(maxPixels int64) error {
	n := int64(h.width) * int64(h.height)
	if n > math.MaxInt {
		return fmt.Errorf("%w: %dx%d is more than this platform can address", ErrTooLarge, h.width, h.height)
	}
	if maxPixels > 0 && n > maxPixels {
		return fmt.Errorf("%w: %dx%d is more than %d pixels", ErrTooLarge, h.width, h.height, maxPixels)
	}
	return nil
}

// newImage returns a gray image of h's size, from the pool: the caller
// writes every pixel.
func (h *header) newImage() *image.Gray {
	return &image.Gray{Pix: mem.Bytes.Get(h.width * h.height), Stride: h.width, Rect: image.Rect(0, 0, h.width, h.height)}
}

// formatError returns a one-line error for a malformed file.
func formatError(format string, args ...any) error {
	return fmt.Errorf("bmpdec: "+format, args...)
}

// truncated returns an error wrapping io.ErrUnexpectedEOF for data that ends
// too early.
func truncated(format string, args ...any) error {
	return fmt.Errorf("bmpdec: "+format+": %w", append(args, io.ErrUnexpectedEOF)...)
}

// unsupportedError names a feature that this package does not implement;
// it matches ErrUnsupported.
type unsupportedError string

func (e unsupportedError) Error() string { return "bmpdec: " + string(e) + " is not supported" }

// Is reports whether target is ErrUnsupported.
func (e unsupportedError) Is(target error) bool { return target == ErrUnsupported }

// unsupported returns an error naming a feature that this package does not
// implement: "bmpdec: <feature> is not supported".
func unsupported(format string, args ...any) error {
	return unsupportedError(fmt.Sprintf(format, args...))
}
