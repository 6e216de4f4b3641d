#include "textflag.h"

// func paethAVX2(cur, prev []byte, bpp int, masks *[2][16]byte) int
//
// Paeth for 2 to 8 bytes a pixel, one pixel at a time in eight 16-bit
// lanes of an XMM register, lane i byte i of the pixel. Pixels of 2 to 4
// bytes are read and written 4 bytes at a time, larger ones 8, so a step
// touches bytes of the next pixel: masks[0] (0x00ff in the lanes below
// bpp, 0 above) zeroes their lanes in the results, and masks[1] (0xff in
// the bytes from bpp on) puts their filtered bytes back into what is
// stored. The filtered bytes of the next pixel are loaded before the
// current one is stored, so that no load waits for a store that it
// overlaps. paethAVX2 stops when the pixel after the next would pass the
// end of the row, and returns the offset of the first byte it left.
//
// The predictor is computed as paeth in filter.go does: with t = 3c−a−b,
// lo = min(a, b) and hi = max(a, b), it is hi where t ≤ lo, else lo where
// t ≥ hi, else c. The left neighbour a is on the critical path from one
// pixel to the next, so what does not depend on it is computed beside it
// (3c−b, and x+c masked to 8 bits), the candidate results x+lo, x+hi and
// x+c are masked before the choice, and the choice is made with AND and
// OR rather than VPBLENDVB, which takes longer.
//
// Registers: DI cur, SI prev, AX offset, DX bpp, CX the last offset at
// which a step may start; X0 a, X1 c, X3 the filtered bytes, X14 masks[0],
// X15 masks[1].

// PAETH computes the new a in X0 from b in X2 and the filtered bytes X3,
// and leaves the packed result bytes in X2.
#define PAETH \
	VPMOVZXBW X3, X4      \ // x
	VPADDW X1, X1, X5     \
	VPADDW X1, X5, X5     \
	VPSUBW X2, X5, X5     \ // 3c−b
	VPADDW X4, X1, X6     \
	VPAND X14, X6, X6     \ // x+c
	VPMINSW X2, X0, X7    \ // lo
	VPMAXSW X2, X0, X8    \ // hi
	VPSUBW X0, X5, X5     \ // t
	VPCMPGTW X5, X8, X9   \ // hi > t: not t ≥ hi
	VPCMPGTW X7, X5, X10  \ // t > lo: not t ≤ lo
	VPADDW X4, X7, X7     \
	VPAND X14, X7, X7     \ // x+lo
	VPADDW X4, X8, X8     \
	VPAND X14, X8, X8     \ // x+hi
	VPAND X9, X6, X6      \
	VPANDN X7, X9, X7     \
	VPOR X7, X6, X6       \ // x+lo where t ≥ hi, else x+c
	VPAND X10, X6, X6     \
	VPANDN X8, X10, X8    \
	VPOR X8, X6, X0       \ // x+hi where t ≤ lo, else that: the new a
	VMOVDQA X2, X1        \ // the next c
	VPACKUSWB X0, X0, X2  \
	VPAND X15, X3, X3     \
	VPOR X3, X2, X2

TEXT ·paethAVX2(SB), NOSPLIT, $0-72
	MOVQ cur_base+0(FP), DI
	MOVQ cur_len+8(FP), CX
	MOVQ prev_base+24(FP), SI
	MOVQ bpp+48(FP), DX
	MOVQ masks+56(FP), R8
	VMOVDQU 0(R8), X14
	VMOVDQU 16(R8), X15
	VPXOR X0, X0, X0
	VPXOR X1, X1, X1
	XORQ AX, AX
	CMPQ DX, $4
	JGT wide

	// 4 bytes a step.
	SUBQ DX, CX
	SUBQ $4, CX
	JLT done
	VMOVD (DI), X3

loop4:
	VMOVD (SI)(AX*1), X2
	VPMOVZXBW X2, X2 // b
	PAETH
	LEAQ (AX)(DX*1), R9
	VMOVD (DI)(R9*1), X3 // the next pixel's filtered bytes
	VMOVD X2, (DI)(AX*1)
	MOVQ R9, AX
	CMPQ AX, CX
	JLE loop4
	JMP done

wide:
	// 8 bytes a step.
	SUBQ DX, CX
	SUBQ $8, CX
	JLT done
	VMOVQ (DI), X3

loop8:
	VPMOVZXBW (SI)(AX*1), X2 // b
	PAETH
	LEAQ (AX)(DX*1), R9
	VMOVQ (DI)(R9*1), X3 // the next pixel's filtered bytes
	VMOVQ X2, (DI)(AX*1)
	MOVQ R9, AX
	CMPQ AX, CX
	JLE loop8

done:
	MOVQ AX, ret+64(FP)
	RET
