package jpegdec

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/escala-img/escala/internal/codec/jpegtab"
)

// A progScan is a scan of a progressive file that is decoded, and the
// state of its decoding, which can stop after any MCU row and go on later,
// possibly on another goroutine.
type progScan struct {
	hdr  scanHeader
	pos  int // where its entropy-coded data starts
	ri   int // the restart interval in force
	done atomic.Int64

	// Under pipeline.mu.
	running, finished bool

	// Only for the goroutine running it.
	br                    bitReader
	ar                    *arithScan // for an arithmetic-coded scan, else nil
	eobrun                int
	pred                  [4]int32
	slots                 []slot     // DC scans
	p                     *plane     // AC scans: the plane
	ac                    *huffTable // AC scans: the table; see withLanes
	mcusX, mcusY, rowsPer int
	todo                  int // MCUs left in the restart interval
	my                    int // the next MCU row
}

// allRows is progScan.done of a finished scan.
const allRows = math.MaxInt64

// A pipeline decodes the scans of a progressive file that are decoded, and
// then transforms the image, on up to d.procs goroutines. Each scan is
// decoded in order by one goroutine at a time, but it need not wait for the
// one before it to end: it can decode an MCU row as soon as the one before
// has finished the rows of image blocks it covers (progScan.done, which
// counts them in image rows of 8 pixels), so scans follow each other down
// the image. The inverse DCT of runs of block rows follows the last scan
// the same way. A goroutine takes the earliest scan that can go on (which
// lets the scans after it go on), or else a run of rows; it decodes as many
// MCU rows as it can, then looks again. The earliest unfinished scan can
// always go on, so some goroutine always has work.
type pipeline struct {
	d      *decoder
	runs   [][2]int // runs of image block rows to transform
	failed atomic.Bool

	mu      sync.Mutex
	cond    sync.Cond
	nextRun int   // the first run not taken
	err     error // the first error
}

// decodeScans decodes the progressive scans collected in d.scans and
// transforms them into d.img.
func (d *decoder) decodeScans() error {
	d.dropUnused()
	p := &pipeline{d: d}
	p.cond.L = &p.mu
	for _, s := range d.scans {
		s.br = bitReader{data: d.data, pos: s.pos}
		s.mcusX, s.mcusY, s.rowsPer = d.geometry(&s.hdr)
		switch {
		case s.hdr.ss == 0:
			s.slots = d.slots(&s.hdr)
		case s.ar != nil:
			s.p = &d.planes[s.hdr.comps[0].plane]
		case s.hdr.ah == 0:
			s.p = &d.planes[s.hdr.comps[0].plane]
			s.ac = s.hdr.comps[0].ac.withLanes(uint(s.hdr.al))
		default:
			s.p = &d.planes[s.hdr.comps[0].plane]
			s.ac = s.hdr.comps[0].ac
		}
		s.todo = s.ri
	}
	// In a colour file, runs are of whole MCU rows, so that they hold
	// every plane's rows.
	chunk := max(2, (d.bhImg+8*d.procs-1)/(8*d.procs))
	if d.model != modelLuma || d.planes[0].ry > 1 {
		chunk = (chunk + d.vmax - 1) / d.vmax * d.vmax
	}
	for r0 := 0; r0 < d.bhImg; r0 += chunk {
		p.runs = append(p.runs, [2]int{r0, min(r0+chunk, d.bhImg)})
	}
	parallel(d.procs, func() error {
		p.work(chunk)
		return nil
	})
	if p.err == nil && d.model == modelUpLuma {
		d.upsampleLuma()
	}
	return p.err
}

// dropUnused leaves out of d.scans, at reduced size, the scans that only
// hold coefficients the reduced transform does not use: those whose band
// starts past the last zigzag index it uses, unless a scan kept after them
// refines coefficients of their band, and so needs to know which of them
// they made nonzero.
func (d *decoder) dropUnused() {
	used := 63 // the last zigzag index in the top-left 8/scale square
	switch d.scale {
	case 2:
		used = 24
	case 4:
		used = 4
	case 8:
		used = 0
	}
	keep := make([]bool, len(d.scans))
	for i := len(d.scans) - 1; i >= 0; i-- {
		s := &d.scans[i].hdr
		keep[i] = s.ss <= used
		for j := i + 1; j < len(d.scans) && !keep[i]; j++ {
			t := &d.scans[j].hdr
			keep[i] = keep[j] && t.ss <= s.se && s.ss <= t.se
		}
	}
	scans := d.scans[:0]
	for i, s := range d.scans {
		if keep[i] {
			scans = append(scans, s)
		}
	}
	d.scans = scans
}

