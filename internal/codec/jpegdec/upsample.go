package jpegdec

import "sync/atomic"

// upsampleLuma writes the image from the samples of the luma plane of a
// YCbCr file whose luma is sampled more coarsely than chroma, upsampled as
// libjpeg-turbo's djpeg -grayscale does (jdsample.c): by "fancy"
// triangular interpolation for a ratio of 2 horizontally (h2v1), 2
// vertically (h1v2) or both (h2v2), each output sample weighting its
// nearest input sample 3/4 and the next nearest 1/4 in each direction
// with libjpeg's rounding, and by replication for other ratios, or a 2:1
// horizontal ratio with at most 2 samples in a row. Samples past the
// edges of the component, as its width and height say (T.81 A.1.1), are
// those at the edges. At reduced size the plane holds the component at
// 1/Scale of its size, upsampled the same way (but see setup: a ratio
// that the scale absorbs needs no upsampling).
func (d *decoder) upsampleLuma() {
	p := &d.planes[0]
	c := d.comps[p.ci]
	s := d.scale
	// The component's samples at the decode's scale, as libjpeg counts
	// them (downsampled_width and _height).
	cw := (d.width*c.h + d.hmax*s - 1) / (d.hmax * s)
	ch := (d.height*c.v + d.vmax*s - 1) / (d.vmax * s)
	cw, ch = max(1, min(cw, p.stride)), max(1, min(ch, len(p.pix)/max(p.stride, 1)))
	img := d.img
	w, h := img.Rect.Dx(), img.Rect.Dy()
	row := func(y int) []byte {
		y = max(0, min(y, ch-1))
		return p.pix[y*p.stride : y*p.stride+cw]
	}
	const run = 32
	var next atomic.Int64
	parallel(d.procs, func() error {
		sums := make([]int32, cw)
		wide := make([]byte, 2*cw)
		for {
			y0 := int(next.Add(run)) - run
			if y0 >= h {
				return nil
			}
			for y := y0; y < min(y0+run, h); y++ {
				dst := img.Pix[y*img.Stride:][:w]
				switch {
				case p.rx == 2 && p.ry == 1 && cw > 2:
					fancyH2V1(wide, row(y))
					copy(dst, wide)
				case p.rx == 1 && p.ry == 2:
					near, far := row(y/2), row(y/2-1)
					bias := int32(1)
					if y&1 != 0 {
						far, bias = row(y/2+1), 2
					}
					for x := range dst {
						dst[x] = uint8((3*int32(near[x]) + int32(far[x]) + bias) >> 2)
					}
				case p.rx == 2 && p.ry == 2 && cw > 2:
					near, far := row(y/2), row(y/2-1)
					if y&1 != 0 {
						far = row(y/2 + 1)
					}
					for x := range sums {
						sums[x] = 3*int32(near[x]) + int32(far[x])
					}
					fancyH2V2(wide, sums)
					copy(dst, wide)
				default:
					replicate(dst, row(y/p.ry), p.rx)
				}
			}
		}
	})
}

// fancyH2V1 doubles the row in horizontally into out, of 2·len(in)
// samples, len(in) ≥ 2: each sample is 3/4 of the nearer input sample and
// 1/4 of the next nearer, rounded up and down in turn, and the first and
// last are the edge samples.
func fancyH2V1(out, in []byte) {
	n := len(in)
	out = out[:2*n]
	out[0] = in[0]
	out[1] = uint8((3*int32(in[0]) + int32(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := 3 * int32(in[i])
		out[2*i] = uint8((v + int32(in[i-1]) + 1) >> 2)
		out[2*i+1] = uint8((v + int32(in[i+1]) + 2) >> 2)
	}
	out[2*n-2] = uint8((3*int32(in[n-1]) + int32(in[n-2]) + 1) >> 2)
	out[2*n-1] = in[n-1]
}

// fancyH2V2 doubles horizontally into out, of 2·len(sums) samples, a row
// whose vertical interpolation sums holds: 3 times the nearer row plus the
// next nearer. len(sums) ≥ 2.
func fancyH2V2(out []byte, sums []int32) {
	n := len(sums)
	out = out[:2*n]
	out[0] = uint8((4*sums[0] + 8) >> 4)
	out[1] = uint8((3*sums[0] + sums[1] + 7) >> 4)
	for i := 1; i < n-1; i++ {
		v := 3 * sums[i]
		out[2*i] = uint8((v + sums[i-1] + 8) >> 4)
		out[2*i+1] = uint8((v + sums[i+1] + 7) >> 4)
	}
	out[2*n-2] = uint8((3*sums[n-1] + sums[n-2] + 8) >> 4)
	out[2*n-1] = uint8((4*sums[n-1] + 7) >> 4)
}
