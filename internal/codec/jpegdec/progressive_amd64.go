package jpegdec

import "github.com/escala-img/escala/internal/codec/simd"

// acRefineAsm decodes the blocks of an AC refinement scan as acRefineGo
// does, from the first, and returns how many it decoded. It stops at a
// block that needs what it leaves to Go, a code that starts no symbol or
// a marker or the end of the data within reach of the reader, with the
// reader and *eobrun as they were at that block's start.
//
//go:noescape
func acRefineAsm(br *bitReader, eobrun *int, ac *huffTable, coefs, nz []uint64, ss, se, al uint) (done int)

// acRefine is acRefineGo, in assembly on amd64 with AVX2 but for the
// blocks that acRefineAsm leaves to it.
func (s *progScan) acRefine(coefs, nz []uint64) error {
	if !simd.AVX2 {
		return s.acRefineGo(coefs, nz)
	}
	ss, se, al := uint(s.hdr.ss&63), uint(s.hdr.se&63), uint(s.hdr.al&15)
	coefs = coefs[:16*len(nz)]
	for len(nz) > 0 {
		b := acRefineAsm(&s.br, &s.eobrun, s.ac, coefs, nz, ss, se, al)
		if b == len(nz) {
			break
		}
		if err := s.acRefineGo(coefs[16*b:16*b+16], nz[b:b+1]); err != nil {
			return err
		}
		coefs, nz = coefs[16*b+16:], nz[b+1:]
	}
	return nil
}

// acFirstAsm decodes the blocks of a first AC scan as acFirstGo does, from
// block b on, at zigzag index k within it or, for k < 0, at its start. It
// returns where it stopped and how: blockDone at the end, blockFill before
// a symbol for which the reader needs fill, with the block's nonzero
// coefficients so far in nz, or at an error.
//
//go:noescape
func acFirstAsm(br *bitReader, eobrun *int, ac *huffTable, coefs, nz []uint64, ss, se, al, b, k int) (nb, nk, status int)

// acFirst is acFirstGo, in assembly on amd64 with AVX2.
func (s *progScan) acFirst(coefs, nz []uint64) error {
	if !simd.AVX2 {
		return s.acFirstGo(coefs, nz)
	}
	ss, se, al := s.hdr.ss, s.hdr.se, s.hdr.al&15
	coefs = coefs[:16*len(nz)]
	b, k := 0, -1
	for {
		var st int
		b, k, st = acFirstAsm(&s.br, &s.eobrun, s.ac, coefs, nz, ss, se, al, b, k)
		switch st {
		case blockDone:
			return nil
		case blockFill:
			s.br.pos, s.br.bits, s.br.n = s.br.fill(s.br.pos, s.br.bits, s.br.n)
		case blockBadCode:
			return errBadCode
		default:
			return errBadIndex
		}
	}
}
