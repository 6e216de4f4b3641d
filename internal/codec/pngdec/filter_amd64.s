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
// The left neighbour a is on the critical path from one pixel to the
// next, so everything that does not depend on it is computed beside it:
// e = b−c, pa = |e|, and the three candidate results x+a, x+b and x+c,
// masked to 8 bits. Then d = a−c, pb = |d|, pc = |d+e|; the result is x+a
// unless pa > min(pb, pc), else x+b unless pb > pc, else x+c.
//
// Registers: DI cur, SI prev, AX offset, DX bpp, CX the last offset at
// which a step may start; X0 a, X1 c, X3 the filtered bytes, X14 masks[0],
// X15 masks[1].

// PAETH computes the new a in X0 from b in X2 and the filtered bytes X3,
// and leaves the packed result bytes in X2. It selects with AND and OR
// rather than VPBLENDVB, which takes longer on the critical path.
#define PAETH \
	VPMOVZXBW X3, X4      \ // x
	VPSUBW X1, X2, X5     \ // e = b−c
	VPABSW X5, X6         \ // pa
	VPADDW X4, X2, X7     \
	VPAND X14, X7, X7     \ // x+b
	VPADDW X4, X1, X8     \
	VPAND X14, X8, X8     \ // x+c
	VPADDW X4, X0, X9     \
	VPAND X14, X9, X9     \ // x+a
	VPSUBW X1, X0, X10    \ // d = a−c
	VPABSW X10, X11       \ // pb
	VPADDW X5, X10, X10   \
	VPABSW X10, X10       \ // pc
	VPCMPGTW X10, X11, X4 \ // pb > pc
	VPMINSW X10, X11, X12 \
	VPCMPGTW X12, X6, X12 \ // pa > min(pb, pc)
	VPAND X4, X8, X8      \
	VPANDN X7, X4, X7     \
	VPOR X8, X7, X7       \ // x+c where pb > pc, else x+b
	VPAND X12, X7, X7     \
	VPANDN X9, X12, X9    \
	VPOR X9, X7, X0       \ // that where pa > min, else x+a: the new a
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
