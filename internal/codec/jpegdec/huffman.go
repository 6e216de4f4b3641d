package jpegdec

import (
	"bytes"
	"encoding/binary"
)

// lutBits is the number of bits the Huffman lookup tables look ahead.
const lutBits = 9

// A huffTable decodes one Huffman table (T.81 annex C and F.2.2.3).
//
// lut is indexed by the next lutBits bits of the stream. An entry holds
//
//	bits 0–7:   for a symbol whose value bits also fit in lutBits (DC sizes,
//	            AC run/size pairs other than EOB and ZRL): the code length
//	            plus the number of value bits, else 0
//	bits 8–15:  the symbol of a code of at most lutBits bits
//	bits 16–31: that value, sign-extended, as an int16, for the symbols of
//	            bits 0–7; for the others the code's length, or 0 if the
//	            code is longer (slow path)
//
// so that a decoding loop shifts its bits by an entry as it is when its
// low byte is not 0, and the run of an AC symbol is in bits 12–15.
// Codes longer than lutBits are decoded from maxcode and valoff.
type huffTable struct {
	lut     [1 << lutBits]uint32
	maxcode [17]int32 // largest code of each length, -1 if none
	valoff  [17]int32 // vals index of a code of each length, minus the code
	vals    [256]uint8
}

// build makes t from the DHT counts of codes of each length 1 to 16 and the
// symbols, checking that they describe a Huffman code. dc tables must have
// symbols (the size of a difference) of at most 15.
func (t *huffTable) build(counts *[16]uint8, vals []byte, dc bool) error {
	total := 0
	for _, c := range counts {
		total += int(c)
	}
	if total > 256 || total != len(vals) {
		return formatError("bad Huffman table: %d codes", total)
	}
	*t = huffTable{}
	copy(t.vals[:], vals)
	code, k := int32(0), 0
	for l := 1; l <= 16; l++ {
		c := int32(counts[l-1])
		t.valoff[l] = int32(k) - code
		t.maxcode[l] = -1
		if c > 0 {
			t.maxcode[l] = code + c - 1
		}
		for i := int32(0); i < c; i++ {
			sym := vals[k]
			if dc && sym > 15 {
				return formatError("bad Huffman table: DC symbol %d", sym)
			}
			if l <= lutBits {
				t.fillLUT(uint32(code), uint(l), sym, dc)
			}
			code++
			k++
		}
		if code > 1<<l {
			return formatError("bad Huffman table: codes of length %d overflow", l)
		}
		code <<= 1
	}
	return nil
}

// fillLUT sets the lookup entries of one code of length l ≤ lutBits.
func (t *huffTable) fillLUT(code uint32, l uint, sym uint8, dc bool) {
	s := uint(sym & 15)
	fast := dc || (s != 0)
	first := code << (lutBits - l)
	for p := first; p < first+1<<(lutBits-l); p++ {
		e := uint32(sym)<<8 | uint32(l)<<16
		if fast && l+s <= lutBits {
			v := int32(0)
			if s != 0 {
				v = extend(int32(p>>(lutBits-l-s))&(1<<s-1), s)
			}
			e = uint32(l+s) | uint32(sym)<<8 | uint32(uint16(int16(v)))<<16
		}
		t.lut[p&(1<<lutBits-1)] = e
	}
}

// slow decodes a code longer than lutBits from the top 16 bits of bits. It
// returns the symbol and the code length, or a length of 0 for bits that
// start no code.
func (t *huffTable) slow(bits uint64) (uint32, uint) {
	code := int32(bits >> 48)
	for l := lutBits + 1; l <= 16; l++ {
		c := code >> (16 - l)
		if c <= t.maxcode[l] {
			return uint32(t.vals[uint8(c+t.valoff[l])]), uint(l)
		}
	}
	return 0, 0
}

