package scaler

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// testPicture returns a w×h colour image with gradients and a translucent
// corner, as a photo with an alpha channel might look.
func testPicture(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if x < w/4 && y < h/4 {
				a = 100
			}
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) * 7), a})
		}
	}
	return m
}

// encodings returns the test picture encoded in every format this package
// decodes, keyed by a name for the test.
func encodings(tb testing.TB, w, h int) map[string][]byte {
	tb.Helper()
	pic := testPicture(w, h)
	out := map[string][]byte{}
	add := func(name string, enc func(io.Writer) error) {
		var buf bytes.Buffer
		if err := enc(&buf); err != nil {
			tb.Fatalf("encode %s: %v", name, err)
		}
		out[name] = buf.Bytes()
	}
	add("jpeg", func(dst io.Writer) error { return jpeg.Encode(dst, pic, &jpeg.Options{Quality: 90}) })
	add("jpeg-gray", func(dst io.Writer) error { return jpeg.Encode(dst, Grayscale(pic), nil) })
	add("png-nrgba", func(dst io.Writer) error { return png.Encode(dst, pic) })
	add("png-gray", func(dst io.Writer) error { return png.Encode(dst, Grayscale(pic)) })
	add("png-gray16", func(dst io.Writer) error {
		g := image.NewGray16(pic.Rect)
		for y := range h {
			for x := range w {
				g.SetGray16(x, y, color.Gray16{uint16(x * y)})
			}
		}
		return png.Encode(dst, g)
	})
	add("png-paletted", func(dst io.Writer) error {
		p := image.NewPaletted(pic.Rect, color.Palette{color.Black, color.White, color.Transparent})
		for i := range p.Pix {
			p.Pix[i] = uint8(i % 3)
		}
		return png.Encode(dst, p)
	})
	add("gif", func(dst io.Writer) error { return gif.Encode(dst, pic, nil) })
	add("bmp", func(dst io.Writer) error { return bmp.Encode(dst, pic) })
	add("tiff", func(dst io.Writer) error { return tiff.Encode(dst, pic, &tiff.Options{Compression: tiff.Deflate}) })
	for _, name := range []string{"lossless.webp", "lossy.webp"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		out[name] = data
	}
	return out
}

func TestDecodeFormats(t *testing.T) {
	for name, data := range encodings(t, 24, 16) {
		t.Run(name, func(t *testing.T) {
			// Seekable and plain readers take different paths.
			for _, r := range []io.Reader{bytes.NewReader(data), struct{ io.Reader }{bytes.NewReader(data)}} {
				img, err := Decode(r, nil)
				if err != nil {
					t.Fatalf("Decode(%s, %T) = %v", name, r, err)
				}
				if b := img.Bounds(); b != image.Rect(0, 0, 24, 16) {
					t.Errorf("Decode(%s) bounds = %v, want 24x16", name, b)
				}
			}
			cfg, f, err := DecodeConfig(bytes.NewReader(data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != 24 || cfg.Height != 16 || !strings.HasPrefix(name, f.String()) && !strings.HasSuffix(name, f.String()) {
				t.Errorf("DecodeConfig(%s) = %dx%d %v", name, cfg.Width, cfg.Height, f)
			}
		})
	}
}

// Decode must refuse an image by its header, before the decoder allocates
// pixel memory for it.
func TestDecodeTooLarge(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"png 100000x100000", pngHeader(100000, 100000)},
		{"gif 65535x65535", gifBomb()},
		{"bmp 30000x30000", bmpHeader(30000, 30000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Decode(bytes.NewReader(tc.data), nil)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Decode(%s) = %v, want ErrTooLarge", tc.name, err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("Decode(%s) allocated %d bytes before refusing", tc.name, n)
			}
		})
	}
	t.Run("MaxPixels", func(t *testing.T) {
		data := encodings(t, 24, 16)["png-gray"]
		if _, err := Decode(bytes.NewReader(data), &Options{MaxPixels: 24*16 - 1}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Decode(24x16, MaxPixels 383) = %v, want ErrTooLarge", err)
		}
		if _, err := Decode(bytes.NewReader(data), &Options{MaxPixels: 24 * 16}); err != nil {
			t.Errorf("Decode(24x16, MaxPixels 384) = %v", err)
		}
	})
}

