package tiffdec

import (
	"encoding/binary"
	"errors"
)

// TIFF's LZW codes: 256 literal bytes, then Clear and EndOfInformation,
// then strings of 9 to 12 bits.
const (
	lzwClear = 256
	lzwEOI   = 257
	lzwFirst = 258
	lzwMax   = 4096
)

var (
	errLZWCode  = errors.New("code past the table")
	errLZWStart = errors.New("string code with no string before it")
)

// lzwDecoder decodes TIFF LZW data. Every string of its table is a string
// that it has already written to the output, so an entry is where that
// copy starts and how long it is, and decoding a code is a copy within
// the output.
type lzwDecoder struct {
	off [lzwMax]uint32
	n   [lzwMax]uint32
}

// decode decodes the LZW data src into dst and returns how many bytes it
// wrote. It stops when dst is full, at an EndOfInformation code or at the
// end of src, whichever comes first, so that no stream makes more than
// len(dst) bytes.
//
// Data whose first code is Clear written least significant bit first (a
// zero byte, then a byte with its low bit set) is the bit order and code
// width change of libtiff's versions before 1991, which libtiff still
// reads; all other data is TIFF 6's, most significant bit first, whose code
// width grows one code early.
func (z *lzwDecoder) decode(dst, src []byte) (int, error) {
	compat := len(src) >= 2 && src[0] == 0 && src[1]&1 != 0
	early := uint32(1) // the code width grows when next reaches 1<<width - early
	if compat {
		early = 0
	}
	var (
		acc    uint64 // bits not yet used, at the top (MSB first) or bottom (LSB first)
		nbits  uint   // how many
		in     int    // next byte of src
		width  = uint(9)
		next   = uint32(lzwFirst)
		pos    int  // next byte of dst
		last   = -1 // where the previous code's string starts in dst, or -1 after Clear
		lastN  uint32
		srcLen = len(src)
	)
	for pos < len(dst) {
		// Fill the bit buffer.
		if nbits < width {
			if !compat && in+8 <= srcLen {
				acc |= binary.BigEndian.Uint64(src[in:]) >> nbits
				in += int(63-nbits) >> 3
				nbits |= 56
			}
			for nbits <= 56 && in < srcLen {
				if compat {
					acc |= uint64(src[in]) << nbits
				} else {
					acc |= uint64(src[in]) << (56 - nbits)
				}
				in++
				nbits += 8
			}
			if nbits < width {
				return pos, nil // the data ends without EndOfInformation
			}
		}
		var code uint32
		if compat {
			code = uint32(acc & (1<<width - 1))
			acc >>= width
		} else {
			code = uint32(acc >> (64 - width))
			acc <<= width
		}
		nbits -= width

		switch {
		case code == lzwClear:
			width, next, last = 9, lzwFirst, -1
			continue
		case code == lzwEOI:
			return pos, nil
		case code > next:
			return pos, errLZWCode
		case code == next && last < 0:
			return pos, errLZWStart
		}
		start := pos
		if code < lzwClear {
			dst[pos] = byte(code)
			pos++
		} else if code < next {
			o, n := int(z.off[code]), int(z.n[code])
			if n <= 8 && pos+8 <= len(dst) {
				// Short strings, most of them, as one 8-byte load and
				// store; the bytes past the string are written over
				// later, or are past the strip's end.
				binary.LittleEndian.PutUint64(dst[pos:], binary.LittleEndian.Uint64(dst[o:]))
				pos += n
			} else {
				pos += copy(dst[pos:], dst[o:o+n])
			}
		} else { // code == next: the previous string and its first byte
			pos += copy(dst[pos:], dst[last:last+int(lastN)])
			if pos < len(dst) {
				dst[pos] = dst[last]
				pos++
			}
		}
		if last >= 0 && next < lzwMax {
			z.off[next], z.n[next] = uint32(last), lastN+1
			next++
			if next+early == 1<<width && width < 12 {
				width++
			}
		}
		last, lastN = start, uint32(pos-start)
	}
	return pos, nil
}
