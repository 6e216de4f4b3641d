package scaler

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"slices"
	"sync"
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
	// Pillow calls BICUBIC: sharp, without visible ringing, and the
	// default.
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
	// filters, at half again the cost of CatmullRom.
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
// opts.Filter (CatmullRom when opts or its Filter is nil). If one of width
// and height is 0, it is derived from the other so as to keep the aspect
// ratio, rounded to nearest and at least 1.
//
// An *image.Gray gives an *image.Gray and works on its bytes directly; any
// other image gives an *image.RGBA with premultiplied alpha, as resampling
// must be done on premultiplied values. The result has its origin at
// (0, 0) and shares no memory with src. Work is spread over GOMAXPROCS
// goroutines when the image is large and no other image work runs in the
// process.
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
		dst := newGray(width, height)
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
// (rows sstride bytes apart) to dw×dh in dst (rows dstride bytes apart),
// in a vertical and a horizontal pass. Rounding to 8 bits between the
// passes costs less than half a level, as in Pillow.
//
// When the height shrinks or stays, the vertical pass goes first, one
// result row at a time: the source rows under it are combined into a row
// of sw pixels, which stays in cache while the horizontal pass reduces it
// to dw. That does the cheaper pass on the larger number of pixels and
// needs no temporary image. When the height grows, the horizontal pass
// goes first, over the whole image, into a temporary dw×sh image.
//
// Gray images (c = 1) go through grayRow and grayColumn, which use the
// AVX2 loops where there are some; the results are the same either way.
func resample(dst []uint8, dstride int, src []uint8, sstride, sw, sh, dw, dh, c int, f *Filter) {
	var kh, kv *kernel
	htaps, vtaps := 0, 0
	if dw != sw {
		kh = cachedKernel(sw, dw, f)
		htaps = kh.taps
	}
	if dh != sh {
		kv = cachedKernel(sh, dh, f)
		vtaps = kv.taps
	}
	horizontal := func(out, in []uint8) {
		switch {
		case kh == nil:
			copy(out, in)
		case c == 1:
			kh.grayRow(out, in)
		default:
			kh.row4(out, in)
		}
	}
	if dh <= sh {
		parallelRows(dh, sw*c*vtaps+dw*c*htaps, func(y0, y1 int) {
			var acc []int32
			var row []uint8
			if kv != nil {
				acc, row = make([]int32, sw*c), make([]uint8, sw*c)
			}
			for y := y0; y < y1; y++ {
				in := src[y*sstride:][:sw*c]
				if kv != nil {
					kv.columnOf(c, row, acc, src, sstride, y)
					in = row
				}
				horizontal(dst[y*dstride:][:dw*c], in)
			}
		})
		return
	}
	tmp, tstride := src, sstride
	if kh != nil {
		tmp, tstride = make([]uint8, dw*c*sh), dw*c
		parallelRows(sh, dw*c*htaps, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				horizontal(tmp[y*tstride:][:dw*c], src[y*sstride:][:sw*c])
			}
		})
	}
	parallelRows(dh, dw*c*vtaps, func(y0, y1 int) {
		acc := make([]int32, dw*c)
		for y := y0; y < y1; y++ {
			kv.columnOf(c, dst[y*dstride:][:dw*c], acc, tmp, tstride, y)
		}
	})
}

// A kernel holds the fixed-point weights that map n source pixels to each
// of m result pixels along one axis. Every result pixel has a window of
// exactly taps source pixels, inside the source, so that the loops that
// apply it have a fixed shape: a window cut short by the edge is moved
// inwards and padded with zero weights.
type kernel struct {
	n       int     // source pixels
	taps    int     // source pixels per result pixel
	bits    uint    // fixed-point precision of the weights
	first   []int   // first source pixel of each result pixel
	weights []int32 // taps weights per result pixel
	sym     []bool  // whether a result pixel's taps weights mirror each other exactly

	// vec holds the weights again, laid out for the vector loops of
	// this architecture; it is nil where there are none, or when a
	// weight does not fit their 16 bits.
	vec *vecLayout
}

// kernels caches the kernels of recent sizes: a service that scales many
// photos of the same few sizes computes each set of weights once. It is
// emptied when full. Kernels are read-only once made.
var kernels struct {
	sync.Mutex
	m map[kernelKey]*kernel
}

type kernelKey struct {
	n, m int
	f    *Filter
}

