package jpegenc

import (
	"encoding/binary"
	"math/bits"
)

// maxBlockBytes bounds what one block adds to a band: at most 20 bits of DC
// and 63·26 bits of AC, every byte possibly stuffed, plus one 8-byte flush.
// It also covers a band's final flush and its RST or EOI marker.
const maxBlockBytes = 512

// edgeOff addresses the rows of a block copied into a [64]byte.
var edgeOff = [8]int{0, 8, 16, 24, 32, 40, 48, 56}

// rowChunk is how many blocks of a block row are transformed at a time,
// before they are entropy-coded: their coefficients, 8 KiB, stay in the
// L1 cache in between.
const rowChunk = 64

// encodeBand appends to dst the entropy-coded data of MCU rows [r0, r1):
// one restart interval, starting with a DC prediction of 0 and padded with
// 1-bits to a whole byte, without any marker.
func (e *encoder) encodeBand(dst []byte, r0, r1 int) []byte {
	var (
		zz    [rowChunk]coefs
		masks [rowChunk]uint64
		edge  [64]byte
		off   [8]int
	)
	pix, stride, w, h, t := e.pix, e.stride, e.w, e.h, e.q
	full := w / 8 // blocks that lie wholly inside the image
	cols := (w + 7) / 8
	bw := bitWriter{buf: dst[:cap(dst)], pos: len(dst), free: 64}
	prevDC := 0

	for my := r0; my < r1; my++ {
		// Rows past the bottom repeat the last row.
		for j := range off {
			off[j] = min(my*8+j, h-1) * stride
		}
		for mx0 := 0; mx0 < cols; mx0 += rowChunk {
			n := min(rowChunk, cols-mx0)
			nf := min(n, full-mx0) // blocks wholly inside the image
			fdctRow(zz[:nf], masks[:nf], pix, &off, mx0*8, t)
			if nf < n {
				// The last block: columns past the right edge repeat
				// the last column.
				x0 := full * 8
				for j := range 8 {
					row := pix[off[j]+x0 : off[j]+w]
					b := (*[8]byte)(edge[j*8:])
					k := copy(b[:], row)
					last := row[len(row)-1]
					for i := k; i < 8; i++ {
						b[i] = last
					}
				}
				fdctRow(zz[nf:n], masks[nf:n], edge[:], &edgeOff, 0, t)
			}
			for i := range n {
				if len(bw.buf)-bw.pos < maxBlockBytes {
					bw.buf = grow(bw.buf, bw.pos)
				}
				dc := zz[i].at(0)
				bw.writeBlock(&zz[i], masks[i], dc-prevDC)
				prevDC = dc
			}
		}
	}
	bw.pad()
	return bw.buf[:bw.pos]
}

// bitWriter is a 64-bit bit buffer in front of a byte slice.
type bitWriter struct {
	buf []byte // buf[:pos] is written; len(buf) == cap(buf)
	pos int
	// pending holds 64-free bits waiting in its low end; the bits above
	// them are garbage. free is in 1..64.
	pending uint64
	free    uint
}

// nbits[a] is the number of bits in a: the magnitude category of T.81
// F.1.2.1 for a coefficient or DC difference ±a.
var nbits = func() (t [2048]uint8) {
	for a := range t {
		t[a] = uint8(bits.Len(uint(a)))
	}
	return
}()

