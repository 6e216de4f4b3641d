package jpegdec

import (
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/escala-img/escala/internal/codec/par"
)

// ErrUnsupported matches (with errors.Is) the errors of files that use
// something this decoder does not decode: lossless or hierarchical JPEG,
// 12-bit samples, 2 components, 4 components without an Adobe APP14
// segment, a height given by a DNL marker, a luma sampling factor that does
// not divide the chroma's in a YCbCr file, or sampling factors of an RGB,
// CMYK or YCCK file that do not divide the largest ones. Those errors name
// the feature ("jpegdec: 12-bit samples are not supported"). They are
// returned from the header alone, before any pixel work. image/jpeg
// decodes none of these files either.
var ErrUnsupported = errors.New("jpegdec: unsupported JPEG")

// ErrTooLarge means the image has more pixels than [Options.MaxPixels], or
// that the 8×8 blocks of a component that is decoded hold more than
// 4×MaxPixels samples (which only an image a pixel or two wide or high can
// do without the first); it is returned before any pixel memory is
// allocated.
var ErrTooLarge = errors.New("jpegdec: image too large")

// Options are the settings of [DecodeGray]. A nil *Options means the zero
// value: no pixel limit and full size.
type Options struct {
	// MaxPixels is the largest width×height that is decoded; a larger image
	// gives ErrTooLarge (see there). 0 means no limit, which leaves an
	// arithmetic-coded file of a few bytes free to ask for gigabytes (see
	// the package doc). With a limit, what DecodeGray allocates stays under
	// 10 bytes per pixel of MaxPixels plus 20 MiB: the image, and for a
	// progressive file about 2 bytes of coefficients per pixel and per
	// component decoded (one for gray and YCbCr, up to four for CMYK), more
	// only for images a few pixels wide or high.
	MaxPixels int64

	// Scale is 1 (0 means 1), 2, 4 or 8: the image is decoded at 1/Scale of
	// its size in the DCT domain with a reduced inverse DCT (4×4, 2×2 or DC
	// only), and the result is ceil(width/Scale)×ceil(height/Scale). Any
	// other value is an error.
	Scale int
}

// Config is what a JPEG file's header says.
type Config struct {
	// Width and Height are the image's size in pixels.
	Width, Height int
	// Components is the number of colour components the frame header
	// gives: 1 for gray, 3 for YCbCr or RGB, 4 for CMYK or YCCK.
	Components int
	// Progressive reports a progressive (SOF2 or SOF10) file.
	Progressive bool
}

// DecodeGray decodes the JPEG in data to gray: the Y component of a YCbCr
// file, the only component of a grayscale one, or the luma of the colours of
// an RGB, CMYK or YCCK one (see the package doc), as an *image.Gray of the
// image's size, or of ceil(width/Scale)×ceil(height/Scale) with opts.Scale;
// a nil opts means the zero Options. The result's Pix is new memory that
// shares nothing with data, and data is only read.
//
// Corrupt files give an error, never a panic. Truncated ones give an error
// that wraps io.ErrUnexpectedEOF, and so does a Huffman-coded scan whose
// entropy-coded data ends at a marker before its last MCU (an
// arithmetic-coded one reads zeros past it, as T.81 says). Files that use
// what this package does not decode give an error naming it that matches
// ErrUnsupported, and images larger than opts.MaxPixels ErrTooLarge; both
// before any pixel memory is allocated.
//
// DecodeGray may use up to GOMAXPROCS goroutines for images of 512×512
// pixels or more when no other call of the codecs runs (see
// internal/codec/par), and returns only after all of them have ended. It is safe
// to call concurrently.
func DecodeGray(data []byte, opts *Options) (*image.Gray, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	switch o.Scale {
	case 0:
		o.Scale = 1
	case 1, 2, 4, 8:
	default:
		return nil, fmt.Errorf("jpegdec: Scale %d is not 1, 2, 4 or 8", o.Scale)
	}
	if o.MaxPixels < 0 {
		return nil, fmt.Errorf("jpegdec: negative MaxPixels %d", o.MaxPixels)
	}
	d := &decoder{data: data, scale: o.Scale, outScale: o.Scale, maxPixels: o.MaxPixels, maxProcs: par.Enter()}
	defer par.Leave()
	err := d.decode(false)
	d.release(err == nil)
	if err != nil {
		return nil, err
	}
	return d.img, nil
}

// DecodeConfig parses the markers of the JPEG in data up to its first SOS
// and returns what they say, or an error: ErrUnsupported for a file that
// [DecodeGray] would refuse as unsupported (with the Config filled in as far
// as the frame header was read), a format error for a malformed header, or
// an error wrapping io.ErrUnexpectedEOF when data ends before the first SOS.
// Huffman and quantization tables before the first SOS are checked too.
func DecodeConfig(data []byte) (Config, error) {
	d := &decoder{data: data, scale: 1, outScale: 1}
	err := d.decode(true)
	return d.config(), err
}

// config returns what the header said so far.
func (d *decoder) config() Config {
	if d.sof == 0 {
		return Config{}
	}
	return Config{Width: d.width, Height: d.height, Components: d.ncomp, Progressive: d.progressive}
}

// formatError returns a one-line error for a malformed file.
func formatError(format string, args ...any) error {
	return fmt.Errorf("jpegdec: "+format, args...)
}

// truncated returns an error wrapping io.ErrUnexpectedEOF for data that ends
// too early.
func truncated(what string) error {
	return fmt.Errorf("jpegdec: %s: %w", what, io.ErrUnexpectedEOF)
}

// unsupported returns an error matching ErrUnsupported whose message,
// after the package prefix, is what: it names what is not supported.
func unsupported(what string) error {
	return unsupportedError(what)
}

// An unsupportedError names a feature that DecodeGray does not decode.
type unsupportedError string

func (e unsupportedError) Error() string { return "jpegdec: " + string(e) }

// Is makes errors.Is(e, ErrUnsupported) true.
func (e unsupportedError) Is(target error) bool { return target == ErrUnsupported }
