package jpegdec

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/escala-img/escala/internal/codec/mem"
)

// A slot is one block of an MCU, in the order the blocks are coded.
type slot struct {
	plane  int // the index in d.planes, or -1 for a block that is not decoded
	dx, dy int // the block's place among its component's blocks in the MCU
	hb, vb int // the component's blocks in an MCU: 1, 1 in a scan of one component
	bw, bh int // the blocks that hold the component's samples
	c      int // the scan component, for the DC prediction
	dc, ac *huffTable
	skip   *skipTable // for a block that is not decoded, or nil
}

// slots lists the blocks of the scan's MCUs (T.81 A.2.3).
func (d *decoder) slots(sc *scanHeader) []slot {
	var s []slot
	for i := 0; i < sc.n; i++ {
		c := d.comps[sc.comps[i].ci]
		sl := slot{plane: sc.comps[i].plane, hb: c.h, vb: c.v, c: i, dc: sc.comps[i].dc, ac: sc.comps[i].ac}
		if sc.n == 1 {
			sl.hb, sl.vb = 1, 1
		}
		if sl.plane >= 0 {
			sl.bw, sl.bh = d.planes[sl.plane].bw, d.planes[sl.plane].bh
		}
		for y := 0; y < sl.vb; y++ {
			for x := 0; x < sl.hb; x++ {
				sl.dx, sl.dy = x, y
				s = append(s, sl)
			}
		}
	}
	return s
}

// A scanPlane is a plane that a scan decodes, with its rows of blocks in
// each MCU row of the scan.
type scanPlane struct {
	p, vb int
}

// scanPlanes lists the planes that a scan decodes.
func (d *decoder) scanPlanes(sc *scanHeader) []scanPlane {
	var sp []scanPlane
	for _, c := range sc.comps[:sc.n] {
		if c.plane < 0 {
			continue
		}
		vb := 1
		if sc.n > 1 {
			vb = d.comps[c.ci].v
		}
		sp = append(sp, scanPlane{c.plane, vb})
	}
	return sp
}

// minSkipMCUs is the number of MCUs from which a sequential scan skips the
// blocks it does not decode with skipTables.
const minSkipMCUs = 1024

// A seqDecoder entropy-decodes the MCUs of a sequential scan.
type seqDecoder struct {
	br      bitReader
	ar      *arithScan // for an arithmetic-coded scan, else nil
	slots   []slot
	mcusX   int
	ri      int // restart interval in MCUs, 0 for none
	todo    int // MCUs left in this restart interval
	pred    [4]int32
	scratch [64]int16
}

// newSeqDecoder starts decoding a sequential scan at data[pos:].
func (d *decoder) newSeqDecoder(sc *scanHeader, pos int) *seqDecoder {
	mcusX, mcusY, _ := d.geometry(sc)
	s := &seqDecoder{slots: d.slots(sc), mcusX: mcusX, ri: d.restartInterval, todo: d.restartInterval}
	if d.arith {
		s.ar = d.newArithScan(sc, pos)
		return s
	}
	// Blocks that are not decoded are skipped with a skipTable of their
	// AC table, one for each such table, in scans large enough to repay
	// its memory and its entries.
	for i := range s.slots {
		sl := &s.slots[i]
		if sl.plane >= 0 || mcusX*mcusY < minSkipMCUs {
			continue
		}
		for j := range s.slots[:i] {
			if s.slots[j].ac == sl.ac && s.slots[j].skip != nil {
				sl.skip = s.slots[j].skip
			}
		}
		if sl.skip == nil {
			sl.skip = &skipTable{t: sl.ac}
		}
	}
	s.br = bitReader{data: d.data, pos: pos}
	return s
}