// limit returns how many MCU rows of scan i can be decoded now: those whose
// image block rows scan i-1 has finished.
func (p *pipeline) limit(i int) int {
	s := p.d.scans[i]
	if i == 0 {
		return s.mcusY
	}
	done := p.d.scans[i-1].done.Load()
	if done == allRows {
		return s.mcusY
	}
	return min(s.mcusY, int(done)/s.rowsPer)
}

// work takes tasks until every run of rows has been taken or a task failed.
// chunk is the longest run.
func (p *pipeline) work(chunk int) {
	d := p.d
	var strips *stripBuf
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.failed.Load() && p.nextRun < len(p.runs) {
		scan := -1
		for i, s := range d.scans {
			if !s.running && !s.finished && p.limit(i) > s.my {
				scan = i
				break
			}
		}
		if scan >= 0 {
			s := d.scans[scan]
			s.running = true
			p.mu.Unlock()
			err := p.decode(scan)
			p.mu.Lock()
			s.running = false
			s.finished = s.my == s.mcusY && err == nil
			if err != nil && p.err == nil {
				p.err = err
				p.failed.Store(true)
			}
			p.cond.Broadcast()
			continue
		}
		if r := p.runs[p.nextRun]; d.scans[len(d.scans)-1].done.Load() >= int64(r[1]) {
			p.nextRun++
			p.mu.Unlock()
			switch d.model {
			case modelLuma, modelUpLuma:
				// Into the image, or for modelUpLuma the plane's samples,
				// upsampled at the end. A luma sampled more coarsely than
				// chroma has fewer block rows than the image: runs are
				// then of whole MCU rows, so of whole block rows of it.
				pl := &d.planes[0]
				t := d.target(0)
				d.transformZigzag(pl, &t, r[0]/pl.ry, min((r[1]+pl.ry-1)/pl.ry, pl.bh))
			default:
				if strips == nil {
					strips = d.newStripBuf(chunk)
				}
				d.transformColor(strips, r[0], r[1])
			}
			p.mu.Lock()
			continue
		}
		p.cond.Wait()
	}
}

// decode decodes the MCU rows of scan i that the scan before it allows,
// and more as that one goes on.
func (p *pipeline) decode(i int) error {
	d := p.d
	s := d.scans[i]
	for lim := p.limit(i); s.my < lim; {
		if p.failed.Load() {
			return nil
		}
		var err error
		switch {
		case s.ar != nil && s.hdr.ss == 0:
			err = s.dcRowArith(d)
		case s.ar != nil:
			err = s.acRowArith()
		case s.hdr.ss == 0:
			err = s.dcRow(d)
		case s.hdr.ah == 0:
			err = s.acRow(false)
		default:
			err = s.acRow(true)
		}
		if err != nil {
			return err
		}
		s.my++
		if s.my == s.mcusY {
			if err := s.overrun(); err != nil {
				return err
			}
			s.done.Store(allRows)
		} else {
			s.done.Store(int64(s.my * s.rowsPer))
		}
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
		if s.my == lim {
			lim = p.limit(i)
		}
	}
	return nil
}

// overrun returns an error wrapping io.ErrUnexpectedEOF if the scan's
// decoding went past the end of its data (see bitReader.overrun and
// arithScan.overrun).
func (s *progScan) overrun() error {
	if s.ar != nil {
		return s.ar.overrun()
	}
	return s.br.overrun()
}

