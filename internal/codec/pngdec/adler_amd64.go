package pngdec

import "github.com/escala-img/escala/internal/codec/simd"

// adlerAVX2 returns, for the 32-byte blocks of p (len(p) a multiple of 32,
// at most adlerBlock), the sum of its bytes, the sum over the blocks of
// the sum of the bytes before each, and the sum of each byte times 32
// minus its offset in its block.
//
//go:noescape
func adlerAVX2(p []byte) (sum, prefix, weighted uint64)

// adlerUpdate is adlerGo, with AVX2 for the blocks of 32 bytes.
func adlerUpdate(s1, s2 uint32, p []byte) (uint32, uint32) {
	if !simd.AVX2 || len(p) < 32 {
		return adlerGo(s1, s2, p)
	}
	n := len(p) &^ 31
	sum, prefix, weighted := adlerAVX2(p[:n])
	// Over the blocks, s2 gains n·s1 for the s1 it starts with, 32 times
	// the bytes summed before each block, and the weighted bytes.
	t2 := uint64(s2) + uint64(n)*uint64(s1) + 32*prefix + weighted
	t1 := uint64(s1) + sum
	return adlerGo(uint32(t1%adlerMod), uint32(t2%adlerMod), p[n:])
}
