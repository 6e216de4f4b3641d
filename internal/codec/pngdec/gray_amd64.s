#include "textflag.h"

// The gray of rows of 8-bit pixels with AVX2, as the Go versions in
// gray.go compute it, in 16-bit and 32-bit lanes:
//
//   - A channel c of alpha a composited onto white is
//     (c·a + 255·(255−a) + 127)/255 = (a·(c−255) + 65152)/255, exact in
//     16-bit arithmetic modulo 2^16 as the result lies in 127..65152; for
//     a = 255 it is c. Division by 255 of such a t is (t + (t>>8) + 1)>>8.
//   - The luma (19595·r + 38470·g + 7471·b + 32768)>>16 comes from
//     VPMADDWD on 16-bit words (r, b) with weights (19595, 7471) and
//     (g, ·) with (19235, 0) taken twice, as 38470 does not fit an int16.

// The constants, 32 bytes each.
#define LOW_BYTES grayConst<>+0x00(SB)
#define W255 grayConst<>+0x20(SB)
#define W65152 grayConst<>+0x40(SB)
#define W1 grayConst<>+0x60(SB)
#define LUMA_RB grayConst<>+0x80(SB)
#define LUMA_G grayConst<>+0xa0(SB)
#define ROUND grayConst<>+0xc0(SB)

DATA grayConst<>+0x00(SB)/8, $0x00ff00ff00ff00ff
DATA grayConst<>+0x08(SB)/8, $0x00ff00ff00ff00ff
DATA grayConst<>+0x10(SB)/8, $0x00ff00ff00ff00ff
DATA grayConst<>+0x18(SB)/8, $0x00ff00ff00ff00ff
DATA grayConst<>+0x20(SB)/8, $0x00ff00ff00ff00ff
DATA grayConst<>+0x28(SB)/8, $0x00ff00ff00ff00ff
DATA grayConst<>+0x30(SB)/8, $0x00ff00ff00ff00ff
DATA grayConst<>+0x38(SB)/8, $0x00ff00ff00ff00ff
DATA grayConst<>+0x40(SB)/8, $0xfe80fe80fe80fe80
DATA grayConst<>+0x48(SB)/8, $0xfe80fe80fe80fe80
DATA grayConst<>+0x50(SB)/8, $0xfe80fe80fe80fe80
DATA grayConst<>+0x58(SB)/8, $0xfe80fe80fe80fe80
DATA grayConst<>+0x60(SB)/8, $0x0001000100010001
DATA grayConst<>+0x68(SB)/8, $0x0001000100010001
DATA grayConst<>+0x70(SB)/8, $0x0001000100010001
DATA grayConst<>+0x78(SB)/8, $0x0001000100010001
DATA grayConst<>+0x80(SB)/8, $0x1d2f4c8b1d2f4c8b
DATA grayConst<>+0x88(SB)/8, $0x1d2f4c8b1d2f4c8b
DATA grayConst<>+0x90(SB)/8, $0x1d2f4c8b1d2f4c8b
DATA grayConst<>+0x98(SB)/8, $0x1d2f4c8b1d2f4c8b
DATA grayConst<>+0xa0(SB)/8, $0x00004b2300004b23
DATA grayConst<>+0xa8(SB)/8, $0x00004b2300004b23
DATA grayConst<>+0xb0(SB)/8, $0x00004b2300004b23
DATA grayConst<>+0xb8(SB)/8, $0x00004b2300004b23
DATA grayConst<>+0xc0(SB)/8, $0x0000800000008000
DATA grayConst<>+0xc8(SB)/8, $0x0000800000008000
DATA grayConst<>+0xd0(SB)/8, $0x0000800000008000
DATA grayConst<>+0xd8(SB)/8, $0x0000800000008000
GLOBL grayConst<>(SB), RODATA|NOPTR, $0xe0

// The VPSHUFB masks of rgb8AVX2, per 128-bit lane of four pixels: the
// words (r, b) of each, and the words (g, 0).
DATA rgbShuffle<>+0x00(SB)/8, $0x8005800380028000
DATA rgbShuffle<>+0x08(SB)/8, $0x800b800980088006
DATA rgbShuffle<>+0x10(SB)/8, $0x8005800380028000
DATA rgbShuffle<>+0x18(SB)/8, $0x800b800980088006
DATA rgbShuffle<>+0x20(SB)/8, $0x8080800480808001
DATA rgbShuffle<>+0x28(SB)/8, $0x8080800a80808007
DATA rgbShuffle<>+0x30(SB)/8, $0x8080800480808001
DATA rgbShuffle<>+0x38(SB)/8, $0x8080800a80808007
GLOBL rgbShuffle<>(SB), RODATA|NOPTR, $0x40

