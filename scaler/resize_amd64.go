package scaler

import (
	"slices"

	"github.com/escala-img/escala/internal/codec/simd"
)

// The gray passes of resample have AVX2 versions in resize_amd64.s. They
// give exactly the results of the Go loops of resize.go: every result
// pixel is the same sum of integer products of pixels and weights, plus
// half, shifted right by bits and clamped to 0..255, and the sums cannot
// overflow (newKernel bounds them), so the order of the additions does
// not matter.
//
// The assembly multiplies with VPMADDWD, which takes two vectors of
// 16-bit integers and adds the products of each pair of neighbours into a
// 32-bit integer: pixels are zero-extended to 16 bits, and weights fit
// int16. The loops read and write only inside the slices they are given,
// which the Go functions here cut; rows too short for them, and kernels
// whose weights do not fit, go to the Go loops.

// A vecLayout holds a kernel's weights in the layouts of the AVX2 loops.
// It is read-only once made.
type vecLayout struct {
	// pairs holds the weights of each result pixel for columnAVX2,
	// pairStride of them (taps rounded up to even, the padding zero), so
	// that each 32-bit word is the pair of weights of two source rows.
	pairs      []int16
	pairStride int

	// groups holds the weights for rowAVX2, by groups of four result
	// pixels: for each chunk of eight taps, the eight weights of the
	// pixel in the first slot of the group, then those of the second,
	// the third and the fourth. Group g holds result pixels 4g to 4g+3,
	// except that the last one, when the count is not a multiple of
	// four, holds the last four pixels. Each pixel's window is widened
	// with zero weights to chunks×8 source pixels, from first[slot]: to
	// the right, or to the left where it would pass the end of the
	// source. groups is nil if there are fewer than four result pixels,
	// or fewer source pixels than chunks×8.
	groups []int16
	first  []int
	chunks int

	// Result pixels runLo to runHi-1, when there are at least 16 of
	// them, are a run such as halving gives away from the edges: each
	// one weighs source pixels 2x+runOff+j, for j < 2*len(runPairs), by
	// the same weights, whose pairs runPairs holds as 32-bit words (the
	// first weight of each pair in the low half). halveAVX2 computes
	// them.
	runLo, runHi, runOff int
	runPairs             []int32
}

// minRun is the fewest result pixels that halveAVX2 takes: its loop
// writes 16 at a time.
const minRun = 16

// newVecLayout returns the layouts of the AVX2 loops for k, or nil if a
// weight does not fit int16. It makes them whether or not the processor
// has AVX2, as tests turn simd.AVX2 off and on.
func newVecLayout(k *kernel) *vecLayout {
	if slices.ContainsFunc(k.weights, func(w int32) bool { return w != int32(int16(w)) }) {
		return nil
	}
	m, taps := len(k.first), k.taps
	v := &vecLayout{pairStride: (taps + 1) &^ 1, chunks: (taps + 7) / 8}

	v.pairs = make([]int16, m*v.pairStride)
	for x := range m {
		for j, w := range k.weights[x*taps:][:taps] {
			v.pairs[x*v.pairStride+j] = int16(w)
		}
	}

	if span := 8 * v.chunks; m >= 4 && k.n >= span {
		slots := (m + 3) &^ 3
		v.groups, v.first = make([]int16, slots*span), make([]int, slots)
		for slot := range slots {
			x := min(slot, m-4+slot%4)
			v.first[slot] = min(k.first[x], k.n-span)
			group := v.groups[slot/4*4*span:][:4*span]
			for j, w := range k.weights[x*taps:][:taps] {
				j += k.first[x] - v.first[slot]
				group[j/8*32+slot%4*8+j%8] = int16(w)
			}
		}
	}

	v.findRun(k)
	return v
}

