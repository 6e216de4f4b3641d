package jpegdec

import (
	"encoding/binary"
	"math/bits"

	"github.com/escala-img/escala/internal/codec/jpegtab"
)

// The probability estimation of the QM-coder (T.81 Table D.2): for each
// state, Qe, the state after an LPS, the state after an MPS, and whether
// an LPS switches the sense of the MPS.
var qeStates = [113]struct {
	qe         uint16
	nlps, nmps uint8
	sw         bool
}{
	{0x5a1d, 1, 1, true}, {0x2586, 14, 2, false}, {0x1114, 16, 3, false}, {0x080b, 18, 4, false},
	{0x03d8, 20, 5, false}, {0x01da, 23, 6, false}, {0x00e5, 25, 7, false}, {0x006f, 28, 8, false},
	{0x0036, 30, 9, false}, {0x001a, 33, 10, false}, {0x000d, 35, 11, false}, {0x0006, 9, 12, false},
	{0x0003, 10, 13, false}, {0x0001, 12, 13, false}, {0x5a7f, 15, 15, true}, {0x3f25, 36, 16, false},
	{0x2cf2, 38, 17, false}, {0x207c, 39, 18, false}, {0x17b9, 40, 19, false}, {0x1182, 42, 20, false},
	{0x0cef, 43, 21, false}, {0x09a1, 45, 22, false}, {0x072f, 46, 23, false}, {0x055c, 48, 24, false},
	{0x0406, 49, 25, false}, {0x0303, 51, 26, false}, {0x0240, 52, 27, false}, {0x01b1, 54, 28, false},
	{0x0144, 56, 29, false}, {0x00f5, 57, 30, false}, {0x00b7, 59, 31, false}, {0x008a, 60, 32, false},
	{0x0068, 62, 33, false}, {0x004e, 63, 34, false}, {0x003b, 32, 35, false}, {0x002c, 33, 9, false},
	{0x5ae1, 37, 37, true}, {0x484c, 64, 38, false}, {0x3a0d, 65, 39, false}, {0x2ef1, 67, 40, false},
	{0x261f, 68, 41, false}, {0x1f33, 69, 42, false}, {0x19a8, 70, 43, false}, {0x1518, 72, 44, false},
	{0x1177, 73, 45, false}, {0x0e74, 74, 46, false}, {0x0bfb, 75, 47, false}, {0x09f8, 77, 48, false},
	{0x0861, 78, 49, false}, {0x0706, 79, 50, false}, {0x05cd, 48, 51, false}, {0x04de, 50, 52, false},
	{0x040f, 50, 53, false}, {0x0363, 51, 54, false}, {0x02d4, 52, 55, false}, {0x025c, 53, 56, false},
	{0x01f8, 54, 57, false}, {0x01a4, 55, 58, false}, {0x0160, 56, 59, false}, {0x0125, 57, 60, false},
	{0x00f6, 58, 61, false}, {0x00cb, 59, 62, false}, {0x00ab, 61, 63, false}, {0x008f, 61, 32, false},
	{0x5b12, 65, 65, true}, {0x4d04, 80, 66, false}, {0x412c, 81, 67, false}, {0x37d8, 82, 68, false},
	{0x2fe8, 83, 69, false}, {0x293c, 84, 70, false}, {0x2379, 86, 71, false}, {0x1edf, 87, 72, false},
	{0x1aa9, 87, 73, false}, {0x174e, 72, 74, false}, {0x1424, 72, 75, false}, {0x119c, 74, 76, false},
	{0x0f6b, 74, 77, false}, {0x0d51, 75, 78, false}, {0x0bb6, 77, 79, false}, {0x0a40, 77, 48, false},
	{0x5832, 80, 81, true}, {0x4d1c, 88, 82, false}, {0x438e, 89, 83, false}, {0x3bdd, 90, 84, false},
	{0x34ee, 91, 85, false}, {0x2eae, 92, 86, false}, {0x299a, 93, 87, false}, {0x2516, 86, 71, false},
	{0x5570, 88, 89, true}, {0x4ca9, 95, 90, false}, {0x44d9, 96, 91, false}, {0x3e22, 97, 92, false},
	{0x3824, 99, 93, false}, {0x32b4, 99, 94, false}, {0x2e17, 93, 86, false}, {0x56a8, 95, 96, true},
	{0x4f46, 101, 97, false}, {0x47e5, 102, 98, false}, {0x41cf, 103, 99, false}, {0x3c3d, 104, 100, false},
	{0x375e, 99, 93, false}, {0x5231, 105, 102, false}, {0x4c0f, 106, 103, false}, {0x4639, 107, 104, false},
	{0x415e, 103, 99, false}, {0x5627, 105, 106, true}, {0x50e7, 108, 107, false}, {0x4b85, 109, 103, false},
	{0x5597, 110, 109, false}, {0x504f, 111, 107, false}, {0x5a10, 110, 111, true}, {0x5522, 112, 109, false},
	{0x59eb, 112, 111, true},
}

