package pngdec_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/escala-img/escala/internal/codec/pngdec"
	"github.com/escala-img/escala/scaler"
)

// stdGray returns scaler.Grayscale of image/png's decode of data, or
// image/png's error.
func stdGray(data []byte) (*image.Gray, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return scaler.Grayscale(img), nil
}

// checkSame fails unless DecodeGray gives for data exactly what image/png
// and Grayscale give.
func checkSame(t *testing.T, data []byte) {
	t.Helper()
	want, err := stdGray(data)
	if err != nil {
		t.Fatalf("image/png: %v", err)
	}
	got, err := pngdec.DecodeGray(data, nil)
	if err != nil {
		t.Fatalf("DecodeGray: %v", err)
	}
	if msg := diffGray(got, want); msg != "" {
		t.Fatalf("DecodeGray differs from Grayscale(png.Decode): %s", msg)
	}
}

// diffGray describes how got differs from want, or returns "".
func diffGray(got, want *image.Gray) string {
	if got.Rect != want.Rect || got.Stride != want.Stride || len(got.Pix) != len(want.Pix) {
		return fmt.Sprintf("%v stride %d (%d bytes), want %v stride %d (%d bytes)",
			got.Rect, got.Stride, len(got.Pix), want.Rect, want.Stride, len(want.Pix))
	}
	for i := range got.Pix {
		if got.Pix[i] != want.Pix[i] {
			x, y := i%got.Stride, i/got.Stride
			return fmt.Sprintf("pixel (%d,%d) = %d, want %d", x, y, got.Pix[i], want.Pix[i])
		}
	}
	return ""
}

var sizes = []image.Point{{1, 1}, {3, 5}, {17, 9}, {300, 200}}

// TestHandComputed decodes 2×2 images whose gray is worked out by hand:
// the 601-2 luma (19595·R + 38470·G + 7471·B + 32768) >> 16, after
// compositing onto white, (C·A + 255·(255−A) + 127) / 255.
func TestHandComputed(t *testing.T) {
	tests := []struct {
		name string
		img  image.Image
		want []uint8
	}{
		{"nrgba", &image.NRGBA{
			Pix: []uint8{
				255, 0, 0, 255, // red: 5029493 >> 16 = 76
				0, 255, 0, 255, // green: 9842618 >> 16 = 150
				0, 0, 255, 255, // blue: 1937873 >> 16 = 29
				0, 0, 0, 128, // black at alpha 128: 32512/255 = 127
			},
			Stride: 8, Rect: image.Rect(0, 0, 2, 2),
		}, []uint8{76, 150, 29, 127}},
		{"gray16", &image.Gray16{
			Pix:    []uint8{0x12, 0xff, 0xab, 0x00, 0xff, 0xff, 0x00, 0x80},
			Stride: 4, Rect: image.Rect(0, 0, 2, 2),
		}, []uint8{0x12, 0xab, 0xff, 0x00}}, // the high bytes
		{"transparent", &image.NRGBA{
			Pix:    []uint8{9, 9, 9, 0, 200, 100, 50, 255, 200, 100, 50, 0, 255, 255, 255, 255},
			Stride: 8, Rect: image.Rect(0, 0, 2, 2),
		}, []uint8{255, 124, 255, 255}}, // (3919000+3847000+373550+32768) >> 16 = 124
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := pngdec.DecodeGray(encodePNG(t, tc.img), nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(g.Pix) != string(tc.want) || g.Rect != image.Rect(0, 0, 2, 2) {
				t.Errorf("DecodeGray(%s 2x2) = %v %v, want %v", tc.name, g.Rect, g.Pix, tc.want)
			}
		})
	}
}

// TestDecodeGrayStdlib compares DecodeGray with image/png and Grayscale on
// images of every colour model image/png's encoder writes.
func TestDecodeGrayStdlib(t *testing.T) {
	models := []string{"gray", "gray16", "rgba", "nrgba", "rgba64", "nrgba64", "paletted", "paletted-alpha"}
	for _, model := range models {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", model, sz.X, sz.Y), func(t *testing.T) {
				checkSame(t, encodePNG(t, testImage(model, sz.X, sz.Y)))
			})
		}
	}
}

