package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"testing"
)

// boxDown returns m shrunk by s: each pixel the rounded mean of an s×s
// square, of fewer pixels at the right and bottom edges.
func boxDown(m *image.Gray, s int) *image.Gray {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, (w+s-1)/s, (h+s-1)/s))
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			sum, n := 0, 0
			for yy := y * s; yy < min(y*s+s, h); yy++ {
				for xx := x * s; xx < min(x*s+s, w); xx++ {
					sum += int(m.Pix[yy*m.Stride+xx])
					n++
				}
			}
			out.Pix[y*out.Stride+x] = uint8((sum + n/2) / n)
		}
	}
	return out
}

// TestScale decodes at 1/2, 1/4 and 1/8 size: the size must be rounded up,
// and the pixels close to the box-filtered full decode (they leave out the
// higher frequencies, which the box filter only damps).
func TestScale(t *testing.T) {
	inputs := []struct {
		name  string
		data  []byte
		close bool // compare the pixels, not just the size
	}{
		{"420-base.jpg", readTestFile(t, "420-base.jpg"), true},
		{"444-prog-rst4.jpg", readTestFile(t, "444-prog-rst4.jpg"), true},
		{"1x1-gray.jpg", readTestFile(t, "1x1-gray.jpg"), true},
		{"generated-301x203-q90", encodeTest(t, benchImage(301, 203), 90), true},
		{"arith-422-prog.jpg", readTestFile(t, "arith-422-prog.jpg"), true},
		{"fine-11-22.jpg", readTestFile(t, "fine-11-22.jpg"), true},
		// The luma, at half the width, decoded at 1/Scale of its size
		// and widened, has less detail (as in libjpeg).
		{"fine-11-21.jpg", readTestFile(t, "fine-11-21.jpg"), false},
		{"fine-11-22-arith-prog-rst2.jpg", readTestFile(t, "fine-11-22-arith-prog-rst2.jpg"), true},
		{"fine-3x7-11-22.jpg", readTestFile(t, "fine-3x7-11-22.jpg"), false},
		// Plasma this small is nearly all high frequencies.
		{"17x9-420.jpg", readTestFile(t, "17x9-420.jpg"), false},
		{"8x8-420.jpg", readTestFile(t, "8x8-420.jpg"), false},
	}
	for _, in := range inputs {
		full, err := DecodeGray(in.data, nil)
		if err != nil {
			t.Fatal(err)
		}
		w, h := full.Rect.Dx(), full.Rect.Dy()
		for _, s := range []int{2, 4, 8} {
			t.Run(fmt.Sprintf("%s/%d", in.name, s), func(t *testing.T) {
				got, err := DecodeGray(in.data, &Options{Scale: s})
				if err != nil {
					t.Fatal(err)
				}
				want := boxDown(full, s)
				if got.Rect != want.Rect {
					t.Fatalf("DecodeGray(%dx%d, Scale %d) size %v, want %v", w, h, s, got.Rect.Size(), want.Rect.Size())
				}
				if !in.close {
					return
				}
				// Pixels at the right and bottom edges also average the
				// padding that the encoder made up: leave them out.
				sum, worst, n := 0, 0, 0
				for y := 0; y < h/s; y++ {
					for x := 0; x < w/s; x++ {
						n++
						d := int(got.Pix[y*got.Stride+x]) - int(want.Pix[y*want.Stride+x])
						d = max(d, -d)
						sum += d
						worst = max(worst, d)
					}
				}
				mean := float64(sum) / float64(max(n, 1))
				t.Logf("mean difference %.2f, max %d", mean, worst)
				if mean > 2 || worst > 40 {
					t.Errorf("DecodeGray(Scale %d) is far from the box-filtered full decode: mean %.2f, max %d", s, mean, worst)
				}
			})
		}
	}
}

// TestScaleFlat checks that a flat image stays flat at every scale.
func TestScaleFlat(t *testing.T) {
	for _, gray := range []bool{false, true} {
		var m image.Image
		if gray {
			g := image.NewGray(image.Rect(0, 0, 37, 21))
			for i := range g.Pix {
				g.Pix[i] = 77
			}
			m = g
		} else {
			c := image.NewRGBA(image.Rect(0, 0, 37, 21))
			for y := 0; y < 21; y++ {
				for x := 0; x < 37; x++ {
					c.Set(x, y, color.RGBA{200, 120, 40, 255})
				}
			}
			m = c
		}
		data := encodeTest(t, m, 90)
		full, err := DecodeGray(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		v := full.Pix[0]
		for _, s := range []int{1, 2, 4, 8} {
			got, err := DecodeGray(data, &Options{Scale: s})
			if err != nil {
				t.Fatal(err)
			}
			for y := 0; y < got.Rect.Dy(); y++ {
				for x := 0; x < got.Rect.Dx(); x++ {
					if p := got.Pix[y*got.Stride+x]; p != v {
						t.Fatalf("gray %v, Scale %d: pixel (%d,%d) = %d, want %d like the rest", gray, s, x, y, p, v)
					}
				}
			}
		}
	}
}

// TestScaleSameLuma decodes at every scale files whose luma coefficients are
// the same: the sequential and progressive files made from one picture at
// one quality, with every subsampling and with restart markers, Huffman-
// and arithmetic-coded. They must give the same pixels, although at
// reduced size the progressive files skip the scans of coefficients the
// reduced transform does not use.
func TestScaleSameLuma(t *testing.T) {
	var names []string
	for _, s := range []string{"444", "422", "420", "440", "411", "y22c12", "arith-444", "arith-422", "arith-420", "arith-411"} {
		for _, v := range []string{"base", "base-rst4", "prog", "prog-rst4"} {
			names = append(names, s+"-"+v+".jpg")
		}
	}
	for _, scale := range []int{1, 2, 4, 8} {
		want, err := DecodeGray(readTestFile(t, "444-base.jpg"), &Options{Scale: scale})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			t.Run(fmt.Sprintf("%s/%d", name, scale), func(t *testing.T) {
				got, err := DecodeGray(readTestFile(t, name), &Options{Scale: scale})
				if err != nil {
					t.Fatal(err)
				}
				if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
					t.Errorf("DecodeGray(%s, Scale %d) differs from 444-base.jpg", name, scale)
				}
			})
		}
	}
}
