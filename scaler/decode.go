package scaler

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"

	// The decoders Decode uses, registered with package image.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/escala-img/escala/internal/codec/jpegdec"
	"github.com/escala-img/escala/internal/codec/pngdec"
)

// Format is an image file format.
type Format uint8

// The formats this package decodes. Encode writes JPEG and PNG.
const (
	JPEG Format = iota + 1
	PNG
	GIF
	BMP
	TIFF
	WebP
)

var formatNames = [...]string{JPEG: "jpeg", PNG: "png", GIF: "gif", BMP: "bmp", TIFF: "tiff", WebP: "webp"}

// String returns the format's lowercase name, as image.RegisterFormat
// names it: "jpeg", "png", "gif", "bmp", "tiff" or "webp".
func (f Format) String() string {
	if int(f) < len(formatNames) && formatNames[f] != "" {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat returns the format of the given name, as String gives it;
// "jpg" and "tif" are accepted too.
func ParseFormat(name string) (Format, error) {
	switch name = strings.ToLower(name); name {
	case "jpg":
		return JPEG, nil
	case "tif":
		return TIFF, nil
	}
	for f, n := range formatNames {
		if n != "" && n == name {
			return Format(f), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown format %q", ErrInvalidOptions, name)
}

// DecodeConfig reads the header of the image in r and returns its size and
// format, checking that the size is within opts.MaxPixels. It reads only
// as far as the header; a *bytes.Reader it reads at offsets, without
// copying, and leaves where it was. A nil opts means the defaults.
//
// Errors wrap ErrInvalid when r holds no image of a supported format and
// ErrTooLarge when the image has more pixels than allowed.
func DecodeConfig(r io.Reader, opts *Options) (image.Config, Format, error) {
	cfg, name, err := image.DecodeConfig(atReader(r))
	if err != nil {
		return image.Config{}, 0, decodeError(name, err)
	}
	f, err := ParseFormat(name)
	if err != nil { // a format registered by someone else
		return image.Config{}, 0, fmt.Errorf("%w: unsupported format %q", ErrInvalid, name)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return image.Config{}, 0, fmt.Errorf("%w: %s: empty image %dx%d", ErrInvalid, name, cfg.Width, cfg.Height)
	}
	if err := checkPixels(cfg.Width, cfg.Height, opts.maxPixels()); err != nil {
		return image.Config{}, 0, err
	}
	return cfg, f, nil
}

// Decode decodes the image in r: JPEG (baseline, progressive, CMYK and
// YCCK), PNG (all bit depths, paletted, with alpha), GIF (its first
// frame), BMP, TIFF or WebP. It reads the header first and checks the size
// against opts.MaxPixels before any pixel memory is allocated. A
// *bytes.Reader it reads at offsets, without copying, and leaves where it
// was. A nil opts means the defaults.
//
// The pixels are returned as stored: EXIF orientation is not applied (see
// ExifOrientation and Orient). The concrete type is the decoder's, e.g.
// *image.YCbCr for most JPEGs. Importing this package registers the BMP,
// TIFF and WebP decoders with package image.
//
// Errors wrap ErrInvalid when r holds no image of a supported format, or
// a truncated or corrupt one, and ErrTooLarge when the image has more
// pixels than allowed.
func Decode(r io.Reader, opts *Options) (image.Image, error) {
	r = atReader(r)
	// The header is read twice: by DecodeConfig and again by the decoder.
	// A seekable r is rewound; any other is replayed from what was read.
	var replay io.Reader
	var head bytes.Buffer
	seeker, seekable := r.(io.ReadSeeker)
	start := int64(0)
	if seekable {
		var err error
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			seekable = false
		}
	}
	if seekable {
		replay = r
	} else {
		replay = io.MultiReader(&head, r)
		r = io.TeeReader(r, &head)
	}
	cfg, f, err := DecodeConfig(r, opts)
	if err != nil {
		return nil, err
	}
	if seekable {
		if _, err := seeker.Seek(start, io.SeekStart); err != nil {
			return nil, fmt.Errorf("scaler: decode: %w", err)
		}
	}
	img, _, err := image.Decode(replay)
	if err != nil {
		return nil, decodeError(f.String(), err)
	}
	// The decoders allocate by the header they read again: it must be the
	// one that was checked.
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%w: %s: decoded %dx%d, header said %dx%d", ErrInvalid, f, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return img, nil
}

// atReader returns r, or, for a *bytes.Reader, a reader of the same bytes
// that package image uses as it is, which the decoders read at offsets.
// Package image wraps any reader without a Peek method in a bufio.Reader,
// and the TIFF decoder, given no io.ReaderAt, buffers its input itself,
// 10 MiB at a time towards the offsets that the file's directory gives:
// an 8-byte TIFF header would cost 10 MiB. The result reads from r's
// position on, and leaves r where it is.
func atReader(r io.Reader) io.Reader {
	br, ok := r.(*bytes.Reader)
	if !ok {
		return r
	}
	return peekReader{io.NewSectionReader(br, br.Size()-int64(br.Len()), int64(br.Len()))}
}

// peekReader is an io.SectionReader with the Peek by which package image
// knows that a reader needs no buffering.
type peekReader struct{ *io.SectionReader }

// Peek returns the next n bytes without reading them, or fewer and an
// error, as bufio.Reader does.
func (r peekReader) Peek(n int) ([]byte, error) {
	off, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	m, err := r.ReadAt(b, off)
	return b[:m], err
}

// decodeError wraps a decoder's error in ErrInvalid, saying "truncated"
// for the end-of-file errors that mean it, and for the errors in which a
// decoder says in words that its data ended early.
func decodeError(format string, err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return fmt.Errorf("%w: unknown format", ErrInvalid)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: %s: truncated", ErrInvalid, format)
	}
	msg := err.Error()
	for _, s := range truncatedTexts {
		if strings.Contains(msg, s) {
			return fmt.Errorf("%w: %s: truncated", ErrInvalid, format)
		}
	}
	if !strings.HasPrefix(msg, format+":") {
		msg = format + ": " + msg
	}
	return fmt.Errorf("%w: %s", ErrInvalid, msg)
}

// truncatedTexts are what the decoders say, without wrapping an
// end-of-file error, when the data ends before the image does: image/gif
// formats io.ErrUnexpectedEOF with %s, image/jpeg runs out of scan data,
// image/png and image/gif of compressed pixels, and x/image/riff (of WebP)
// of a chunk.
var truncatedTexts = []string{
	io.ErrUnexpectedEOF.Error(),
	"short Huffman data",
	"not enough pixel data",
	"not enough image data",
	"riff: short chunk",
}

// DecodeGray decodes the image in r straight to 8-bit gray, with Decode's
// limits and errors. For a JPEG in YCbCr or gray, the result is its luma
// (Y) plane, decoded by a decoder of its own that skips the chroma work,
// with libjpeg's accurate inverse DCT: it equals the gray that libjpeg,
// and so Pillow, decode, and differs from Grayscale's conversion through
// RGB only where that clamps a saturated colour. For any other image the
// result is Grayscale(img) for the img that Decode returns; a PNG is
// decoded straight to those gray rows, by a decoder of its own, without
// the image in between. The result shares no memory with anything else.
func DecodeGray(r io.Reader, opts *Options) (*image.Gray, error) {
	br := bufio.NewReader(r)
	// The decoders of JPEG and PNG read from memory.
	if sig, _ := br.Peek(8); string(sig[:min(3, len(sig))]) != "\xff\xd8\xff" && string(sig) != "\x89PNG\r\n\x1a\n" {
		return decodeGray(br, opts)
	}
	data, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("scaler: decode: %w", err)
	}
	return decodeGrayBytes(data, opts)
}

// decodeGrayBytes is DecodeGray for data in memory.
func decodeGrayBytes(data []byte, opts *Options) (*image.Gray, error) {
	if len(data) >= 8 && string(data[:8]) == "\x89PNG\r\n\x1a\n" {
		// pngdec accepts and refuses what image/png does, and gives
		// Grayscale's gray.
		g, err := pngdec.DecodeGray(data, &pngdec.Options{MaxPixels: opts.maxPixels()})
		switch {
		case err == nil:
			return g, nil
		case errors.Is(err, pngdec.ErrTooLarge):
			cfg, _ := pngdec.DecodeConfig(data)
			return nil, fmt.Errorf("%w: %dx%d is over the limit of %d pixels", ErrTooLarge, cfg.Width, cfg.Height, opts.maxPixels())
		}
		return nil, decodeError("png", err)
	}
	if len(data) < 3 || string(data[:3]) != "\xff\xd8\xff" {
		return decodeGray(bytes.NewReader(data), opts)
	}
	g, err := jpegdec.DecodeGray(data, &jpegdec.Options{MaxPixels: opts.maxPixels()})
	switch {
	case err == nil:
		return g, nil
	case errors.Is(err, jpegdec.ErrUnsupported):
		// CMYK, arithmetic coding, 12-bit samples and the like.
		return decodeGray(bytes.NewReader(data), opts)
	case errors.Is(err, jpegdec.ErrTooLarge):
		cfg, _ := jpegdec.DecodeConfig(data)
		return nil, fmt.Errorf("%w: %dx%d is over the limit of %d pixels", ErrTooLarge, cfg.Width, cfg.Height, opts.maxPixels())
	}
	return nil, decodeError("jpeg", err)
}

// decodeGray decodes with the registered decoders and converts to gray.
func decodeGray(r io.Reader, opts *Options) (*image.Gray, error) {
	img, err := Decode(r, opts)
	if err != nil {
		return nil, err
	}
	if g, ok := img.(*image.Gray); ok {
		return g, nil
	}
	return Grayscale(img), nil
}