// A statistics bin of the QM-coder is a byte: its state in Table D.2
// times 2, plus the value of its MPS. A zero byte is the initial bin. The
// bin fixedBin codes with a fixed probability of one half: Qe 0x5a1d, MPS
// 0, and neither outcome changes it.
const fixedBin = 2 * 113

// qeTable[bin] holds, for each bin, its Qe in bits 0–15, the bin after an
// MPS in bits 16–23 and the bin after an LPS in bits 24–31.
var qeTable = func() (t [256]uint32) {
	for i, s := range qeStates {
		for mps := 0; mps < 2; mps++ {
			lpsMPS := mps
			if s.sw {
				lpsMPS ^= 1
			}
			nm := 2*int(s.nmps) + mps
			nl := 2*int(s.nlps) + lpsMPS
			t[2*i+mps] = uint32(s.qe) | uint32(nm)<<16 | uint32(nl)<<24
		}
	}
	t[fixedBin] = 0x5a1d | fixedBin<<16 | fixedBin<<24
	return t
}()

// An arithDecoder is the decoder of the QM-coder (T.81 D.2), reading the
// entropy-coded data of a scan from data[pos:] and removing the zero
// stuffed after each 0xFF byte. At a marker or the end of data it reads
// zero bytes instead, as T.81 D.2.6 prescribes (an encoder drops the zero
// bytes at the end of its data).
//
// c holds the code register: its top 16 bits are Cx, compared with the
// interval a, and the ct bits below them are the next bits of data.
type arithDecoder struct {
	data []byte
	pos  int
	c    uint64
	a    uint32
	ct   int
	end  bool // reached a marker or the end of data
	eof  bool // reached the end of data
}

// reset starts decoding at pos (T.81 Initdec): Cx holds the first two bytes
// and the interval is 0x10000.
func (d *arithDecoder) reset(pos int) {
	*d = arithDecoder{data: d.data, pos: pos, a: 0x10000, ct: -16}
	d.fill()
}

// fill tops up the bits under Cx to more than 40.
func (d *arithDecoder) fill() {
	data := d.data
	if d.ct >= 0 && !d.end && d.pos >= 0 && len(data)-d.pos >= 8 {
		x := binary.BigEndian.Uint64(data[d.pos:])
		if (^x-lowBytes)&x&highBytes == 0 { // no 0xFF byte
			m := (48 - d.ct) >> 3
			// The bits of x past the m bytes taken are those of the next
			// byte, which the next fill ORs in again at the same place.
			d.c |= x >> uint(16+d.ct)
			d.ct += 8 * m
			d.pos += m
			return
		}
	}
	for d.ct <= 40 {
		var b byte
		if !d.end {
			b = d.next()
		}
		d.c |= uint64(b) << uint(40-d.ct)
		d.ct += 8
	}
}

