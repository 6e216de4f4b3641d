package jpegenc

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// refBits is a bit writer done the obvious way, one bit at a time.
type refBits struct {
	out  []byte
	cur  byte
	nCur int
}

func (r *refBits) put(v uint64, n int) {
	for i := n - 1; i >= 0; i-- {
		r.cur = r.cur<<1 | byte(v>>i&1)
		r.nCur++
		if r.nCur == 8 {
			r.out = append(r.out, r.cur)
			if r.cur == 0xff {
				r.out = append(r.out, 0)
			}
			r.cur, r.nCur = 0, 0
		}
	}
}

func (r *refBits) pad() {
	for r.nCur != 0 {
		r.put(1, 1)
	}
}

// TestBitWriter checks put, fill, flush, stuff and pad against refBits, with
// codes biased to ones so that many bytes are 0xFF.
func TestBitWriter(t *testing.T) {
	for _, ones := range []float64{0, 0.5, 0.9, 1} {
		rng := rand.New(rand.NewPCG(uint64(ones*100), 3))
		bw := bitWriter{buf: make([]byte, 1<<16), free: 64}
		var ref refBits
		for range 5000 {
			n := 1 + rng.IntN(16)
			var v uint64
			for i := range n {
				if rng.Float64() < ones {
					v |= 1 << i
				}
			}
			bw.pending, bw.free = bw.put(bw.pending, bw.free, uint32(v<<8)|uint32(n))
			ref.put(v, n)
			if rng.IntN(500) == 0 {
				bw.pad()
				ref.pad()
			}
		}
		bw.pad()
		ref.pad()
		if got := bw.buf[:bw.pos]; !bytes.Equal(got, ref.out) {
			t.Errorf("ones %.1f: bitWriter wrote %d bytes, differs from the reference's %d", ones, len(got), len(ref.out))
		}
	}
}

// TestWriteBlock checks the bits of whole blocks against refBits, coding
// each symbol the way T.81 F.1.2 describes.
func TestWriteBlock(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	bw := bitWriter{buf: make([]byte, 1<<20), free: 64}
	var ref refBits
	var zz coefs
	for range 3000 {
		var vals [64]int
		density := rng.Float64()
		var mask uint64
		for k := range vals {
			if k == 0 || rng.Float64() < density*density {
				lim := 1023
				if k == 0 {
					lim = 1024
				}
				vals[k] = rng.IntN(2*lim+1) - lim
			}
			if vals[k] != 0 {
				mask |= 1 << k
			}
			zz[2*k], zz[2*k+1] = byte(vals[k]), byte(vals[k]>>8)
		}
		diff := vals[0] - rng.IntN(2049) + 1024

		bw.writeBlock(&zz, mask, diff)

		size := func(v int) int { return int(nbits[max(v, -v)]) }
		value := func(v int) uint64 {
			if v < 0 {
				v--
			}
			return uint64(v) & (1<<size(v) - 1)
		}
		code := func(c *huffCodes, sym uint8) (uint64, int) {
			return uint64(c[sym] >> 8), int(c[sym]&0xff) - int(sym&15)
		}
		ref.put(code(&dcCodes, uint8(size(diff))))
		ref.put(value(diff), size(diff))
		run := 0
		for k := 1; k < 64; k++ {
			if vals[k] == 0 {
				run++
				continue
			}
			for ; run >= 16; run -= 16 {
				ref.put(code(&acCodes, 0xf0))
			}
			ref.put(code(&acCodes, uint8(run<<4|size(vals[k]))))
			ref.put(value(vals[k]), size(vals[k]))
			run = 0
		}
		if run > 0 {
			ref.put(code(&acCodes, 0x00))
		}
	}
	bw.pad()
	ref.pad()
	if got := bw.buf[:bw.pos]; !bytes.Equal(got, ref.out) {
		t.Errorf("writeBlock wrote %d bytes, differs from the reference's %d", len(got), len(ref.out))
	}
}

// BenchmarkWriteBlock measures the entropy coding of the blocks of a
// photo-like image at quality 80 (ns/block), without the transform.
func BenchmarkWriteBlock(b *testing.B) {
	const w, h = 512, 256
	g := testImage(b, "photo", w, h)
	tab := quantTable(80)
	qt := newQuantizer(&tab)
	n := w / 8 * (h / 8)
	zz, masks := make([]coefs, n), make([]uint64, n)
	var off [8]int
	for by := range h / 8 {
		for j := range off {
			off[j] = (8*by + j) * g.Stride
		}
		fdctRowGo(zz[by*w/8:][:w/8], masks[by*w/8:][:w/8], g.Pix, &off, 0, qt)
	}
	bw := bitWriter{buf: make([]byte, n*maxBlockBytes)}
	b.ReportAllocs()
	for b.Loop() {
		bw.pos, bw.pending, bw.free = 0, 0, 64
		prevDC := 0
		for i := range zz {
			dc := zz[i].at(0)
			bw.writeBlock(&zz[i], masks[i], dc-prevDC)
			prevDC = dc
		}
		bw.pad()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/block")
}
