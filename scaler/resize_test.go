package scaler

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"runtime"
	"testing"

	"golang.org/x/image/draw"
)

var filters = []*Filter{Box, Linear, CatmullRom, Lanczos3}

// The 4×2 image
//
//	10 20 30 40
//	50 60 70 80
//
// halved. Box averages 2×2 blocks. Linear at scale 2 weighs the source
// pixels at distances 0.25, 0.25 and 0.75 from a result pixel's centre by
// 0.75, 0.75 and 0.25, renormalised where the image ends: row 0 gives
// (7.5+15+7.5)/1.75 = 17.1 and (5+22.5+30)/1.75 = 32.9, row 1 gives 57.1
// and 72.9, and the vertical pass averages 17 and 57, 33 and 73.
func TestResizeHandComputed(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 4, 2))
	copy(src.Pix, []uint8{10, 20, 30, 40, 50, 60, 70, 80})
	tests := []struct {
		filter *Filter
		want   []uint8
	}{
		{Box, []uint8{35, 55}},
		{Linear, []uint8{37, 53}},
	}
	for _, tc := range tests {
		t.Run(tc.filter.Name, func(t *testing.T) {
			got, err := Resize(src, 2, 1, &Options{Filter: tc.filter})
			if err != nil {
				t.Fatal(err)
			}
			g := got.(*image.Gray)
			if string(g.Pix) != string(tc.want) {
				t.Errorf("Resize(4x2 → 2x1, %s) = %v, want %v", tc.filter.Name, g.Pix, tc.want)
			}
		})
	}
}

func TestResizeSize(t *testing.T) {
	tests := []struct {
		name         string
		sw, sh, w, h int
		ww, wh       int
		err          error
	}{
		{"both given", 4, 2, 3, 3, 3, 3, nil},
		{"width only", 2560, 1600, 1280, 0, 1280, 800, nil},
		{"height only", 2560, 1600, 0, 400, 640, 400, nil},
		{"rounds", 3, 2, 2, 0, 2, 1, nil},
		{"at least 1", 1000, 1, 10, 0, 10, 1, nil},
		{"enlarge", 2, 2, 5, 0, 5, 5, nil},
		{"none", 4, 2, 0, 0, 0, 0, ErrInvalidOptions},
		{"negative", 4, 2, -1, 2, 0, 0, ErrInvalidOptions},
		{"too large", 4, 2, 100000, 100000, 0, 0, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := image.NewGray(image.Rect(0, 0, tc.sw, tc.sh))
			got, err := Resize(src, tc.w, tc.h, nil)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Resize(%dx%d → %dx%d) error = %v, want %v", tc.sw, tc.sh, tc.w, tc.h, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b := got.Bounds(); b != image.Rect(0, 0, tc.ww, tc.wh) {
				t.Errorf("Resize(%dx%d → %dx%d) bounds = %v, want %dx%d", tc.sw, tc.sh, tc.w, tc.h, b, tc.ww, tc.wh)
			}
		})
	}
}

// A flat image stays exactly flat at any size, with any filter: the weights
// of every result pixel sum to one.
func TestResizeFlat(t *testing.T) {
	sizes := []image.Point{{1, 1}, {7, 3}, {50, 50}, {333, 211}, {1000, 20}}
	for _, f := range filters {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", f.Name, sz.X, sz.Y), func(t *testing.T) {
				src := image.NewGray(image.Rect(0, 0, 301, 199))
				for i := range src.Pix {
					src.Pix[i] = 201
				}
				got, err := Resize(src, sz.X, sz.Y, &Options{Filter: f})
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range got.(*image.Gray).Pix {
					if v != 201 {
						t.Fatalf("Resize(flat 201 → %v) pixel %d = %d", sz, i, v)
					}
				}
			})
		}
	}
}

// Stripes one pixel wide are at the highest frequency an image holds; any
// reduction must average them to an even gray. Point sampling, or a kernel
// not widened with the reduction, gives moiré bands instead. Box and Linear
// are too short for that at odd factors (three pixels of a 2:1 pattern
// average to 85 or 170), so only the cubic and Lanczos filters are held to
// it.
func TestResizeStripesNoMoire(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 600, 40))
	for y := range 40 {
		for x := range 600 {
			if x%2 == 0 {
				src.Pix[y*src.Stride+x] = 255
			}
		}
	}
	for _, f := range []*Filter{CatmullRom, Lanczos3} {
		for _, w := range []int{300, 277, 200, 173, 90, 31} {
			t.Run(fmt.Sprintf("%s/%d", f.Name, w), func(t *testing.T) {
				got, err := Resize(src, w, 20, &Options{Filter: f})
				if err != nil {
					t.Fatal(err)
				}
				g := got.(*image.Gray)
				// Away from the left and right edges, where the kernel is
				// cut short and renormalised.
				lo, hi := 255, 0
				for y := range 20 {
					for x := 3; x < w-3; x++ {
						v := int(g.Pix[y*g.Stride+x])
						lo, hi = min(lo, v), max(hi, v)
					}
				}
				if lo < 123 || hi > 132 {
					t.Errorf("Resize(stripes 600 → %d, %s) spans %d..%d, want within 123..132", w, f.Name, lo, hi)
				}
			})
		}
	}
}