// next returns the next byte of data, unstuffed, or 0 at a marker or the
// end of data, which it records. As libjpeg does, 0xFF fill bytes before a
// stuffed zero are dropped.
func (d *arithDecoder) next() byte {
	data := d.data
	if d.pos < 0 || d.pos >= len(data) {
		d.end, d.eof = true, true
		return 0
	}
	b := data[d.pos]
	if b != 0xff {
		d.pos++
		return b
	}
	q := d.pos + 1
	for q < len(data) && data[q] == 0xff {
		q++
	}
	switch {
	case q >= len(data):
		d.end, d.eof = true, true
		return 0
	case data[q] == 0:
		d.pos = q + 1
		return 0xff
	}
	d.end = true // a marker: d.pos stays at its first 0xFF
	return 0
}

// decode decodes one binary decision with the statistics bin *st (T.81
// D.2.2), adapting the bin.
func (d *arithDecoder) decode(st *uint8) uint32 {
	var bit uint32
	if na, ok := fastMPS(d.c, d.a, *st); ok {
		d.a, bit = na, uint32(*st&1)
	} else {
		bit, d.c, d.a = d.slowDecide(st, d.c, na)
	}
	return bit
}

// slowDecide is decode for the decisions that renormalise, given the
// code register c and the interval a less Qe, which it returns updated
// with the decision: an LPS, or an MPS that leaves the interval under
// 0x8000, with the conditional exchange of T.81 D.2.4 (where the smaller
// part of the interval is the MPS's), and the renormalisation of D.2.6.
// It computes the exchange without branches, as the decisions are hard
// to predict.
func (d *arithDecoder) slowDecide(st *uint8, c uint64, a uint32) (uint32, uint64, uint32) {
	s := *st
	e := qeTable[s]
	q := e & 0xffff
	lower := uint32(c>>48) < a // the decision is the lower part of the interval
	lps := b2u(lower == (a < q))
	up := -b2u(!lower) // all ones for the upper part
	c -= uint64(a&up) << 48
	a = a&^up | q&up
	*st = uint8(e >> (16 + 8*lps))
	sh := uint(bits.LeadingZeros32(a)) - 16
	a <<= sh & 31
	c <<= sh & 63
	d.ct -= int(sh)
	if d.ct < 16 {
		d.c = c
		d.fill()
		c = d.c
	}
	return uint32(s&1) ^ lps, c, a
}

// b2u returns 1 for true and 0 for false.
func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// Defaults of the conditioning tables (T.81 F.1.4.4.1.4, F.1.4.4.2.1).
const (
	defaultDCCond = 0x10 // L 0, U 1
	defaultACCond = 5    // Kx
)

// An arithScan is the state of the arithmetic decoding of a scan: the
// decoder and the statistics bins and conditioning of each component of
// the scan. Components that use the same table share its bins (T.81
// F.1.4.4).
type arithScan struct {
	dec    arithDecoder
	dc     [4]*[64]uint8  // the DC bins of each scan component
	ac     [4]*[256]uint8 // the AC bins of each scan component
	lo, hi [4]uint32      // DC conditioning: (1<<L)>>1 and (1<<U)>>1
	kx     [4]int         // AC conditioning
	ctx    [4]uint8       // the DC context of each scan component
	fixed  uint8          // fixedBin
	dcBins [][64]uint8
	acBins [][256]uint8
	vals   [64]int32 // acBand's output
}

// newArithScan returns the state for decoding scan sc from pos.
func (d *decoder) newArithScan(sc *scanHeader, pos int) *arithScan {
	a := &arithScan{fixed: fixedBin, dec: arithDecoder{data: d.data}}
	var dcOf, acOf [16]int
	for i := range dcOf {
		dcOf[i], acOf[i] = -1, -1
	}
	for i, c := range sc.comps[:sc.n] {
		td, ta := c.td&15, c.ta&15
		if dcOf[td] < 0 {
			dcOf[td] = len(a.dcBins)
			a.dcBins = append(a.dcBins, [64]uint8{})
		}
		if acOf[ta] < 0 {
			acOf[ta] = len(a.acBins)
			a.acBins = append(a.acBins, [256]uint8{})
		}
		cond := d.dcCond[td]
		a.lo[i] = 1 << (cond & 15) >> 1
		a.hi[i] = 1 << (cond >> 4) >> 1
		a.kx[i] = int(d.acCond[ta])
	}
	for i, c := range sc.comps[:sc.n] {
		a.dc[i] = &a.dcBins[dcOf[c.td&15]]
		a.ac[i] = &a.acBins[acOf[c.ta&15]]
	}
	a.dec.reset(pos)
	return a
}