// dcRowArith decodes MCU row s.my of an arithmetic-coded DC scan (T.81
// G.1.3.1, G.1.3.2), which may have several components: a first scan
// decodes differences with the model of sequential files, a refinement
// scan one bit of each DC coefficient with a fixed probability.
func (s *progScan) dcRowArith(d *decoder) error {
	refine, al := s.hdr.ah != 0, uint(s.hdr.al)&15
	my := s.my
	for mx := 0; mx < s.mcusX; mx++ {
		if s.ri > 0 {
			if s.todo == 0 {
				if err := s.ar.restart(); err != nil {
					return err
				}
				s.pred, s.todo = [4]int32{}, s.ri
			}
			s.todo--
		}
		for j := range s.slots {
			sl := &s.slots[j]
			var c *uint64 // the block's DC coefficient, nil to drop it
			if bx, by := mx*sl.hb+sl.dx, my*sl.vb+sl.dy; sl.plane >= 0 && bx < sl.bw && by < sl.bh {
				c = &d.planes[sl.plane].coefs[(by*sl.bw+bx)*16]
			}
			if refine {
				if s.ar.dec.decode(&s.ar.fixed) != 0 && c != nil {
					*c |= 1 << al
				}
				continue
			}
			pred := &s.pred[sl.c&3]
			if err := s.ar.decodeDC(sl.c, pred); err != nil {
				return s.ar.fail(err)
			}
			if c != nil {
				*c |= uint64(uint16(*pred << al))
			}
		}
	}
	return nil
}

// acRowArith decodes MCU row s.my of an arithmetic-coded AC scan, a row of
// blocks of one component.
func (s *progScan) acRowArith() error {
	p := s.p
	ss, se, al := s.hdr.ss, s.hdr.se, uint(s.hdr.al)&15
	refine := s.hdr.ah != 0
	for x := 0; x < p.bw; x++ {
		if s.ri > 0 {
			if s.todo == 0 {
				if err := s.ar.restart(); err != nil {
					return err
				}
				s.todo = s.ri
			}
			s.todo--
		}
		bi := s.my*p.bw + x
		c := (*zigzagBlock)(p.coefs[bi*16 : bi*16+16])
		var err error
		if refine {
			p.nz[bi], err = s.ar.acRefine(c, p.nz[bi], ss, se, al)
		} else {
			p.nz[bi], err = s.ar.acFirst(c, p.nz[bi], ss, se, al)
		}
		if err != nil {
			return s.ar.fail(err)
		}
	}
	return nil
}

// dcRow decodes MCU row s.my of a DC scan (T.81 G.1.2.1), which may have
// several components, with the bit reader's state in registers.
func (s *progScan) dcRow(d *decoder) error {
	refine, al := s.hdr.ah != 0, uint(s.hdr.al)&15
	my := s.my
	br := &s.br
	data := br.data
	pos, bits, n := br.pos, br.bits, br.n
	for mx := 0; mx < s.mcusX; mx++ {
		if s.ri > 0 {
			if s.todo == 0 {
				br.pos, br.bits, br.n = pos, bits, n
				if err := br.restart(); err != nil {
					return err
				}
				pos, bits, n = br.pos, br.bits, br.n
				s.pred, s.eobrun, s.todo = [4]int32{}, 0, s.ri
			}
			s.todo--
		}
		for j := range s.slots {
			sl := &s.slots[j]
			var c *uint64 // the block's DC coefficient, nil to drop it
			if bx, by := mx*sl.hb+sl.dx, my*sl.vb+sl.dy; sl.plane >= 0 && bx < sl.bw && by < sl.bh {
				c = &d.planes[sl.plane].coefs[(by*sl.bw+bx)*16]
			}
			if n < 32 {
				var ok bool
				if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
					pos, bits, n = br.fill(pos, bits, n)
				}
			}
			if refine {
				if c != nil {
					*c |= bits >> 63 << al
				}
				bits <<= 1
				n--
				continue
			}
			pred := &s.pred[sl.c&3]
			e := sl.dc.lut[bits>>(64-lutBits)]
			if fl := uint(uint8(e)); fl != 0 {
				*pred += int32(int16(e >> 16))
				bits <<= fl & 63
				n -= fl
			} else {
				sym, l := e>>8&0xff, uint(e>>16)&15
				if l == 0 {
					if sym, l = sl.dc.slow(bits); l == 0 {
						return errBadCode
					}
				}
				bits <<= l & 63
				n -= l
				if sz := uint(sym); sz != 0 {
					*pred += valueBits(bits, sz)
					bits <<= sz & 63
					n -= sz
				}
			}
			if c != nil {
				*c |= uint64(uint16(*pred << al))
			}
		}
	}
	br.pos, br.bits, br.n = pos, bits, n
	return nil
}

