package tiffdec

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"sync"
)

// The inflater decompresses a zlib stream (RFC 1950, 1951) straight into
// the buffer of a strip or tile, whose size is known: matches are copies
// within that buffer, so there is no window to copy through, and decoding
// stops as soon as the buffer is full, as libtiff stops, without reading
// the rest of the stream or its checksum.

var (
	errZlibHeader = errors.New("bad zlib header")
	errZlibDict   = errors.New("zlib preset dictionary")
	errBlockType  = errors.New("bad block type")
	errStored     = errors.New("bad stored block length")
	errCodes      = errors.New("bad Huffman code lengths")
	errSymbol     = errors.New("bad Huffman code")
	errDistance   = errors.New("match distance before the start")
	errDataEnds   = errors.New("compressed data ends early")
)

// Huffman tables decode primary bits at a time; longer codes go on in a
// second table. The entry of a code is value<<16 | extra<<8 | kind<<4 |
// length: the code's length in bits, its kind (a literal, a length, the end
// of a block, or no code), the extra bits that follow it and its value,
// which for a length or distance code is its base. The entry of a prefix
// with a second table is offset<<16 | linkFlag | the second table's bits.
const (
	litPrimary  = 10
	distPrimary = 8
	linkFlag    = 0x80

	kindLiteral = 0 << 4 // also a distance, or a code length
	kindLength  = 1 << 4
	kindEnd     = 2 << 4
	kindNone    = 3 << 4 // no code: an error
	kindMask    = 3 << 4
)

// A symbolEntry returns the kind, extra bits and value of a symbol.
type symbolEntry func(sym int) (kind, extra, value uint32)

// plainSymbol is the symbolEntry of a code length code: the symbol itself.
func plainSymbol(sym int) (uint32, uint32, uint32) { return kindLiteral, 0, uint32(sym) }

// litLenSymbol is the symbolEntry of the literal/length code.
func litLenSymbol(sym int) (uint32, uint32, uint32) {
	switch {
	case sym < 256:
		return kindLiteral, 0, uint32(sym)
	case sym == 256:
		return kindEnd, 0, 0
	case sym-257 < len(lengthBase):
		return kindLength, uint32(lengthExtra[sym-257]), uint32(lengthBase[sym-257])
	}
	return kindNone, 0, 0
}

// distSymbol is the symbolEntry of the distance code.
func distSymbol(sym int) (uint32, uint32, uint32) {
	if sym < len(distBase) {
		return kindLiteral, uint32(distExtra[sym]), distBase[sym]
	}
	return kindNone, 0, 0
}

// huffTable is a Huffman code's decoding table.
type huffTable struct {
	entries []uint32
	primary uint
}

// build makes t the table of the canonical code of lengths (one for each
// symbol, 0 for none), whose entries sym gives. It refuses an
// over-subscribed code; an incomplete one leaves codes of kind kindNone.
func (t *huffTable) build(lengths []uint8, primary uint, sym symbolEntry) error {
	var count [16]int
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	left := 1
	for l := 1; l <= 15; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return errCodes
		}
	}
	var next [16]int
	code := 0
	for l := 1; l <= 15; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	// The longest code under each primary prefix sizes its second table.
	size := 1 << primary
	t.primary = primary
	if cap(t.entries) < size {
		t.entries = make([]uint32, size, tableCap(primary))
	}
	t.entries = t.entries[:size]
	for i := range t.entries {
		t.entries[i] = kindNone
	}
	var longest [1 << litPrimary]uint8
	codes := next
	for _, l := range lengths {
		if uint(l) > primary {
			c := reverseBits(codes[l], uint(l))
			p := c & (size - 1)
			longest[p] = max(longest[p], l)
		}
		if l > 0 {
			codes[l]++
		}
	}
	for p := range size {
		if longest[p] > 0 {
			sub := uint(longest[p]) - primary
			t.entries[p] = uint32(len(t.entries))<<16 | linkFlag | uint32(sub)
			start := len(t.entries)
			t.entries = append(t.entries, make([]uint32, 1<<sub)...)
			for i := start; i < len(t.entries); i++ {
				t.entries[i] = kindNone
			}
		}
	}
	for i, l := range lengths {
		if l == 0 {
			continue
		}
		c := reverseBits(next[l], uint(l))
		next[l]++
		kind, extra, value := sym(i)
		e := value<<16 | extra<<8 | kind | uint32(l)
		if uint(l) <= primary {
			for i := c; i < size; i += 1 << l {
				t.entries[i] = e
			}
			continue
		}
		link := t.entries[c&(size-1)]
		base, sub := int(link>>16), uint(link&15)
		for i := c >> primary; i < 1<<sub; i += 1 << (uint(l) - primary) {
			t.entries[base+i] = e
		}
	}
	return nil
}

