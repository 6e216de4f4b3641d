package webpdec

import (
	"bytes"
	"image"

	"golang.org/x/image/vp8l"
)

// checkPartition checks, before anything is allocated, that the first
// partition of the VP8 bitstream b, of a w×h frame, can describe all the
// frame's macroblocks. Every macroblock of a key frame codes its luma and
// chroma prediction modes in that partition with fixed probabilities that
// cost more than 3 bits; a partition of fewer than one bit a macroblock
// (with room to spare) is cut short, whatever the rest of the file says.
func checkPartition(b []byte, w, h int) error {
	size := int(b[0])>>5 | int(b[1])<<3 | int(b[2])<<11
	if 10+size > len(b) {
		return truncated("VP8 first partition of %d bytes is longer than its chunk", size)
	}
	mbs := ((w + 15) / 16) * ((h + 15) / 16)
	if mbs > 8*size+64 {
		return truncated("VP8 first partition of %d bytes is too short for the %d macroblocks of %dx%d", size, mbs, w, h)
	}
	return nil
}

// decodeAlpha decodes the ALPH chunk data b of a w×h frame into a plane of
// w×h alpha values. Its first byte holds, from the low bits up, the
// compression (0 none, 1 a VP8L bitstream without its header, of which the
// green channel is the alpha), the prediction filter (none, horizontal,
// vertical, gradient), the pre-processing (level reduction, which needs
// nothing of a decoder) and two reserved bits, which must be zero as
// libwebp requires.
func decodeAlpha(b []byte, w, h int) ([]byte, error) {
	compression, filter, pre, reserved := b[0]&3, b[0]>>2&3, b[0]>>4&3, b[0]>>6
	if compression > 1 || pre > 1 || reserved != 0 {
		return nil, formatError("ALPH header %#02x: compression %d, pre-processing %d, reserved bits %d", b[0], compression, pre, reserved)
	}
	var alpha []byte
	if compression == 0 {
		if len(b)-1 < w*h {
			return nil, formatError("ALPH chunk holds %d values for %dx%d pixels", len(b)-1, w, h)
		}
		alpha = make([]byte, w*h)
		copy(alpha, b[1:])
	} else {
		// The header of a VP8L bitstream: its signature, the size less
		// one in 14 bits each, no alpha and version 0.
		bits := uint32(w-1) | uint32(h-1)<<14
		hdr := []byte{0x2f, byte(bits), byte(bits >> 8), byte(bits >> 16), byte(bits >> 24)}
		m, err := vp8l.Decode(bytes.NewReader(append(hdr, b[1:]...)))
		if err != nil {
			return nil, bitstreamError("ALPH", err)
		}
		nrgba, ok := m.(*image.NRGBA)
		if !ok || nrgba.Rect != image.Rect(0, 0, w, h) {
			return nil, formatError("ALPH bitstream decodes to %v, want %dx%d", m.Bounds(), w, h)
		}
		alpha = make([]byte, w*h)
		for i := range alpha {
			alpha[i] = nrgba.Pix[4*i+1]
		}
	}
	unfilter(alpha, w, h, filter)
	return alpha, nil
}

// unfilter adds back to each alpha value its prediction, by the filter
// method of the WebP container: 1 the value to the left, 2 the one above,
// 3 the gradient left + above − above-left clamped to 0..255. Along the
// edges a value is predicted from the one neighbour it has (the first of
// the image from 0), as in every method: the first row from the left and
// the first column from above.
func unfilter(a []byte, w, h int, filter byte) {
	if filter == 0 {
		return
	}
	row := a[:w]
	for x := 1; x < w; x++ {
		row[x] += row[x-1]
	}
	for y := 1; y < h; y++ {
		up, row := a[(y-1)*w:y*w], a[y*w:(y+1)*w]
		row[0] += up[0]
		switch filter {
		case 1:
			for x := 1; x < w; x++ {
				row[x] += row[x-1]
			}
		case 2:
			for x := 1; x < w; x++ {
				row[x] += up[x]
			}
		case 3:
			for x := 1; x < w; x++ {
				g := int(row[x-1]) + int(up[x]) - int(up[x-1])
				row[x] += uint8(min(max(g, 0), 255))
			}
		}
	}
}