// decodeRows decodes the MCU rows r0 to r1-1 into buf, which holds the
// blocks of each plane of the scan in rows of its width. Blocks outside a
// component's samples are decoded and dropped, and so are those of
// components that are not decoded.
func (s *seqDecoder) decodeRows(buf *coefBuf, r0, r1 int) error {
	for my := r0; my < r1; my++ {
		for mx := 0; mx < s.mcusX; mx++ {
			if s.ri > 0 {
				if s.todo == 0 {
					if err := s.restart(); err != nil {
						return err
					}
					s.pred = [4]int32{}
					s.todo = s.ri
				}
				s.todo--
			}
			if s.ar != nil {
				if err := s.arithMCU(buf, mx, my, r0); err != nil {
					return err
				}
				continue
			}
			for i := range s.slots {
				sl := &s.slots[i]
				if sl.plane < 0 {
					if err := s.br.skipBlock(sl.dc, sl.ac, sl.skip); err != nil {
						return err
					}
					continue
				}
				bx, by := mx*sl.hb+sl.dx, my*sl.vb+sl.dy
				if bx >= sl.bw || by >= sl.bh {
					l, err := s.br.decodeBlock(&s.scratch, sl.dc, sl.ac, &s.pred[sl.c&3])
					if err != nil {
						return err
					}
					clearBlock(&s.scratch, l)
					continue
				}
				bi := (by-r0*sl.vb)*sl.bw + bx
				l, err := s.br.decodeBlock((*[64]int16)(buf.coef[sl.plane&3][bi*64:]), sl.dc, sl.ac, &s.pred[sl.c&3])
				if err != nil {
					return err
				}
				buf.last[sl.plane&3][bi] = uint8(l)
			}
		}
	}
	if s.ar != nil {
		return s.ar.overrun()
	}
	return s.br.overrun()
}

// arithMCU decodes MCU (mx, my) of an arithmetic-coded scan into buf, as
// decodeRows does.
func (s *seqDecoder) arithMCU(buf *coefBuf, mx, my, r0 int) error {
	for i := range s.slots {
		sl := &s.slots[i]
		bx, by := mx*sl.hb+sl.dx, my*sl.vb+sl.dy
		if sl.plane < 0 || bx >= sl.bw || by >= sl.bh {
			l, err := s.ar.decodeBlock(&s.scratch, sl.c, &s.pred[sl.c&3])
			if err != nil {
				return s.ar.fail(err)
			}
			clearBlock(&s.scratch, l)
			continue
		}
		bi := (by-r0*sl.vb)*sl.bw + bx
		l, err := s.ar.decodeBlock((*[64]int16)(buf.coef[sl.plane&3][bi*64:]), sl.c, &s.pred[sl.c&3])
		if err != nil {
			return s.ar.fail(err)
		}
		buf.last[sl.plane&3][bi] = uint8(l)
	}
	return nil
}

// restart ends a restart interval and starts the next.
func (s *seqDecoder) restart() error {
	if s.ar != nil {
		return s.ar.restart()
	}
	return s.br.restart()
}

// restartAt starts decoding a restart interval at pos.
func (s *seqDecoder) restartAt(pos int) {
	if s.ar != nil {
		s.ar.restartAt(pos)
	} else {
		s.br.reset(pos)
	}
	s.pred, s.todo = [4]int32{}, s.ri
}

// pos returns where the decoding stopped in the data.
func (s *seqDecoder) pos() int {
	if s.ar != nil {
		return s.ar.dec.pos
	}
	return s.br.pos
}

// A coefBuf holds the coefficients of some MCU rows of a scan, for each
// plane that it decodes, and a row of replicated samples for each plane.
type coefBuf struct {
	coef [4][]int16
	last [4][]uint8
	rows []byte
}

// A rowJob is a run of decoded MCU rows waiting for the inverse DCT.
type rowJob struct {
	buf    *coefBuf
	r0, r1 int
}

// batchBlocks is about how many blocks a job holds: 64 KiB of
// coefficients. Tests lower it to take the parallel paths on small images.
var batchBlocks = 512

// bufferBudget bounds the memory of the coefficient buffers of a sequential
// scan. When fewer than three buffers fit, which takes MCU rows some 100 000
// pixels wide, the scan is decoded with one buffer on one goroutine.
const bufferBudget = 16 << 20

// A seqScan is what the goroutines decoding a sequential scan share.
type seqScan struct {
	d       *decoder
	sc      *scanHeader
	planes  []scanPlane
	batch   int  // MCU rows in a job
	rows    int  // MCU rows of image blocks in a buffer
	convert bool // the scan has every plane of a colour file: convert the rows it decodes
	src     []sampleRows

	mu   sync.Mutex
	bufs []*coefBuf // every buffer made, to give back to the pool at the end
}

