package jpegdec

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
)

// A progDecoder decodes one scan of a progressive file (T.81 G.1.2) into
// the luma coefficients.
type progDecoder struct {
	br     bitReader
	ss, se int
	al     uint
	eobrun int
	pred   [4]int32
}

// A progScan is a scan of a progressive file that has luma, and the state
// of its decoding, which can stop after any MCU row and go on later,
// possibly on another goroutine.
type progScan struct {
	hdr  scanHeader
	pos  int // where its entropy-coded data starts
	ri   int // the restart interval in force
	done atomic.Int64

	// Under pipeline.mu.
	running, finished bool

	// Only for the goroutine running it.
	pd                   progDecoder
	slots                []slot
	mcusX, mcusY, hy, vy int
	todo                 int // MCUs left in the restart interval
	my                   int // the next MCU row
}

// allRows is progScan.done of a finished scan.
const allRows = math.MaxInt64

// A pipeline decodes the scans of a progressive file that have luma, and
// then transforms the image, on up to d.procs goroutines. Each scan is
// decoded in order by one goroutine at a time, but it need not wait for the
// one before it to end: it can decode an MCU row as soon as the one before
// has finished the block rows it covers (progScan.done), so scans follow
// each other down the image. The inverse DCT of runs of block rows follows
// the last scan the same way. A goroutine takes the earliest scan that can
// go on (which lets the scans after it go on), or else a run of rows; it
// decodes as many MCU rows as it can, then looks again. The earliest
// unfinished scan can always go on, so some goroutine always has work.
type pipeline struct {
	d      *decoder
	runs   [][2]int // runs of block rows to transform
	failed atomic.Bool

	mu      sync.Mutex
	cond    sync.Cond
	nextRun int   // the first run not taken
	err     error // the first error
}