// restartAt starts a restart interval at pos: the decoder, the statistics
// bins and the DC contexts start afresh (T.81 F.2.4.4); the caller resets
// the DC predictions.
func (a *arithScan) restartAt(pos int) {
	for i := range a.dcBins {
		a.dcBins[i] = [64]uint8{}
	}
	for i := range a.acBins {
		a.acBins[i] = [256]uint8{}
	}
	a.ctx = [4]uint8{}
	a.dec.reset(pos)
}

// restart ends a restart interval: it skips to the RSTn marker that must
// follow, and past it.
func (a *arithScan) restart() error {
	if err := a.overrun(); err != nil {
		return err
	}
	at, m := nextMarker(a.dec.data, a.dec.pos, false)
	if at < 0 {
		return truncated("missing RST marker")
	}
	if m < 0xd0 || m > 0xd7 {
		return truncated("marker before the scan's last MCU")
	}
	a.restartAt(at + 2)
	return nil
}

// overrun returns an error wrapping io.ErrUnexpectedEOF if the decoding
// reached the end of the data: the data of a scan in a whole file ends at
// a marker. (It may read past a marker: an encoder drops the zero bytes
// at the end of the data, and the decoder reads zeros for them.)
func (a *arithScan) overrun() error {
	if a.dec.eof {
		return truncated("entropy-coded data ends early")
	}
	return nil
}

// fail returns the error of a decoding that found err: one wrapping
// io.ErrUnexpectedEOF if the decoder reached the end of the data, whose
// zeros may well have made it.
func (a *arithScan) fail(err error) error {
	if a.dec.eof {
		return a.overrun()
	}
	return err
}

// Errors of the arithmetic decoding of corrupt data.
var (
	errArithMagnitude = formatError("arithmetic-coded magnitude too large")
	errArithIndex     = formatError("arithmetic-coded coefficient index out of range")
)

// The decoding loops below keep the code register and the interval in
// local variables, and decode a decision with bin *p as
//
//	if na, ok := fastMPS(c, a, *p); ok {
//		a, bit = na, uint32(*p&1)
//	} else {
//		bit, c, a = dec.slowDecide(p, c, na)
//	}
//
// which is decode with its common case inlined.

// fastMPS returns the interval after a decision with bin s, and whether
// the decision is the bin's MPS with no renormalisation: then it is done.
func fastMPS(c uint64, a uint32, s uint8) (uint32, bool) {
	na := a - qeTable[s]&0xffff
	return na, na >= 0x8000 && uint32(c>>48) < na
}

// decodeDC decodes the DC difference of a block of scan component i and
// adds it to *pred (T.81 F.2.4.1).
func (as *arithScan) decodeDC(i int, pred *int32) error {
	i &= 3
	st := as.dc[i]
	dec := &as.dec
	c, a := dec.c, dec.a
	var bit uint32
	p := &st[as.ctx[i]&31]
	if na, ok := fastMPS(c, a, *p); ok {
		a, bit = na, uint32(*p&1)
	} else {
		bit, c, a = dec.slowDecide(p, c, na)
	}
	if bit == 0 {
		as.ctx[i] = 0
		dec.c, dec.a = c, a
		return nil
	}
	p = &st[(as.ctx[i]+1)&63]
	if na, ok := fastMPS(c, a, *p); ok {
		a, bit = na, uint32(*p&1)
	} else {
		bit, c, a = dec.slowDecide(p, c, na)
	}
	sign := bit
	b := (uint32(as.ctx[i]) + 2 + sign) & 63
	p = &st[b]
	if na, ok := fastMPS(c, a, *p); ok {
		a, bit = na, uint32(*p&1)
	} else {
		bit, c, a = dec.slowDecide(p, c, na)
	}
	m := bit
	if m != 0 {
		for b = 20; ; b++ {
			p = &st[b&63]
			if na, ok := fastMPS(c, a, *p); ok {
				a, bit = na, uint32(*p&1)
			} else {
				bit, c, a = dec.slowDecide(p, c, na)
			}
			if bit == 0 {
				break
			}
			m <<= 1
			if m == 0x8000 {
				dec.c, dec.a = c, a
				return errArithMagnitude
			}
		}
	}
	switch {
	case m < as.lo[i]:
		as.ctx[i] = 0
	case m > as.hi[i]:
		as.ctx[i] = uint8(12 + 4*sign)
	default:
		as.ctx[i] = uint8(4 + 4*sign)
	}
	v := m
	p = &st[(b+14)&63]
	for m >>= 1; m != 0; m >>= 1 {
		if na, ok := fastMPS(c, a, *p); ok {
			a, bit = na, uint32(*p&1)
		} else {
			bit, c, a = dec.slowDecide(p, c, na)
		}
		v |= m & -bit
	}
	dec.c, dec.a = c, a
	d := int32(v) + 1
	if sign != 0 {
		d = -d
	}
	*pred += d
	return nil
}