// newSeqScan plans the decoding of a sequential scan.
func (d *decoder) newSeqScan(sc *scanHeader) *seqScan {
	q := &seqScan{d: d, sc: sc, planes: d.scanPlanes(sc)}
	rowBlocks := 0 // blocks of an MCU row that are kept
	for _, sp := range q.planes {
		rowBlocks += d.planes[sp.p].bw * sp.vb
	}
	q.batch = max(1, batchBlocks/rowBlocks)
	q.convert = d.model != modelLuma && d.model != modelUpLuma && len(q.planes) == len(d.planes)
	if q.convert {
		q.src = make([]sampleRows, len(d.planes))
		for i, p := range d.planes {
			q.src[i] = sampleRows{pix: p.pix, stride: p.stride}
		}
	}
	return q
}

// bufBytes is the size of a buffer for runs of up to rows MCU rows.
func (q *seqScan) bufBytes(rows int) int {
	n := 0
	for _, sp := range q.planes {
		p := &q.d.planes[sp.p]
		n += min(rows*sp.vb, p.bh) * p.bw * 129
	}
	return n
}

// newBuf returns a buffer for runs of up to rows MCU rows, its
// coefficients zero. Its memory comes from the pool, and goes back with
// release once the scan is done.
func (q *seqScan) newBuf(rows int) *coefBuf {
	b := &coefBuf{}
	for _, sp := range q.planes {
		p := &q.d.planes[sp.p]
		n := min(rows*sp.vb, p.bh) * p.bw
		b.coef[sp.p&3], b.last[sp.p&3] = mem.Int16s.Get(n*64), make([]uint8, n)
		clear(b.coef[sp.p&3])
	}
	if q.convert {
		b.rows = make([]byte, len(q.d.planes)*q.d.img.Rect.Dx())
	}
	q.mu.Lock()
	q.bufs = append(q.bufs, b)
	q.mu.Unlock()
	return b
}

// release gives the memory of the scan's buffers back to the pool. No
// goroutine of the scan may be running.
func (q *seqScan) release() {
	for _, b := range q.bufs {
		for _, c := range b.coef {
			mem.Int16s.Put(c)
		}
	}
	q.bufs = nil
}

// transform runs the inverse DCT of the MCU rows r0 to r1-1 held in buf,
// zeroing the coefficients after, and converts the rows of pixels they
// make when the scan has every plane.
func (q *seqScan) transform(buf *coefBuf, r0, r1 int) {
	d := q.d
	for _, sp := range q.planes {
		p := &d.planes[sp.p]
		by0 := r0 * sp.vb
		t := d.target(sp.p)
		d.transformRows(&t, buf.coef[sp.p&3], buf.last[sp.p&3], p.bw, by0, min(r1*sp.vb, p.bh)-by0)
	}
	if q.convert {
		_, _, rowsPer := d.geometry(q.sc)
		bs := 8 / d.scale
		d.convertRows(q.src, r0*rowsPer*bs, min(r1*rowsPer*bs, d.img.Rect.Dy()), buf.rows)
	}
}

