package pngdec

import (
	"encoding/binary"
	"io"
)

// inflater decodes a deflate stream (RFC 1951) from the IDAT chunks of an
// idatReader, accepting and refusing exactly the streams compress/flate
// does (see huffTable.build for the codes it allows; the rest is RFC 1951:
// no block type 3, stored lengths checked against their complement, at
// most 286 literal/length and 30 distance codes, no length or distance
// symbols that RFC 1951 leaves unused, no distance beyond the output so
// far or 32 KiB).
//
// It reads like compress/flate through a ByteReader: never past the end of
// the stream, so that the zlib checksum after it is where the idatReader
// is left. For speed it reads eight bytes at a time while eight remain in
// the current chunk, and gives back those it did not use when the stream
// ends; near the end of a chunk it reads a byte at a time, only as the
// code it decodes needs them, and so never holds bits of a chunk it has
// left behind.
//
// The output goes into a window that keeps the last 32 KiB as history for
// the copies of later blocks.
type inflater struct {
	src *idatReader

	// The bit buffer: nbits bits of the stream, the next one lowest. In
	// the fast loop the bits above nbits are those of the bytes at src.p
	// on, read ahead; elsewhere they are zero.
	bits  uint64
	nbits uint

	buf  []byte // the window
	r, w int    // what read has taken from buf, and what is decoded
	// hist is how many bytes were moved out of buf to make room, up to
	// histSize: copies may reach back hist+w bytes.
	hist int

	state    int
	final    bool // the current block is the last
	stored   int  // the bytes left in a stored block
	lit      *huffTable
	dist     *huffTable
	dynLit   huffTable
	dynDist  huffTable
	codeLens huffTable
	lengths  [286 + 30]uint8
	err      error
}

const (
	stateHeader  = iota // at a block header
	stateStored         // in a stored block
	stateHuffman        // in a block of Huffman codes
	stateEnd            // after the last block
)

const (
	histSize = 32 << 10 // the history that copies may reach back into
	maxMatch = 258
	// windowSize is the window: history, room to decode into, and the
	// longest copy, which may write 7 bytes past itself. 128 KiB, a whole
	// number of pages.
	windowSize = 128 << 10
)

// inflateError is a stream that compress/flate refuses as corrupt.
type inflateError string

func (e inflateError) Error() string { return string(e) }

// reset makes f read a new stream from src, keeping its memory.
func (f *inflater) reset(src *idatReader) {
	if f.buf == nil {
		f.buf = make([]byte, windowSize)
		f.dynLit.entries = new([litTableSize]uint32)[:0]
		f.dynDist.entries = new([distTableSize]uint32)[:0]
		f.codeLens.entries = make([]uint32, 0, 1<<codeLenRoot)
	}
	*f = inflater{src: src, buf: f.buf, dynLit: f.dynLit, dynDist: f.dynDist, codeLens: f.codeLens}
}

// readFull fills p with the next bytes of the stream. At the end of the
// stream it returns io.ErrUnexpectedEOF, or io.EOF when p is untouched.
func (f *inflater) readFull(p []byte) error {
	start := len(p)
	for len(p) > 0 {
		if f.r == f.w {
			if err := f.fill(); err != nil {
				if err == io.EOF && len(p) < start {
					return io.ErrUnexpectedEOF
				}
				return err
			}
		}
		n := copy(p, f.buf[f.r:f.w])
		f.r += n
		p = p[n:]
	}
	return nil
}

// fill decodes more of the stream into the window, which read has
// emptied. It returns io.EOF at the end of the stream, and a decoding
// error only when it has decoded nothing before it.
func (f *inflater) fill() error {
	limit := len(f.buf) - maxMatch - 8
	if f.w > limit-16<<10 {
		keep := min(f.w, histSize)
		copy(f.buf, f.buf[f.w-keep:f.w])
		f.hist = min(f.hist+f.w-keep, histSize)
		f.r, f.w = keep, keep
	}
	start := f.w
	for f.err == nil && f.w < limit {
		switch f.state {
		case stateHeader:
			f.err = f.header()
		case stateStored:
			f.err = f.copyStored(limit)
		case stateHuffman:
			f.err = f.huffman(limit)
		case stateEnd:
			f.err = io.EOF
		}
	}
	if f.w > start {
		return nil
	}
	if f.err == nil {
		return io.ErrNoProgress // the window is full: cannot happen
	}
	return f.err
}

// need makes sure that the bit buffer holds n bits, reading a byte at a
// time.
func (f *inflater) need(n uint) error {
	for f.nbits < n {
		b, err := f.src.ReadByte()
		if err != nil {
			return err
		}
		f.bits |= uint64(b) << f.nbits
		f.nbits += 8
	}
	return nil
}

// take returns the next n bits, which the buffer holds.
func (f *inflater) take(n uint) uint32 {
	v := uint32(f.bits & (1<<n - 1))
	f.bits >>= n
	f.nbits -= n
	return v
}

