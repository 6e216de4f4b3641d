package scaler

import (
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/escala-img/escala/internal/codec/jpegenc"
)

// Encode writes img to w in format f: JPEG at opts.Quality (DefaultQuality
// when opts is nil or Quality is 0), or PNG. An *image.Gray is written as a
// one-channel grayscale file, as JPEG by an encoder of its own, several
// times faster than image/jpeg's, with the same quantisation tables. A
// nil opts means the defaults.
//
// Encode returns an error wrapping ErrInvalidOptions for another format or
// a quality outside 1 to 100, and otherwise the first error of w.
func Encode(w io.Writer, img image.Image, f Format, opts *Options) error {
	switch f {
	case JPEG:
		q, err := opts.quality()
		if err != nil {
			return err
		}
		if g, ok := img.(*image.Gray); ok {
			return jpegenc.EncodeGray(w, g, q)
		}
		return jpeg.Encode(w, img, &jpeg.Options{Quality: q})
	case PNG:
		// Fast compression: results are served once or a few times, and
		// the default level costs several times more for a few percent.
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		return enc.Encode(w, img)
	}
	return fmt.Errorf("%w: cannot encode %v", ErrInvalidOptions, f)
}