// sequentialScan decodes a sequential scan. The calling goroutine
// entropy-decodes MCU rows into a few buffers while other goroutines run
// the inverse DCT of the finished ones; when every buffer is busy it runs
// one itself. A scan whose restart intervals fall on MCU rows is decoded
// interval by interval in parallel instead.
func (d *decoder) sequentialScan(sc *scanHeader) error {
	_, mcusY, _ := d.geometry(sc)
	q := d.newSeqScan(sc)
	defer q.release() // after the goroutines of the scan, which end before it returns
	batch := q.batch
	if q.convert {
		d.converted = true
	}
	if d.procs > 1 && d.restartInterval > 0 && mcusY >= 4*batch {
		if done, err := d.sequentialRestarts(q); done {
			return err
		}
	}
	s := d.newSeqDecoder(sc, d.pos)
	nbuf := min(2*d.procs, mcusY/batch, bufferBudget/q.bufBytes(batch))
	if nbuf < 3 {
		buf := q.newBuf(batch)
		for r0 := 0; r0 < mcusY; r0 += batch {
			r1 := min(r0+batch, mcusY)
			if err := s.decodeRows(buf, r0, r1); err != nil {
				return err
			}
			q.transform(buf, r0, r1)
		}
		d.pos = s.pos()
		return nil
	}

	workers := min(d.procs-1, nbuf-2)
	jobs := make(chan rowJob, nbuf)
	free := make(chan *coefBuf, nbuf)
	for i := 0; i < nbuf; i++ {
		free <- q.newBuf(batch)
	}
	var g errgroup.Group
	for i := 0; i < workers; i++ {
		g.Go(func() error {
			for j := range jobs {
				q.transform(j.buf, j.r0, j.r1)
				free <- j.buf
			}
			return nil
		})
	}
	var err error
	for r0 := 0; r0 < mcusY && err == nil; r0 += batch {
		var buf *coefBuf
		select {
		case buf = <-free:
		default:
			// Every buffer is waiting or in work: do a waiting job here.
			select {
			case buf = <-free:
			case j := <-jobs:
				q.transform(j.buf, j.r0, j.r1)
				buf = j.buf
			}
		}
		r1 := min(r0+batch, mcusY)
		if err = s.decodeRows(buf, r0, r1); err == nil {
			jobs <- rowJob{buf, r0, r1}
		}
	}
	close(jobs)
	for j := range jobs {
		q.transform(j.buf, j.r0, j.r1)
	}
	g.Wait() // the workers return no error
	if err != nil {
		return err
	}
	d.pos = s.pos()
	return nil
}

// sequentialRestarts decodes a sequential scan whose restart intervals start
// at MCU rows often enough, several runs of rows in parallel, each from its
// own restart marker. It returns done false, having done nothing, when the
// scan does not fit: then the markers are not where they should be and the
// caller decodes the scan in order, which finds what is wrong.
func (d *decoder) sequentialRestarts(q *seqScan) (bool, error) {
	mcusX, mcusY, _ := d.geometry(q.sc)
	ri := d.restartInterval
	// Runs of about batch MCU rows that start at the start of an interval.
	var runs [][2]int
	longest, r0 := 0, 0
	for r := 1; r <= mcusY; r++ {
		if r == mcusY || r-r0 >= q.batch && r*mcusX%ri == 0 {
			runs = append(runs, [2]int{r0, r})
			longest = max(longest, r-r0)
			r0 = r
		}
	}
	if len(runs) < 2*d.procs || d.procs*q.bufBytes(longest) > bufferBudget {
		return false, nil
	}
	// Where each restart interval's data starts, and where the scan ends.
	intervals := (mcusX*mcusY + ri - 1) / ri
	starts := make([]int, 0, intervals)
	starts = append(starts, d.pos)
	end := -1
	for pos := d.pos; ; {
		at, m := nextMarker(d.data, pos, false)
		if at < 0 {
			return false, nil
		}
		if m < 0xd0 || m > 0xd7 {
			end = at
			break
		}
		if len(starts) == intervals {
			return false, nil
		}
		starts = append(starts, at+2)
		pos = at + 2
	}
	if len(starts) != intervals {
		return false, nil
	}
	var next atomic.Int64
	var failed atomic.Bool
	err := parallel(d.procs, func() error {
		s := d.newSeqDecoder(q.sc, 0)
		buf := q.newBuf(longest)
		for !failed.Load() {
			i := int(next.Add(1) - 1)
			if i >= len(runs) {
				return nil
			}
			r0, r1 := runs[i][0], runs[i][1]
			s.restartAt(starts[r0*mcusX/ri])
			if err := s.decodeRows(buf, r0, r1); err != nil {
				failed.Store(true)
				return err
			}
			q.transform(buf, r0, r1)
		}
		return nil
	})
	if err != nil {
		return true, err
	}
	d.pos = end
	return true, nil
}

// parallel runs f on n goroutines, the calling one and n-1 new ones, and
// returns the first error once all have returned.
func parallel(n int, f func() error) error {
	var g errgroup.Group
	for i := 1; i < n; i++ {
		g.Go(f)
	}
	err := f()
	if gerr := g.Wait(); err == nil {
		err = gerr
	}
	return err
}