// symbol decodes the next code of t, reading a byte at a time only as the
// code needs them, as compress/flate does, and returns its entry.
func (f *inflater) symbol(t *huffTable) (uint32, error) {
	for {
		e := t.lookup(f.bits)
		if n := uint(e & 63); n <= f.nbits {
			if e&entryBad != 0 {
				return 0, inflateError("invalid code")
			}
			f.bits >>= n
			f.nbits -= n
			return e, nil
		}
		if err := f.need(f.nbits + 8); err != nil {
			return 0, err
		}
	}
}

// endBlock ends the current block; after the last, it gives back to src
// the whole bytes of the bit buffer, which all come from its current
// chunk.
func (f *inflater) endBlock() {
	if !f.final {
		f.state = stateHeader
		return
	}
	f.state = stateEnd
	f.src.p -= int(f.nbits / 8)
	f.bits, f.nbits = 0, 0
}

// header reads a block header, and the code lengths of a dynamic block.
func (f *inflater) header() error {
	if err := f.need(3); err != nil {
		return err
	}
	f.final = f.take(1) == 1
	switch f.take(2) {
	case 0:
		f.take(f.nbits % 8)
		if err := f.need(32); err != nil {
			return err
		}
		n, nn := f.take(16), f.take(16)
		if n != nn^0xffff {
			return inflateError("stored block length does not match its complement")
		}
		f.stored = int(n)
		f.state = stateStored
	case 1:
		f.lit, f.dist = fixedTables()
		f.state = stateHuffman
	case 2:
		if err := f.readCodes(); err != nil {
			return err
		}
		f.lit, f.dist = &f.dynLit, &f.dynDist
		f.state = stateHuffman
	default:
		return inflateError("block type 3")
	}
	return nil
}

// codeLenOrder is the order in which the code-length code's lengths come.
var codeLenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// readCodes reads the code lengths of a dynamic block and builds its
// tables.
func (f *inflater) readCodes() error {
	if err := f.need(14); err != nil {
		return err
	}
	nlit := int(f.take(5)) + 257
	ndist := int(f.take(5)) + 1
	nclen := int(f.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return inflateError("too many length or distance codes")
	}
	var clen [19]uint8
	for _, i := range codeLenOrder[:nclen] {
		if err := f.need(3); err != nil {
			return err
		}
		clen[i] = uint8(f.take(3))
	}
	if !f.codeLens.build(clen[:], codeLenSyms[:], codeLenRoot) {
		return inflateError("bad code-length code")
	}
	lengths := f.lengths[:nlit+ndist]
	for i := 0; i < len(lengths); {
		e, err := f.symbol(&f.codeLens)
		if err != nil {
			return err
		}
		sym := e >> 16
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return inflateError("repeat of no code length")
			}
			if err := f.need(2); err != nil {
				return err
			}
			rep, v = 3+int(f.take(2)), lengths[i-1]
		case 17:
			if err := f.need(3); err != nil {
				return err
			}
			rep = 3 + int(f.take(3))
		default:
			if err := f.need(7); err != nil {
				return err
			}
			rep = 11 + int(f.take(7))
		}
		if i+rep > len(lengths) {
			return inflateError("code lengths repeated past their count")
		}
		for range rep {
			lengths[i] = v
			i++
		}
	}
	if !f.dynLit.build(lengths[:nlit], litLenSyms[:], litRoot) || !f.dynDist.build(lengths[nlit:], distSyms[:], distRoot) {
		return inflateError("bad literal/length or distance code")
	}
	return nil
}

// copyStored copies what it can of a stored block into the window.
func (f *inflater) copyStored(limit int) error {
	for f.stored > 0 && f.w < limit {
		if f.nbits > 0 { // whole bytes read with the header
			f.buf[f.w] = byte(f.take(8))
			f.w++
			f.stored--
			continue
		}
		n, err := f.src.Read(f.buf[f.w:min(limit, f.w+f.stored)])
		if err != nil {
			return err
		}
		f.w += n
		f.stored -= n
	}
	if f.stored == 0 {
		f.endBlock()
	}
	return nil
}

