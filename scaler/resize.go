package scaler

import (
	"fmt"
	"image"
	"image/draw"
	"math"
)

// A Filter is a resampling kernel. When Resize reduces an image by a factor
// s, the kernel is stretched by s, so that every source pixel contributes
// to the result and fine detail averages out instead of aliasing; when it
// enlarges, the kernel interpolates between source pixels.
//
// Filters are values: use the ones this package defines, or write your own.
// A Filter must not be changed while it is in use.
type Filter struct {
	// Name identifies the filter in flags and on the wire, e.g. "lanczos3".
	Name string
	// Support is the radius of the kernel at scale 1, in pixels: At is
	// zero at and beyond it.
	Support float64
	// At returns the kernel's weight at distance x ≥ 0 from the centre;
	// the kernel is symmetric.
	At func(x float64) float64
}

// The predefined filters, from the cheapest and blurriest to the sharpest.
var (
	// Box averages the source pixels under each result pixel: an area
	// average when reducing, nearest-neighbour when enlarging. It is fast
	// and exact for whole factors, but aliases fine detail at others.
	Box = &Filter{Name: "box", Support: 0.5, At: func(x float64) float64 {
		if x <= 0.5 {
			return 1
		}
		return 0
	}}

	// Linear is the triangle (tent) filter: bilinear interpolation when
	// enlarging. It blurs more than CatmullRom and still lets some
	// aliasing through when reducing.
	Linear = &Filter{Name: "linear", Support: 1, At: func(x float64) float64 {
		if x < 1 {
			return 1 - x
		}
		return 0
	}}

	// CatmullRom is the cubic convolution filter with a = -0.5, which
	// Pillow calls BICUBIC.
	CatmullRom = &Filter{Name: "catmullrom", Support: 2, At: func(x float64) float64 {
		switch {
		case x < 1:
			return (1.5*x-2.5)*x*x + 1
		case x < 2:
			return ((-0.5*x+2.5)*x-4)*x + 2
		}
		return 0
	}}

	// Lanczos3 is the windowed sinc of three lobes: the sharpest of these
	// filters and the default.
	Lanczos3 = &Filter{Name: "lanczos3", Support: 3, At: func(x float64) float64 {
		switch {
		case x == 0:
			return 1
		case x < 3:
			return sinc(x) * sinc(x/3)
		}
		return 0
	}}
)

func sinc(x float64) float64 {
	x *= math.Pi
	return math.Sin(x) / x
}