// tableCap returns the capacity of a table of primary bits: room for the
// largest second tables that a code can need, so that they are appended
// without growing, and a power of two, so that huffman indexes the whole
// table with a mask. A second table of 2^k entries holds a complete subtree
// of depth k, which has at least k+1 codes: 286 literal/length codes with
// 10 primary bits need at most 1024 + 47·32 + 8 entries, and 30 distance
// codes with 8 primary bits at most 256 + 3·128 + 32.
func tableCap(primary uint) int {
	switch primary {
	case litPrimary:
		return litCap
	case distPrimary:
		return distCap
	}
	return 2 << primary
}

const (
	litCap  = 4096
	distCap = 1024
)

// litEntry returns the entry of the literal/length code at the bottom of
// b in t.
func litEntry(t *[litCap]uint32, b uint64) uint32 {
	e := t[b&(1<<litPrimary-1)]
	if e&linkFlag != 0 {
		e = t[(e>>16+uint32(b>>litPrimary)&(1<<(e&15)-1))&(litCap-1)]
	}
	return e
}

// reverseBits returns the n low bits of c in reverse order.
func reverseBits(c int, n uint) int {
	return int(bits.Reverse16(uint16(c)) >> (16 - n))
}

// The base values and extra bits of length codes 257-285 and distance
// codes 0-29.
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// The tables of the fixed code, built once.
var (
	fixedOnce           sync.Once
	fixedLit, fixedDist huffTable
)

func buildFixed() {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	var d [32]uint8
	for i := range d {
		d[i] = 5
	}
	_ = fixedLit.build(l[:], litPrimary, litLenSymbol)
	_ = fixedDist.build(d[:], distPrimary, distSymbol)
}

// inflater is the state of one decompression, reused between strips.
type inflater struct {
	src  []byte
	in   int    // next byte of src
	bits uint64 // bits not yet used, the next at the bottom
	n    uint   // how many
	over uint   // zero bytes added to bits past the end of src
	lit  huffTable
	dist huffTable
	lens [286 + 30]uint8
}

// refill adds bytes of src to the bit buffer until it holds 56 bits, and
// zeros past its end, counted in over.
func (f *inflater) refill() {
	if f.in+8 <= len(f.src) {
		f.bits |= binary.LittleEndian.Uint64(f.src[f.in:]) << f.n
		f.in += int(63-f.n) >> 3
		f.n |= 56
		return
	}
	for f.n <= 56 {
		if f.in < len(f.src) {
			f.bits |= uint64(f.src[f.in]) << f.n
			f.in++
		} else {
			f.over++
		}
		f.n += 8
	}
}

// overrun reports whether bits past the end of src have been used.
func (f *inflater) overrun() bool { return f.n < 8*f.over }

// take returns the next n bits; the buffer must hold them.
func (f *inflater) take(n uint) uint32 {
	v := uint32(f.bits & (1<<n - 1))
	f.bits >>= n
	f.n -= n
	return v
}

// symbol decodes the next symbol of t; the buffer must hold 15 bits.
func (f *inflater) symbol(t *huffTable) (uint32, error) {
	e := t.entries[f.bits&(1<<t.primary-1)]
	if e&linkFlag != 0 {
		sub := uint(e & 15)
		e = t.entries[int(e>>16)+int(f.bits>>t.primary&(1<<sub-1))]
	}
	if e&kindMask == kindNone {
		return 0, errSymbol
	}
	l := uint(e & 15)
	f.bits >>= l
	f.n -= l
	return e >> 16, nil
}