// TestDecodeGrayBuilt compares DecodeGray with image/png and Grayscale on
// files that image/png's encoder does not write: every colour type and
// bit depth, tRNS chunks, Adam7, every filter type, split IDAT chunks.
func TestDecodeGrayBuilt(t *testing.T) {
	type kind struct {
		colorType int
		depths    []int
	}
	kinds := []kind{{0, []int{1, 2, 4, 8, 16}}, {2, []int{8, 16}}, {3, []int{1, 2, 4, 8}}, {4, []int{8, 16}}, {6, []int{8, 16}}}
	for _, k := range kinds {
		for _, depth := range k.depths {
			for _, interlaced := range []bool{false, true} {
				for _, sz := range sizes {
					f := pngFile{width: sz.X, height: sz.Y, colorType: k.colorType, depth: depth, interlaced: interlaced}
					name := fmt.Sprintf("ct%d/%dbit/%dx%d", k.colorType, depth, sz.X, sz.Y)
					if interlaced {
						name += "/adam7"
					}
					if k.colorType == 3 {
						f.plte = testPalette(1 << depth)
					}
					t.Run(name, func(t *testing.T) { checkSame(t, f.build(t)) })
					if k.colorType == 4 || k.colorType == 6 {
						continue
					}
					// With transparency: a key that some pixels have, or
					// alpha for part of the palette.
					switch k.colorType {
					case 0:
						v := sampleAt(1, 0, 0, depth)
						f.trns = []byte{byte(v >> 8), byte(v)}
					case 2:
						f.trns = make([]byte, 6)
						for c := range 3 {
							v := sampleAt(2, 0, c, depth)
							f.trns[2*c], f.trns[2*c+1] = byte(v>>8), byte(v)
						}
					case 3:
						f.trns = []byte{0, 128, 255, 7}[:min(4, 1<<depth)]
					}
					t.Run(name+"/trns", func(t *testing.T) { checkSame(t, f.build(t)) })
				}
			}
		}
	}
}

// testPalette returns a PLTE chunk of n varied colours.
func testPalette(n int) []byte {
	p := make([]byte, 3*n)
	for i := range n {
		p[3*i], p[3*i+1], p[3*i+2] = byte(i*37+5), byte(i*91), byte(255-i*13)
	}
	return p
}

// TestFilters forces each filter type on every row of images of every
// number of bytes a pixel (1, 2, 3, 4, 6 and 8, and below 1).
func TestFilters(t *testing.T) {
	kinds := []struct{ colorType, depth int }{{0, 4}, {0, 8}, {4, 8}, {2, 8}, {6, 8}, {2, 16}, {6, 16}}
	for _, k := range kinds {
		for ft := range byte(5) {
			for _, sz := range []image.Point{{1, 3}, {2, 2}, {33, 7}, {300, 20}} {
				f := pngFile{width: sz.X, height: sz.Y, colorType: k.colorType, depth: k.depth,
					filter: func(p, y int) byte { return ft }}
				t.Run(fmt.Sprintf("ct%d/%dbit/filter%d/%dx%d", k.colorType, k.depth, ft, sz.X, sz.Y), func(t *testing.T) {
					checkSame(t, f.build(t))
				})
			}
		}
	}
}

// TestPaethExtremes runs the Paeth filter over samples that make every
// choice of predictor and the largest distances, with every number of
// bytes a pixel.
func TestPaethExtremes(t *testing.T) {
	kinds := []struct{ colorType, depth int }{{0, 8}, {4, 8}, {2, 8}, {6, 8}, {2, 16}, {6, 16}}
	values := []int{0, 255, 1, 254, 128, 127, 0, 0, 255, 255, 3, 200}
	for _, k := range kinds {
		f := pngFile{width: 61, height: 13, colorType: k.colorType, depth: k.depth,
			filter: func(p, y int) byte { return 4 },
			sample: func(x, y, ch int) int {
				v := values[(x*5+y*7+ch*3)%len(values)]
				if k.depth == 16 {
					return v<<8 | values[(x+y+ch)%len(values)]
				}
				return v
			}}
		t.Run(fmt.Sprintf("ct%d/%dbit", k.colorType, k.depth), func(t *testing.T) { checkSame(t, f.build(t)) })
	}
}

// TestIDATChunks splits the zlib stream into several IDAT chunks, some of
// them empty, and adds empty and garbage IDAT chunks after it, which
// image/png skips.
func TestIDATChunks(t *testing.T) {
	base := pngFile{width: 40, height: 30, colorType: 2, depth: 8}
	tests := []struct {
		name  string
		split []int
	}{
		{"one", nil},
		{"bytes", []int{1, 1, 1, 1, 1, 1, 1}},
		{"empty-first", []int{0, 10, 0, 0, 20}},
		{"many", []int{100, 7, 333, 2, 0, 1000}},
	}
	for _, tc := range tests {
		f := base
		f.idat = tc.split
		t.Run(tc.name, func(t *testing.T) { checkSame(t, f.build(t)) })
	}
	file := base.build(t)
	cs := chunks(t, file)
	iend := cs[len(cs)-1]
	extra := append(cs[:len(cs)-1:len(cs)-1], chunk{typ: "IDAT"}, chunk{typ: "IDAT", data: []byte("garbage")}, chunk{typ: "tEXt", data: []byte("a\x00b")}, iend)
	t.Run("trailing", func(t *testing.T) { checkSame(t, rebuild(extra)) })
}