// cachedKernel returns newKernel(n, m, f), from the cache when it can.
func cachedKernel(n, m int, f *Filter) *kernel {
	key := kernelKey{n, m, f}
	kernels.Lock()
	k := kernels.m[key]
	kernels.Unlock()
	if k != nil {
		return k
	}
	k = newKernel(n, m, f)
	kernels.Lock()
	if len(kernels.m) >= 256 || kernels.m == nil {
		kernels.m = make(map[kernelKey]*kernel)
	}
	kernels.m[key] = k
	kernels.Unlock()
	return k
}

// newKernel computes the weights of filter f for resampling n pixels to m.
// The weights of each result pixel are normalised to sum to exactly
// 1<<bits, so a flat area stays flat.
func newKernel(n, m int, f *Filter) *kernel {
	scale := float64(n) / float64(m)
	stretch := max(scale, 1) // widen the kernel when reducing
	support := f.Support * stretch
	most := min(int(math.Ceil(support))*2+1, n)
	fw := make([]float64, m*most)
	lows, counts := make([]int, m), make([]int, m)
	taps, maxPositive := 1, 0.0
	for i := range m {
		centre := (float64(i) + 0.5) * scale
		lo := max(int(math.Floor(centre-support+0.5)), 0)
		hi := min(int(math.Floor(centre+support+0.5)), n, lo+most)
		if hi <= lo { // a filter narrower than a pixel: take the nearest
			lo = min(int(centre), n-1)
			hi = lo + 1
		}
		w := fw[i*most:][:hi-lo]
		sum := 0.0
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
		lows[i], counts[i] = lo, hi-lo
		taps = max(taps, hi-lo)
	}
	if padded := (taps + 3) &^ 3; padded <= n {
		taps = padded // the loops are unrolled by fours
	}
	k := &kernel{n: n, taps: taps, first: make([]int, m), weights: make([]int32, m*taps), sym: make([]bool, m)}
	for i := range m {
		// Widen the window to taps pixels, inwards from the edge.
		k.first[i] = min(lows[i], n-taps)
	}
	// 14 bits of precision, so that every weight fits an int16 (the
	// vector loops multiply 16-bit pixels by 16-bit weights) and the
	// rounding of the weights costs less than a tenth of a level in
	// windows of up to 12 taps. Fewer bits only for a filter whose weights
	// would not fit, or whose largest positive sum of weights times 255,
	// plus the rounding half and a margin for the quantisation, would
	// not fit the int32 accumulator.
	bits := uint(14)
	for bits > 1 && (maxPositive*1.01*255+0.5)*float64(int64(1)<<bits) >= math.MaxInt32 {
		bits--
	}
	for {
		k.quantize(fw, most, lows, counts, bits)
		if bits == 1 || !slices.ContainsFunc(k.weights, func(w int32) bool { return w < math.MinInt16 || w > math.MaxInt16 }) {
			break
		}
		bits--
	}
	k.vec = newVecLayout(k)
	return k
}

// quantize sets k.bits and k.weights: the float weights fw of each result
// pixel i (counts[i] of them, from source pixel lows[i], most apart in fw)
// rounded to fixed point, normalised to sum to exactly 1<<bits.
func (k *kernel) quantize(fw []float64, most int, lows, counts []int, bits uint) {
	k.bits = bits
	clear(k.weights)
	one := int32(1) << bits
	for i := range k.first {
		w := fw[i*most:][:counts[i]]
		q := k.weights[i*k.taps:][:k.taps]
		q = q[lows[i]-k.first[i]:][:len(w)]
		sym := symmetric(w)
		for j, v := range w {
			q[j] = int32(math.Round(v * float64(one)))
		}
		if sym { // mirror exactly what symmetric allows to differ a little
			for j := range len(q) / 2 {
				q[len(q)-1-j] = q[j]
			}
		}
		var total int32
		largest := 0
		for j := range q {
			total += q[j]
			if q[j] > q[largest] {
				largest = j
			}
		}
		if !sym {
			q[largest] += one - total
			continue
		}
		// Keep the weights symmetric, so that the loops may add mirrored
		// pixels before multiplying: the remainder goes to the middle,
		// and an odd unit of it is dropped, which no 8-bit result can
		// show.
		rem, mid := one-total, len(q)/2
		if len(q)%2 == 1 {
			q[mid] += rem
		} else {
			q[mid-1] += rem / 2
			q[mid] += rem / 2
		}
		k.sym[i] = len(w) == k.taps
	}
}

