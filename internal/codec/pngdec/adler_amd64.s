#include "textflag.h"

// func adlerAVX2(p []byte) (sum, prefix, weighted uint64)
//
// For the blocks of 32 bytes of p (len(p) a multiple of 32, at most 5536):
// sum is the sum of all bytes, prefix the sum over the blocks of the sum
// of the bytes of the blocks before each, and weighted the sum of each
// byte times 32 minus its offset in its block. VPSADBW sums the bytes of
// each quarter of a block into a 64-bit lane (Y1 accumulates them, and Y2
// the value Y1 had before each block); VPMADDUBSW and VPMADDWD multiply
// the bytes by their weights and add them into 32-bit lanes (Y3), which
// hold at most 173 blocks × 32130.
TEXT ·adlerAVX2(SB), NOSPLIT, $0-48
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VMOVDQU adlerWeights<>(SB), Y4
	VMOVDQU adlerOnes<>(SB), Y5
	TESTQ CX, CX
	JEQ sums

loop:
	VMOVDQU (SI), Y6
	VPADDQ Y1, Y2, Y2
	VPSADBW Y0, Y6, Y7
	VPADDQ Y7, Y1, Y1
	VPMADDUBSW Y4, Y6, Y8
	VPMADDWD Y5, Y8, Y8
	VPADDD Y8, Y3, Y3
	ADDQ $32, SI
	SUBQ $32, CX
	JNE loop

sums:
	// sum: the four 64-bit lanes of Y1.
	VEXTRACTI128 $1, Y1, X6
	VPADDQ X6, X1, X1
	VPSHUFD $0x4e, X1, X6
	VPADDQ X6, X1, X1
	VMOVQ X1, AX
	MOVQ AX, sum+24(FP)
	// prefix: those of Y2.
	VEXTRACTI128 $1, Y2, X6
	VPADDQ X6, X2, X2
	VPSHUFD $0x4e, X2, X6
	VPADDQ X6, X2, X2
	VMOVQ X2, AX
	MOVQ AX, prefix+32(FP)
	// weighted: the eight 32-bit lanes of Y3.
	VEXTRACTI128 $1, Y3, X6
	VPADDD X6, X3, X3
	VPSHUFD $0x4e, X3, X6
	VPADDD X6, X3, X3
	VPSHUFD $0xb1, X3, X6
	VPADDD X6, X3, X3
	VMOVD X3, AX
	MOVQ AX, weighted+40(FP)
	VZEROUPPER
	RET

// The weights of the bytes of a block, 32 down to 1, for VPMADDUBSW.
DATA adlerWeights<>+0(SB)/8, $0x191a1b1c1d1e1f20
DATA adlerWeights<>+8(SB)/8, $0x1112131415161718
DATA adlerWeights<>+16(SB)/8, $0x090a0b0c0d0e0f10
DATA adlerWeights<>+24(SB)/8, $0x0102030405060708
GLOBL adlerWeights<>(SB), RODATA|NOPTR, $32

// 16-bit ones, for VPMADDWD.
DATA adlerOnes<>+0(SB)/8, $0x0001000100010001
DATA adlerOnes<>+8(SB)/8, $0x0001000100010001
DATA adlerOnes<>+16(SB)/8, $0x0001000100010001
DATA adlerOnes<>+24(SB)/8, $0x0001000100010001
GLOBL adlerOnes<>(SB), RODATA|NOPTR, $32