func TestDecodeInvalid(t *testing.T) {
	all := encodings(t, 24, 16)
	tests := []struct {
		name, data, msg string
	}{
		{"empty", "", "unknown format"},
		{"text", "hello, this is not an image", "unknown format"},
		{"truncated jpeg", string(all["jpeg"][:len(all["jpeg"])/2]), "jpeg: truncated"},
		{"truncated png", string(all["png-nrgba"][:60]), "png: "},
		{"png cut in its header", string(all["png-nrgba"][:20]), "png: truncated"},
		{"jpeg header only", string(all["jpeg"][:2]), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.data), nil)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode(%s) = %v, want ErrInvalid", tc.name, err)
			}
			if !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Decode(%s) error %q, want one line containing %q", tc.name, err, tc.msg)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	gray := Grayscale(testPicture(30, 20))
	tests := []struct {
		format Format
		opts   *Options
		err    error
	}{
		{JPEG, nil, nil},
		{JPEG, &Options{Quality: 100}, nil},
		{PNG, nil, nil},
		{JPEG, &Options{Quality: 101}, ErrInvalidOptions},
		{JPEG, &Options{Quality: -1}, ErrInvalidOptions},
		{GIF, nil, ErrInvalidOptions},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		err := Encode(&buf, gray, tc.format, tc.opts)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Encode(%v, %+v) = %v, want %v", tc.format, tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Encode(%v, %+v) = %v", tc.format, tc.opts, err)
		}
		img, err := Decode(&buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := img.(*image.Gray); !ok {
			t.Errorf("Encode(%v) of gray decodes as %T, want one-channel *image.Gray", tc.format, img)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, name := range []string{"jpeg", "JPG", "png", "gif", "bmp", "tif", "tiff", "webp"} {
		f, err := ParseFormat(name)
		if err != nil || !strings.EqualFold(f.String(), name) && name != "JPG" && name != "tif" {
			t.Errorf("ParseFormat(%q) = %v, %v", name, f, err)
		}
	}
	if _, err := ParseFormat("svg"); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("ParseFormat(svg) = %v, want ErrInvalidOptions", err)
	}
}

// pngHeader returns the signature and IHDR chunk of a w×h 8-bit gray PNG:
// enough for DecodeConfig.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

// gifBomb returns a GIF of a few dozen bytes whose logical screen is
// 65535×65535 and whose one frame claims all of it.
func gifBomb() []byte {
	b := []byte("GIF89a")
	b = append(b, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0) // screen, global table of 2
	b = append(b, 0, 0, 0, 255, 255, 255)
	b = append(b, 0x2c, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0) // frame
	b = append(b, 2, 2, 0x4c, 0x01, 0, 0x3b)
	return b
}

// bmpHeader returns the file and info headers of a w×h 24-bit BMP.
func bmpHeader(w, h int32) []byte {
	b := []byte("BM")
	b = binary.LittleEndian.AppendUint32(b, 54)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 54)
	b = binary.LittleEndian.AppendUint32(b, 40)
	b = binary.LittleEndian.AppendUint32(b, uint32(w))
	b = binary.LittleEndian.AppendUint32(b, uint32(h))
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 24)
	return append(b, make([]byte, 24)...)
}

// FuzzDecode checks that no input panics Decode, that every error wraps one
// of the package's sentinels and is one line, and that an image that
// decodes respects the pixel limit and agrees with DecodeConfig.
func FuzzDecode(f *testing.F) {
	for _, data := range encodings(f, 12, 9) {
		f.Add(data)
	}
	f.Add(pngHeader(100000, 100000))
	f.Add(gifBomb())
	f.Add(bmpHeader(30000, 30000))
	const limit = 1 << 18
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := &Options{MaxPixels: limit}
		img, err := Decode(bytes.NewReader(data), opts)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Decode error %q wraps neither ErrInvalid nor ErrTooLarge", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("Decode error %q is not one line", err)
			}
			return
		}
		b := img.Bounds()
		if int64(b.Dx())*int64(b.Dy()) > limit {
			t.Fatalf("Decode returned %v, over the limit of %d pixels", b, limit)
		}
		cfg, _, err := DecodeConfig(bytes.NewReader(data), opts)
		if err != nil || cfg.Width != b.Dx() || cfg.Height != b.Dy() {
			t.Fatalf("DecodeConfig = %dx%d, %v; Decode gave %v", cfg.Width, cfg.Height, err, b)
		}
	})
}