// symmetric reports whether a window's weights mirror each other.
func symmetric(w []float64) bool {
	for j := range len(w) / 2 {
		if math.Abs(w[j]-w[len(w)-1-j]) > 1e-9 {
			return false
		}
	}
	return true
}

// The loops shift by bits & 31 rather than bits: bits is at most 14, and
// the mask tells the compiler that the shift needs no out-of-range check.

// clamp8 returns v clamped to 0..255. Values out of range are rare, so
// branches cost less here than the instructions of a branchless form.
func clamp8(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// row1 resamples one row of 8-bit gray pixels. The usual window sizes
// (4, 8 and 12 taps: CatmullRom and Lanczos3 halving, Linear halving and
// CatmullRom enlarging) have loops of their own, unrolled, with the window
// and its weights as arrays, so that nothing is bounds-checked or spilled
// per tap; they carry the bulk of the work.
func (k *kernel) row1(out, in []uint8) {
	half := int32(1) << (k.bits - 1)
	first := k.first[:len(out)]
	switch k.taps {
	case 4:
		weights := k.weights[:len(out)*4]
		for x, f := range first {
			p, w := (*[4]uint8)(in[f:]), (*[4]int32)(weights[4*x:])
			acc := half + int32(p[0])*w[0] + int32(p[1])*w[1] + int32(p[2])*w[2] + int32(p[3])*w[3]
			out[x] = clamp8(acc >> (k.bits & 31))
		}
	case 8:
		weights := k.weights[:len(out)*8]
		sym := k.sym[:len(out)]
		for x, f := range first {
			p, w := (*[8]uint8)(in[f:]), (*[8]int32)(weights[8*x:])
			var acc int32
			if sym[x] { // mirrored pixels share a weight
				acc = half + (int32(p[0])+int32(p[7]))*w[0] + (int32(p[1])+int32(p[6]))*w[1] +
					(int32(p[2])+int32(p[5]))*w[2] + (int32(p[3])+int32(p[4]))*w[3]
			} else {
				acc = half + int32(p[0])*w[0] + int32(p[1])*w[1] + int32(p[2])*w[2] + int32(p[3])*w[3] +
					int32(p[4])*w[4] + int32(p[5])*w[5] + int32(p[6])*w[6] + int32(p[7])*w[7]
			}
			out[x] = clamp8(acc >> (k.bits & 31))
		}
	case 12:
		weights := k.weights[:len(out)*12]
		for x, f := range first {
			p, w := (*[12]uint8)(in[f:]), (*[12]int32)(weights[12*x:])
			acc := half + int32(p[0])*w[0] + int32(p[1])*w[1] + int32(p[2])*w[2] + int32(p[3])*w[3] +
				int32(p[4])*w[4] + int32(p[5])*w[5] + int32(p[6])*w[6] + int32(p[7])*w[7] +
				int32(p[8])*w[8] + int32(p[9])*w[9] + int32(p[10])*w[10] + int32(p[11])*w[11]
			out[x] = clamp8(acc >> (k.bits & 31))
		}
	default:
		taps := k.taps
		for x, f := range first {
			w := k.weights[x*taps:][:taps]
			acc := half
			for j, v := range in[f:][:taps] {
				acc += int32(v) * w[j]
			}
			out[x] = clamp8(acc >> (k.bits & 31))
		}
	}
}

// row4 resamples one row of 4-channel 8-bit pixels.
func (k *kernel) row4(out, in []uint8) {
	half := int32(1) << (k.bits - 1)
	taps := k.taps
	for x := range len(out) / 4 {
		px := in[4*k.first[x]:][:4*taps]
		w := k.weights[x*taps:][:taps]
		r, g, b, a := half, half, half, half
		for j, wj := range w {
			p := px[4*j : 4*j+4 : 4*j+4]
			r += int32(p[0]) * wj
			g += int32(p[1]) * wj
			b += int32(p[2]) * wj
			a += int32(p[3]) * wj
		}
		o := out[4*x : 4*x+4 : 4*x+4]
		o[0], o[1], o[2], o[3] = clamp8(r>>(k.bits&31)), clamp8(g>>(k.bits&31)), clamp8(b>>(k.bits&31)), clamp8(a>>(k.bits&31))
	}
}

// column computes result row y of a vertical pass: the weighted sum of the
// source rows of tmp under it. The channel layout does not matter here.
// It goes along the rows, four source rows at a time, with the running
// sums in acc (scratch space of len(out) elements), so that memory is read
// in order.
func (k *kernel) column(out []uint8, acc []int32, tmp []uint8, stride, y int) {
	n := len(out)
	acc = acc[:n]
	w := k.weights[y*k.taps:][:k.taps]
	row := func(j int) []uint8 { return tmp[(k.first[y]+j)*stride:][:n] }
	half := int32(1) << (k.bits - 1)
	if len(w)%4 != 0 { // a window cut short by a tiny source
		for i := range acc {
			sum := half
			for j, wj := range w {
				sum += int32(row(j)[i]) * wj
			}
			out[i] = clamp8(sum >> (k.bits & 31))
		}
		return
	}
	if len(w) == 8 && k.sym[y] {
		sym8(out, row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7), (*[8]int32)(w), half, k.bits)
		return
	}
	last := len(w) - 4
	if last == 0 {
		clear(acc)
	} else {
		start4(acc, row(0), row(1), row(2), row(3), (*[4]int32)(w), 0)
	}
	for j := 4; j < last; j += 4 {
		add4(acc, row(j), row(j+1), row(j+2), row(j+3), (*[4]int32)(w[j:]))
	}
	finish4(out, acc, row(last), row(last+1), row(last+2), row(last+3), (*[4]int32)(w[last:]), half, k.bits)
}