// Our CatmullRom and x/image/draw's are the same kernel, widened the same
// way when reducing; on a smooth image they agree to a level or two.
func TestResizeMatchesDraw(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 517, 389))
	for y := range 389 {
		for x := range 517 {
			v := 128 + 60*math.Sin(float64(x)/23) + 60*math.Cos(float64(y)/17+float64(x)/51)
			src.Pix[y*src.Stride+x] = uint8(v)
		}
	}
	for _, sz := range []image.Point{{258, 194}, {100, 333}, {900, 700}} {
		t.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(t *testing.T) {
			got, err := Resize(src, sz.X, sz.Y, &Options{Filter: CatmullRom})
			if err != nil {
				t.Fatal(err)
			}
			want := image.NewGray(image.Rect(0, 0, sz.X, sz.Y))
			draw.CatmullRom.Scale(want, want.Rect, src, src.Rect, draw.Src, nil)
			g := got.(*image.Gray)
			worst := 0
			for i := range g.Pix {
				worst = max(worst, absDiff(g.Pix[i], want.Pix[i]))
			}
			if worst > 2 {
				t.Errorf("Resize(517x389 → %v) differs from draw.CatmullRom by up to %d levels, want ≤ 2", sz, worst)
			}
		})
	}
}

func TestResizeParallelMatchesSerial(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 1200, 900))
	for i := range src.Pix {
		src.Pix[i] = uint8(i*31 + i/1200*7)
	}
	parallel, err := Resize(src, 600, 450, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	serial, err := Resize(src, 600, 450, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(parallel.(*image.Gray).Pix) != string(serial.(*image.Gray).Pix) {
		t.Error("Resize on several goroutines differs from Resize on one")
	}
}

// Colour images are resampled premultiplied: the colour of a transparent
// pixel must not bleed into its opaque neighbours.
func TestResizeRGBAPremultiplied(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 40, 10))
	for y := range 10 {
		for x := range 40 {
			c := color.NRGBA{255, 0, 0, 0} // transparent red
			if x >= 20 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			src.SetNRGBA(x, y, c)
		}
	}
	sub := src.SubImage(image.Rect(2, 0, 40, 10))
	for _, f := range filters {
		t.Run(f.Name, func(t *testing.T) {
			got, err := Resize(sub, 19, 5, &Options{Filter: f})
			if err != nil {
				t.Fatal(err)
			}
			m, ok := got.(*image.RGBA)
			if !ok {
				t.Fatalf("Resize(*image.NRGBA) = %T, want *image.RGBA", got)
			}
			for i := 0; i < len(m.Pix); i += 4 {
				p := m.Pix[i : i+4]
				if p[0] != 0 || p[2] > p[3] {
					t.Fatalf("Resize pixel %d = %v: red bled in, or colour above alpha", i/4, p)
				}
			}
			if a := m.RGBAAt(18, 2); a.A != 255 || a.B != 255 {
				t.Errorf("Resize right edge = %v, want opaque blue", a)
			}
		})
	}
}

// The weights of every kernel have 14 bits of precision and fit int16,
// as the vector loops need; each result pixel's weights sum to one, within
// the unit that a symmetric window may drop; and the windows marked
// symmetric mirror exactly, as the loops that add mirrored pixels first
// rely on.
func TestKernelWeights(t *testing.T) {
	for _, f := range filters {
		for _, sz := range [][2]int{{1, 1}, {3, 1}, {5, 2}, {8, 4}, {10, 33}, {350, 175}, {351, 175}, {2560, 1280}, {4000, 97}, {97, 4000}} {
			n, m := sz[0], sz[1]
			k := newKernel(n, m, f)
			if k.bits != 14 {
				t.Errorf("newKernel(%d, %d, %s) bits = %d, want 14", n, m, f.Name, k.bits)
			}
			one := int32(1) << k.bits
			for i := range m {
				w := k.weights[i*k.taps:][:k.taps]
				var sum int32
				for j, v := range w {
					if v != int32(int16(v)) {
						t.Fatalf("newKernel(%d, %d, %s) pixel %d weight %d = %d, past int16", n, m, f.Name, i, j, v)
					}
					sum += v
					if k.sym[i] && v != w[len(w)-1-j] {
						t.Fatalf("newKernel(%d, %d, %s) pixel %d weights %v, marked symmetric", n, m, f.Name, i, w)
					}
				}
				if sum < one-1 || sum > one+1 {
					t.Fatalf("newKernel(%d, %d, %s) pixel %d weights sum to %d, want %d", n, m, f.Name, i, sum, one)
				}
			}
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