// extend turns the s low bits v of a coded value into the signed value they
// stand for (T.81 F.2.2.1).
func extend(v int32, s uint) int32 {
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// valueBits returns the signed value coded by the top s bits of bits, for s
// from 1 to 15, without branches: a leading 1 bit means a positive value.
func valueBits(bits uint64, s uint) int32 {
	v := int32(bits >> ((64 - s) & 63))
	neg := ^int32(int64(bits) >> 63) // all ones when the first bit is 0
	return v + neg&(-1<<s+1)
}

// Constants of refill's test for a 0xFF byte, which a uint64 has if and only
// if its complement has a zero byte; lowBytes also spreads a byte over eight.
const (
	lowBytes  = 0x0101010101010101
	highBytes = 0x8080808080808080
)

// A bitReader reads the entropy-coded bytes of a scan, removing the stuffed
// zero after each 0xFF data byte, from data[pos:]. bits holds n unread bits
// at its top. At a marker or the end of data the reader appends zero bits
// instead (the common practice, so that a lookahead never lacks bits); pad
// counts them. They are the last pad bits of the stream, so fewer than pad
// bits left unread means that the decoding went past the scan's data (see
// overrun).
//
// The decoding loops copy pos, bits and n into local variables, top them up
// with refill, which reads eight bytes at once when none of them is 0xFF,
// and call fill otherwise.
type bitReader struct {
	data []byte
	pos  int
	bits uint64
	n    uint
	pad  uint
	end  bool // reached a marker or the end of data
	eof  bool // reached the end of data
}

// refill tops up bits from data[pos:] when the next eight bytes hold no 0xFF;
// ok is false when they do, or when fewer than eight are left. The decoding
// loops call it when fewer than 32 bits are left, and it leaves at least 57.
func refill(data []byte, pos int, bits uint64, n uint) (int, uint64, uint, bool) {
	if pos < 0 || len(data)-pos < 8 {
		return pos, bits, n, false
	}
	x := binary.BigEndian.Uint64(data[pos:])
	if (^x-lowBytes)&x&highBytes != 0 {
		return pos, bits, n, false
	}
	m := (64 - n) >> 3
	// The bits of x below the m whole bytes taken are those of the next byte,
	// which the next refill or fill ORs in again at the same place.
	return pos + int(m), bits | x>>(n&63), n + m<<3, true
}

// fill tops up the bits one byte at a time, unstuffing 0xFF 0x00 and stopping
// at a marker or the end of data, after which it appends zero bits. It takes
// and returns the reader's state in registers.
func (br *bitReader) fill(pos int, bits uint64, n uint) (int, uint64, uint) {
	data := br.data
	for n <= 56 {
		if !br.end {
			if pos >= len(data) || pos < 0 {
				br.end, br.eof = true, true
				continue
			}
			b := data[pos]
			if b != 0xff {
				bits |= uint64(b) << (56 - n)
				n += 8
				pos++
				continue
			}
			if pos+1 >= len(data) {
				br.end, br.eof = true, true
				continue
			}
			if data[pos+1] != 0 {
				br.end = true // a marker (or fill bytes before one)
				continue
			}
			bits |= 0xff << (56 - n)
			n += 8
			pos += 2
			continue
		}
		br.pad += 8
		n += 8
	}
	return pos, bits, n
}

// overrun reports whether the decoding used bits past the end of the scan's
// data, which is what a truncated file does, with an error wrapping
// io.ErrUnexpectedEOF: the file ends early, or a marker comes before the
// scan's MCUs are complete.
func (br *bitReader) overrun() error {
	if br.n >= br.pad {
		return nil
	}
	if br.eof {
		return truncated("entropy-coded data ends early")
	}
	return truncated("marker before the scan's last MCU")
}

// reset starts a new restart interval at pos.
func (br *bitReader) reset(pos int) {
	*br = bitReader{data: br.data, pos: pos}
}

// restart ends a restart interval: it checks that the interval stayed within
// its data, then skips to the RSTn marker that must follow and past it.
func (br *bitReader) restart() error {
	if err := br.overrun(); err != nil {
		return err
	}
	at, m := nextMarker(br.data, br.pos, false)
	if at < 0 {
		return truncated("missing RST marker")
	}
	if m < 0xd0 || m > 0xd7 {
		return truncated("marker before the scan's last MCU")
	}
	br.reset(at + 2)
	return nil
}

// nextMarker returns where the first marker at or after pos in entropy-coded
// data starts, and its code: a 0xFF byte followed by anything but 0x00 (a
// stuffed byte) or another 0xFF (a fill byte). With skipRST, restart markers
// are passed over. It returns -1 if data ends first.
func nextMarker(data []byte, pos int, skipRST bool) (int, byte) {
	for pos >= 0 && pos < len(data) {
		i := bytes.IndexByte(data[pos:], 0xff)
		if i < 0 {
			return -1, 0
		}
		pos += i
		if pos+1 >= len(data) {
			return -1, 0
		}
		m := data[pos+1]
		switch {
		case m == 0 || m == 0xff:
			pos++
		case skipRST && m >= 0xd0 && m <= 0xd7:
			pos += 2
		default:
			return pos, m
		}
	}
	return -1, 0
}

// skipBits is the lookahead of a skipTable.
const skipBits = 12

// A skipTable passes over the AC symbols of blocks that are not decoded a
// few at a time. Its entry for the next skipBits bits of the stream tells
// what the whole symbols that they start, with their value bits, amount
// to:
//
//	bits 0–7:   the bits they take, 0 if the first symbol does not fit
//	bits 8–15:  how far they advance the zigzag index: r+1 for a run r
//	            and a value, 16 for ZRL
//	bit 16:     the last of them is an EOB, and the zigzag index does not
//	            count it
//	bit 17:     set, so that 0 means an entry not computed yet
//
// Entries are computed as they are first needed, by entry: a scan meets
// only a part of them, and computing all would cost as much as skipping
// some thousand blocks.
type skipTable struct {
	t *huffTable
	e [1 << skipBits]uint32
}

// entry computes, stores and returns entry w of s.
func (s *skipTable) entry(w uint) uint32 {
	pos, adv := uint(0), uint(0)
	eob := false
	for pos < skipBits {
		// The lookahead entry for the bits from pos on, padded with
		// zeros: its code and value bits are whole if they fit in what
		// is left of w.
		e := s.t.lut[w<<pos>>(skipBits-lutBits)&(1<<lutBits-1)]
		sym, l := e>>8&0xff, uint(e>>16)&15
		if fl := uint(uint8(e)); fl != 0 {
			l = fl - uint(sym&15)
		}
		if l == 0 {
			break // longer than the lookahead
		}
		r, sz := uint(sym>>4), uint(sym&15)
		if sz == 0 && r != 15 {
			if pos+l <= skipBits {
				pos += l
				eob = true
			}
			break
		}
		a := r + 1
		if sz == 0 {
			a = 16
		}
		if pos+l+sz > skipBits {
			break
		}
		pos += l + sz
		adv += a
	}
	e := uint32(pos) | uint32(adv)<<8 | 1<<17
	if eob {
		e |= 1 << 16
	}
	s.e[w&(1<<skipBits-1)] = e
	return e
}
