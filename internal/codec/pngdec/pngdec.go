package pngdec

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"
)

// ErrTooLarge means the image has more pixels than [Options.MaxPixels], or
// more than this platform can address (width×height×8 bytes overflow an
// int). It is returned from the IHDR chunk, before any pixel memory is
// allocated.
var ErrTooLarge = errors.New("pngdec: image too large")

// Options are the settings of [DecodeGray]. A nil *Options means the zero
// value: no pixel limit.
type Options struct {
	// MaxPixels is the largest width×height that is decoded; a larger image
	// gives ErrTooLarge. 0 means no limit. With a limit, what DecodeGray
	// allocates stays under 18 bytes per pixel of MaxPixels plus 160 KiB:
	// the image, two rows of samples of up to 8 bytes a pixel, a row of
	// gray for an interlaced image, and the inflater's window and tables.
	// Without a limit, an image is allocated only if its compressed data
	// could inflate to its rows (deflate makes at most 258 bytes of a
	// bit), which bounds it to 16512 pixels per byte of data.
	MaxPixels int64
}

// Config is what the chunks of a PNG file before its first IDAT say.
type Config struct {
	// Width and Height are the image's size in pixels.
	Width, Height int
	// ColorType is the IHDR colour type: 0 gray, 2 RGB, 3 paletted,
	// 4 gray and alpha, 6 RGBA.
	ColorType int
	// BitDepth is the IHDR bit depth of a sample or palette index: 1, 2,
	// 4, 8 or 16.
	BitDepth int
	// Interlaced reports an Adam7 interlaced file.
	Interlaced bool
}

// Memory returns the bytes that DecodeGray holds at its peak while it
// decodes an image with this header: the gray image, two rows of samples,
// a row of gray, and the inflater's window and tables and the decoder's
// state, under 160 KiB.
func (c Config) Memory() int64 {
	const inflater = 160 << 10
	bits := int64(c.BitDepth) * int64(channels(c.ColorType))
	row := (bits*int64(c.Width)+7)/8 + 1
	return int64(c.Width)*int64(c.Height) + 2*row + int64(c.Width) + inflater
}

// DecodeGray decodes the PNG in data to 8-bit gray, as an *image.Gray of
// the image's size whose Rect starts at (0, 0) and whose Stride is its
// width; a nil opts means the zero Options. The gray of a pixel is what
// scaler.Grayscale gives for the image that image/png decodes from the same
// file (see the package doc). The result's Pix is new memory that shares
// nothing with data, and data is only read.
//
// Corrupt files give a one-line error, never a panic, and so do the files
// that image/png refuses; files that end early give an error that wraps
// io.ErrUnexpectedEOF, and so do those whose compressed pixel data ends
// before the last row. Images larger than opts.MaxPixels give ErrTooLarge
// before any pixel memory is allocated.
//
// DecodeGray runs on the calling goroutine alone. It is safe to call
// concurrently.
func DecodeGray(data []byte, opts *Options) (*image.Gray, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxPixels < 0 {
		return nil, fmt.Errorf("pngdec: negative MaxPixels %d", o.MaxPixels)
	}
	d := &decoder{data: data, maxPixels: o.MaxPixels}
	if err := d.decode(false); err != nil {
		return nil, err
	}
	return d.img, nil
}

// DecodeConfig parses the chunks of the PNG in data up to its first IDAT
// and returns what they say, or an error: a format error for a malformed
// or misplaced chunk or a bad CRC, ErrTooLarge for an image this platform
// cannot address (with the Config filled in), or an error wrapping
// io.ErrUnexpectedEOF when data ends before the first IDAT.
func DecodeConfig(data []byte) (Config, error) {
	d := &decoder{data: data}
	err := d.decode(true)
	return d.config(), err
}

// config returns what the IHDR chunk said, if it has been read.
func (d *decoder) config() Config {
	if d.stage == stageStart {
		return Config{}
	}
	return Config{Width: d.width, Height: d.height, ColorType: d.colorType, BitDepth: d.depth, Interlaced: d.interlaced}
}

// checkSize returns ErrTooLarge if the image has more pixels than
// d.maxPixels allows, or than this platform can address with 8 bytes a
// pixel, as image/png requires.
func (d *decoder) checkSize() error {
	n := int64(d.width) * int64(d.height)
	if n > math.MaxInt/8 {
		return fmt.Errorf("%w: %dx%d is more than this platform can address", ErrTooLarge, d.width, d.height)
	}
	if d.maxPixels > 0 && n > d.maxPixels {
		return fmt.Errorf("%w: %dx%d is more than %d pixels", ErrTooLarge, d.width, d.height, d.maxPixels)
	}
	return nil
}

// formatError returns a one-line error for a malformed file.
func formatError(format string, args ...any) error {
	return fmt.Errorf("pngdec: "+format, args...)
}

// truncated returns an error wrapping io.ErrUnexpectedEOF for data that ends
// too early.
func truncated(format string, args ...any) error {
	return fmt.Errorf("pngdec: "+format+": %w", append(args, io.ErrUnexpectedEOF)...)
}