// ParseFilter returns the predefined filter of the given name: "box",
// "linear", "catmullrom" or "lanczos3".
func ParseFilter(name string) (*Filter, error) {
	for _, f := range []*Filter{Box, Linear, CatmullRom, Lanczos3} {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%w: unknown filter %q", ErrInvalidOptions, name)
}

// Resize returns src resampled to width×height by a separable filter,
// opts.Filter (Lanczos3 when opts or its Filter is nil). If one of width
// and height is 0, it is derived from the other so as to keep the aspect
// ratio, rounded to nearest and at least 1.
//
// An *image.Gray gives an *image.Gray and works on its bytes directly; any
// other image gives an *image.RGBA with premultiplied alpha, as resampling
// must be done on premultiplied values. The result has its origin at
// (0, 0) and shares no memory with src. Work is spread over GOMAXPROCS
// goroutines when the image is large.
//
// Resize returns an error wrapping ErrInvalidOptions for negative sizes,
// both sizes 0, or an empty src, and one wrapping ErrTooLarge when the
// result would have more than opts.MaxPixels pixels.
func Resize(src image.Image, width, height int, opts *Options) (image.Image, error) {
	sb := src.Bounds()
	if sb.Empty() {
		return nil, fmt.Errorf("%w: resize of an empty image", ErrInvalidOptions)
	}
	width, height, err := fitSize(sb.Dx(), sb.Dy(), width, height)
	if err != nil {
		return nil, err
	}
	if err := checkPixels(width, height, opts.maxPixels()); err != nil {
		return nil, err
	}
	f := opts.filter(nil)
	if g, ok := src.(*image.Gray); ok {
		dst := image.NewGray(image.Rect(0, 0, width, height))
		resample(dst.Pix, dst.Stride, g.Pix[g.PixOffset(sb.Min.X, sb.Min.Y):], g.Stride, sb.Dx(), sb.Dy(), width, height, 1, f)
		return dst, nil
	}
	rgba, ok := src.(*image.RGBA)
	if !ok {
		rgba = image.NewRGBA(image.Rect(0, 0, sb.Dx(), sb.Dy()))
		draw.Draw(rgba, rgba.Rect, src, sb.Min, draw.Src)
		sb = rgba.Rect
	}
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	resample(dst.Pix, dst.Stride, rgba.Pix[rgba.PixOffset(sb.Min.X, sb.Min.Y):], rgba.Stride, sb.Dx(), sb.Dy(), width, height, 4, f)
	// Negative lobes can leave a colour above its alpha, which is not a
	// valid premultiplied value.
	for i := 0; i < len(dst.Pix); i += 4 {
		p := dst.Pix[i : i+4 : i+4]
		p[0], p[1], p[2] = min(p[0], p[3]), min(p[1], p[3]), min(p[2], p[3])
	}
	return dst, nil
}

// fitSize fills in a zero width or height of the result from the other,
// keeping the aspect ratio of a sw×sh source.
func fitSize(sw, sh, w, h int) (int, int, error) {
	switch {
	case w < 0 || h < 0:
		return 0, 0, fmt.Errorf("%w: negative size %dx%d", ErrInvalidOptions, w, h)
	case w == 0 && h == 0:
		return 0, 0, fmt.Errorf("%w: no size given", ErrInvalidOptions)
	case w == 0:
		w = max(1, int(math.Round(float64(sw)*float64(h)/float64(sh))))
	case h == 0:
		h = max(1, int(math.Round(float64(sh)*float64(w)/float64(sw))))
	}
	return w, h, nil
}

// resample resizes the sw×sh image of c interleaved 8-bit channels in src
// (rows sstride bytes apart) to dw×dh in dst (rows dstride bytes apart):
// horizontally into a temporary dw×sh image, then vertically. Rounding to
// 8 bits between the passes costs less than half a level, as in Pillow.
func resample(dst []uint8, dstride int, src []uint8, sstride, sw, sh, dw, dh, c int, f *Filter) {
	tmp, tstride := src, sstride
	if dw != sw {
		tmp, tstride = make([]uint8, dw*c*sh), dw*c
		k := newKernel(sw, dw, f)
		parallelRows(sh, dw*k.taps, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				in := src[y*sstride:][:sw*c]
				out := tmp[y*tstride:][:dw*c]
				if c == 1 {
					k.row1(out, in)
				} else {
					k.row4(out, in)
				}
			}
		})
	}
	if dh == sh {
		for y := range dh {
			copy(dst[y*dstride:][:dw*c], tmp[y*tstride:])
		}
		return
	}
	k := newKernel(sh, dh, f)
	parallelRows(dh, dw*c*k.taps, func(y0, y1 int) {
		acc := make([]int32, dw*c)
		for y := y0; y < y1; y++ {
			k.column(dst[y*dstride:][:dw*c], acc, tmp, tstride, y)
		}
	})
}

// A kernel holds the fixed-point weights that map n source pixels to each
// of m result pixels along one axis.
type kernel struct {
	taps    int     // weights per result pixel, some of them zero
	bits    uint    // fixed-point precision of the weights
	first   []int   // first source pixel of each result pixel
	count   []int   // number of source pixels of each result pixel
	weights []int32 // taps weights per result pixel
}