// inflate decompresses the zlib stream src into dst and returns how many
// bytes it wrote: all of dst, unless the stream ends first or is corrupt.
func (f *inflater) inflate(dst, src []byte) (int, error) {
	fixedOnce.Do(buildFixed)
	if len(src) < 2 {
		return 0, errDataEnds
	}
	if cmf, flg := src[0], src[1]; cmf&15 != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 {
		return 0, errZlibHeader
	} else if flg&0x20 != 0 {
		return 0, errZlibDict
	}
	*f = inflater{src: src, in: 2, lit: f.lit, dist: f.dist}
	pos := 0
	for pos < len(dst) {
		f.refill()
		final := f.take(1)
		switch f.take(2) {
		case 0:
			n, err := f.stored(dst[pos:])
			pos += n
			if err != nil {
				return pos, err
			}
		case 1:
			n, err := f.huffman(dst, pos, &fixedLit, &fixedDist)
			pos = n
			if err != nil {
				return pos, err
			}
		case 2:
			if err := f.readCodes(); err != nil {
				return pos, err
			}
			n, err := f.huffman(dst, pos, &f.lit, &f.dist)
			pos = n
			if err != nil {
				return pos, err
			}
		default:
			return pos, errBlockType
		}
		if f.overrun() {
			return pos, errDataEnds
		}
		if final == 1 {
			break
		}
	}
	return pos, nil
}

// stored copies a stored block into dst.
func (f *inflater) stored(dst []byte) (int, error) {
	// Back to a byte boundary, and the whole bytes of the buffer back to
	// src.
	f.take(f.n & 7)
	whole := int(f.n/8) - int(f.over)
	if whole < 0 {
		return 0, errDataEnds
	}
	f.in -= whole
	f.bits, f.n, f.over = 0, 0, 0
	if f.in+4 > len(f.src) {
		return 0, errDataEnds
	}
	n := int(binary.LittleEndian.Uint16(f.src[f.in:]))
	if binary.LittleEndian.Uint16(f.src[f.in+2:]) != ^uint16(n) {
		return 0, errStored
	}
	f.in += 4
	k := copy(dst[:min(n, len(dst))], f.src[f.in:])
	f.in += k
	if k < min(n, len(dst)) {
		return k, errDataEnds
	}
	return k, nil
}

// codeOrder is the order of the code length code lengths.
var codeOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// readCodes reads the code lengths of a dynamic block and builds f.lit
// and f.dist.
func (f *inflater) readCodes() error {
	f.refill()
	nlit := int(f.take(5)) + 257
	ndist := int(f.take(5)) + 1
	nclen := int(f.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return errCodes
	}
	var clen [19]uint8
	for i := range nclen {
		f.refill()
		clen[codeOrder[i]] = uint8(f.take(3))
	}
	var ct huffTable
	if err := ct.build(clen[:], 7, plainSymbol); err != nil {
		return err
	}
	lens := f.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		f.refill()
		sym, err := f.symbol(&ct)
		if err != nil {
			return err
		}
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return errCodes
			}
			rep, v = 3+int(f.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(f.take(3))
		default:
			rep = 11 + int(f.take(7))
		}
		if i+rep > len(lens) {
			return errCodes
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if f.overrun() || lens[256] == 0 {
		return errCodes
	}
	if err := f.lit.build(lens[:nlit], litPrimary, litLenSymbol); err != nil {
		return err
	}
	return f.dist.build(lens[nlit:], distPrimary, distSymbol)
}

