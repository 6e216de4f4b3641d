// Package packed expands rows of samples packed several to a byte, as PNG,
// BMP and TIFF store palette indexes and low-depth gray. It serves the
// gray decoders of internal/codec (pngdec, bmpdec, tiffdec) and is
// imported by nothing else.
package packed

// Expand returns a function that writes, for each of the len(dst) pixels
// of a row, lut's value of its sample: the row src holds samples of depth
// bits (1, 2, 4 or 8), the leftmost pixel in the high bits of a byte. src
// must hold at least the row's (len(dst)·depth+7)/8 bytes. Expand panics
// for any other depth.
func Expand(depth int, lut *[256]uint8) func(dst, src []byte) {
	switch depth {
	case 8:
		return func(dst, src []byte) {
			src = src[:len(dst)]
			for i, v := range src {
				dst[i] = lut[v]
			}
		}
	case 4:
		return func(dst, src []byte) {
			n := len(dst) / 2
			for i, v := range src[:n] {
				o := dst[2*i : 2*i+2 : 2*i+2]
				o[0], o[1] = lut[v>>4], lut[v&15]
			}
			if len(dst)%2 != 0 {
				dst[len(dst)-1] = lut[src[n]>>4]
			}
		}
	case 2:
		return func(dst, src []byte) {
			n := len(dst) / 4
			for i, v := range src[:n] {
				o := dst[4*i : 4*i+4 : 4*i+4]
				o[0], o[1], o[2], o[3] = lut[v>>6], lut[v>>4&3], lut[v>>2&3], lut[v&3]
			}
			for i := 4 * n; i < len(dst); i++ {
				dst[i] = lut[src[i/4]>>(6-2*(i%4))&3]
			}
		}
	case 1:
		return func(dst, src []byte) {
			n := len(dst) / 8
			for i, v := range src[:n] {
				o := dst[8*i : 8*i+8 : 8*i+8]
				o[0], o[1], o[2], o[3] = lut[v>>7], lut[v>>6&1], lut[v>>5&1], lut[v>>4&1]
				o[4], o[5], o[6], o[7] = lut[v>>3&1], lut[v>>2&1], lut[v>>1&1], lut[v&1]
			}
			for i := 8 * n; i < len(dst); i++ {
				dst[i] = lut[src[i/8]>>(7-i%8)&1]
			}
		}
	}
	panic("packed: depth must be 1, 2, 4 or 8")
}
