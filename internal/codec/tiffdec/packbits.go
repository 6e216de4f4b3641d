package tiffdec

// unpackBits decodes the PackBits data src into dst and returns how many
// bytes it wrote; it stops when dst is full or src ends.
func unpackBits(dst, src []byte) (int, error) {
	pos := 0
	for i := 0; i < len(src) && pos < len(dst); {
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0: // n+1 literal bytes
			k := min(n+1, len(src)-i)
			pos += copy(dst[pos:], src[i:i+k])
			i += k
		case n != -128: // the next byte 1-n times
			if i == len(src) {
				return pos, nil
			}
			b := src[i]
			i++
			end := min(pos+1-n, len(dst))
			for ; pos < end; pos++ {
				dst[pos] = b
			}
		}
	}
	return pos, nil
}