// writeBlock appends the Huffman codes of one block, whose DC differs from
// the previous one by diff and whose non-zero coefficients mask marks. The
// buffer must have room for maxBlockBytes.
func (w *bitWriter) writeBlock(zz *coefs, mask uint64, diff int) {
	// The state lives in locals so that it stays in registers. Each code
	// goes out as one bit string: the Huffman code (its length and the
	// magnitude category's added in the table) followed by the low size
	// bits of the value, less one if it is negative (T.81 F.1.2.1).
	// (code-s)<<size + v+s computes that without a mask: for v < 0 (s = -1)
	// the borrow of v-1 is absorbed by the extra 1<<size.
	buf, pos, pending, free := w.buf, w.pos, w.pending, w.free
	dcTab, acTab := &dcCodes, &acCodes

	s := diff >> 63
	size := uint(nbits[((diff^s)-s)&2047])
	hc := dcTab[uint8(size)]
	n := uint(hc & 0xff)
	code := (uint64(hc>>8)-uint64(s))<<(size&31) + uint64(diff+s)
	if n < free {
		pending = pending<<(n&63) | code
		free -= n
	} else {
		// The 64 bits are full: write them, 0xFF bytes stuffed.
		rem := n - free
		pos = flush(buf, pos, pending<<(free&63)|code>>(rem&63))
		pending, free = code, 64-rem
	}

	last := 0
	for m := mask &^ 1; m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		run := k - last - 1
		last = k
		for ; run >= 16; run -= 16 {
			pos, pending, free = put(buf, pos, pending, free, acTab[0xf0])
		}
		v := zz.at(k)
		s := v >> 63
		size := uint(nbits[((v^s)-s)&2047])
		hc := acTab[uint8(run<<4)|uint8(size)]
		n := uint(hc & 0xff)
		code := (uint64(hc>>8)-uint64(s))<<(size&31) + uint64(v+s)
		if n < free {
			pending = pending<<(n&63) | code
			free -= n
		} else {
			// The 64 bits are full: write them, 0xFF bytes stuffed.
			rem := n - free
			pos = flush(buf, pos, pending<<(free&63)|code>>(rem&63))
			pending, free = code, 64-rem
		}
	}
	if last != 63 {
		hc := acTab[0x00] // EOB
		n, code := uint(hc&0xff), uint64(hc>>8)
		if n < free {
			pending = pending<<(n&63) | code
			free -= n
		} else {
			// The 64 bits are full: write them, 0xFF bytes stuffed.
			rem := n - free
			pos = flush(buf, pos, pending<<(free&63)|code>>(rem&63))
			pending, free = code, 64-rem
		}
	}
	w.pos, w.pending, w.free = pos, pending, free
}

// put appends a code without value bits, as a table entry hc holds it, to
// the bit buffer (pending, free) and returns the buffer's new state.
func put(buf []byte, pos int, pending uint64, free uint, hc uint32) (int, uint64, uint) {
	n, code := uint(hc&0xff), uint64(hc>>8)
	if n < free {
		return pos, pending<<n | code, free - n
	}
	rem := n - free
	return flush(buf, pos, pending<<(free&63)|code>>(rem&63)), code, 64 - rem
}

// flush writes word to buf[pos:] big-endian, with a 0x00 stuffed after
// each 0xFF byte, and returns the new position.
func flush(buf []byte, pos int, word uint64) int {
	if hasFF(word) {
		return stuff(buf, pos, word, 64)
	}
	binary.BigEndian.PutUint64(buf[pos:], word)
	return pos + 8
}

// hasFF reports whether any byte of word is 0xFF, that is whether ^word
// has a zero byte ("Bit Twiddling Hacks", determine if a word has a zero
// byte).
func hasFF(word uint64) bool {
	return (^word-0x0101010101010101)&word&0x8080808080808080 != 0
}

// stuff writes the low n bits of word, n a multiple of 8, to buf[pos:]
// big-endian, following each 0xFF byte with 0x00, and returns the new
// position. It is rare in the hot path and kept out of line.
//
//go:noinline
func stuff(buf []byte, pos int, word uint64, n uint) int {
	for n > 0 {
		n -= 8
		b := byte(word >> n)
		buf[pos] = b
		pos++
		if b == 0xff {
			buf[pos] = 0
			pos++
		}
	}
	return pos
}

// pad fills the last byte with 1-bits (T.81 F.1.2.3) and writes out all
// pending bits.
func (w *bitWriter) pad() {
	n := 64 - w.free
	pad := (8 - n%8) % 8
	w.pos = stuff(w.buf, w.pos, w.pending<<pad|(1<<pad-1), n+pad)
	w.pending, w.free = 0, 64
}

// grow returns a buffer with buf[:pos] and room for at least maxBlockBytes
// more.
func grow(buf []byte, pos int) []byte {
	nb := make([]byte, max(2*len(buf), pos+4*maxBlockBytes))
	copy(nb, buf[:pos])
	return nb
}
