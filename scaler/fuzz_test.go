package scaler

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/tools/fuzzcorpus"
)

// This file holds FuzzDecodeGray and the generator of the seed corpora of
// the package's fuzz targets, in testdata/fuzz/<target>. Rewrite them with
//
//	go test ./scaler -run '^TestFuzzCorpus' -genseeds

// GenSeeds is the -genseeds flag, exported for package scaler_test.
var GenSeeds = flag.Bool("genseeds", false, "rewrite the seed corpora in testdata/fuzz")

func TestFuzzCorpus(t *testing.T) {
	seeds := decodeSeeds(t)
	t.Run("FuzzDecode", func(t *testing.T) { fuzzcorpus.Sync(t, "FuzzDecode", seeds, *GenSeeds) })
	t.Run("FuzzDecodeGray", func(t *testing.T) { fuzzcorpus.Sync(t, "FuzzDecodeGray", seeds, *GenSeeds) })
}

// jpegdecFile returns a test file of package jpegdec, made by libjpeg:
// image/jpeg writes neither progressive nor 4:4:4 files.
func jpegdecFile(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "internal", "codec", "jpegdec", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// patched returns a copy of b with p written at off.
func patched(b []byte, off int, p ...byte) []byte {
	b = append([]byte(nil), b...)
	copy(b[off:], p)
	return b
}

// jpegHuge returns a JPEG whose SOF claims 65535×65535 pixels.
func jpegHuge(tb testing.TB, data []byte) []byte {
	tb.Helper()
	for i := 2; i+9 < len(data); {
		if data[i] != 0xff {
			break
		}
		m := data[i+1]
		if m >= 0xc0 && m <= 0xc2 {
			return patched(data, i+5, 0xff, 0xff, 0xff, 0xff)
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
	}
	tb.Fatal("jpegHuge: no SOF")
	return nil
}

// tiffHuge returns a little-endian TIFF whose IFD0 claims 65535×65535
// pixels.
func tiffHuge(tb testing.TB, data []byte) []byte {
	tb.Helper()
	data = append([]byte(nil), data...)
	ifd := int(binary.LittleEndian.Uint32(data[4:]))
	n := int(binary.LittleEndian.Uint16(data[ifd:]))
	found := 0
	for i := range n {
		e := data[ifd+2+12*i:]
		if tag := binary.LittleEndian.Uint16(e); tag == 256 || tag == 257 {
			binary.LittleEndian.PutUint32(e[8:], 0xffff)
			found++
		}
	}
	if found != 2 {
		tb.Fatal("tiffHuge: no size tags")
	}
	return data
}

// decodeSeeds returns the seed corpus of FuzzDecode and FuzzDecodeGray:
// tiny files of every format and kind, and the ways they break.
func decodeSeeds(tb testing.TB) []fuzzcorpus.Seed {
	var seeds []fuzzcorpus.Seed
	add := func(name string, data []byte) { seeds = append(seeds, fuzzcorpus.Seed{Name: name, Args: []any{data}}) }
	all := encodings(tb, 12, 9)
	for _, name := range []string{"jpeg", "jpeg-gray", "png-nrgba", "png-gray", "png-gray16", "png-paletted", "gif", "bmp", "tiff"} {
		add(name, all[name])
	}
	add("webp-lossless", all["lossless.webp"])
	add("webp-lossy", all["lossy.webp"])
	add("jpeg-420-libjpeg", jpegdecFile(tb, "17x9-420.jpg"))
	add("jpeg-444", jpegdecFile(tb, "444-base.jpg"))
	add("jpeg-422-progressive", jpegdecFile(tb, "17x9-422-prog.jpg"))
	add("jpeg-444-progressive", jpegdecFile(tb, "444-prog.jpg"))
	add("jpeg-cmyk", jpegdecFile(tb, "17x9-cmyk-22.jpg"))

	half := func(b []byte) []byte { return b[:len(b)/2] }
	add("jpeg-truncated", half(all["jpeg"]))
	add("jpeg-progressive-truncated", half(jpegdecFile(tb, "17x9-422-prog.jpg")))
	add("jpeg-huge", jpegHuge(tb, all["jpeg"]))
	add("jpeg-progressive-huge", jpegHuge(tb, jpegdecFile(tb, "17x9-422-prog.jpg")))
	add("png-truncated", half(all["png-nrgba"]))
	add("png-bad-ihdr-crc", patched(all["png-gray"], 16, 0)) // the width's top byte: CRC mismatch
	add("png-huge", pngHeader(100000, 100000))
	add("gif-bomb", gifBomb())
	add("gif-truncated", half(all["gif"]))
	add("bmp-huge", bmpHeader(30000, 30000))
	add("bmp-truncated", half(all["bmp"]))
	add("tiff-huge", tiffHuge(tb, all["tiff"]))
	webp := all["lossless.webp"]
	// 14 bits of width-1, 14 of height-1: all ones, the alpha bit and the
	// version kept.
	add("webp-lossless-huge", patched(webp, 21, 0xff, 0xff, 0xff, 0x0f|webp[24]&0xf0))
	add("webp-lossy-huge", patched(all["lossy.webp"], 26, 0xff, 0x3f, 0xff, 0x3f))
	return seeds
}

// FuzzDecodeGray checks that no input panics DecodeGray, that its errors
// are Decode's, one line, that what it decodes respects the pixel limit and
// has the size Decode finds, and that for PNG and GIF files it fails
// exactly when Decode fails. JPEG, BMP, TIFF and WebP have decoders of
// their own that follow libjpeg, Pillow, libtiff and libwebp where the
// registered decoders differ: a WebP file shorter than its RIFF size, for
// one, which libwebp refuses and x/image/webp decodes.
func FuzzDecodeGray(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s.Args[0].([]byte))
	}
	const limit = 1 << 18
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := &Options{MaxPixels: limit}
		g, err := DecodeGray(bytes.NewReader(data), opts)
		img, derr := Decode(bytes.NewReader(data), opts)
		sameAsDecode := len(data) >= 3 && (string(data[:3]) == "\x89PN" || string(data[:3]) == "GIF")
		if err != nil {
			if g != nil {
				t.Fatalf("DecodeGray returned an image and %v", err)
			}
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("DecodeGray error %q wraps neither ErrInvalid nor ErrTooLarge", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("DecodeGray error %q is not one line", err)
			}
			if sameAsDecode && derr == nil {
				t.Fatalf("DecodeGray = %v, Decode succeeded", err)
			}
			if errors.Is(err, ErrTooLarge) && derr == nil {
				t.Fatalf("DecodeGray = %v, Decode gave %v", err, img.Bounds())
			}
			return
		}
		b := g.Bounds()
		if b.Min != (image.Point{}) || b.Empty() || int64(b.Dx())*int64(b.Dy()) > limit || g.Stride < b.Dx() || len(g.Pix) < g.Stride*(b.Dy()-1)+b.Dx() {
			t.Fatalf("DecodeGray returned %v, stride %d, %d bytes (limit %d pixels)", b, g.Stride, len(g.Pix), limit)
		}
		if derr != nil {
			if sameAsDecode || errors.Is(derr, ErrTooLarge) {
				t.Fatalf("DecodeGray gave %v, Decode %v", b, derr)
			}
			// A JPEG that image/jpeg refuses but jpegdec reads.
			if std, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil && (std.Width != b.Dx() || std.Height != b.Dy()) {
				t.Fatalf("DecodeGray gave %v, image/jpeg's header says %dx%d", b, std.Width, std.Height)
			}
			return
		}
		if img.Bounds() != b {
			t.Fatalf("DecodeGray gave %v, Decode %v", b, img.Bounds())
		}
	})
}
