package jpegenc

import (
	"github.com/escala-img/escala/internal/codec/jpegtab"
	"github.com/escala-img/escala/internal/codec/simd"
)

// fdctGroupsAVX2 is fdctRowGo for len(zz) blocks, a positive multiple of
// 8, with AVX2, and t the vector layout of the quantizer. masks must hold
// len(zz) entries and pix the bytes pix[off[j]+x:][:8·len(zz)] for every
// row j.
//
//go:noescape
func fdctGroupsAVX2(zz []coefs, masks []uint64, pix []byte, off *[8]int, x int, t *vecQuantizer)

// zigzagScratch[k] is where fdctGroupsAVX2 keeps the coefficients of zigzag
// position k before packing them: natural index n = 8u+c in the vector
// S[8c+u] of its scratch area, 32 bytes each.
var zigzagScratch = func() (t [64]uint16) {
	for k, n := range jpegtab.Zigzag {
		t[k] = 32 * (uint16(n%8)*8 + uint16(n/8))
	}
	return
}()

// padOff addresses the rows of a group of blocks copied into a [512]byte.
var padOff = [8]int{0, 64, 128, 192, 256, 320, 384, 448}

// fdctRow transforms and quantises len(zz) blocks side by side, as
// fdctRowGo does, in assembly when the processor has AVX2. The assembly
// takes groups of 8 blocks: a row that is not a whole number of groups
// ends with a group that overlaps the one before, and a row of fewer than
// 8 blocks goes through a copy padded to 8, unless it has so few blocks
// that the Go code is faster.
func fdctRow(zz []coefs, masks []uint64, pix []byte, off *[8]int, x int, t *quantizer) {
	n := len(zz)
	if !simd.AVX2 || n < 3 {
		fdctRowGo(zz, masks, pix, off, x, t)
		return
	}
	masks = masks[:n]
	for _, o := range off {
		_ = pix[o+x : o+x+8*n]
	}
	if n >= 8 {
		whole := n &^ 7
		fdctGroupsAVX2(zz[:whole], masks[:whole], pix, off, x, &t.vec)
		if whole < n {
			fdctGroupsAVX2(zz[n-8:], masks[n-8:], pix, off, x+8*(n-8), &t.vec)
		}
		return
	}
	var (
		buf [512]byte
		pz  [8]coefs
		pm  [8]uint64
	)
	for j, o := range off {
		copy(buf[64*j:64*j+8*n], pix[o+x:])
	}
	fdctGroupsAVX2(pz[:], pm[:], buf[:], &padOff, 0, &t.vec)
	copy(zz, pz[:n])
	copy(masks, pm[:n])
}
