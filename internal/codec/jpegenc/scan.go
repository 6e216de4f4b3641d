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

// acSize[v&2047] and acBits[v&2047] are the magnitude category of an AC
// coefficient v, |v| < 1024, and the value bits that follow its code:
// the low acSize bits of v, or of v-1 if v is negative (T.81 F.1.2.1). The
// coefficients of fdctQuant are under 1024 in magnitude (TestACRange), so
// the 11 low bits tell them apart.
var acSize, acBits = func() (size [2048]uint8, vbits [2048]uint16) {
	for v := -1023; v <= 1023; v++ {
		n := bits.Len(uint(max(v, -v)))
		b := v
		if v < 0 {
			b--
		}
		size[v&2047], vbits[v&2047] = uint8(n), uint16(b&(1<<n-1))
	}
	return
}()

// writeBlock appends the Huffman codes of one block, whose DC differs from
// the previous one by diff and whose non-zero coefficients mask marks. The
// buffer must have room for maxBlockBytes.
func (w *bitWriter) writeBlock(zz *coefs, mask uint64, diff int) {
	// The bit buffer lives in locals so that it stays in registers; the
	// byte slice and position, needed once per 64 bits, stay in w, which
	// leaves registers enough for the loop. Each code goes out as one bit
	// string: the Huffman code followed by the value bits (T.81 F.1.2.1).
	pending, free := w.pending, w.free

	// The DC difference may need 11 bits, so it is coded arithmetically:
	// (code-s)<<size + diff+s is the code followed by the low size bits of
	// diff, less one if it is negative (s = -1), the borrow of diff-1
	// being absorbed by the extra 1<<size.
	s := diff >> (bits.UintSize - 1)
	size := uint(nbits[((diff^s)-s)&2047])
	hc := dcCodes[uint8(size)]
	n := uint(hc & 0xff)
	code := (uint64(hc>>8)-uint64(s))<<(size&31) + uint64(diff+s)
	if n < free {
		pending = pending<<(n&63) | code
		free -= n
	} else {
		pending, free = w.fill(pending, free, code, n)
	}

	// The AC coefficients take three table lookups: the category and the
	// value bits of the coefficient, and the code of (run, category)
	// already shifted to make room for the value bits.
	last := 0
	for m := mask &^ 1; m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		run := k - last - 1
		last = k
		for ; run >= 16; run -= 16 {
			pending, free = w.put(pending, free, acCodes[0xf0]) // ZRL
		}
		v := zz.at(k) & 2047
		hc := acShifted[uint8(run<<4)|acSize[v]]
		n := uint(hc & 0xff)
		code := hc>>8 | uint64(acBits[v])
		if n < free {
			pending = pending<<(n&63) | code
			free -= n
		} else {
			// fill, written out: it is not inlined, and this is the
			// path of most of the 64-bit words.
			rem := n - free
			word := pending<<(free&63) | code>>(rem&63)
			pending, free = code, 64-rem
			if hasFF(word) {
				w.pos = stuff(w.buf, w.pos, word, 64)
			} else {
				binary.BigEndian.PutUint64(w.buf[w.pos:], word)
				w.pos += 8
			}
		}
	}
	if last != 63 {
		hc := acCodes[0x00] // EOB
		n, code := uint(hc&0xff), uint64(hc>>8)
		if n < free {
			pending = pending<<(n&63) | code
			free -= n
		} else {
			pending, free = w.fill(pending, free, code, n)
		}
	}
	w.pending, w.free = pending, free
}

// fill writes the 64 bits that pending, with free bits left, and the first
// free of the n bits of code make, 0xFF bytes stuffed, and returns what is
// left of code as the new pending bits and free count. n must be at least
// free.
func (w *bitWriter) fill(pending uint64, free uint, code uint64, n uint) (uint64, uint) {
	rem := n - free
	w.pos = flush(w.buf, w.pos, pending<<(free&63)|code>>(rem&63))
	return code, 64 - rem
}

// put appends a code without value bits, as a table entry hc holds it, to
// the bit buffer (pending, free) and returns the buffer's new state.
func (w *bitWriter) put(pending uint64, free uint, hc uint32) (uint64, uint) {
	n, code := uint(hc&0xff), uint64(hc>>8)
	if n < free {
		return pending<<n | code, free - n
	}
	return w.fill(pending, free, code, n)
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
