package jpegdec

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestInkRGB checks inkRGB against color.CMYKToRGB for every pair of
// stored (inverted) samples.
func TestInkRGB(t *testing.T) {
	for a := 0; a < 256; a++ {
		for k := 0; k < 256; k++ {
			want, _, _ := color.CMYKToRGB(uint8(255-a), 0, 0, uint8(255-k))
			if got := inkRGB(uint32(a), uint32(k)); got != uint32(want) {
				t.Fatalf("inkRGB(%d, %d) = %d, want %d", a, k, got, want)
			}
		}
	}
}

// TestColorGray checks the gray of RGB, CMYK and YCCK samples against
// what image/jpeg and scaler.Grayscale make of them, on random samples.
func TestColorGray(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 16
	var s [4][n]byte
	for i := range s {
		for j := range s[i] {
			s[i][j] = byte(rng.Uint32())
		}
	}
	// Extremes, where clamping and rounding matter most.
	for j := 0; j < 1024; j++ {
		for i := range s {
			s[i][j] = []byte{0, 1, 254, 255}[(j>>(2*i))&3]
		}
	}
	var got [n]byte
	rgbGray(got[:], s[0][:], s[1][:], s[2][:])
	for j := range got {
		if want := testLuma(s[0][j], s[1][j], s[2][j]); got[j] != want {
			t.Fatalf("rgbGray(%d, %d, %d) = %d, want %d", s[0][j], s[1][j], s[2][j], got[j], want)
		}
	}
	cmykGray(got[:], s[0][:], s[1][:], s[2][:], s[3][:])
	for j := range got {
		// image/jpeg inverts Adobe CMYK samples.
		r, g, b := color.CMYKToRGB(255-s[0][j], 255-s[1][j], 255-s[2][j], 255-s[3][j])
		if want := testLuma(r, g, b); got[j] != want {
			t.Fatalf("cmykGray(%d, %d, %d, %d) = %d, want %d", s[0][j], s[1][j], s[2][j], s[3][j], got[j], want)
		}
	}
	ycckGray(got[:], s[0][:], s[1][:], s[2][:], s[3][:])
	for j := range got {
		// image/jpeg takes the RGB of the YCbCr for C, M, Y, and inverts K.
		c, m, y := color.YCbCrToRGB(s[0][j], s[1][j], s[2][j])
		r, g, b := color.CMYKToRGB(c, m, y, 255-s[3][j])
		if want := testLuma(r, g, b); got[j] != want {
			t.Fatalf("ycckGray(%d, %d, %d, %d) = %d, want %d", s[0][j], s[1][j], s[2][j], s[3][j], got[j], want)
		}
	}
}

// TestColorFiles compares the gray that DecodeGray makes of the RGB, CMYK
// and YCCK files of testdata with the gray of image/jpeg's decode. Only
// the inverse DCTs differ, by at most 1 in a sample, which makes at most 1
// in the luma of RGB; the product of C and K (or of R and K from YCCK) can
// double it. image/jpeg cannot decode the progressive CMYK and YCCK files
// with restart markers that jpegtran writes, but jpegtran changed no
// coefficient of the baseline files it made them from, whose gray must be
// the same.
func TestColorFiles(t *testing.T) {
	twins := map[string]string{
		"cmyk-prog.jpg":              "cmyk-base.jpg",
		"cmyk-22-prog-rst4.jpg":      "cmyk-22-base.jpg",
		"ycck-prog-rst2.jpg":         "ycck-base.jpg",
		"17x9-cmyk-22-prog-rst1.jpg": "17x9-cmyk-22.jpg",
	}
	files := []testFile{{"rgb-ids.jpg", rgbIDs(t, readTestFile(t, "444-base.jpg"))}}
	for _, f := range testFiles(t) {
		if strings.Contains(f.name, "rgb") || strings.Contains(f.name, "cmyk") || strings.Contains(f.name, "ycck") {
			files = append(files, f)
		}
	}
	var total diffStats
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			if twin, ok := twins[f.name]; ok {
				got, err := DecodeGray(f.data, nil)
				if err != nil {
					t.Fatal(err)
				}
				want, err := DecodeGray(readTestFile(t, twin), nil)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Pix, want.Pix) {
					t.Errorf("DecodeGray(%s) differs from DecodeGray(%s)", f.name, twin)
				}
			}
			if _, err := jpeg.Decode(bytes.NewReader(f.data)); err != nil {
				t.Logf("image/jpeg cannot decode it (%v)", err)
				return
			}
			s := decodeBoth(t, f.data)
			t.Logf("%v", s)
			limit := 1
			if !strings.Contains(f.name, "rgb") {
				limit = 2
			}
			if s.max > limit || s.within1*1000 < s.pixels*995 {
				t.Errorf("DecodeGray(%s) differs from image/jpeg's gray: %v", f.name, s)
			}
			total.add(s)
		})
	}
	t.Logf("all: %v", total)
}