// acRow decodes MCU row s.my of an AC scan, a row of blocks of one
// component, in runs that end at restart markers.
func (s *progScan) acRow(refine bool) error {
	p := s.p
	for x := 0; x < p.bw; {
		n := p.bw - x
		if s.ri > 0 {
			if s.todo == 0 {
				if err := s.br.restart(); err != nil {
					return err
				}
				s.eobrun, s.todo = 0, s.ri
			}
			n = min(n, s.todo)
			s.todo -= n
		}
		b0 := s.my*p.bw + x
		var err error
		if refine {
			err = s.acRefine(p.coefs[b0*16:(b0+n)*16], p.nz[b0:b0+n])
		} else {
			err = s.acFirst(p.coefs[b0*16:(b0+n)*16], p.nz[b0:b0+n])
		}
		if err != nil {
			return err
		}
		x += n
	}
	return nil
}

// A zigzagBlock holds the coefficients of a block of a progressive file in
// zigzag order, four to a word: coefficient k is in bits 16·(k%4) to
// 16·(k%4)+15 of word k/4. The DC coefficient is an int16; the AC ones
// have their sign in the top bit and their magnitude in the others, so
// that the correction bits of a refinement scan are ORed in, to four
// neighbours at once. Coefficients are only ever set where they are zero,
// or refined, so setting one is an OR too.
type zigzagBlock [16]uint64

// acLane returns AC coefficient v<<al, which is not zero, in the form of
// a zigzagBlock. A magnitude that the shift leaves 0 in 15 bits, which
// only a corrupt file has, gives 0, so that no coefficient is a negative
// zero: a set sign bit always comes with a magnitude, and unzigzag can
// negate four coefficients at once without a carry from one to the next.
func acLane(v int32, al uint) uint64 {
	neg := v >> 31
	mag := uint16((v^neg)-neg) << (al & 15) & 0x7fff
	if mag == 0 {
		return 0
	}
	return uint64(mag | uint16(neg)&0x8000)
}

// withLanes returns a copy of AC table t for a first AC scan with
// successive approximation al: the values of its lookahead entries are
// coefficients v<<al in the form of a zigzagBlock.
func (t *huffTable) withLanes(al uint) *huffTable {
	u := new(huffTable)
	*u = *t
	for i, e := range u.lut {
		if uint8(e) != 0 {
			u.lut[i] = e&0xffff | uint32(acLane(int32(int16(e>>16)), al))<<16
		}
	}
	return u
}

