package scaler

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"strings"

	// The decoders Decode uses, registered with package image.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
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
// as far as the header, except for a file whose header the registered
// decoder refuses but a decoder of this module reads (an arithmetic-coded
// JPEG, an RLE BMP, a TIFF with JPEG compression): that one it reads to
// the end, and reports as color.GrayModel, which is what Decode returns for
// it. A *bytes.Reader it reads at offsets, without copying, and leaves
// where it was. A nil opts means the defaults.
//
// Errors wrap ErrInvalid when r holds no image of a supported format and
// ErrTooLarge when the image has more pixels than allowed.
func DecodeConfig(r io.Reader, opts *Options) (image.Config, Format, error) {
	cfg, f, _, err := decodeConfig(r, opts)
	return cfg, f, err
}

// decodeConfig is DecodeConfig, and reports whether the registered decoder
// refused the header that a decoder of this module read.
func decodeConfig(r io.Reader, opts *Options) (cfg image.Config, f Format, grayOnly bool, err error) {
	r = atReader(r)
	src, whole := teeAll(r)
	cfg, name, err := image.DecodeConfig(src)
	if err != nil {
		f, _ := ParseFormat(name)
		if _, ours := grayDecoders[f]; !ours {
			return image.Config{}, 0, false, decodeError(name, err)
		}
		data, rerr := whole()
		if rerr != nil {
			return image.Config{}, 0, false, fmt.Errorf("scaler: decode: %w", rerr)
		}
		hdr, _, err := grayConfig(data, opts)
		if err != nil {
			return image.Config{}, 0, false, err
		}
		return image.Config{ColorModel: color.GrayModel, Width: hdr.width, Height: hdr.height}, f, true, nil
	}
	f, err = ParseFormat(name)
	if err != nil { // a format registered by someone else
		return image.Config{}, 0, false, fmt.Errorf("%w: unsupported format %q", ErrInvalid, name)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return image.Config{}, 0, false, fmt.Errorf("%w: %s: empty image %dx%d", ErrInvalid, name, cfg.Width, cfg.Height)
	}
	if err := checkPixels(cfg.Width, cfg.Height, opts.maxPixels()); err != nil {
		return image.Config{}, 0, false, err
	}
	return cfg, f, false, nil
}

// teeAll returns a reader of what r holds and a function that returns all
// of it, the bytes read through the reader so far and the rest of r. A
// peekReader (of a bytes.Reader) is read at offsets; any other r is
// copied as it is read.
func teeAll(r io.Reader) (io.Reader, func() ([]byte, error)) {
	if pr, ok := r.(peekReader); ok {
		start, _ := pr.Seek(0, io.SeekCurrent)
		return r, func() ([]byte, error) {
			data := make([]byte, pr.Size())
			n, err := pr.ReadAt(data, 0)
			if err == io.EOF {
				err = nil
			}
			pr.Seek(start, io.SeekStart)
			return data[:n], err
		}
	}
	var read bytes.Buffer
	return io.TeeReader(r, &read), func() ([]byte, error) {
		_, err := read.ReadFrom(r)
		return read.Bytes(), err
	}
}

// Decode decodes the image in r: JPEG (baseline, progressive, CMYK and
// YCCK), PNG (all bit depths, paletted, with alpha), GIF (its first
// frame), BMP, TIFF or WebP. It reads the header first and checks the size
// against opts.MaxPixels before any pixel memory is allocated. A
// *bytes.Reader it reads at offsets, without copying, and leaves where it
// was; any other reader it reads to its end first. A nil opts means the
// defaults.
//
// The pixels are returned as stored: EXIF orientation is not applied (see
// ExifOrientation and Orient). The concrete type is the decoder's, e.g.
// *image.YCbCr for most JPEGs. Importing this package registers the BMP,
// TIFF and WebP decoders with package image. A file whose colours those
// decoders refuse but whose gray DecodeGray decodes (arithmetic-coded
// JPEG, RLE and bit-field BMP, TIFF with JPEG compression, CMYK or
// separate planes) comes back as the *image.Gray that DecodeGray gives.
// Grayscale of a lossy WebP's *image.YCbCr uses the JPEG (full-range)
// equations, which do not hold for WebP: use DecodeGray for its gray.
//
// Errors wrap ErrInvalid when r holds no image of a supported format, or
// a truncated or corrupt one, and ErrTooLarge when the image has more
// pixels than allowed.
func Decode(r io.Reader, opts *Options) (image.Image, error) {
	br, ok := r.(*bytes.Reader)
	if !ok {
		// The header is read twice, and a file that the registered
		// decoder refuses once more by this module's: hold it in memory.
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("scaler: decode: %w", err)
		}
		br = bytes.NewReader(data)
	}
	pr := atReader(br).(peekReader)
	cfg, f, grayOnly, err := decodeConfig(pr, opts)
	if err != nil {
		return nil, err
	}
	if _, err := pr.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("scaler: decode: %w", err)
	}
	var img image.Image
	if !grayOnly {
		img, _, err = image.Decode(pr)
	}
	if grayOnly || err != nil {
		d, ours := grayDecoders[f]
		if !ours {
			return nil, decodeError(f.String(), err)
		}
		// The registered decoder refuses it: decode its gray.
		data := make([]byte, pr.Size())
		if _, err := pr.ReadAt(data, 0); err != nil {
			return nil, fmt.Errorf("scaler: decode: %w", err)
		}
		return d.decodeGray(f, data, opts)
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
// limits and errors, reading it into memory first. JPEG, PNG, BMP, TIFF
// and WebP files are decoded by decoders of this module's own, straight to
// gray rows, without a colour image in between; GIF goes through Decode
// and Grayscale. The gray is the ITU-R 601-2 luma of each pixel's 8-bit
// RGB composited onto white (L = R·299/1000 + G·587/1000 + B·114/1000, as
// Pillow's convert("L") computes it), with 16-bit samples scaled to 8
// bits. For a JPEG in YCbCr or gray it is the luma (Y) plane, decoded with
// libjpeg's accurate inverse DCT: it equals what libjpeg-turbo's
// djpeg -grayscale gives; for a lossy WebP it is the luma of the RGB that
// libwebp gives. The decoders decode every file that Pillow does, with
// the exceptions that the package doc lists; a file that uses one of those
// gets an error that names it.
//
// The result shares no memory with anything else.
func DecodeGray(r io.Reader, opts *Options) (*image.Gray, error) {
	var data []byte
	if br, ok := r.(*bytes.Reader); ok {
		// Its length is known: one allocation.
		data = make([]byte, br.Len())
		if _, err := io.ReadFull(br, data); err != nil {
			return nil, fmt.Errorf("scaler: decode: %w", err)
		}
	} else {
		var err error
		if data, err = io.ReadAll(r); err != nil {
			return nil, fmt.Errorf("scaler: decode: %w", err)
		}
	}
	return decodeGrayBytes(data, opts)
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