// TestColorSamples checks that the samples of the planes of sequential
// RGB and CMYK files, before they are made gray, differ from image/jpeg's
// by at most 1.
func TestColorSamples(t *testing.T) {
	for _, name := range []string{"rgb-base.jpg", "17x9-rgb-420.jpg", "rgb-420-noninterleaved.jpg", "cmyk-base.jpg", "cmyk-22-base.jpg", "17x9-cmyk-22.jpg"} {
		t.Run(name, func(t *testing.T) {
			data := readTestFile(t, name)
			d := &decoder{data: data, scale: 1}
			if err := d.decode(false); err != nil {
				t.Fatal(err)
			}
			std, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var pix []byte
			var stride, ch int
			switch m := std.(type) {
			case *image.RGBA:
				pix, stride, ch = m.Pix, m.Stride, 3
			case *image.CMYK:
				pix, stride, ch = m.Pix, m.Stride, 4
			default:
				t.Fatalf("image/jpeg gave %T", std)
			}
			worst, n := 0, 0
			for y := 0; y < d.height; y++ {
				for x := 0; x < d.width; x++ {
					for i := 0; i < ch; i++ {
						p := &d.planes[i]
						v := int(p.pix[(y/p.ry)*p.stride+x/p.rx])
						if ch == 4 {
							v = 255 - v // image/jpeg inverts Adobe CMYK
						}
						diff := v - int(pix[y*stride+4*x+i])
						worst = max(worst, diff, -diff)
						n++
					}
				}
			}
			t.Logf("%d samples, max diff %d", n, worst)
			if worst > 1 {
				t.Errorf("samples of %s differ from image/jpeg's by %d", name, worst)
			}
		})
	}
}

// TestColorModel checks that the markers of a 3-component file choose RGB
// or YCbCr as image/jpeg does: the gray must be image/jpeg's either way.
func TestColorModel(t *testing.T) {
	rgb := readTestFile(t, "rgb-base.jpg") // ids 'R', 'G', 'B', Adobe transform 0
	adobe := findSegment(t, rgb, 0xee).at
	tests := []struct {
		name string
		data []byte
	}{
		{"Adobe transform 0", rgb},
		{"Adobe transform 1, ids RGB", patched(rgb, func(b []byte) { b[adobe+15] = 1 })},
		{"Adobe transform 1, ids 1 2 3", patched(rgb, func(b []byte) {
			b[adobe+15] = 1
			sof, sos := findSegment(t, b, 0xc0).at, findSegment(t, b, 0xda).at
			b[sof+10], b[sof+13], b[sof+16] = 1, 2, 3
			b[sos+5], b[sos+7], b[sos+9] = 1, 2, 3
		})},
		{"JFIF and Adobe transform 0", insert(rgb, 2, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)},
		{"ids RGB, no JFIF or Adobe", rgbIDs(t, readTestFile(t, "444-base.jpg"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := decodeBoth(t, tc.data)
			if s.max > 1 {
				t.Errorf("DecodeGray differs from image/jpeg's gray: %v", s)
			}
		})
	}
}
