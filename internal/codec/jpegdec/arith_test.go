package jpegdec

import (
	"math/rand/v2"
	"testing"
)

// A qmEncoder is the QM-coder's encoder (T.81 D.1), for tests: it codes
// decisions into out, propagating carries into the bytes already written,
// and stuffs a zero after each 0xFF byte only at the end.
type qmEncoder struct {
	out []byte
	c   uint32 // fraction in bits 0–15 (aligned with a), spacer bits 16–18, the next byte in 19–26, a carry in 27
	a   uint32
	ct  int // shifts left before the next byte is due
}

func newQMEncoder() *qmEncoder { return &qmEncoder{a: 0x10000, ct: 11} }

// encode codes decision bit with bin *st, adapting it as the decoder does.
func (e *qmEncoder) encode(st *uint8, bit uint32) {
	t := qeTable[*st]
	q := t & 0xffff
	e.a -= q
	if bit == uint32(*st&1) {
		if e.a >= 0x8000 {
			return
		}
		if e.a < q { // the MPS takes the upper part
			e.c += e.a
			e.a = q
		}
		*st = uint8(t >> 16)
	} else {
		if e.a >= q { // the LPS takes the upper part
			e.c += e.a
			e.a = q
		}
		*st = uint8(t >> 24)
	}
	for e.a < 0x8000 {
		e.a <<= 1
		e.c <<= 1
		if e.ct--; e.ct == 0 {
			e.byteOut()
			e.ct = 8
		}
	}
}

// byteOut writes the byte in bits 19–26 of c, adding a carry to the bytes
// before it.
func (e *qmEncoder) byteOut() {
	if e.c>>27 != 0 {
		for i := len(e.out) - 1; i >= 0; i-- {
			e.out[i]++
			if e.out[i] != 0 {
				break
			}
		}
	}
	e.out = append(e.out, byte(e.c>>19))
	e.c &= 0x7ffff
}

// finish writes out all the bits of c, whose value is within the final
// interval, drops the zero bytes at the end as libjpeg does, stuffs zeros
// and appends an EOI marker.
func (e *qmEncoder) finish() []byte {
	for i := 0; i < 4; i++ {
		e.c <<= uint(e.ct)
		e.byteOut()
		e.ct = 8
	}
	for len(e.out) > 0 && e.out[len(e.out)-1] == 0 {
		e.out = e.out[:len(e.out)-1]
	}
	var b []byte
	for _, x := range e.out {
		b = append(b, x)
		if x == 0xff {
			b = append(b, 0)
		}
	}
	return append(b, 0xff, 0xd9)
}

// TestQMDecoder codes random decisions with bins of different odds, and the
// fixed bin, and decodes them with decode and with the inlined fast path
// of the decoding loops: both must give them back, and leave the reader
// before the EOI marker, not at the end of data.
func TestQMDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 20; round++ {
		n := 1 + r.IntN(50000)
		// Each of 8 bins gives 1 with its own probability; the fixed bin
		// is the 9th.
		var odds [8]float64
		for i := range odds {
			odds[i] = []float64{0.001, 0.02, 0.2, 0.5, 0.8, 0.98, 0.999, r.Float64()}[i]
		}
		bins := make([]uint8, n)
		bits := make([]uint32, n)
		for i := range bins {
			bins[i] = uint8(r.IntN(9))
			if bins[i] == 8 && r.IntN(2) == 0 || bins[i] < 8 && r.Float64() < odds[bins[i]] {
				bits[i] = 1
			}
		}
		enc := newQMEncoder()
		var est [9]uint8
		est[8] = fixedBin
		for i := range bins {
			enc.encode(&est[bins[i]], bits[i])
		}
		data := enc.finish()

		dec := arithDecoder{data: data}
		dec.reset(0)
		var dst [9]uint8
		dst[8] = fixedBin
		for i := range bins {
			if got := dec.decode(&dst[bins[i]]); got != bits[i] {
				t.Fatalf("round %d: decision %d of %d = %d, want %d", round, i, n, got, bits[i])
			}
		}
		if dec.eof {
			t.Fatalf("round %d: the decoder reached the end of the data", round)
		}

		fast := arithDecoder{data: data}
		fast.reset(0)
		c, a := fast.c, fast.a
		dst = [9]uint8{8: fixedBin}
		for i := range bins {
			var bit uint32
			p := &dst[bins[i]]
			if na, ok := fastMPS(c, a, *p); ok {
				a, bit = na, uint32(*p&1)
			} else {
				bit, c, a = fast.slowDecide(p, c, na)
			}
			if bit != bits[i] {
				t.Fatalf("round %d: fast path: decision %d of %d = %d, want %d", round, i, n, bit, bits[i])
			}
		}
	}
}