// OVER_WHITE composites the eight-bit values in the low bytes of the words
// of c onto white by the alpha words of a, into c; t is clobbered.
#define OVER_WHITE(a, c, t) \
	VPSUBW Y12, c, c \
	VPMULLW a, c, c  \
	VPADDW Y13, c, c \
	VPSRLW $8, c, t  \
	VPADDW t, c, c   \
	VPADDW Y14, c, c \
	VPSRLW $8, c, c

// LUMA turns the words (r, b) of rb and (g, ·) of g into the luma of each
// pixel, in the 32-bit lanes of rb.
#define LUMA(rb, g) \
	VPMADDWD Y10, rb, rb \
	VPMADDWD Y11, g, g   \
	VPADDD g, rb, rb     \
	VPADDD g, rb, rb     \
	VPADDD Y9, rb, rb    \
	VPSRLD $16, rb, rb

// PACK8 stores the eight 32-bit lanes of Y1, each 0..255, as eight bytes
// at DI.
#define PACK8 \
	VEXTRACTI128 $1, Y1, X2 \
	VPACKUSDW X2, X1, X1    \
	VPACKUSWB X1, X1, X1    \
	VMOVQ X1, (DI)

#define LOAD_CONSTANTS \
	VMOVDQU LOW_BYTES, Y8 \
	VMOVDQU ROUND, Y9     \
	VMOVDQU LUMA_RB, Y10  \
	VMOVDQU LUMA_G, Y11   \
	VMOVDQU W255, Y12     \
	VMOVDQU W65152, Y13   \
	VMOVDQU W1, Y14

// func rgba8AVX2(dst, src []byte)
//
// The gray of len(dst)/8 groups of eight RGBA pixels, non-premultiplied.
TEXT ·rgba8AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	SHRQ $3, CX
	JEQ rgba8done
	LOAD_CONSTANTS

rgba8loop:
	VMOVDQU (SI), Y0
	VPAND Y8, Y0, Y1   // words r, b
	VPSRLW $8, Y0, Y2  // words g, a
	VPSRLD $16, Y2, Y3
	VPSLLD $16, Y3, Y4
	VPOR Y4, Y3, Y3    // words a, a
	OVER_WHITE(Y3, Y1, Y5)
	OVER_WHITE(Y3, Y2, Y5)
	LUMA(Y1, Y2)
	PACK8
	ADDQ $32, SI
	ADDQ $8, DI
	DECQ CX
	JNE rgba8loop

rgba8done:
	VZEROUPPER
	RET

// func rgb8AVX2(dst, src []byte)
//
// The gray of len(dst)/8 groups of eight RGB pixels; src must hold 4 bytes
// more than the 24 of each group.
TEXT ·rgb8AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	SHRQ $3, CX
	JEQ rgb8done
	LOAD_CONSTANTS
	VMOVDQU rgbShuffle<>+0x00(SB), Y6
	VMOVDQU rgbShuffle<>+0x20(SB), Y7

rgb8loop:
	VMOVDQU (SI), X0
	VINSERTI128 $1, 12(SI), Y0, Y0 // pixels 0-3 and 4-7, one in each lane
	VPSHUFB Y6, Y0, Y1             // words r, b
	VPSHUFB Y7, Y0, Y2             // words g, 0
	LUMA(Y1, Y2)
	PACK8
	ADDQ $24, SI
	ADDQ $8, DI
	DECQ CX
	JNE rgb8loop

rgb8done:
	VZEROUPPER
	RET

// func grayAlpha8AVX2(dst, src []byte)
//
// The gray of len(dst)/16 groups of sixteen gray and alpha pixels.
TEXT ·grayAlpha8AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	SHRQ $4, CX
	JEQ ga8done
	LOAD_CONSTANTS

ga8loop:
	VMOVDQU (SI), Y0
	VPAND Y8, Y0, Y1  // words y
	VPSRLW $8, Y0, Y2 // words a
	OVER_WHITE(Y2, Y1, Y5)
	VEXTRACTI128 $1, Y1, X2
	VPACKUSWB X2, X1, X1
	VMOVDQU X1, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	DECQ CX
	JNE ga8loop

ga8done:
	VZEROUPPER
	RET