// acFirstGo decodes the band of the blocks of a first AC scan (T.81
// G.1.2.2), which are coefs and, for the nonzero coefficients that it sets,
// nz. The bit reader's state stays in registers for the whole run of
// blocks, an EOB run passes over its blocks at once, and the values in the
// lookahead table are ready to OR in (see withLanes).
func (s *progScan) acFirstGo(coefs, nz []uint64) error {
	br := &s.br
	ac := s.ac
	data := br.data
	pos, bits, n := br.pos, br.bits, br.n
	eobrun := s.eobrun
	ss, se, al := s.hdr.ss, s.hdr.se, uint(s.hdr.al)&15
	nb := len(nz)
	coefs = coefs[:nb*16]
	for b := 0; b < nb; b++ {
		if eobrun > 0 {
			skip := min(eobrun, nb-b)
			eobrun -= skip
			b += skip - 1
			continue
		}
		c := (*zigzagBlock)(coefs[b*16:])
		set := nz[b]
		for k := ss; k <= se; {
			if n < 32 {
				var ok bool
				if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
					pos, bits, n = br.fill(pos, bits, n)
				}
			}
			e := ac.lut[bits>>(64-lutBits)]
			if fl := uint(uint8(e)); fl != 0 {
				k += int(e>>12) & 15
				if k > se {
					return errBadIndex
				}
				c[(k>>2)&15] |= uint64(e>>16) << ((k & 3) * 16)
				bits <<= fl & 63
				n -= fl
				set |= 1 << (k & 63)
				k++
				continue
			}
			sym, l := e>>8&0xff, uint(e>>16)&15
			if l == 0 {
				if sym, l = ac.slow(bits); l == 0 {
					return errBadCode
				}
			}
			bits <<= l & 63
			n -= l
			r, sz := int(sym>>4), uint(sym&15)
			if sz == 0 {
				if r == 15 {
					k += 16 // ZRL
					continue
				}
				// EOBr: this block and 2^r-1+bits more end here.
				eobrun = 1<<r - 1
				if r > 0 {
					eobrun += int(bits >> ((64 - uint(r)) & 63))
					bits <<= uint(r) & 63
					n -= uint(r)
				}
				break
			}
			k += r
			if k > se {
				return errBadIndex
			}
			c[(k>>2)&15] |= acLane(valueBits(bits, sz), al) << ((k & 3) * 16)
			bits <<= sz & 63
			n -= sz
			set |= 1 << (k & 63)
			k++
		}
		nz[b] = set
	}
	br.pos, br.bits, br.n = pos, bits, n
	s.eobrun = eobrun
	return nil
}

// acRefineGo decodes the band of the blocks of an AC refinement scan (T.81
// G.1.2.3), which are coefs with their nonzero coefficients in nz: new
// coefficients of magnitude 1<<al, and a correction bit for each
// coefficient that was already nonzero, in zigzag order. The bits of nz
// find runs of zero coefficients and count the nonzero ones between them
// without looking at each. The correction bits of a block, at most 63,
// are gathered in order into one word as the symbols between them are
// decoded, and given to their coefficients when the block ends, four at a
// time.
func (s *progScan) acRefineGo(coefs, nz []uint64) error {
	br := &s.br
	ac := s.ac
	data := br.data
	pos, bits, n := br.pos, br.bits, br.n
	eobrun := s.eobrun
	ss, se := uint(s.hdr.ss&63), uint(s.hdr.se&63)
	p1 := uint64(1) << (uint(s.hdr.al) & 15)
	p1x := p1 * laneOnes
	band := (uint64(2)<<se - 1) &^ (1<<ss - 1) // zigzag indexes ss to se
	nb := len(nz)
	coefs = coefs[:nb*16]
	for b := 0; b < nb; b++ {
		c := (*zigzagBlock)(coefs[b*16:])
		nzb := nz[b]
		old := nzb & band // the coefficients that get a correction bit
		var corr uint64   // their correction bits, the first at the top
		j := uint(0)      // how many are in corr
		k := ss
		if eobrun == 0 {
			for k <= se {
				if n < 32 {
					var ok bool
					if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
						pos, bits, n = br.fill(pos, bits, n)
					}
				}
				e := ac.lut[bits>>(64-lutBits)]
				var r uint
				var v uint64
				if fl := uint(uint8(e)); fl != 0 && e>>8&15 == 1 {
					// A run, size 1 and the sign bit, in the lookahead.
					r = uint(e>>12) & 15
					v = p1 | uint64(e>>16)&0x8000
					bits <<= fl & 63
					n -= fl
				} else {
					sym, l := e>>8&0xff, uint(e>>16)&15
					if l == 0 {
						if sym, l = ac.slow(bits); l == 0 {
							return errBadCode
						}
					}
					bits <<= l & 63
					n -= l
					r = uint(sym >> 4)
					if sym&15 != 0 {
						// The size must be 1; a sign bit follows, 1 for
						// positive.
						v = p1 | (^bits>>63)<<15
						bits <<= 1
						n--
					} else if r != 15 {
						// EOBr: the rest of this block and 2^r-1+bits more
						// blocks only have correction bits.
						eobrun = 1 << r
						if r > 0 {
							eobrun += int(bits >> ((64 - r) & 63))
							bits <<= r & 63
							n -= r
						}
						break
					}
				}
				// The new coefficient goes to the (r+1)th coefficient from
				// k that is still zero (for ZRL, v is 0 and it stays
				// zero); the nonzero ones before it have a correction bit
				// each, which come first. The first four candidates are
				// found without branches: r is 0 to 3 for nearly all
				// symbols.
				below := uint64(1)<<(k&63) - 1
				z0 := ^nzb & band &^ below
				z1 := z0 & (z0 - 1)
				z2 := z1 & (z1 - 1)
				zs := [4]uint64{z0, z1, z2, z2 & (z2 - 1)}
				zeros := zs[r&3]
				for r >>= 2; r > 0 && zeros != 0; r-- {
					for i := 0; i < 4; i++ {
						zeros &= zeros - 1
					}
				}
				// t is 64 if no zero coefficient is left, which only a
				// corrupt file asks for: then the new one is dropped.
				t := uint(trailingZeros(zeros))
				if zeros == 0 {
					v = 0
				}
				cnt := uint(onesCount(nzb & (zeros&-zeros - 1) &^ below))
				if cnt <= n {
					corr |= (bits &^ (^uint64(0) >> cnt)) >> (j & 63)
					bits <<= cnt
					n -= cnt
					j += cnt
				} else {
					pos, bits, n, corr, j = br.moreBits(pos, bits, n, corr, j, cnt)
				}
				// The new coefficient, if any, without a branch.
				c[(t>>2)&15] |= v << ((t & 3) * 16)
				nzb |= (v | -v) >> 63 << (t & 63)
				k = t + 1
			}
		}
		if eobrun > 0 {
			// Only correction bits, for the rest of the band.
			cnt := uint(onesCount(nzb & band &^ (1<<k - 1)))
			if cnt <= n {
				corr |= (bits &^ (^uint64(0) >> cnt)) >> (j & 63)
				bits <<= cnt
				n -= cnt
			} else {
				pos, bits, n, corr, j = br.moreBits(pos, bits, n, corr, j, cnt)
			}
			eobrun--
		}
		for m := old; m != 0; {
			g := uint(trailingZeros(m)) &^ 3
			lanes := (m >> g) & 15
			m &^= 15 << g
			c[(g>>2)&15] |= depositLanes[lanes<<4|corr>>60] & p1x
			corr <<= popcount4[lanes]
		}
		nz[b] = nzb
	}
	br.pos, br.bits, br.n = pos, bits, n
	s.eobrun = eobrun
	return nil
}

