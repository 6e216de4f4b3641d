package jpegdec

import (
	"github.com/escala-img/escala/internal/codec/jpegtab"
	"github.com/escala-img/escala/internal/codec/simd"
)

// zigzagOrder is jpegtab.Zigzag, for the assembly.
var zigzagOrder = jpegtab.Zigzag

// What decodeBlockAsm did.
const (
	blockDone     = iota // the block is decoded
	blockFill            // it stopped for bitReader.fill
	blockBadCode         // errBadCode
	blockBadIndex        // errBadIndex
)

// decodeBlockAsm decodes block c as decodeBlockGo does, from the zigzag
// index k on (0 for the DC coefficient), last being the index of the last
// coefficient set before k. It returns the next k and last, and stops
// early, with blockFill, when the reader's bits need fill rather than
// refill.
//
//go:noescape
func decodeBlockAsm(br *bitReader, c *[64]int16, dc, ac *huffTable, pred *int32, k, last int) (nk, nlast, status int)

// decodeBlock is decodeBlockGo, in assembly on amd64 with AVX2.
func (br *bitReader) decodeBlock(c *[64]int16, dc, ac *huffTable, pred *int32) (int, error) {
	if !simd.AVX2 {
		return br.decodeBlockGo(c, dc, ac, pred)
	}
	k, last := 0, 0
	for {
		var st int
		k, last, st = decodeBlockAsm(br, c, dc, ac, pred, k, last)
		switch st {
		case blockDone:
			return last, nil
		case blockFill:
			br.pos, br.bits, br.n = br.fill(br.pos, br.bits, br.n)
		case blockBadCode:
			return 0, errBadCode
		default:
			return 0, errBadIndex
		}
	}
}