// decodeScans decodes the progressive scans collected in d.scans and
// transforms the luma into d.img.
func (d *decoder) decodeScans() error {
	d.dropUnused()
	p := &pipeline{d: d}
	p.cond.L = &p.mu
	for _, s := range d.scans {
		s.pd = progDecoder{ss: s.hdr.ss, se: s.hdr.se, al: uint(s.hdr.al)}
		s.pd.br = bitReader{data: d.data, pos: s.pos}
		s.mcusX, s.mcusY, s.hy, s.vy = d.geometry(&s.hdr)
		s.slots = d.slots(&s.hdr)
		s.todo = s.ri
	}
	chunk := max(2, (d.bhImg+8*d.procs-1)/(8*d.procs))
	for r0 := 0; r0 < d.bhImg; r0 += chunk {
		p.runs = append(p.runs, [2]int{r0, min(r0+chunk, d.bhImg)})
	}
	parallel(d.procs, func() error {
		p.work()
		return nil
	})
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
// block rows scan i-1 has finished.
func (p *pipeline) limit(i int) int {
	s := p.d.scans[i]
	if i == 0 {
		return s.mcusY
	}
	done := p.d.scans[i-1].done.Load()
	if done == allRows {
		return s.mcusY
	}
	return min(s.mcusY, int(done)/s.vy)
}

// work takes tasks until every run of rows has been taken or a task failed.
func (p *pipeline) work() {
	d := p.d
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
			d.transformZigzag(r[0], r[1])
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
	pd := &s.pd
	dc, refine := s.hdr.ss == 0, s.hdr.ah != 0
	for lim := p.limit(i); s.my < lim; {
		if p.failed.Load() {
			return nil
		}
		my := s.my
		for mx := 0; mx < s.mcusX; mx++ {
			if s.ri > 0 {
				if s.todo == 0 {
					if err := pd.br.restart(); err != nil {
						return err
					}
					pd.pred, pd.eobrun, s.todo = [4]int32{}, 0, s.ri
				}
				s.todo--
			}
			for j := range s.slots {
				sl := &s.slots[j]
				bi := -1 // a block to drop: chroma, or outside the image
				if bx, by := mx*s.hy+sl.dx, my*s.vy+sl.dy; sl.luma && bx < d.bwImg && by < d.bhImg {
					bi = by*d.bwImg + bx
				}
				var err error
				switch {
				case dc && !refine:
					var v int32
					v, err = pd.br.dcFirst(sl.dc, &pd.pred[sl.c&3])
					if bi >= 0 {
						d.coefs[bi*16] |= uint64(uint16(v << pd.al))
					}
				case dc:
					var bit bool
					bit, err = pd.br.bit()
					if bit && bi >= 0 {
						d.coefs[bi*16] |= 1 << pd.al
					}
				case !refine:
					err = pd.acFirst((*zigzagBlock)(d.coefs[bi*16:]), &d.nz[bi], sl.ac)
				default:
					err = pd.acRefine((*zigzagBlock)(d.coefs[bi*16:]), &d.nz[bi], sl.ac)
				}
				if err != nil {
					return err
				}
			}
		}
		s.my++
		if s.my == s.mcusY {
			if err := pd.br.overrun(); err != nil {
				return err
			}
			s.done.Store(allRows)
		} else {
			s.done.Store(int64(s.my * s.vy))
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

// dcFirst decodes the DC difference of a block in a first DC scan and
// returns the new prediction *pred (T.81 G.1.2.1).
func (br *bitReader) dcFirst(dc *huffTable, pred *int32) (int32, error) {
	data := br.data
	pos, bits, n := br.pos, br.bits, br.n
	if n < 32 {
		var ok bool
		if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
			pos, bits, n = br.fill(pos, bits, n)
		}
	}
	e := dc.lut[bits>>(64-lutBits)]
	if fl := uint(e>>12) & 15; fl != 0 {
		*pred += int32(int16(e >> 16))
		bits <<= fl & 63
		n -= fl
	} else {
		sym, l := e&0xff, uint(e>>8)&15
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
	br.pos, br.bits, br.n = pos, bits, n
	return *pred, nil
}

// bit reads one bit.
func (br *bitReader) bit() (bool, error) {
	if br.n == 0 {
		var ok bool
		if br.pos, br.bits, br.n, ok = refill(br.data, br.pos, br.bits, br.n); !ok {
			br.pos, br.bits, br.n = br.fill(br.pos, br.bits, br.n)
		}
	}
	b := br.bits>>63 != 0
	br.bits <<= 1
	br.n--
	return b, nil
}

// A zigzagBlock holds the coefficients of a block of a progressive file in
// zigzag order, four to a word: coefficient k is the int16 in bits
// 16·(k%4) to 16·(k%4)+15 of word k/4. Coefficients are only ever set
// where they are zero, or refined, so setting one is an OR; and the
// correction bits of a refinement scan are applied to four neighbours at
// once (correctLanes).
type zigzagBlock [16]uint64

// set sets coefficient k, which is zero, to v.
func (c *zigzagBlock) set(k int, v int32) {
	c[(k>>2)&15] |= uint64(uint16(v)) << ((k & 3) * 16)
}

// acFirst decodes the band of a block in a first AC scan (T.81 G.1.2.2)
// into c and sets the bits of the coefficients it sets in *nz.
func (p *progDecoder) acFirst(c *zigzagBlock, nz *uint64, ac *huffTable) error {
	if p.eobrun > 0 {
		p.eobrun--
		return nil
	}
	br := &p.br
	data := br.data
	pos, bits, n := br.pos, br.bits, br.n
	se, al := p.se, p.al&15
	set := *nz
	for k := p.ss; k <= se; {
		if n < 32 {
			var ok bool
			if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
				pos, bits, n = br.fill(pos, bits, n)
			}
		}
		e := ac.lut[bits>>(64-lutBits)]
		if fl := uint(e>>12) & 15; fl != 0 {
			k += int(e>>4) & 15
			if k > se {
				return errBadIndex
			}
			c.set(k, int32(int16(e>>16))<<al)
			bits <<= fl & 63
			n -= fl
			set |= 1 << (k & 63)
			k++
			continue
		}
		sym, l := e&0xff, uint(e>>8)&15
		if l == 0 {
			if sym, l = ac.slow(bits); l == 0 {
				return errBadCode
			}
		}
		bits <<= l & 63
		n -= l
		r, s := int(sym>>4), uint(sym&15)
		if s == 0 {
			if r == 15 {
				k += 16 // ZRL
				continue
			}
			// EOBr: this block and 2^r-1+bits more end here.
			p.eobrun = 1<<r - 1
			if r > 0 {
				p.eobrun += int(bits >> ((64 - uint(r)) & 63))
				bits <<= uint(r) & 63
				n -= uint(r)
			}
			break
		}
		k += r
		if k > se {
			return errBadIndex
		}
		c.set(k, valueBits(bits, s)<<al)
		bits <<= s & 63
		n -= s
		set |= 1 << (k & 63)
		k++
	}
	br.pos, br.bits, br.n = pos, bits, n
	*nz = set
	return nil
}

// acRefine decodes the band of a block in an AC refinement scan (T.81
// G.1.2.3): new coefficients of magnitude 1<<al, and a correction bit for
// each coefficient that was already nonzero. *nz has a bit for each nonzero
// coefficient, by zigzag index, so that runs of zero coefficients and the
// nonzero ones between them are found without looking at each.
func (p *progDecoder) acRefine(c *zigzagBlock, nzp *uint64, ac *huffTable) error {
	br := &p.br
	data := br.data
	pos, bits, n := br.pos, br.bits, br.n
	se := uint(p.se & 63)
	al := p.al & 15
	p1 := int32(1) << al
	p1x := uint64(p1) * laneOnes
	nz := *nzp
	band := uint64(2)<<se - 1 // zigzag indexes up to se
	k := uint(p.ss)
	if p.eobrun == 0 {
		for k <= se {
			if n < 32 {
				var ok bool
				if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
					pos, bits, n = br.fill(pos, bits, n)
				}
			}
			e := ac.lut[bits>>(64-lutBits)]
			sym, l := e&0xff, uint(e>>8)&15
			if l == 0 {
				if sym, l = ac.slow(bits); l == 0 {
					return errBadCode
				}
			}
			bits <<= l & 63
			n -= l
			r, s := uint(sym>>4), sym&15
			var v int32
			if s != 0 {
				// The size must be 1; a sign bit follows.
				v = int32(bits>>63)*2*p1 - p1
				bits <<= 1
				n--
			} else if r != 15 {
				// EOBr: the rest of this block and 2^r-1+bits more blocks
				// only have correction bits.
				p.eobrun = 1 << r
				if r > 0 {
					p.eobrun += int(bits >> ((64 - r) & 63))
					bits <<= r & 63
					n -= r
				}
				break
			}
			// The new coefficient goes to the (r+1)th coefficient from k
			// that is still zero (for ZRL, v is 0 and it stays zero); the
			// nonzero ones before it get a correction bit each.
			zeros := ^nz & band &^ (1<<k - 1)
			for ; r > 0 && zeros != 0; r-- {
				zeros &= zeros - 1
			}
			t := se + 1
			if zeros != 0 {
				t = uint(trailingZeros(zeros))
			}
			for m := nz & (1<<t - 1) &^ (1<<k - 1); m != 0; {
				if n < 4 {
					var ok bool
					if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
						pos, bits, n = br.fill(pos, bits, n)
					}
				}
				g := uint(trailingZeros(m)) &^ 3
				lanes := (m >> g) & 15
				m &^= 15 << g
				c[(g>>2)&15] = correctLanes(c[(g>>2)&15], depositLanes[lanes<<4|bits>>60], p1x, al)
				cnt := uint(popcount4[lanes])
				bits <<= cnt
				n -= cnt
			}
			if zeros != 0 && v != 0 {
				c.set(int(t), v)
				nz |= 1 << (t & 63)
			}
			k = t + 1
		}
	}
	if p.eobrun > 0 {
		// Only correction bits, for the rest of the band.
		for m := nz & band &^ (1<<k - 1); m != 0; {
			if n < 4 {
				var ok bool
				if pos, bits, n, ok = refill(data, pos, bits, n); !ok {
					pos, bits, n = br.fill(pos, bits, n)
				}
			}
			g := uint(trailingZeros(m)) &^ 3
			lanes := (m >> g) & 15
			m &^= 15 << g
			c[(g>>2)&15] = correctLanes(c[(g>>2)&15], depositLanes[lanes<<4|bits>>60], p1x, al)
			cnt := uint(popcount4[lanes])
			bits <<= cnt
			n -= cnt
		}
		p.eobrun--
	}
	br.pos, br.bits, br.n = pos, bits, n
	*nzp = nz
	return nil
}

// Lane constants of correctLanes.
const (
	laneOnes = 0x0001000100010001
	laneHigh = 0x8000800080008000
)

// correctLanes applies correction bits to the four coefficients in w: each
// lane that is 0xFFFF in lanes gets p1 (in every lane of p1x, 1<<al) added
// to its magnitude, unless that bit is already set, which a valid file
// never asks for.
func correctLanes(w, lanes, p1x uint64, al uint) uint64 {
	sign := w >> 15 & laneOnes                     // 1 in negative lanes
	adj := (p1x ^ sign*0xffff) + sign              // p1 or -p1 in each lane
	fresh := ^(w >> (al & 15) & laneOnes * 0xffff) // lanes whose bit al is clear
	add := adj & lanes & fresh
	// Add lane by lane, without carries from one lane to the next.
	return (w&^laneHigh + add&^laneHigh) ^ (w^add)&laneHigh
}

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

// transformZigzag runs the inverse DCT of the block rows r0 to r1-1 of a
// progressive file's luma.
func (d *decoder) transformZigzag(r0, r1 int) {
	var c [64]int16
	for by := r0; by < r1; by++ {
		for bx := 0; bx < d.bwImg; bx++ {
			bi := by*d.bwImg + bx
			z := (*zigzagBlock)(d.coefs[bi*16:])
			last := bits.Len64(d.nz[bi]|1) - 1
			for k := 0; k <= last; k++ {
				c[unzig[k]&63] = int16(z[k>>2] >> ((k & 3) * 16))
			}
			d.transformBlock(&c, last, bx, by)
			clearBlock(&c, last)
		}
	}
}

// transformRows runs the inverse DCT of rows blocks rows, the first of which
// is the image's block row by0, from coef and last, which hold rows of
// stride blocks in natural order, and writes the pixels to d.img. Only
// blocks that hold image pixels are transformed; with clear, their
// coefficients are zeroed after.
func (d *decoder) transformRows(coef []int16, last []uint8, stride, by0, rows int, clear bool) {
	for r := 0; r < rows; r++ {
		by := by0 + r
		if by >= d.bhImg {
			break
		}
		for bx := 0; bx < d.bwImg; bx++ {
			bi := r*stride + bx
			c := (*[64]int16)(coef[bi*64:])
			l := int(last[bi])
			d.transformBlock(c, l, bx, by)
			if clear {
				clearBlock(c, l)
			}
		}
	}
}

// transformBlock runs the inverse DCT of block (bx, by) of the image, whose
// coefficients c in natural order are zero past zigzag index last, and
// writes its pixels to d.img, only those inside the image.
func (d *decoder) transformBlock(c *[64]int16, last, bx, by int) {
	img := d.img
	pix, ps := img.Pix, img.Stride
	bs := 8 / d.scale
	x0, y0 := bx*bs, by*bs
	w, h := min(bs, img.Rect.Dx()-x0), min(bs, img.Rect.Dy()-y0)
	q := &d.qY
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

// trailingZeros is bits.TrailingZeros64 as an int.
func trailingZeros(x uint64) int { return bits.TrailingZeros64(x) }