// moreBits appends the next cnt bits of the stream, which may be more than
// the n in bits, to the j bits at the top of corr, topping up as it goes;
// j+cnt is at most 64. It takes and returns the reader's state in
// registers.
func (br *bitReader) moreBits(pos int, bits uint64, n uint, corr uint64, j, cnt uint) (int, uint64, uint, uint64, uint) {
	for cnt > 0 {
		if n < 32 {
			var ok bool
			if pos, bits, n, ok = refill(br.data, pos, bits, n); !ok {
				pos, bits, n = br.fill(pos, bits, n)
			}
		}
		take := min(cnt, n)
		corr |= (bits &^ (^uint64(0) >> take)) >> (j & 63)
		bits <<= take
		n -= take
		j += take
		cnt -= take
	}
	return pos, bits, n, corr, j
}

// laneOnes has a 1 in each coefficient of a word of a zigzagBlock, and
// laneHigh its top bit.
const (
	laneOnes = 0x0001000100010001
	laneHigh = 0x8000800080008000
)

// depositLanes[lanes<<4|b] marks the lanes of a group of four coefficients
// that get a correction bit of 1: the lanes set in lanes take the bits of b
// in turn from its top, the lowest lane first.
var depositLanes = func() (t [256]uint64) {
	for lanes := 0; lanes < 16; lanes++ {
		for b := 0; b < 16; b++ {
			next := 3
			for j := 0; j < 4; j++ {
				if lanes>>j&1 == 0 {
					continue
				}
				if b>>next&1 != 0 {
					t[lanes<<4|b] |= 0xffff << (16 * j)
				}
				next--
			}
		}
	}
	return t
}()

