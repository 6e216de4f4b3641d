package tiffdec

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"

	"github.com/escala-img/escala/internal/codec/mem"
)

// ErrUnsupported is wrapped by the errors of files that use what this
// decoder does not implement: BigTIFF, old-style JPEG (compression 6), CCITT
// modified Huffman (compression 2), Group 3 two-dimensional or with fill
// bits, other compressions, CIELab and other photometric interpretations,
// signed samples, floating-point samples other than 32-bit gray, bit depths
// other than 1, 2, 4, 8 and 16 (and 1, 2 and 4 bits only for gray and
// palette images), the floating-point predictor, JPEG-compressed CMYK, and
// YCbCr other than 8-bit contiguous samples. The message names the feature.
// It is returned from the header alone, before any pixel memory is
// allocated.
var ErrUnsupported = errors.New("tiffdec: not supported")

// ErrTooLarge means the image, or one of its tiles, has more pixels than
// [Options.MaxPixels], or more than this platform can address. It is
// returned from the header, before any pixel memory is allocated.
var ErrTooLarge = errors.New("tiffdec: image too large")

// Options are the settings of [DecodeGray]. A nil *Options means the zero
// value: no pixel limit.
type Options struct {
	// MaxPixels is the largest width×height, and the largest tile width ×
	// tile length, that is decoded; a larger image gives ErrTooLarge.
	// 0 means no limit.
	MaxPixels int64
}

// Config is what the first image file directory of a TIFF file says.
type Config struct {
	// Width and Height are the image's size in pixels.
	Width, Height int
	// Compression is the TIFF compression scheme: 1 none, 3 and 4 CCITT
	// Group 3 and 4, 5 LZW, 7 JPEG, 8 and 32946 Deflate, 32773 PackBits.
	Compression int
	// Photometric is the photometric interpretation: 0 WhiteIsZero,
	// 1 BlackIsZero, 2 RGB, 3 palette, 5 separated (CMYK), 6 YCbCr.
	Photometric int
	// SamplesPerPixel and BitsPerSample describe a pixel's samples.
	SamplesPerPixel, BitsPerSample int
	// Tiled reports a tiled image; the others are in strips.
	Tiled bool

	// memory is what Memory returns, worked out by DecodeConfig.
	memory int64
}

// Memory returns an upper bound of the bytes that DecodeGray holds at its
// peak while it decodes this image: the gray image, one strip or tile of
// decompressed samples for every plane, a few rows of samples, the
// decompressor's state, and for JPEG compression the JPEG stream of a strip
// or tile and what jpegdec.DecodeGray allocates for it (at most 10 bytes a
// pixel and 20 MiB, as that package documents).
func (c Config) Memory() int64 { return c.memory }

// DecodeGray decodes the first image of the TIFF file in data to 8-bit
// gray, as an *image.Gray of the image's size whose Rect starts at (0, 0)
// and whose Stride is its width; a nil opts means the zero Options. The
// gray of a pixel is the ITU-R 601-2 luma of its 8-bit RGB colour composited
// onto white, as package scaler computes it (see the package doc for each
// photometric interpretation). The TIFF Orientation tag is ignored. The
// result's Pix is new memory that shares nothing with data, and data is
// only read.
//
// Corrupt files give a one-line error, never a panic; files that end before
// a strip or tile or a tag's values give an error wrapping
// io.ErrUnexpectedEOF. Files that use what this package does not implement
// give an error wrapping ErrUnsupported, and images larger than
// opts.MaxPixels ErrTooLarge, both before any pixel memory is allocated.
//
// DecodeGray runs on the calling goroutine, except that jpegdec.DecodeGray
// may use more for a JPEG-compressed strip or tile of 512×512 pixels or
// more. It is safe to call concurrently.
func DecodeGray(data []byte, opts *Options) (*image.Gray, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxPixels < 0 {
		return nil, fmt.Errorf("tiffdec: negative MaxPixels %d", o.MaxPixels)
	}
	d, err := parse(data)
	if err != nil {
		return nil, err
	}
	if err := d.checkSize(o.MaxPixels); err != nil {
		return nil, err
	}
	if err := d.checkData(); err != nil {
		return nil, err
	}
	img := &image.Gray{Pix: mem.Bytes.Get(d.width * d.height), Stride: d.width, Rect: image.Rect(0, 0, d.width, d.height)}
	if err := d.decode(img); err != nil {
		mem.Bytes.Put(img.Pix)
		return nil, err
	}
	return img, nil
}

// DecodeConfig parses the header and the first image file directory of the
// TIFF file in data and returns what they say, or an error: one wrapping
// ErrUnsupported for a file that DecodeGray would refuse as unsupported, a
// format error for a malformed directory, ErrTooLarge for an image this
// platform cannot address, or an error wrapping io.ErrUnexpectedEOF when
// data ends before the directory or the values of its tags. The Config is
// filled in as far as the directory was read.
func DecodeConfig(data []byte) (Config, error) {
	d, err := parse(data)
	if d == nil {
		return Config{}, err
	}
	c := d.config()
	if err != nil {
		return c, err
	}
	if err := d.checkSize(0); err != nil {
		return c, err
	}
	c.memory = d.memory()
	return c, nil
}

// config returns the public view of the parsed directory.
func (d *decoder) config() Config {
	return Config{
		Width: d.width, Height: d.height,
		Compression: d.compression, Photometric: d.photometric,
		SamplesPerPixel: d.spp, BitsPerSample: d.bps,
		Tiled: d.tiled,
	}
}

// checkSize returns ErrTooLarge if the image or a tile has more pixels
// than maxPixels allows (0: no limit), or than this platform can address
// with a few bytes a pixel.
func (d *decoder) checkSize(maxPixels int64) error {
	n := int64(d.width) * int64(d.height)
	tile := int64(d.chunkW) * int64(d.chunkH)
	const most = min(math.MaxInt/16, 1<<40)
	if n > most || tile > most {
		return fmt.Errorf("%w: %dx%d is more than this platform can address", ErrTooLarge, d.width, d.height)
	}
	if maxPixels > 0 && n > maxPixels {
		return fmt.Errorf("%w: %dx%d is more than %d pixels", ErrTooLarge, d.width, d.height, maxPixels)
	}
	if maxPixels > 0 && tile > maxPixels {
		return fmt.Errorf("%w: a %dx%d tile is more than %d pixels", ErrTooLarge, d.chunkW, d.chunkH, maxPixels)
	}
	return nil
}

// formatError returns a one-line error for a malformed file.
func formatError(format string, args ...any) error {
	return fmt.Errorf("tiffdec: "+format, args...)
}

// unsupported returns an error wrapping ErrUnsupported that names what is
// not supported: "tiffdec: not supported: old-style JPEG (compression 6)".
func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// truncated returns an error wrapping io.ErrUnexpectedEOF for data that ends
// too early.
func truncated(format string, args ...any) error {
	return fmt.Errorf("tiffdec: "+format+": %w", append(args, io.ErrUnexpectedEOF)...)
}