// huffman decodes the symbols of a block into dst from pos on, and returns
// the new pos. The bit buffer lives in local variables, and is refilled
// before each code: eight bytes at a time while src lasts, to at least 56
// bits, and a byte at a time after that whenever it holds less than 48
// bits: either is enough for a literal (15) or a length and distance with
// their extra bits (15 + 5 + 15 + 13).
//
// The entry of each literal/length code is looked up before the refill,
// so that the refill is off the path from one code to the next, and, after
// a match, while the match is copied. With fewer than 15 bits counted (the
// longest code), the bits above them may be zeros rather than src's, and
// the entry is looked up again after the refill.
func (f *inflater) huffman(dst []byte, pos int, lit, dist *huffTable) (int, error) {
	src, in := f.src, f.in
	b, n := f.bits, f.n
	// The tables as arrays, indexed with masks, without bounds checks.
	lt := (*[litCap]uint32)(lit.entries[:litCap])
	dt := (*[distCap]uint32)(dist.entries[:distCap])
	const dp = distPrimary
	var err error
	e := litEntry(lt, b)
loop:
	for {
		// While src lasts, a refill every time, without a branch on
		// how many bits there are, which would be hard to predict.
		if in+8 <= len(src) {
			before := n
			b |= binary.LittleEndian.Uint64(src[in:]) << n
			in += int(63-n) >> 3
			n |= 56
			if before < 15 {
				e = litEntry(lt, b)
			}
		} else if n < 48 {
			before := n
			f.in, f.bits, f.n = in, b, n
			f.refill()
			if f.overrun() {
				return pos, errDataEnds
			}
			in, b, n = f.in, f.bits, f.n
			if before < 15 {
				e = litEntry(lt, b)
			}
		}
		l := uint(e & 15)
		if e&kindMask == kindLiteral {
			b >>= l
			n -= l
			dst[pos] = byte(e >> 16)
			if pos++; pos == len(dst) {
				break loop
			}
			e = litEntry(lt, b)
			continue
		}
		if e&kindMask != kindLength {
			if e&kindMask == kindNone {
				err = errSymbol
			}
			b >>= l
			n -= l
			break loop // the end of the block
		}
		// The code and its extra bits go in one shift, off the path
		// of the extra bits' value.
		x := uint(e >> 8 & 15)
		length := int(e>>16) + int(b>>l&(1<<x-1))
		b >>= l + x
		n -= l + x
		e = dt[b&(1<<dp-1)]
		if e&linkFlag != 0 {
			e = dt[(e>>16+uint32(b>>dp)&(1<<(e&15)-1))&(distCap-1)]
		}
		if e&kindMask == kindNone {
			err = errSymbol
			break loop
		}
		l = uint(e & 15)
		x = uint(e >> 8 & 15)
		back := int(e>>16) + int(b>>l&(1<<x-1))
		b >>= l + x
		n -= l + x
		if back > pos {
			err = errDistance
			break loop
		}
		e = litEntry(lt, b)
		end := min(pos+length, len(dst))
		switch {
		case back >= 8 && length <= 16 && pos+16 <= len(dst):
			// Most matches: two words, each loaded after the bytes it
			// reads are written.
			from := pos - back
			binary.LittleEndian.PutUint64(dst[pos:], binary.LittleEndian.Uint64(dst[from:]))
			binary.LittleEndian.PutUint64(dst[pos+8:], binary.LittleEndian.Uint64(dst[from+8:]))
			pos = end
		case back >= 8 && pos+length+8 <= len(dst):
			// Eight bytes at a time; each load is of bytes already
			// written, and what is written past the match is written
			// over later.
			for from := pos - back; pos < end; pos, from = pos+8, from+8 {
				binary.LittleEndian.PutUint64(dst[pos:], binary.LittleEndian.Uint64(dst[from:]))
			}
			pos = end
		case back >= length:
			copy(dst[pos:end], dst[pos-back:])
			pos = end
		case length <= 32:
			for from := pos - back; pos < end; pos, from = pos+1, from+1 {
				dst[pos] = dst[from]
			}
		default:
			// An overlapping match repeats the last back bytes: each copy
			// doubles what there is to copy from.
			start := pos - back
			for pos < end {
				pos += copy(dst[pos:end], dst[start:pos])
			}
		}
		if pos == len(dst) {
			break loop
		}
	}
	f.in, f.bits, f.n = in, b, n
	return pos, err
}