// popcount4 is the number of bits set in a 4-bit number.
var popcount4 = [16]uint8{0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4}

// transformZigzag runs the inverse DCT of the block rows r0 to r1-1 of
// plane p of a progressive file into t: the blocks that are whole in t a
// row at a time, the others one by one.
func (d *decoder) transformZigzag(p *plane, t *target, r0, r1 int) {
	full := t.fullBlocks(d.scale, p.bw)
	for by := r0; by < r1; by++ {
		bx := 0
		if y0 := by*8 - t.y0; full > 0 && y0+8 <= t.h {
			b0 := by * p.bw
			idctZigzagRow(t.pix[y0*t.stride:], t.stride, p.coefs[b0*16:(b0+full)*16], p.nz[b0:b0+full], t.q)
			bx = full
		}
		var c [64]int16
		for ; bx < p.bw; bx++ {
			bi := by*p.bw + bx
			l := unzigzag(&c, (*zigzagBlock)(p.coefs[bi*16:]), p.nz[bi])
			d.transformBlock(t, &c, l, bx, by)
			clearBlock(&c, l|3)
		}
	}
}

// idctZigzagRowGo is idctZigzagRow in Go.
func idctZigzagRowGo(dst []byte, stride int, coefs, nz []uint64, q *[64]uint16) {
	var c [64]int16
	for i := range nz {
		l := unzigzag(&c, (*zigzagBlock)(coefs[16*i:]), nz[i])
		idct8(dst[8*i:], stride, &c, q, l)
		clearBlock(&c, l|3)
	}
}

// unzigzag writes the coefficients of z, whose nonzero AC ones are marked
// in nz, to c in natural order and two's complement, and returns the
// zigzag index of the last one that may be nonzero. It writes only the
// groups of four up to that one: the rest of c must be zero.
func unzigzag(c *[64]int16, z *zigzagBlock, nz uint64) int {
	last := bits.Len64(nz|1) - 1
	// The AC coefficients from sign and magnitude to two's complement,
	// four at a time; the DC one is already.
	keep := uint64(0xffff)
	for g := 0; g <= last>>2; g++ {
		w := z[g&15]
		neg := w >> 15 & laneOnes &^ keep
		mag := w &^ (laneHigh &^ keep)
		w = (mag ^ neg*0xffff) + neg
		keep = 0
		k := g * 4
		c[jpegtab.Zigzag[k&63]&63] = int16(w)
		c[jpegtab.Zigzag[(k+1)&63]&63] = int16(w >> 16)
		c[jpegtab.Zigzag[(k+2)&63]&63] = int16(w >> 32)
		c[jpegtab.Zigzag[(k+3)&63]&63] = int16(w >> 48)
	}
	return last
}

// A stripBuf holds, for one goroutine, the samples of each plane for a run
// of rows of a progressive colour file, and a row of replicated samples for
// each.
type stripBuf struct {
	pix  [4][]byte
	rows []byte
}

// newStripBuf allocates the strips for runs of up to chunk image block
// rows.
func (d *decoder) newStripBuf(chunk int) *stripBuf {
	sb := &stripBuf{rows: make([]byte, len(d.planes)*d.img.Rect.Dx())}
	bs := 8 / d.scale
	for i, p := range d.planes {
		sb.pix[i&3] = make([]byte, (chunk+p.ry-1)/p.ry*bs*p.bw*bs)
	}
	return sb
}

// transformColor runs the inverse DCT of the image block rows r0 to r1-1
// of every plane of a progressive colour file, r0 a multiple of d.vmax,
// into strips, and converts them to the image's rows.
func (d *decoder) transformColor(sb *stripBuf, r0, r1 int) {
	bs := 8 / d.scale
	var src [4]sampleRows
	for i := range d.planes {
		p := &d.planes[i]
		b0, b1 := r0/p.ry, min((r1+p.ry-1)/p.ry, p.bh)
		t := target{pix: sb.pix[i&3], stride: p.bw * bs, w: p.bw * bs, y0: b0 * bs, h: (b1 - b0) * bs, q: &p.q}
		d.transformZigzag(p, &t, b0, b1)
		src[i&3] = sampleRows{pix: t.pix, stride: t.stride, y0: t.y0}
	}
	d.convertRows(src[:len(d.planes)], r0*bs, min(r1*bs, d.img.Rect.Dy()), sb.rows)
}