// TestAncillaryChunks puts unknown chunks before IHDR, between the critical
// chunks and after IEND, which image/png ignores, and a PLTE chunk in an
// RGB image.
func TestAncillaryChunks(t *testing.T) {
	f := pngFile{width: 5, height: 4, colorType: 2, depth: 8, trns: []byte{0, 1, 0, 2, 0, 3}}
	cs := chunks(t, f.build(t))
	text := chunk{typ: "tEXt", data: []byte("Comment\x00hello")}
	var out []chunk
	out = append(out, text, cs[0], text, chunk{typ: "PLTE", data: testPalette(3)})
	for _, c := range cs[1:] {
		out = append(out, c, text)
	}
	file := append(rebuild(out), "trailing data"...)
	checkSame(t, file)
}

// TestConfig checks what DecodeConfig reads and what Memory says.
func TestConfig(t *testing.T) {
	f := pngFile{width: 300, height: 200, colorType: 6, depth: 16, interlaced: true}
	cfg, err := pngdec.DecodeConfig(f.build(t))
	want := pngdec.Config{Width: 300, Height: 200, ColorType: 6, BitDepth: 16, Interlaced: true}
	if err != nil || cfg != want {
		t.Fatalf("DecodeConfig = %+v, %v, want %+v", cfg, err, want)
	}
	if m := cfg.Memory(); m < 300*200+2*(8*300+1) || m > 300*200+2*(8*300+1)+300+160<<10 {
		t.Errorf("Memory() = %d", m)
	}
}

// TestMaxPixels checks that MaxPixels admits an image of that many pixels
// and refuses a larger one.
func TestMaxPixels(t *testing.T) {
	data := encodePNG(t, testImage("rgba", 24, 16))
	if _, err := pngdec.DecodeGray(data, &pngdec.Options{MaxPixels: 24 * 16}); err != nil {
		t.Errorf("DecodeGray(24x16, MaxPixels 384) = %v", err)
	}
	if _, err := pngdec.DecodeGray(data, &pngdec.Options{MaxPixels: 24*16 - 1}); !errorsIs(err, pngdec.ErrTooLarge) {
		t.Errorf("DecodeGray(24x16, MaxPixels 383) = %v, want ErrTooLarge", err)
	}
	if _, err := pngdec.DecodeGray(data, &pngdec.Options{MaxPixels: -1}); err == nil {
		t.Errorf("DecodeGray(MaxPixels -1) succeeded")
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// TestBudgetDecodeGray checks the path of scaler's Budget.DecodeGray,
// which decodes PNGs with DecodeGray: the same gray, the memory acquired
// that Config.Memory says, and the errors scaler's callers branch on.
func TestBudgetDecodeGray(t *testing.T) {
	ctx := context.Background()
	data := encodePNG(t, testImage("nrgba", 300, 200))
	cfg, err := pngdec.DecodeConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := stdGray(data)
	got, release, err := (&scaler.Budget{Max: cfg.Memory()}).DecodeGray(ctx, data, nil)
	if err != nil {
		t.Fatalf("Budget{Max: %d}.DecodeGray: %v", cfg.Memory(), err)
	}
	release()
	if msg := diffGray(got, want); msg != "" {
		t.Errorf("Budget.DecodeGray differs from Grayscale(png.Decode): %s", msg)
	}
	if _, _, err := (&scaler.Budget{Max: cfg.Memory() - 1}).DecodeGray(ctx, data, nil); !errors.Is(err, scaler.ErrTooLarge) {
		t.Errorf("Budget{Max: %d}.DecodeGray = %v, want ErrTooLarge", cfg.Memory()-1, err)
	}

	badFilter := grayRows(4, 0)
	badFilter[6] = 9
	tests := []struct {
		name string
		data []byte
		opts *scaler.Options
		err  error
		msg  string
	}{
		{"too-large", data, &scaler.Options{MaxPixels: 300*200 - 1}, scaler.ErrTooLarge, "300x200 is over the limit of 59999 pixels"},
		{"truncated", data[:len(data)/2], nil, scaler.ErrInvalid, "png: truncated"},
		{"bad-filter", streamFile(zlibOf(t, badFilter)), nil, scaler.ErrInvalid, "png: bad filter type 9 in row 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := (&scaler.Budget{}).DecodeGray(ctx, tc.data, tc.opts)
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Budget.DecodeGray = %v, want %v containing %q", err, tc.err, tc.msg)
			}
		})
	}
}