// findRun looks for the longest run of result pixels around the middle
// whose windows start at 2x plus a constant and whose weights are the
// same, and sets the run fields of v if it has at least minRun pixels.
func (v *vecLayout) findRun(k *kernel) {
	m, taps := len(k.first), k.taps
	if m < minRun {
		return
	}
	mid := m / 2
	off := k.first[mid] - 2*mid
	w := k.weights[mid*taps:][:taps]
	same := func(x int) bool {
		return k.first[x]-2*x == off && slices.Equal(k.weights[x*taps:][:taps], w)
	}
	lo, hi := mid, mid+1
	for lo > 0 && same(lo-1) {
		lo--
	}
	for hi < m && same(hi) {
		hi++
	}
	// Only the taps from the first nonzero weight to the last one count.
	s, e := 0, taps
	for s < e && w[s] == 0 {
		s++
	}
	for e > s && w[e-1] == 0 {
		e--
	}
	pairs := (e - s + 1) / 2
	// An odd count of weights is padded with a zero weight, whose pixel
	// must still be inside the source.
	for hi > lo && 2*(hi-1)+off+s+2*pairs > k.n {
		hi--
	}
	if pairs == 0 || hi-lo < minRun {
		return
	}
	v.runLo, v.runHi, v.runOff = lo, hi, off+s
	v.runPairs = make([]int32, pairs)
	for p := range v.runPairs {
		low, high := w[s+2*p], int32(0)
		if s+2*p+1 < taps {
			high = w[s+2*p+1]
		}
		v.runPairs[p] = int32(uint16(low)) | high<<16
	}
}

// grayRow resamples one row of gray pixels, like row1, with AVX2 when
// the processor has it: halveAVX2 for the run of equal windows, if there
// is one, and rowAVX2 for the other pixels.
func (k *kernel) grayRow(out, in []uint8) {
	v := k.vec
	if !simd.AVX2 || v == nil || v.groups == nil {
		k.row1(out, in)
		return
	}
	in = in[:k.n]
	out = out[:len(k.first)]
	if v.runHi == 0 {
		rowAVX2(out, in, v.first, v.groups, v.chunks, k.bits)
		return
	}
	// The groups that hold the pixels left and right of the run.
	span := 32 * v.chunks
	if g := (v.runLo + 3) / 4; g > 0 {
		rowAVX2(out, in, v.first[:4*g], v.groups[:g*span], v.chunks, k.bits)
	}
	n := v.runHi - v.runLo
	halveAVX2(out[v.runLo:v.runHi], in[2*v.runLo+v.runOff:][:2*n+2*len(v.runPairs)-2], v.runPairs, k.bits)
	if g := v.runHi / 4; 4*g < len(v.first) {
		rowAVX2(out[4*g:], in, v.first[4*g:], v.groups[g*span:], v.chunks, k.bits)
	}
}

// grayColumn computes result row y of a vertical pass over gray pixels,
// like column, with AVX2 when the processor has it and the row has at
// least 32 pixels, which columnAVX2 computes 32 at a time.
func (k *kernel) grayColumn(out []uint8, acc []int32, tmp []uint8, stride, y int) {
	v := k.vec
	n := len(out)
	if !simd.AVX2 || v == nil || n < 32 {
		k.column(out, acc, tmp, stride, y)
		return
	}
	src := tmp[k.first[y]*stride:][:(k.taps-1)*stride+n]
	w := v.pairs[y*v.pairStride:][:v.pairStride]
	if k.sym[y] && k.taps%4 == 0 {
		columnSymAVX2(out, src, stride, k.taps, w, k.bits)
		return
	}
	columnAVX2(out, src, stride, k.taps, w, k.bits)
}

// columnAVX2 sets each out[i], for i < len(out), to the sum over the taps
// rows j of src[j*stride+i]×w[j], plus half, shifted right by bits and
// clamped to 0..255. len(out) is at least 32; w has taps weights rounded
// up to even.
//
//go:noescape
func columnAVX2(out, src []uint8, stride, taps int, w []int16, bits uint)

// columnSymAVX2 is columnAVX2 for symmetric weights, w[j] = w[taps-1-j],
// and taps a multiple of 4; it reads only the first taps/2 weights.
//
//go:noescape
func columnSymAVX2(out, src []uint8, stride, taps int, w []int16, bits uint)

// rowAVX2 computes the groups of four result pixels of vecLayout.groups
// for the slots of first: for each slot, the sum over j < 8×chunks of
// in[first[slot]+j] times its weight in groups, plus half, shifted right
// by bits and clamped to 0..255. The pixels of group g go to out[4g:],
// or to the last four bytes of out if that is past them. len(first) is
// a multiple of 4, len(out) at least 4, and the windows lie inside in.
//
//go:noescape
func rowAVX2(out, in []uint8, first []int, groups []int16, chunks int, bits uint)

// halveAVX2 sets each out[x], for x < len(out), to the sum over the pairs
// p of in[2x+2p]×low(pairs[p]) + in[2x+2p+1]×high(pairs[p]), plus half,
// shifted right by bits and clamped to 0..255. len(out) is at least 16 and
// len(in) at least 2×(len(out)+len(pairs)-1).
//
//go:noescape
func halveAVX2(out, in []uint8, pairs []int32, bits uint)