// A target is where the inverse DCT of a plane's blocks writes its
// samples: the image, for luma, or rows of a plane's samples. Row y of the
// plane is pix[(y-y0)*stride:], for y0 ≤ y < y0+h, and samples past w or
// y0+h are dropped.
type target struct {
	pix      []byte
	stride   int
	w, h, y0 int
	q        *[64]uint16
}

// target returns the target of all of plane i: the image for luma, or the
// plane's samples.
func (d *decoder) target(i int) target {
	p := &d.planes[i]
	if d.model == modelLuma {
		return target{pix: d.img.Pix, stride: d.img.Stride, w: d.img.Rect.Dx(), h: d.img.Rect.Dy(), q: &p.q}
	}
	return target{pix: p.pix, stride: p.stride, w: p.stride, h: len(p.pix) / max(p.stride, 1), q: &p.q}
}

// transformRows runs the inverse DCT of rows block rows of a plane, the
// first of which is its block row by0, from coef and last, which hold rows
// of stride blocks in natural order, and writes the samples to t. The
// coefficients are zeroed after.
func (d *decoder) transformRows(t *target, coef []int16, last []uint8, stride, by0, rows int) {
	full := t.fullBlocks(d.scale, stride)
	for r := 0; r < rows; r++ {
		by := by0 + r
		bx := 0
		if y0 := by*8 - t.y0; full > 0 && y0+8 <= t.h {
			b0 := r * stride
			idctRow(t.pix[y0*t.stride:], t.stride, coef[b0*64:(b0+full)*64], last[b0:b0+full], t.q)
			bx = full
		}
		for ; bx < stride; bx++ {
			bi := r*stride + bx
			c := (*[64]int16)(coef[bi*64:])
			l := int(last[bi])
			d.transformBlock(t, c, l, bx, by)
			clearBlock(c, l)
		}
	}
}

// fullBlocks returns how many blocks at the start of a row of n blocks
// are whole in t, 8 pixels wide, when the image is decoded at full size,
// and 0 at reduced size: those that idctRow can transform straight into
// t.pix, when their rows are too.
func (t *target) fullBlocks(scale, n int) int {
	if scale != 1 {
		return 0
	}
	return min(n, t.w/8)
}

// transformBlock runs the inverse DCT of block (bx, by) of a plane, whose
// coefficients c in natural order are zero past zigzag index last, and
// writes its samples to t, only those inside it.
func (d *decoder) transformBlock(t *target, c *[64]int16, last, bx, by int) {
	pix, ps := t.pix, t.stride
	bs := 8 / d.scale
	x0, y0 := bx*bs, by*bs-t.y0
	w, h := min(bs, t.w-x0), min(bs, t.h-y0)
	q := t.q
	if w == bs && h == bs {
		dst := pix[y0*ps+x0:]
		switch bs {
		case 8:
			idct8(dst, ps, c, q, last)
		case 4:
			idct4(dst, ps, c, q, last)
		case 2:
			idct2(dst, ps, c, q, last)
		default:
			idct1(dst, c, q)
		}
		return
	}
	var tmp [64]byte
	switch bs {
	case 8:
		idct8(tmp[:], 8, c, q, last)
	case 4:
		idct4(tmp[:], 8, c, q, last)
	case 2:
		idct2(tmp[:], 8, c, q, last)
	default:
		idct1(tmp[:], c, q)
	}
	for y := 0; y < h; y++ {
		copy(pix[(y0+y)*ps+x0:(y0+y)*ps+x0+w], tmp[y*8:y*8+w])
	}
}

// onesCount is bits.OnesCount64, for functions that name a variable bits.
func onesCount(x uint64) int { return bits.OnesCount64(x) }

// trailingZeros is bits.TrailingZeros64 as an int.
func trailingZeros(x uint64) int { return bits.TrailingZeros64(x) }