// huffman decodes the codes of a Huffman block into the window up to
// limit, or the end of the block. While eight bytes remain in the current
// chunk it refills the bit buffer eight bytes at a time, so that it holds
// at least 56 bits before each code: enough for a length, its extra bits,
// a distance and its extra bits, 48 bits at most. Elsewhere it decodes a
// code at a time with slowCode.
//
// After a literal it looks up the next code before it refills, from the
// 41 bits or more left, so that the refill is not on the path from one
// code to the next.
func (f *inflater) huffman(limit int) error {
	src := f.src
	data, p, end := src.data, src.p, src.end
	bits, nbits := f.bits, f.nbits
	buf, w := f.buf, f.w
	// The tables as arrays, indexed with masks, without bounds checks.
	litE := (*[litTableSize]uint32)(f.lit.entries[:litTableSize])
	distE := (*[distTableSize]uint32)(f.dist.entries[:distTableSize])
	const (
		litMask  = 1<<litRoot - 1
		distMask = 1<<distRoot - 1
	)
	hist := f.hist
codes:
	for {
		if w >= limit || end-p < 8 {
			f.save(p, bits, nbits, w)
			if w >= limit {
				return nil
			}
			if err := f.slowCode(); err != nil || f.state != stateHuffman {
				return err
			}
			data, p, end = src.data, src.p, src.end
			bits, nbits, w = f.bits, f.nbits, f.w
			continue
		}
		bits |= binary.LittleEndian.Uint64(data[p:p+8]) << (nbits & 63)
		p += int(63-nbits) >> 3
		nbits |= 56
		e := litE[bits&litMask]
		for {
			if e&entrySub != 0 {
				e = litE[(e>>16+uint32(bits>>litRoot)&(1<<(e>>8&15)-1))&(litTableSize-1)]
			}
			bits >>= e & 63
			nbits -= uint(e & 63)
			if e&entryLiteral == 0 {
				break
			}
			buf[w] = byte(e >> 16)
			w++
			e = litE[bits&litMask]
			if w >= limit || end-p < 8 {
				continue codes // e is looked up again there
			}
			bits |= binary.LittleEndian.Uint64(data[p:p+8]) << (nbits & 63)
			p += int(63-nbits) >> 3
			nbits |= 56
		}
		if e&(entryEnd|entryBad) != 0 {
			f.save(p, bits, nbits, w)
			if e&entryBad != 0 {
				return inflateError("invalid literal/length code")
			}
			f.endBlock()
			return nil
		}
		x := e >> 8 & 15
		length := int(e>>16) + int(bits&(1<<x-1))
		bits >>= x
		nbits -= uint(x)

		e = distE[bits&distMask]
		if e&entrySub != 0 {
			e = distE[(e>>16+uint32(bits>>distRoot)&(1<<(e>>8&15)-1))&(distTableSize-1)]
		}
		bits >>= e & 63
		nbits -= uint(e & 63)
		x = e >> 8 & 15
		d := int(e>>16) + int(bits&(1<<x-1))
		bits >>= x
		nbits -= uint(x)
		// No distance exceeds histSize: only the start of the output
		// limits it.
		if e&entryBad != 0 || d > hist+w {
			f.save(p, bits, nbits, w)
			if e&entryBad != 0 {
				return inflateError("invalid distance code")
			}
			return inflateError("distance past the start of the output")
		}
		if s := w - d; d >= 8 && length <= 16 {
			// The commonest copies, inline: two eight-byte moves,
			// the second reading what the first wrote when d < 16.
			binary.LittleEndian.PutUint64(buf[w:], binary.LittleEndian.Uint64(buf[s:]))
			binary.LittleEndian.PutUint64(buf[w+8:], binary.LittleEndian.Uint64(buf[s+8:]))
			w += length
			continue
		}
		w = copyMatch(buf, w, d, length)
	}
}

// save puts huffman's state back into f and its source, without the bits
// read ahead.
func (f *inflater) save(p int, bits uint64, nbits uint, w int) {
	f.src.p = p
	f.bits, f.nbits, f.w = bits&(1<<(nbits&63)-1), nbits, w
}

// slowCode decodes one literal, end of block or copy of a Huffman block,
// reading a byte at a time.
func (f *inflater) slowCode() error {
	e, err := f.symbol(f.lit)
	if err != nil {
		return err
	}
	switch {
	case e&entryLiteral != 0:
		f.buf[f.w] = byte(e >> 16)
		f.w++
		return nil
	case e&entryEnd != 0:
		f.endBlock()
		return nil
	}
	x := uint(e >> 8 & 15)
	if err := f.need(x); err != nil {
		return err
	}
	length := int(e>>16) + int(f.take(x))
	if e, err = f.symbol(f.dist); err != nil {
		return err
	}
	x = uint(e >> 8 & 15)
	if err := f.need(x); err != nil {
		return err
	}
	d := int(e>>16) + int(f.take(x))
	if d > f.hist+f.w {
		return inflateError("distance past the start of the output")
	}
	f.w = copyMatch(f.buf, f.w, d, length)
	return nil
}

// copyMatch copies length bytes from d bytes back to buf[w:], and returns
// the new end. It may write up to 7 bytes past the copy.
func copyMatch(buf []byte, w, d, length int) int {
	s := w - d
	switch {
	case d >= length:
		// No overlap.
		copy(buf[w:w+length], buf[s:s+length])
	case d >= 8:
		// Eight bytes at a time: each read is of bytes already written.
		for i := 0; i < length; i += 8 {
			binary.LittleEndian.PutUint64(buf[w+i:], binary.LittleEndian.Uint64(buf[s+i:]))
		}
	case d == 1:
		v := buf[s]
		out := buf[w : w+length]
		for i := range out {
			out[i] = v
		}
	default:
		// A pattern of d bytes, repeated: write its first repeats a
		// byte at a time up to a multiple of d of at least 8, then copy
		// from that far back eight bytes at a time.
		p := d * ((8 + d - 1) / d)
		n := min(p, length)
		for i := range n {
			buf[w+i] = buf[s+i]
		}
		for i := n; i < length; i += 8 {
			binary.LittleEndian.PutUint64(buf[w+i:], binary.LittleEndian.Uint64(buf[w+i-p:]))
		}
	}
	return w + length
}
