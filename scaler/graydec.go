package scaler

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"

	"github.com/escala-img/escala/internal/codec/bmpdec"
	"github.com/escala-img/escala/internal/codec/imagefile"
	"github.com/escala-img/escala/internal/codec/jpegdec"
	"github.com/escala-img/escala/internal/codec/pngdec"
	"github.com/escala-img/escala/internal/codec/tiffdec"
	"github.com/escala-img/escala/internal/codec/webpdec"
)

// A grayDecoder decodes one format from memory straight to gray, with a
// decoder of this module's own (internal/codec).
type grayDecoder struct {
	pkg string // the package, which starts its errors' text
	// config reads the header: the size, and the bytes that decode holds
	// at its peak.
	config func(data []byte) (width, height int, memory int64, err error)
	decode func(data []byte, maxPixels int64) (*image.Gray, error)
	// tooLarge and unsupported are the decoder's sentinels (nil if it has
	// none).
	tooLarge, unsupported error
}

// grayDecoders are the decoders DecodeGray uses; GIF goes through
// image/gif and Grayscale.
var grayDecoders = map[Format]grayDecoder{
	JPEG: {
		pkg: "jpegdec",
		config: func(data []byte) (int, int, int64, error) {
			c, err := jpegdec.DecodeConfig(data)
			return c.Width, c.Height, grayJPEGCost(c), err
		},
		decode: func(data []byte, maxPixels int64) (*image.Gray, error) {
			return jpegdec.DecodeGray(data, &jpegdec.Options{MaxPixels: maxPixels})
		},
		tooLarge: jpegdec.ErrTooLarge, unsupported: jpegdec.ErrUnsupported,
	},
	PNG: {
		pkg: "pngdec",
		config: func(data []byte) (int, int, int64, error) {
			c, err := pngdec.DecodeConfig(data)
			return c.Width, c.Height, c.Memory(), err
		},
		decode: func(data []byte, maxPixels int64) (*image.Gray, error) {
			return pngdec.DecodeGray(data, &pngdec.Options{MaxPixels: maxPixels})
		},
		tooLarge: pngdec.ErrTooLarge,
	},
	BMP: {
		pkg: "bmpdec",
		config: func(data []byte) (int, int, int64, error) {
			c, err := bmpdec.DecodeConfig(data)
			return c.Width, c.Height, c.Memory(), err
		},
		decode: func(data []byte, maxPixels int64) (*image.Gray, error) {
			return bmpdec.DecodeGray(data, &bmpdec.Options{MaxPixels: maxPixels})
		},
		tooLarge: bmpdec.ErrTooLarge, unsupported: bmpdec.ErrUnsupported,
	},
	TIFF: {
		pkg: "tiffdec",
		config: func(data []byte) (int, int, int64, error) {
			c, err := tiffdec.DecodeConfig(data)
			return c.Width, c.Height, c.Memory(), err
		},
		decode: func(data []byte, maxPixels int64) (*image.Gray, error) {
			return tiffdec.DecodeGray(data, &tiffdec.Options{MaxPixels: maxPixels})
		},
		tooLarge: tiffdec.ErrTooLarge, unsupported: tiffdec.ErrUnsupported,
	},
	WebP: {
		pkg: "webpdec",
		config: func(data []byte) (int, int, int64, error) {
			c, err := webpdec.DecodeConfig(data)
			return c.Width, c.Height, c.Memory(), err
		},
		decode: func(data []byte, maxPixels int64) (*image.Gray, error) {
			return webpdec.DecodeGray(data, &webpdec.Options{MaxPixels: maxPixels})
		},
		tooLarge: webpdec.ErrTooLarge,
	},
}

// sniff returns the format whose signature data starts with, or 0.
func sniff(data []byte) Format {
	f, err := ParseFormat(imagefile.Sniff(data))
	if err != nil {
		return 0
	}
	return f
}

// A grayHeader is what the header of a file says to decodeGrayBytes.
type grayHeader struct {
	format        Format
	width, height int
	memory        int64 // the bytes that decoding it to gray holds at its peak
}

// grayConfig reads the header of the image in data with the decoder that
// decodeGrayBytes uses for it, and checks its size against the limit; ok
// is false when no decoder of this module's own reads the format.
func grayConfig(data []byte, opts *Options) (hdr grayHeader, ok bool, err error) {
	hdr.format = sniff(data)
	d, ok := grayDecoders[hdr.format]
	if !ok {
		return hdr, false, nil
	}
	if hdr.width, hdr.height, hdr.memory, err = d.config(data); err != nil {
		// A header that asks for too many pixels is reported as such,
		// whatever is wrong after it: the registered decoder reads only
		// the header.
		w, h := hdr.width, hdr.height // as far as the decoder read them
		if w <= 0 || h <= 0 {
			if cfg, _, herr := image.DecodeConfig(atReader(bytes.NewReader(data))); herr == nil {
				w, h = cfg.Width, cfg.Height
			}
		}
		if w > 0 && h > 0 {
			if perr := checkPixels(w, h, opts.maxPixels()); perr != nil {
				return hdr, true, perr
			}
		}
		if errors.Is(err, d.tooLarge) { // more than this platform can address
			return hdr, true, fmt.Errorf("%w: %s", ErrTooLarge, strings.TrimPrefix(err.Error(), d.tooLarge.Error()+": "))
		}
		return hdr, true, d.error(hdr.format, err)
	}
	if hdr.width <= 0 || hdr.height <= 0 {
		return hdr, true, fmt.Errorf("%w: %s: empty image %dx%d", ErrInvalid, hdr.format, hdr.width, hdr.height)
	}
	return hdr, true, checkPixels(hdr.width, hdr.height, opts.maxPixels())
}

// decodeGrayBytes is DecodeGray for data in memory.
func decodeGrayBytes(data []byte, opts *Options) (*image.Gray, error) {
	f := sniff(data)
	d, ok := grayDecoders[f]
	if !ok {
		return decodeGray(bytes.NewReader(data), opts)
	}
	return d.decodeGray(f, data, opts)
}

// decodeGray decodes data, a file of format f, to gray.
func (d grayDecoder) decodeGray(f Format, data []byte, opts *Options) (*image.Gray, error) {
	g, err := d.decode(data, opts.maxPixels())
	switch {
	case err == nil:
		return g, nil
	case errors.Is(err, d.tooLarge):
		w, h, _, _ := d.config(data)
		return nil, fmt.Errorf("%w: %dx%d is over the limit of %d pixels", ErrTooLarge, w, h, opts.maxPixels())
	}
	return nil, d.error(f, err)
}

// error returns the error of the decoder of format f as scaler reports
// it: wrapping ErrInvalid, and starting with the format's name rather than
// the internal package's.
func (d grayDecoder) error(f Format, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return decodeError(f.String(), err) // "truncated"
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, d.pkg+": "); ok {
		msg = f.String() + ": " + rest
	}
	return decodeError(f.String(), errors.New(msg))
}
