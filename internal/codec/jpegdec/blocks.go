package jpegdec

import "github.com/escala-img/escala/internal/codec/jpegtab"

// Errors of the entropy decoders.
var (
	errBadCode  = formatError("bad Huffman code")
	errBadIndex = formatError("coefficient index out of range")
)

// The decoding loops below keep the bit reader's state in local variables
// and top it up with
//
//	if n < 32 {
//		var ok bool
//		if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
//			pos, bits, n = br.fill(pos, bits, n)
//		}
//	}
//
// so that at least 32 bits are ready: a code of up to 16 bits and up to 15
// value bits. Shift counts are masked with 63 for the compiler's sake; they
// are all below 64 anyway.

// decodeBlockGo decodes the coefficients of one block of a sequential scan
// into c, which must be zero, adding the DC difference to *pred. It returns
// the zigzag index of the last coefficient it set.
func (br *bitReader) decodeBlockGo(c *[64]int16, dc, ac *huffTable, pred *int32) (int, error) {
	data := br.data
	pos, bits, n := br.pos, br.bits, br.n
	if n < 32 {
		var ok bool
		if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
			pos, bits, n = br.fill(pos, bits, n)
		}
	}
	e := dc.lut[bits>>(64-lutBits)]
	if fl := uint(uint8(e)); fl != 0 {
		*pred += int32(int16(e >> 16))
		bits <<= fl & 63
		n -= fl
	} else {
		sym, l := e>>8&0xff, uint(e>>16)&15
		if l == 0 {
			if sym, l = dc.slow(bits); l == 0 {
				return 0, errBadCode
			}
		}
		bits <<= l & 63
		n -= l
		if s := uint(sym); s != 0 {
			*pred += valueBits(bits, s)
			bits <<= s & 63
			n -= s
		}
	}
	c[0] = int16(*pred)

	last := 0
	for k := 1; k < 64; {
		if n < 32 {
			var ok bool
			if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
				pos, bits, n = br.fill(pos, bits, n)
			}
		}
		e := ac.lut[bits>>(64-lutBits)]
		if fl := uint(uint8(e)); fl != 0 {
			// A run and a value, all within the lookahead.
			k += int(e>>12) & 15
			if k > 63 {
				return 0, errBadIndex
			}
			c[jpegtab.Zigzag[k&63]&63] = int16(e >> 16)
			bits <<= fl & 63
			n -= fl
			last = k
			k++
			continue
		}
		sym, l := e>>8&0xff, uint(e>>16)&15
		if l == 0 {
			if sym, l = ac.slow(bits); l == 0 {
				return 0, errBadCode
			}
		}
		bits <<= l & 63
		n -= l
		r, s := int(sym>>4), uint(sym&15)
		if s == 0 {
			if r != 15 {
				break // EOB
			}
			k += 16 // ZRL
			continue
		}
		k += r
		if k > 63 {
			return 0, errBadIndex
		}
		c[jpegtab.Zigzag[k&63]&63] = int16(valueBits(bits, s))
		bits <<= s & 63
		n -= s
		last = k
		k++
	}
	br.pos, br.bits, br.n = pos, bits, n
	return last, nil
}

// skipBlock decodes one block of a sequential scan and drops it. With a
// skipTable st of ac, it passes over a few AC symbols at a time, when they
// cannot take the zigzag index past the end of the block.
func (br *bitReader) skipBlock(dc, ac *huffTable, st *skipTable) error {
	data := br.data
	pos, bits, n := br.pos, br.bits, br.n
	if n < 32 {
		var ok bool
		if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
			pos, bits, n = br.fill(pos, bits, n)
		}
	}
	e := dc.lut[bits>>(64-lutBits)]
	if fl := uint(uint8(e)); fl != 0 {
		bits <<= fl & 63
		n -= fl
	} else {
		sym, l := e>>8&0xff, uint(e>>16)&15
		if l == 0 {
			if sym, l = dc.slow(bits); l == 0 {
				return errBadCode
			}
		}
		l += uint(sym) // the code and the value bits
		bits <<= l & 63
		n -= l
	}

	for k := 1; k < 64; {
		if n < 32 {
			var ok bool
			if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
				pos, bits, n = br.fill(pos, bits, n)
			}
		}
		if st != nil {
			e := st.e[bits>>(64-skipBits)]
			if e == 0 {
				e = st.entry(uint(bits >> (64 - skipBits)))
			}
			if fl := uint(uint8(e)); fl != 0 {
				k1 := k + int(e>>8&0xff)
				if e&(1<<16) != 0 && k1 < 64 {
					bits <<= fl & 63
					n -= fl
					break // EOB
				}
				if e&(1<<16) == 0 && k1 <= 64 {
					bits <<= fl & 63
					n -= fl
					k = k1
					continue
				}
			}
		}
		e := ac.lut[bits>>(64-lutBits)]
		if fl := uint(uint8(e)); fl != 0 {
			k += int(e>>12)&15 + 1
			if k > 64 {
				return errBadIndex
			}
			bits <<= fl & 63
			n -= fl
			continue
		}
		sym, l := e>>8&0xff, uint(e>>16)&15
		if l == 0 {
			if sym, l = ac.slow(bits); l == 0 {
				return errBadCode
			}
		}
		r, s := int(sym>>4), uint(sym&15)
		l += s
		bits <<= l & 63
		n -= l
		if s == 0 {
			if r != 15 {
				break // EOB
			}
			k += 16 // ZRL
			continue
		}
		if k += r + 1; k > 64 {
			return errBadIndex
		}
	}
	br.pos, br.bits, br.n = pos, bits, n
	return nil
}