// acBand decodes the AC coefficients of a block of scan component i from
// zigzag index k to se at most (T.81 F.2.4.2), up to an end of block, into
// vals by zigzag index, and returns the set of indexes it wrote. vals need
// not be zero.
func (as *arithScan) acBand(i, k, se int, vals *[64]int32) (uint64, error) {
	st := as.ac[i&3]
	kx := as.kx[i&3]
	dec := &as.dec
	c, a := dec.c, dec.a
	var set uint64
	var bit uint32
	for ; k <= se; k++ {
		b := uint(3*(k-1)) & 255
		p := &st[b]
		if na, ok := fastMPS(c, a, *p); ok {
			a, bit = na, uint32(*p&1)
		} else {
			bit, c, a = dec.slowDecide(p, c, na)
		}
		if bit != 0 {
			break // EOB
		}
		for {
			p = &st[(b+1)&255]
			if na, ok := fastMPS(c, a, *p); ok {
				a, bit = na, uint32(*p&1)
			} else {
				bit, c, a = dec.slowDecide(p, c, na)
			}
			if bit != 0 {
				break
			}
			b += 3
			k++
			if k > se {
				dec.c, dec.a = c, a
				return set, errArithIndex
			}
		}
		p = &as.fixed
		if na, ok := fastMPS(c, a, *p); ok {
			a, bit = na, 0
		} else {
			bit, c, a = dec.slowDecide(p, c, na)
		}
		sign := bit
		b += 2
		p = &st[b&255]
		if na, ok := fastMPS(c, a, *p); ok {
			a, bit = na, uint32(*p&1)
		} else {
			bit, c, a = dec.slowDecide(p, c, na)
		}
		m := bit
		if m != 0 {
			if na, ok := fastMPS(c, a, *p); ok {
				a, bit = na, uint32(*p&1)
			} else {
				bit, c, a = dec.slowDecide(p, c, na)
			}
			if bit != 0 {
				m = 2
				b = 189
				if k > kx {
					b = 217
				}
				for ; ; b++ {
					p = &st[b&255]
					if na, ok := fastMPS(c, a, *p); ok {
						a, bit = na, uint32(*p&1)
					} else {
						bit, c, a = dec.slowDecide(p, c, na)
					}
					if bit == 0 {
						break
					}
					m <<= 1
					if m == 0x8000 {
						dec.c, dec.a = c, a
						return set, errArithMagnitude
					}
				}
			}
		}
		v := m
		p = &st[(b+14)&255] // the magnitude bits: 14 bins on from the last category bin
		for m >>= 1; m != 0; m >>= 1 {
			if na, ok := fastMPS(c, a, *p); ok {
				a, bit = na, uint32(*p&1)
			} else {
				bit, c, a = dec.slowDecide(p, c, na)
			}
			v |= m & -bit
		}
		x := int32(v) + 1
		if sign != 0 {
			x = -x
		}
		vals[k&63] = x
		set |= 1 << (k & 63)
	}
	dec.c, dec.a = c, a
	return set, nil
}