// newKernel computes the weights of filter f for resampling n pixels to m.
// The weights of each result pixel are normalised to sum to exactly
// 1<<bits, so a flat area stays flat.
func newKernel(n, m int, f *Filter) *kernel {
	scale := float64(n) / float64(m)
	stretch := max(scale, 1) // widen the kernel when reducing
	support := f.Support * stretch
	taps := min(int(math.Ceil(support))*2+1, n)
	k := &kernel{
		taps:    taps,
		first:   make([]int, m),
		count:   make([]int, m),
		weights: make([]int32, m*taps),
	}
	fw := make([]float64, taps)
	fixed := make([][]float64, m)
	maxPositive := 0.0
	for i := range m {
		centre := (float64(i) + 0.5) * scale
		lo := max(int(math.Floor(centre-support+0.5)), 0)
		hi := min(int(math.Floor(centre+support+0.5)), n)
		if hi-lo > taps {
			hi = lo + taps
		}
		if hi <= lo { // a filter narrower than a pixel: take the nearest
			lo = min(int(centre), n-1)
			hi = lo + 1
		}
		sum := 0.0
		w := fw[:hi-lo]
		for j := range w {
			w[j] = f.At(math.Abs((float64(lo+j) + 0.5 - centre) / stretch))
			sum += w[j]
		}
		if sum == 0 { // a kernel that is zero over the window: take the nearest
			clear(w)
			w[min(int(centre), hi-1)-lo] = 1
			sum = 1
		}
		positive := 0.0
		for j := range w {
			w[j] /= sum
			positive += max(w[j], 0)
		}
		maxPositive = max(maxPositive, positive)
		k.first[i], k.count[i] = lo, hi-lo
		fixed[i] = append([]float64(nil), w...)
	}
	// Up to 22 bits of precision: as many as keep the largest positive sum
	// of weights times 255, plus the rounding half and a margin for the
	// quantisation, inside an int32 accumulator.
	k.bits = 22
	for k.bits > 8 && (maxPositive*1.01*255+0.5)*float64(int64(1)<<k.bits) >= math.MaxInt32 {
		k.bits--
	}
	one := int32(1) << k.bits
	for i, w := range fixed {
		q := k.weights[i*taps:][:len(w)]
		var total int32
		largest := 0
		for j, v := range w {
			q[j] = int32(math.Round(v * float64(one)))
			total += q[j]
			if q[j] > q[largest] {
				largest = j
			}
		}
		q[largest] += one - total
	}
	return k
}

func clamp8(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// row1 resamples one row of 8-bit gray pixels.
func (k *kernel) row1(out, in []uint8) {
	half := int32(1) << (k.bits - 1)
	for x := range out {
		n := k.count[x]
		px := in[k.first[x]:][:n]
		w := k.weights[x*k.taps:][:n]
		acc := half
		for j, v := range px {
			acc += int32(v) * w[j]
		}
		out[x] = clamp8(acc >> k.bits)
	}
}

// row4 resamples one row of 4-channel 8-bit pixels.
func (k *kernel) row4(out, in []uint8) {
	half := int32(1) << (k.bits - 1)
	for x := range len(out) / 4 {
		n := k.count[x]
		px := in[4*k.first[x]:][:4*n]
		w := k.weights[x*k.taps:][:n]
		r, g, b, a := half, half, half, half
		for j, wj := range w {
			p := px[4*j : 4*j+4 : 4*j+4]
			r += int32(p[0]) * wj
			g += int32(p[1]) * wj
			b += int32(p[2]) * wj
			a += int32(p[3]) * wj
		}
		o := out[4*x : 4*x+4 : 4*x+4]
		o[0], o[1], o[2], o[3] = clamp8(r>>k.bits), clamp8(g>>k.bits), clamp8(b>>k.bits), clamp8(a>>k.bits)
	}
}

// column computes result row y of a vertical pass: the weighted sum of the
// source rows of tmp under it, accumulated a whole row at a time so that
// memory is read in order. The channel layout does not matter here.
func (k *kernel) column(out []uint8, acc []int32, tmp []uint8, stride, y int) {
	half := int32(1) << (k.bits - 1)
	for i := range acc {
		acc[i] = half
	}
	first, n := k.first[y], k.count[y]
	for j, wj := range k.weights[y*k.taps:][:n] {
		if wj == 0 {
			continue
		}
		in := tmp[(first+j)*stride:][:len(acc)]
		for i, v := range in {
			acc[i] += int32(v) * wj
		}
	}
	for i, v := range acc {
		out[i] = clamp8(v >> k.bits)
	}
}