// columnOf is column for pixels of c channels: grayColumn when c is 1.
func (k *kernel) columnOf(c int, out []uint8, acc []int32, tmp []uint8, stride, y int) {
	if c == 1 {
		k.grayColumn(out, acc, tmp, stride, y)
	} else {
		k.column(out, acc, tmp, stride, y)
	}
}

// sym8 is column for eight rows with symmetric weights, CatmullRom
// halving: mirrored rows are added before they are multiplied, which
// halves the multiplications, and all eight rows are combined in one pass.
func sym8(out []uint8, r0, r1, r2, r3, r4, r5, r6, r7 []uint8, w *[8]int32, half int32, bits uint) {
	w0, w1, w2, w3 := w[0], w[1], w[2], w[3]
	n := len(out)
	r0, r1, r2, r3, r4, r5, r6, r7 = r0[:n], r1[:n], r2[:n], r3[:n], r4[:n], r5[:n], r6[:n], r7[:n]
	for i := range out {
		sum := half + (int32(r0[i])+int32(r7[i]))*w0 + (int32(r1[i])+int32(r6[i]))*w1 +
			(int32(r2[i])+int32(r5[i]))*w2 + (int32(r3[i])+int32(r4[i]))*w3
		out[i] = clamp8(sum >> (bits & 31))
	}
}

// start4, add4 and finish4 are the steps of column: the first four rows
// start the sums in acc, the rows in between add to them, and the last four
// complete them into out. They are functions of their own, with the rows
// cut to the same length, so that the compiler keeps their few variables
// in registers and checks no bounds in the loops.
func start4(acc []int32, r0, r1, r2, r3 []uint8, w *[4]int32, base int32) {
	w0, w1, w2, w3 := w[0], w[1], w[2], w[3]
	r0, r1, r2, r3 = r0[:len(acc)], r1[:len(acc)], r2[:len(acc)], r3[:len(acc)]
	for i := range acc {
		acc[i] = base + int32(r0[i])*w0 + int32(r1[i])*w1 + int32(r2[i])*w2 + int32(r3[i])*w3
	}
}

func add4(acc []int32, r0, r1, r2, r3 []uint8, w *[4]int32) {
	w0, w1, w2, w3 := w[0], w[1], w[2], w[3]
	r0, r1, r2, r3 = r0[:len(acc)], r1[:len(acc)], r2[:len(acc)], r3[:len(acc)]
	for i := range acc {
		acc[i] += int32(r0[i])*w0 + int32(r1[i])*w1 + int32(r2[i])*w2 + int32(r3[i])*w3
	}
}

func finish4(out []uint8, acc []int32, r0, r1, r2, r3 []uint8, w *[4]int32, half int32, bits uint) {
	w0, w1, w2, w3 := w[0], w[1], w[2], w[3]
	acc = acc[:len(out)]
	r0, r1, r2, r3 = r0[:len(out)], r1[:len(out)], r2[:len(out)], r3[:len(out)]
	for i := range out {
		sum := half + acc[i] + int32(r0[i])*w0 + int32(r1[i])*w1 + int32(r2[i])*w2 + int32(r3[i])*w3
		out[i] = clamp8(sum >> (bits & 31))
	}
}
