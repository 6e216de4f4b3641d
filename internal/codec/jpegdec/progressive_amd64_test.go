package jpegdec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomBand returns the band of a random AC scan: 1 to 63, or a part.
func randomBand(r *rand.Rand) (ss, se int) {
	switch r.IntN(3) {
	case 0:
		return 1, 63
	case 1:
		return 1, 1 + r.IntN(10)
	}
	ss = 1 + r.IntN(63)
	return ss, ss + r.IntN(64-ss)
}

// randomCoefs returns the coefficients and nz of nb blocks as earlier
// scans leave them: sign and magnitude, nonzero where nz says, with bit
// al and those under it clear, and a few nz bits of zero coefficients,
// which a corrupt file can leave. With empty, the band ss to se is still
// all zero, as before its first scan.
func randomCoefs(r *rand.Rand, nb, ss, se, al int, empty bool) ([]uint64, []uint64) {
	coefs, nz := make([]uint64, 16*nb), make([]uint64, nb)
	density := 1 + r.IntN(4)
	for b := 0; b < nb; b++ {
		z := (*zigzagBlock)(coefs[16*b:])
		z[0] = uint64(uint16(r.Uint32()))
		for k := 1; k < 64; k++ {
			if empty && k >= ss && k <= se || r.IntN(density) != 0 {
				continue
			}
			if r.IntN(30) == 0 {
				nz[b] |= 1 << k
				continue
			}
			mag := uint64(1+r.IntN(200)) << (al + 1) & 0x7fff
			if mag == 0 {
				mag = 1 << (al + 1)
			}
			if r.IntN(2) == 0 {
				mag |= 0x8000
			}
			z[k/4] |= mag << (16 * (k % 4))
			nz[b] |= 1 << k
		}
	}
	return coefs, nz
}

// TestACScansAsm checks acFirstAsm and acRefineAsm against acFirstGo and
// acRefineGo on random data decoded with random tables (complete and not,
// with long codes, and made of the symbols of each kind of scan), random
// bands and successive approximation, random coefficients before, EOB runs
// going in, stuffed bytes, markers and ends of data: each run of blocks
// must give the same coefficients, nz, EOB run, error and bits read.
func TestACScansAsm(t *testing.T) {
	needAVX2(t)
	r := rand.New(rand.NewPCG(31, 32))
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	// The symbols of refinement scans: a run and size 1, EOBr and ZRL.
	var refineSyms []byte
	for run := 0; run < 16; run++ {
		refineSyms = append(refineSyms, byte(run<<4|1))
		if run < 15 {
			refineSyms = append(refineSyms, byte(run<<4))
		}
	}
	refineSyms = append(refineSyms, 0xf0)
	for trial := 0; trial < 4000; trial++ {
		refine := trial%2 == 1
		name := fmt.Sprintf("trial %d, refine %v", trial, refine)
		ss, se := randomBand(r)
		al := r.IntN(14)
		var ac *huffTable
		switch {
		case refine && trial%3 != 0:
			ac = randomTable(t, r, refineSyms, 4+r.IntN(len(refineSyms)-4), trial%7 == 1, false)
		case trial%5 == 0:
			syms := []byte{0x00, 0x10, 0x20, 0x01, 0x02, 0x03, 0x11, 0x12, 0x21, 0x31, 0xf0, 0x04, 0x05, 0x41, 0x13, 0x22}
			ac = randomTable(t, r, syms, len(syms), false, false)
		default:
			ac = randomTable(t, r, all, 2+r.IntN(255), trial%7 == 2, false)
		}
		if !refine {
			ac = ac.withLanes(uint(al))
		}
		nb := 1 + r.IntN(40)
		coefs, nz := randomCoefs(r, nb, ss, se, al, !refine)
		data := randomScan(r, 8+r.IntN(800), trial%3 == 0)
		eobrun := 0
		if r.IntN(4) == 0 {
			eobrun = r.IntN(2 * nb)
		}
		hdr := scanHeader{ss: ss, se: se, al: al}
		if refine {
			hdr.ah = al + 1
		}
		asm := &progScan{hdr: hdr, ac: ac, br: bitReader{data: data}, eobrun: eobrun}
		gos := &progScan{hdr: hdr, ac: ac, br: bitReader{data: data}, eobrun: eobrun}
		cAsm, nzAsm := slices.Clone(coefs), slices.Clone(nz)
		var errAsm, errGo error
		if refine {
			errAsm, errGo = asm.acRefine(cAsm, nzAsm), gos.acRefineGo(coefs, nz)
		} else {
			errAsm, errGo = asm.acFirst(cAsm, nzAsm), gos.acFirstGo(coefs, nz)
		}
		if errAsm != errGo {
			t.Fatalf("%s: error %v, Go %v", name, errAsm, errGo)
		}
		if errGo != nil {
			continue
		}
		if !slices.Equal(cAsm, coefs) || !slices.Equal(nzAsm, nz) {
			for b := 0; b < nb; b++ {
				if !slices.Equal(cAsm[16*b:16*b+16], coefs[16*b:16*b+16]) || nzAsm[b] != nz[b] {
					t.Fatalf("%s (band %d–%d, al %d): block %d: coefficients %x, nz %x\nGo: %x, nz %x",
						name, ss, se, al, b, cAsm[16*b:16*b+16], nzAsm[b], coefs[16*b:16*b+16], nz[b])
				}
			}
		}
		if asm.eobrun != gos.eobrun {
			t.Fatalf("%s: EOB run %d, Go %d", name, asm.eobrun, gos.eobrun)
		}
		if ca, cg := consumed(&asm.br), consumed(&gos.br); ca != cg || (asm.br.overrun() == nil) != (gos.br.overrun() == nil) {
			t.Fatalf("%s: %d bits read (overrun %v), Go %d (%v)", name, ca, asm.br.overrun(), cg, gos.br.overrun())
		}
	}
}
