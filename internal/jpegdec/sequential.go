package jpegdec

import (
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// A slot is one block of an MCU, in the order the blocks are coded.
type slot struct {
	luma   bool
	dx, dy int // the place of a luma block among the luma blocks of its MCU
	c      int // the scan component, for the DC prediction
	dc, ac *huffTable
}

// slots lists the blocks of the scan's MCUs (T.81 A.2.3).
func (d *decoder) slots(sc *scanHeader) []slot {
	var s []slot
	for i := 0; i < sc.n; i++ {
		c := d.comps[sc.comps[i].ci]
		h, v := c.h, c.v
		if sc.n == 1 {
			h, v = 1, 1
		}
		for y := 0; y < v; y++ {
			for x := 0; x < h; x++ {
				s = append(s, slot{luma: sc.comps[i].ci == 0, dx: x, dy: y, c: i, dc: sc.comps[i].dc, ac: sc.comps[i].ac})
			}
		}
	}
	return s
}

// A seqDecoder entropy-decodes the MCUs of a sequential scan.
type seqDecoder struct {
	d       *decoder
	br      bitReader
	slots   []slot
	mcusX   int
	hy, vy  int // luma blocks per MCU
	ri      int // restart interval in MCUs, 0 for none
	todo    int // MCUs left in this restart interval
	pred    [4]int32
	scratch [64]int16
}

// newSeqDecoder starts decoding a sequential scan at data[pos:].
func (d *decoder) newSeqDecoder(sc *scanHeader, pos int) *seqDecoder {
	mcusX, _, hy, vy := d.geometry(sc)
	s := &seqDecoder{d: d, slots: d.slots(sc), mcusX: mcusX, hy: hy, vy: vy, ri: d.restartInterval, todo: d.restartInterval}
	s.br = bitReader{data: d.data, pos: pos}
	return s
}

// decodeRows decodes the MCU rows r0 to r1-1 into coef and last, which hold
// their luma blocks in rows of d.bwImg blocks. Blocks outside the image are
// decoded and dropped.
func (s *seqDecoder) decodeRows(coef []int16, last []uint8, r0, r1 int) error {
	d := s.d
	stride := d.bwImg
	for my := r0; my < r1; my++ {
		for mx := 0; mx < s.mcusX; mx++ {
			if s.ri > 0 {
				if s.todo == 0 {
					if err := s.br.restart(); err != nil {
						return err
					}
					s.pred = [4]int32{}
					s.todo = s.ri
				}
				s.todo--
			}
			for i := range s.slots {
				sl := &s.slots[i]
				if !sl.luma {
					if err := s.br.skipBlock(sl.dc, sl.ac); err != nil {
						return err
					}
					continue
				}
				bx, by := mx*s.hy+sl.dx, my*s.vy+sl.dy
				if bx >= d.bwImg || by >= d.bhImg {
					l, err := s.br.decodeBlock(&s.scratch, sl.dc, sl.ac, &s.pred[sl.c&3])
					if err != nil {
						return err
					}
					clearBlock(&s.scratch, l)
					continue
				}
				bi := (by-r0*s.vy)*stride + bx
				l, err := s.br.decodeBlock((*[64]int16)(coef[bi*64:]), sl.dc, sl.ac, &s.pred[sl.c&3])
				if err != nil {
					return err
				}
				last[bi] = uint8(l)
			}
		}
	}
	return s.br.overrun()
}

// A coefBuf holds the luma coefficients of some MCU rows.
type coefBuf struct {
	coef []int16
	last []uint8
}

// A rowJob is a run of decoded MCU rows waiting for the inverse DCT.
type rowJob struct {
	buf    *coefBuf
	r0, r1 int
}

// batchBlocks is about how many luma blocks a job holds: 64 KiB of
// coefficients. Tests lower it to take the parallel paths on small images.
var batchBlocks = 512

// bufferBudget bounds the memory of the coefficient buffers of a sequential
// scan. When fewer than three buffers fit, which takes MCU rows some 100 000
// pixels wide, the scan is decoded with one buffer on one goroutine.
const bufferBudget = 16 << 20

// sequentialScan decodes a sequential scan with luma. The calling goroutine
// entropy-decodes MCU rows into a few buffers while other goroutines run
// the inverse DCT of the finished ones; when every buffer is busy it runs
// one itself. A scan whose restart intervals fall on MCU rows is decoded
// interval by interval in parallel instead.
func (d *decoder) sequentialScan(sc *scanHeader) error {
	_, mcusY, _, vy := d.geometry(sc)
	rowBlocks := d.bwImg * vy // the luma blocks of an MCU row in the image
	batch := max(1, batchBlocks/rowBlocks)
	if d.procs > 1 && d.restartInterval > 0 && mcusY >= 4*batch {
		if done, err := d.sequentialRestarts(sc, batch); done {
			return err
		}
	}
	s := d.newSeqDecoder(sc, d.pos)
	bufBlocks := min(batch*vy, d.bhImg) * d.bwImg
	newBuf := func() *coefBuf {
		return &coefBuf{coef: make([]int16, bufBlocks*64), last: make([]uint8, bufBlocks)}
	}
	run := func(j rowJob) {
		d.transformRows(j.buf.coef, j.buf.last, d.bwImg, j.r0*vy, (j.r1-j.r0)*vy, true)
	}
	nbuf := min(2*d.procs, mcusY/batch, bufferBudget/(bufBlocks*129))
	if nbuf < 3 {
		buf := newBuf()
		for r0 := 0; r0 < mcusY; r0 += batch {
			r1 := min(r0+batch, mcusY)
			if err := s.decodeRows(buf.coef, buf.last, r0, r1); err != nil {
				return err
			}
			run(rowJob{buf, r0, r1})
		}
		d.pos = s.br.pos
		return nil
	}

	workers := min(d.procs-1, nbuf-2)
	jobs := make(chan rowJob, nbuf)
	free := make(chan *coefBuf, nbuf)
	for i := 0; i < nbuf; i++ {
		free <- newBuf()
	}
	var g errgroup.Group
	for i := 0; i < workers; i++ {
		g.Go(func() error {
			for j := range jobs {
				run(j)
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
				run(j)
				buf = j.buf
			}
		}
		r1 := min(r0+batch, mcusY)
		if err = s.decodeRows(buf.coef, buf.last, r0, r1); err == nil {
			jobs <- rowJob{buf, r0, r1}
		}
	}
	close(jobs)
	for j := range jobs {
		run(j)
	}
	g.Wait() // the workers return no error
	if err != nil {
		return err
	}
	d.pos = s.br.pos
	return nil
}

// sequentialRestarts decodes a sequential scan whose restart intervals start
// at MCU rows often enough, several runs of rows in parallel, each from its
// own restart marker. It returns done false, having done nothing, when the
// scan does not fit: then the markers are not where they should be and the
// caller decodes the scan in order, which finds what is wrong.
func (d *decoder) sequentialRestarts(sc *scanHeader, batch int) (bool, error) {
	mcusX, mcusY, _, vy := d.geometry(sc)
	ri := d.restartInterval
	// Runs of about batch MCU rows that start at the start of an interval.
	var runs [][2]int
	longest, r0 := 0, 0
	for r := 1; r <= mcusY; r++ {
		if r == mcusY || r-r0 >= batch && r*mcusX%ri == 0 {
			runs = append(runs, [2]int{r0, r})
			longest = max(longest, r-r0)
			r0 = r
		}
	}
	bufBlocks := min(longest*vy, d.bhImg) * d.bwImg
	if len(runs) < 2*d.procs || d.procs*bufBlocks*129 > bufferBudget {
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
		s := d.newSeqDecoder(sc, 0)
		coef, last := make([]int16, bufBlocks*64), make([]uint8, bufBlocks)
		for !failed.Load() {
			i := int(next.Add(1) - 1)
			if i >= len(runs) {
				return nil
			}
			r0, r1 := runs[i][0], runs[i][1]
			s.br.reset(starts[r0*mcusX/ri])
			s.pred, s.todo = [4]int32{}, ri
			if err := s.decodeRows(coef, last, r0, r1); err != nil {
				failed.Store(true)
				return err
			}
			d.transformRows(coef, last, d.bwImg, r0*vy, (r1-r0)*vy, true)
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