// decodeBlock decodes the coefficients of a block of scan component i of
// a sequential scan into c, which must be zero, adding the DC difference
// to *pred. It returns the zigzag index of the last coefficient it set.
func (as *arithScan) decodeBlock(c *[64]int16, i int, pred *int32) (int, error) {
	if err := as.decodeDC(i, pred); err != nil {
		return 0, err
	}
	c[0] = int16(*pred)
	set, err := as.acBand(i, 1, 63, &as.vals)
	if err != nil {
		return 0, err
	}
	last := 0
	for m := set; m != 0; m &= m - 1 {
		k := trailingZeros(m) & 63
		c[jpegtab.Zigzag[k]&63] = int16(as.vals[k])
		last = k
	}
	return last, nil
}

// acFirst decodes the band of a block of a first AC scan of a progressive
// file (T.81 G.1.3.2, with the model of F.2.4.2 over the band) into c, in
// the form of a zigzagBlock, and returns its nonzero coefficients nz with
// those it set.
func (as *arithScan) acFirst(c *zigzagBlock, nz uint64, ss, se int, al uint) (uint64, error) {
	set, err := as.acBand(0, ss, se, &as.vals)
	if err != nil {
		return nz, err
	}
	for m := set; m != 0; m &= m - 1 {
		k := trailingZeros(m) & 63
		if l := acLane(as.vals[k], al); l != 0 {
			c[(k>>2)&15] |= l << ((k & 3) * 16)
			nz |= 1 << k
		}
	}
	return nz, nil
}

// acRefine decodes the band of a block of an AC refinement scan of a
// progressive file (T.81 G.1.3.3) into c, whose nonzero coefficients are
// nz: a correction bit for each coefficient that was nonzero, and new
// coefficients of magnitude 1<<al. It returns nz with those it set.
func (as *arithScan) acRefine(c *zigzagBlock, nz uint64, ss, se int, al uint) (uint64, error) {
	st := as.ac[0]
	dec := &as.dec
	cr, a := dec.c, dec.a
	var bit uint32
	p1 := uint64(1) << (al & 15)
	// The last coefficient of the band that an earlier scan made nonzero:
	// no end of block is coded before it.
	kex := bits.Len64(nz&(uint64(2)<<(se&63)-1)) - 1
	for k := ss; k <= se; k++ {
		b := uint(3*(k-1)) & 255
		if k > kex {
			p := &st[b]
			if na, ok := fastMPS(cr, a, *p); ok {
				a, bit = na, uint32(*p&1)
			} else {
				bit, cr, a = dec.slowDecide(p, cr, na)
			}
			if bit != 0 {
				break // EOB
			}
		}
		for {
			sh := uint(k&3) * 16
			if nz>>(k&63)&1 != 0 {
				// A correction bit.
				p := &st[(b+2)&255]
				if na, ok := fastMPS(cr, a, *p); ok {
					a, bit = na, uint32(*p&1)
				} else {
					bit, cr, a = dec.slowDecide(p, cr, na)
				}
				c[(k>>2)&15] |= p1 & -uint64(bit) << sh
				break
			}
			p := &st[(b+1)&255]
			if na, ok := fastMPS(cr, a, *p); ok {
				a, bit = na, uint32(*p&1)
			} else {
				bit, cr, a = dec.slowDecide(p, cr, na)
			}
			if bit != 0 {
				// A new coefficient, and its sign.
				p = &as.fixed
				if na, ok := fastMPS(cr, a, *p); ok {
					a, bit = na, 0
				} else {
					bit, cr, a = dec.slowDecide(p, cr, na)
				}
				c[(k>>2)&15] |= (p1 | uint64(bit)<<15) << sh
				nz |= 1 << (k & 63)
				break
			}
			b += 3
			k++
			if k > se {
				dec.c, dec.a = cr, a
				return nz, errArithIndex
			}
		}
	}
	dec.c, dec.a = cr, a
	return nz, nil
}
