#include "textflag.h"

// The accurate integer inverse DCT of idct8 (see idct.go), on 8 lanes of
// int32, for the blocks of a row.
//
// The first pass runs on the columns: Y0 to Y7 hold rows 0 to 7 of the
// dequantised coefficients, lane i column i, and the butterfly combines the
// registers. Its outputs, rows 0 to 7, are transposed so that Y0 to Y7 hold
// columns 0 to 7, lane i row i, and the same butterfly makes the second
// pass on the rows. Its outputs, columns 0 to 7, are packed to bytes with
// signed then unsigned saturation, which clamps them to 0..255 as clamp32
// does, and shuffled into rows. Every sum, difference and product wraps
// around in 32 bits as the Go version's int32 arithmetic does; the shifts
// are arithmetic, as Go's on int32.

// √2·c6
#define FIX_0541 idctConst<>+0x0(SB)
// √2·(c2+c6)
#define FIX_1847 idctConst<>+0x20(SB)
// √2·(c2−c6)
#define FIX_0765 idctConst<>+0x40(SB)
// √2·c3
#define FIX_1175 idctConst<>+0x60(SB)
// √2·(−c1+c3+c5−c7)
#define FIX_0298 idctConst<>+0x80(SB)
// √2·(c1+c3−c5+c7)
#define FIX_2053 idctConst<>+0xa0(SB)
// √2·(c1+c3+c5−c7)
#define FIX_3072 idctConst<>+0xc0(SB)
// √2·(c1+c3−c5−c7)
#define FIX_1501 idctConst<>+0xe0(SB)
// −fix0899
#define NEG_0899 idctConst<>+0x100(SB)
// −fix2562
#define NEG_2562 idctConst<>+0x120(SB)
// −fix1961
#define NEG_1961 idctConst<>+0x140(SB)
// −fix0390
#define NEG_0390 idctConst<>+0x160(SB)
// colRound
#define COL_ROUND idctConst<>+0x180(SB)
// rowBias<<constBits
#define ROW_BIAS idctConst<>+0x1a0(SB)
// VPSHUFB: a 4×4 byte transpose in each lane
#define ROWS_OF_COLS idctConst<>+0x1c0(SB)
// The magnitude of the first 16 coefficients of a zigzagBlock, all of
// the DC one.
#define MAG_FIRST idctConst<>+0x1e0(SB)
// The sign of the first 16 coefficients of a zigzagBlock, none of the DC
// one.
#define SIGN_FIRST idctConst<>+0x200(SB)
// The magnitude of 16 coefficients of a zigzagBlock.
#define MAGNITUDE idctConst<>+0x220(SB)

// The constants, 8 copies of each for the 8 lanes.
DATA idctConst<>+0x0(SB)/4, $4433
DATA idctConst<>+0x4(SB)/4, $4433
DATA idctConst<>+0x8(SB)/4, $4433
DATA idctConst<>+0xc(SB)/4, $4433
DATA idctConst<>+0x10(SB)/4, $4433
DATA idctConst<>+0x14(SB)/4, $4433
DATA idctConst<>+0x18(SB)/4, $4433
DATA idctConst<>+0x1c(SB)/4, $4433
DATA idctConst<>+0x20(SB)/4, $15137
DATA idctConst<>+0x24(SB)/4, $15137
DATA idctConst<>+0x28(SB)/4, $15137
DATA idctConst<>+0x2c(SB)/4, $15137
DATA idctConst<>+0x30(SB)/4, $15137
DATA idctConst<>+0x34(SB)/4, $15137
DATA idctConst<>+0x38(SB)/4, $15137
DATA idctConst<>+0x3c(SB)/4, $15137
DATA idctConst<>+0x40(SB)/4, $6270
DATA idctConst<>+0x44(SB)/4, $6270
DATA idctConst<>+0x48(SB)/4, $6270
DATA idctConst<>+0x4c(SB)/4, $6270
DATA idctConst<>+0x50(SB)/4, $6270
DATA idctConst<>+0x54(SB)/4, $6270
DATA idctConst<>+0x58(SB)/4, $6270
DATA idctConst<>+0x5c(SB)/4, $6270
DATA idctConst<>+0x60(SB)/4, $9633
DATA idctConst<>+0x64(SB)/4, $9633
DATA idctConst<>+0x68(SB)/4, $9633
DATA idctConst<>+0x6c(SB)/4, $9633
DATA idctConst<>+0x70(SB)/4, $9633
DATA idctConst<>+0x74(SB)/4, $9633
DATA idctConst<>+0x78(SB)/4, $9633
DATA idctConst<>+0x7c(SB)/4, $9633
DATA idctConst<>+0x80(SB)/4, $2446
DATA idctConst<>+0x84(SB)/4, $2446
DATA idctConst<>+0x88(SB)/4, $2446
DATA idctConst<>+0x8c(SB)/4, $2446
DATA idctConst<>+0x90(SB)/4, $2446
DATA idctConst<>+0x94(SB)/4, $2446
DATA idctConst<>+0x98(SB)/4, $2446
DATA idctConst<>+0x9c(SB)/4, $2446
DATA idctConst<>+0xa0(SB)/4, $16819
DATA idctConst<>+0xa4(SB)/4, $16819
DATA idctConst<>+0xa8(SB)/4, $16819
DATA idctConst<>+0xac(SB)/4, $16819
DATA idctConst<>+0xb0(SB)/4, $16819
DATA idctConst<>+0xb4(SB)/4, $16819
DATA idctConst<>+0xb8(SB)/4, $16819
DATA idctConst<>+0xbc(SB)/4, $16819
DATA idctConst<>+0xc0(SB)/4, $25172
DATA idctConst<>+0xc4(SB)/4, $25172
DATA idctConst<>+0xc8(SB)/4, $25172
DATA idctConst<>+0xcc(SB)/4, $25172
DATA idctConst<>+0xd0(SB)/4, $25172
DATA idctConst<>+0xd4(SB)/4, $25172
DATA idctConst<>+0xd8(SB)/4, $25172
DATA idctConst<>+0xdc(SB)/4, $25172
DATA idctConst<>+0xe0(SB)/4, $12299
DATA idctConst<>+0xe4(SB)/4, $12299
DATA idctConst<>+0xe8(SB)/4, $12299
DATA idctConst<>+0xec(SB)/4, $12299
DATA idctConst<>+0xf0(SB)/4, $12299
DATA idctConst<>+0xf4(SB)/4, $12299
DATA idctConst<>+0xf8(SB)/4, $12299
DATA idctConst<>+0xfc(SB)/4, $12299
DATA idctConst<>+0x100(SB)/4, $-7373
DATA idctConst<>+0x104(SB)/4, $-7373
DATA idctConst<>+0x108(SB)/4, $-7373
DATA idctConst<>+0x10c(SB)/4, $-7373
DATA idctConst<>+0x110(SB)/4, $-7373
DATA idctConst<>+0x114(SB)/4, $-7373
DATA idctConst<>+0x118(SB)/4, $-7373
DATA idctConst<>+0x11c(SB)/4, $-7373
DATA idctConst<>+0x120(SB)/4, $-20995
DATA idctConst<>+0x124(SB)/4, $-20995
DATA idctConst<>+0x128(SB)/4, $-20995
DATA idctConst<>+0x12c(SB)/4, $-20995
DATA idctConst<>+0x130(SB)/4, $-20995
DATA idctConst<>+0x134(SB)/4, $-20995
DATA idctConst<>+0x138(SB)/4, $-20995
DATA idctConst<>+0x13c(SB)/4, $-20995
DATA idctConst<>+0x140(SB)/4, $-16069
DATA idctConst<>+0x144(SB)/4, $-16069
DATA idctConst<>+0x148(SB)/4, $-16069
DATA idctConst<>+0x14c(SB)/4, $-16069
DATA idctConst<>+0x150(SB)/4, $-16069
DATA idctConst<>+0x154(SB)/4, $-16069
DATA idctConst<>+0x158(SB)/4, $-16069
DATA idctConst<>+0x15c(SB)/4, $-16069
DATA idctConst<>+0x160(SB)/4, $-3196
DATA idctConst<>+0x164(SB)/4, $-3196
DATA idctConst<>+0x168(SB)/4, $-3196
DATA idctConst<>+0x16c(SB)/4, $-3196
DATA idctConst<>+0x170(SB)/4, $-3196
DATA idctConst<>+0x174(SB)/4, $-3196
DATA idctConst<>+0x178(SB)/4, $-3196
DATA idctConst<>+0x17c(SB)/4, $-3196
DATA idctConst<>+0x180(SB)/4, $1024
DATA idctConst<>+0x184(SB)/4, $1024
DATA idctConst<>+0x188(SB)/4, $1024
DATA idctConst<>+0x18c(SB)/4, $1024
DATA idctConst<>+0x190(SB)/4, $1024
DATA idctConst<>+0x194(SB)/4, $1024
DATA idctConst<>+0x198(SB)/4, $1024
DATA idctConst<>+0x19c(SB)/4, $1024
DATA idctConst<>+0x1a0(SB)/4, $33685504
DATA idctConst<>+0x1a4(SB)/4, $33685504
DATA idctConst<>+0x1a8(SB)/4, $33685504
DATA idctConst<>+0x1ac(SB)/4, $33685504
DATA idctConst<>+0x1b0(SB)/4, $33685504
DATA idctConst<>+0x1b4(SB)/4, $33685504
DATA idctConst<>+0x1b8(SB)/4, $33685504
DATA idctConst<>+0x1bc(SB)/4, $33685504
DATA idctConst<>+0x1c0(SB)/8, $0xd0905010c080400
DATA idctConst<>+0x1c8(SB)/8, $0xf0b07030e0a0602
DATA idctConst<>+0x1d0(SB)/8, $0xd0905010c080400
DATA idctConst<>+0x1d8(SB)/8, $0xf0b07030e0a0602
DATA idctConst<>+0x1e0(SB)/8, $0x7fff7fff7fffffff
DATA idctConst<>+0x1e8(SB)/8, $0x7fff7fff7fff7fff
DATA idctConst<>+0x1f0(SB)/8, $0x7fff7fff7fff7fff
DATA idctConst<>+0x1f8(SB)/8, $0x7fff7fff7fff7fff
DATA idctConst<>+0x200(SB)/8, $0xffffffffffff0000
DATA idctConst<>+0x208(SB)/8, $0xffffffffffffffff
DATA idctConst<>+0x210(SB)/8, $0xffffffffffffffff
DATA idctConst<>+0x218(SB)/8, $0xffffffffffffffff
DATA idctConst<>+0x220(SB)/8, $0x7fff7fff7fff7fff
DATA idctConst<>+0x228(SB)/8, $0x7fff7fff7fff7fff
DATA idctConst<>+0x230(SB)/8, $0x7fff7fff7fff7fff
DATA idctConst<>+0x238(SB)/8, $0x7fff7fff7fff7fff
GLOBL idctConst<>(SB), RODATA|NOPTR, $576

// EVEN computes the even half of the butterfly from inputs 0, 2, 4 and 6
// in Y0, Y2, Y4 and Y6, with bias added to the DC term shifted left by
// constBits:
//
//	z1 = (in2+in6)·fix0541           Y8
//	t2 = z1 − in6·fix1847            Y9
//	t3 = z1 + in2·fix0765            Y10
//	t0 = (in0+in4)<<13 + bias        Y11
//	t1 = (in0−in4)<<13 + bias        Y12
//
// and leaves e0 = t0+t3 in Y0, e1 = t1+t2 in Y4, e2 = t1−t2 in Y6 and
// e3 = t0−t3 in Y2. Y1, Y3, Y5 and Y7 are left alone.
#define EVEN(bias) \
	VPADDD    Y6, Y2, Y8; \
	VPMULLD   FIX_0541, Y8, Y8; \
	VPMULLD   FIX_1847, Y6, Y9; \
	VPSUBD    Y9, Y8, Y9; \
	VPMULLD   FIX_0765, Y2, Y10; \
	VPADDD    Y10, Y8, Y10; \
	VPADDD    Y4, Y0, Y11; \
	VPSLLD    $13, Y11, Y11; \
	VPADDD    bias, Y11, Y11; \
	VPSUBD    Y4, Y0, Y12; \
	VPSLLD    $13, Y12, Y12; \
	VPADDD    bias, Y12, Y12; \
	VPADDD    Y10, Y11, Y0; \
	VPSUBD    Y10, Y11, Y2; \
	VPADDD    Y9, Y12, Y4; \
	VPSUBD    Y9, Y12, Y6

// ODD computes the odd half of the butterfly from inputs 1, 3, 5 and 7 in
// Y1, Y3, Y5 and Y7:
//
//	z1 = (in7+in1)·−fix0899          Y8
//	z2 = (in5+in3)·−fix2562          Y9
//	z5 = (in7+in3+in5+in1)·fix1175   Y12
//	z3 = (in7+in3)·−fix1961 + z5     Y10
//	z4 = (in5+in1)·−fix0390 + z5     Y11
//
// and leaves o0 = in7·fix0298+z1+z3 in Y7, o1 = in5·fix2053+z2+z4 in Y5,
// o2 = in3·fix3072+z2+z3 in Y3 and o3 = in1·fix1501+z1+z4 in Y1.
#define ODD \
	VPADDD    Y1, Y7, Y8; \
	VPADDD    Y3, Y5, Y9; \
	VPADDD    Y3, Y7, Y10; \
	VPADDD    Y1, Y5, Y11; \
	VPADDD    Y11, Y10, Y12; \
	VPMULLD   FIX_1175, Y12, Y12; \
	VPMULLD   FIX_0298, Y7, Y7; \
	VPMULLD   FIX_2053, Y5, Y5; \
	VPMULLD   FIX_3072, Y3, Y3; \
	VPMULLD   FIX_1501, Y1, Y1; \
	VPMULLD   NEG_0899, Y8, Y8; \
	VPMULLD   NEG_2562, Y9, Y9; \
	VPMULLD   NEG_1961, Y10, Y10; \
	VPADDD    Y12, Y10, Y10; \
	VPMULLD   NEG_0390, Y11, Y11; \
	VPADDD    Y12, Y11, Y11; \
	VPADDD    Y8, Y7, Y7; \
	VPADDD    Y10, Y7, Y7; \
	VPADDD    Y9, Y5, Y5; \
	VPADDD    Y11, Y5, Y5; \
	VPADDD    Y9, Y3, Y3; \
	VPADDD    Y10, Y3, Y3; \
	VPADDD    Y8, Y1, Y1; \
	VPADDD    Y11, Y1, Y1

// OUT combines the halves into outputs 0 to 7, shifted right by shift, in
// Y8 to Y15: e0±o3, e1±o2, e2±o1, e3±o0.
#define OUT(shift) \
	VPADDD    Y1, Y0, Y8; \
	VPSUBD    Y1, Y0, Y15; \
	VPADDD    Y3, Y4, Y9; \
	VPSUBD    Y3, Y4, Y14; \
	VPADDD    Y5, Y6, Y10; \
	VPSUBD    Y5, Y6, Y13; \
	VPADDD    Y7, Y2, Y11; \
	VPSUBD    Y7, Y2, Y12; \
	VPSRAD    $shift, Y8, Y8; \
	VPSRAD    $shift, Y9, Y9; \
	VPSRAD    $shift, Y10, Y10; \
	VPSRAD    $shift, Y11, Y11; \
	VPSRAD    $shift, Y12, Y12; \
	VPSRAD    $shift, Y13, Y13; \
	VPSRAD    $shift, Y14, Y14; \
	VPSRAD    $shift, Y15, Y15

// TRANSPOSE transposes the 8×8 int32 matrix whose rows are Y8 to Y15 into
// Y0 to Y7. Y0 to Y7 first interleave the dwords of pairs of rows
// (r0c0 r1c0 r0c1 r1c1 | r0c4 r1c4 r0c5 r1c5 in Y0), Y8 to Y15 then
// the quadwords of pairs of those (r0c0 r1c0 r2c0 r3c0 | r0c4 … r3c4 in
// Y8), and the lanes of the rows 0–3 and rows 4–7 halves are joined last.
#define TRANSPOSE \
	VPUNPCKLDQ Y9, Y8, Y0; \
	VPUNPCKHDQ Y9, Y8, Y1; \
	VPUNPCKLDQ Y11, Y10, Y2; \
	VPUNPCKHDQ Y11, Y10, Y3; \
	VPUNPCKLDQ Y13, Y12, Y4; \
	VPUNPCKHDQ Y13, Y12, Y5; \
	VPUNPCKLDQ Y15, Y14, Y6; \
	VPUNPCKHDQ Y15, Y14, Y7; \
	VPUNPCKLQDQ Y2, Y0, Y8; \
	VPUNPCKHQDQ Y2, Y0, Y9; \
	VPUNPCKLQDQ Y3, Y1, Y10; \
	VPUNPCKHQDQ Y3, Y1, Y11; \
	VPUNPCKLQDQ Y6, Y4, Y12; \
	VPUNPCKHQDQ Y6, Y4, Y13; \
	VPUNPCKLQDQ Y7, Y5, Y14; \
	VPUNPCKHQDQ Y7, Y5, Y15; \
	VPERM2I128 $0x20, Y12, Y8, Y0; \
	VPERM2I128 $0x31, Y12, Y8, Y4; \
	VPERM2I128 $0x20, Y13, Y9, Y1; \
	VPERM2I128 $0x31, Y13, Y9, Y5; \
	VPERM2I128 $0x20, Y14, Y10, Y2; \
	VPERM2I128 $0x31, Y14, Y10, Y6; \
	VPERM2I128 $0x20, Y15, Y11, Y3; \
	VPERM2I128 $0x31, Y15, Y11, Y7

// SETUP loads the arguments common to both functions and expands q: DI
// points to the first block's pixels in dst, DX is stride, CX the number
// of blocks; the frame holds q as int32, row k at 32·k(SP), R13 is q[0],
// R9, R10 and R11 are 3, 5 and 7 times stride, R12 spreads a byte over
// eight.
#define SETUP \
	MOVQ dst_base+0(FP), DI; \
	MOVQ stride+24(FP), DX; \
	MOVQ q+80(FP), R8; \
	VPMOVZXWD 0(R8), Y0; \
	VPMOVZXWD 16(R8), Y1; \
	VPMOVZXWD 32(R8), Y2; \
	VPMOVZXWD 48(R8), Y3; \
	VPMOVZXWD 64(R8), Y4; \
	VPMOVZXWD 80(R8), Y5; \
	VPMOVZXWD 96(R8), Y6; \
	VPMOVZXWD 112(R8), Y7; \
	VMOVDQU Y0, 0(SP); \
	VMOVDQU Y1, 32(SP); \
	VMOVDQU Y2, 64(SP); \
	VMOVDQU Y3, 96(SP); \
	VMOVDQU Y4, 128(SP); \
	VMOVDQU Y5, 160(SP); \
	VMOVDQU Y6, 192(SP); \
	VMOVDQU Y7, 224(SP); \
	MOVWLZX (R8), R13; \
	LEAQ (DX)(DX*2), R9; \
	LEAQ (DX)(DX*4), R10; \
	LEAQ (R9)(DX*4), R11; \
	MOVQ $0x0101010101010101, R12

// DC_FILL fills the block at DI with the sample of a block whose only
// coefficient is the DC one, AX (sign-extended): colDC then rowDC of AX
// times q[0], in 32 bits, clamped, in all 64 pixels. It uses R8.
#define DC_FILL \
	IMULL R13, AX; \
	SHLL $13, AX; \
	ADDL $1024, AX; \
	SARL $11, AX; \
	ADDL $4112, AX; \
	SHLL $13, AX; \
	SARL $18, AX; \
	XORL R8, R8; \
	CMPL AX, R8; \
	CMOVLLT R8, AX; \
	MOVL $255, R8; \
	CMPL AX, R8; \
	CMOVLGT R8, AX; \
	IMULQ R12, AX; \
	MOVQ AX, (DI); \
	MOVQ AX, (DI)(DX*1); \
	MOVQ AX, (DI)(DX*2); \
	MOVQ AX, (DI)(R9*1); \
	MOVQ AX, (DI)(DX*4); \
	MOVQ AX, (DI)(R10*1); \
	MOVQ AX, (DI)(R9*2); \
	MOVQ AX, (DI)(R11*1)

// TRANSFORM runs the inverse DCT of the coefficients in natural order at
// src and writes the samples to the block at DI. The first pass takes
// the even rows, dequantised (a coefficient times its quantizer fits an
// int32), then the odd ones; the second pass runs on the rows (lane i row
// i). Then Y8 to Y15 hold columns 0 to 7 of the samples: pairs of them are
// packed to int16 (no value saturates: they are within ±2^13) in Y0 to
// Y3, and those to bytes clamped to 0..255: Y0 holds columns 0 to 3 and
// Y2 columns 4 to 7, in each lane the byte of column c and row r at 4c+r,
// rows 0–3 in the low lane and 4–7 in the high one. A shuffle puts byte
// 4c+r at 4r+c, and the halves of each row are put together: Y1 holds
// rows 0, 1 | 4, 5 and Y3 rows 2, 3 | 6, 7.
#define TRANSFORM(src) \
	VPMOVSXWD 0(src), Y0; \
	VPMULLD 0(SP), Y0, Y0; \
	VPMOVSXWD 32(src), Y2; \
	VPMULLD 64(SP), Y2, Y2; \
	VPMOVSXWD 64(src), Y4; \
	VPMULLD 128(SP), Y4, Y4; \
	VPMOVSXWD 96(src), Y6; \
	VPMULLD 192(SP), Y6, Y6; \
	EVEN(COL_ROUND); \
	VPMOVSXWD 16(src), Y1; \
	VPMULLD 32(SP), Y1, Y1; \
	VPMOVSXWD 48(src), Y3; \
	VPMULLD 96(SP), Y3, Y3; \
	VPMOVSXWD 80(src), Y5; \
	VPMULLD 160(SP), Y5, Y5; \
	VPMOVSXWD 112(src), Y7; \
	VPMULLD 224(SP), Y7, Y7; \
	ODD; \
	OUT(11); \
	TRANSPOSE; \
	EVEN(ROW_BIAS); \
	ODD; \
	OUT(18); \
	VPACKSSDW Y9, Y8, Y0; \
	VPACKSSDW Y11, Y10, Y1; \
	VPACKSSDW Y13, Y12, Y2; \
	VPACKSSDW Y15, Y14, Y3; \
	VPACKUSWB Y1, Y0, Y0; \
	VPACKUSWB Y3, Y2, Y2; \
	VPSHUFB ROWS_OF_COLS, Y0, Y0; \
	VPSHUFB ROWS_OF_COLS, Y2, Y2; \
	VPUNPCKLDQ Y2, Y0, Y1; \
	VPUNPCKHDQ Y2, Y0, Y3; \
	VMOVQ X1, (DI); \
	VMOVHPS X1, (DI)(DX*1); \
	VMOVQ X3, (DI)(DX*2); \
	VMOVHPS X3, (DI)(R9*1); \
	VEXTRACTI128 $1, Y1, X1; \
	VEXTRACTI128 $1, Y3, X3; \
	VMOVQ X1, (DI)(DX*4); \
	VMOVHPS X1, (DI)(R10*1); \
	VMOVQ X3, (DI)(R9*2); \
	VMOVHPS X3, (DI)(R11*1)

// func idctRowAVX2(dst []byte, stride int, coef []int16, last []uint8, q *[64]uint16)
//
// Registers: as SETUP leaves them; SI points to the block's coefficients,
// BX to its entry of last.
TEXT ·idctRowAVX2(SB), NOSPLIT, $256-88
	MOVQ last_len+64(FP), CX
	TESTQ CX, CX
	JZ done
	SETUP
	MOVQ coef_base+32(FP), SI
	MOVQ last_base+56(FP), BX

loop:
	MOVBLZX (BX), AX
	TESTL AX, AX
	JNZ full
	MOVWLSX (SI), AX
	DC_FILL
	MOVW $0, (SI)
	JMP next

full:
	TRANSFORM(SI)
	// Zero the coefficients for the next use of the buffer.
	VPXOR Y0, Y0, Y0
	VMOVDQU Y0, 0(SI)
	VMOVDQU Y0, 32(SI)
	VMOVDQU Y0, 64(SI)
	VMOVDQU Y0, 96(SI)

next:
	ADDQ $8, DI
	ADDQ $128, SI
	INCQ BX
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	RET

// UNZIGZAG copies the int16 at zigzag index k of the block at 256(SP) to
// natural index n of the block at 384(SP).
#define UNZIGZAG(k, n) \
	MOVWLZX (256+2*k)(SP), AX; \
	MOVW AX, (384+2*n)(SP)

// func idctZigzagRowAVX2(dst []byte, stride int, coefs []uint64, nz []uint64, q *[64]uint16)
//
// Registers: as SETUP leaves them; SI points to the block's coefficients
// (a zigzagBlock), BX to its entry of nz. The frame holds, after q, the
// block's coefficients in zigzag order and two's complement at 256(SP),
// and in natural order at 384(SP).
TEXT ·idctZigzagRowAVX2(SB), NOSPLIT, $512-88
	MOVQ nz_len+64(FP), CX
	TESTQ CX, CX
	JZ zdone
	SETUP
	MOVQ coefs_base+32(FP), SI
	MOVQ nz_base+56(FP), BX

zloop:
	MOVQ (BX), AX
	TESTQ AX, AX
	JNZ zfull
	MOVWLSX (SI), AX
	DC_FILL
	JMP znext

zfull:
	// Two's complement v = (m ^ s) - s, for magnitude m and s all ones
	// where the sign bit is set, but for the DC term, which is already.
	VMOVDQU 0(SI), Y0
	VPSRAW $15, Y0, Y1
	VPAND SIGN_FIRST, Y1, Y1
	VPAND MAG_FIRST, Y0, Y0
	VPXOR Y1, Y0, Y0
	VPSUBW Y1, Y0, Y0
	VMOVDQU Y0, 256(SP)
	VMOVDQU 32(SI), Y0
	VPSRAW $15, Y0, Y1
	VPAND MAGNITUDE, Y0, Y0
	VPXOR Y1, Y0, Y0
	VPSUBW Y1, Y0, Y0
	VMOVDQU Y0, 288(SP)
	VMOVDQU 64(SI), Y0
	VPSRAW $15, Y0, Y1
	VPAND MAGNITUDE, Y0, Y0
	VPXOR Y1, Y0, Y0
	VPSUBW Y1, Y0, Y0
	VMOVDQU Y0, 320(SP)
	VMOVDQU 96(SI), Y0
	VPSRAW $15, Y0, Y1
	VPAND MAGNITUDE, Y0, Y0
	VPXOR Y1, Y0, Y0
	VPSUBW Y1, Y0, Y0
	VMOVDQU Y0, 352(SP)
	// The natural order.
	UNZIGZAG(0, 0)
	UNZIGZAG(1, 1)
	UNZIGZAG(2, 8)
	UNZIGZAG(3, 16)
	UNZIGZAG(4, 9)
	UNZIGZAG(5, 2)
	UNZIGZAG(6, 3)
	UNZIGZAG(7, 10)
	UNZIGZAG(8, 17)
	UNZIGZAG(9, 24)
	UNZIGZAG(10, 32)
	UNZIGZAG(11, 25)
	UNZIGZAG(12, 18)
	UNZIGZAG(13, 11)
	UNZIGZAG(14, 4)
	UNZIGZAG(15, 5)
	UNZIGZAG(16, 12)
	UNZIGZAG(17, 19)
	UNZIGZAG(18, 26)
	UNZIGZAG(19, 33)
	UNZIGZAG(20, 40)
	UNZIGZAG(21, 48)
	UNZIGZAG(22, 41)
	UNZIGZAG(23, 34)
	UNZIGZAG(24, 27)
	UNZIGZAG(25, 20)
	UNZIGZAG(26, 13)
	UNZIGZAG(27, 6)
	UNZIGZAG(28, 7)
	UNZIGZAG(29, 14)
	UNZIGZAG(30, 21)
	UNZIGZAG(31, 28)
	UNZIGZAG(32, 35)
	UNZIGZAG(33, 42)
	UNZIGZAG(34, 49)
	UNZIGZAG(35, 56)
	UNZIGZAG(36, 57)
	UNZIGZAG(37, 50)
	UNZIGZAG(38, 43)
	UNZIGZAG(39, 36)
	UNZIGZAG(40, 29)
	UNZIGZAG(41, 22)
	UNZIGZAG(42, 15)
	UNZIGZAG(43, 23)
	UNZIGZAG(44, 30)
	UNZIGZAG(45, 37)
	UNZIGZAG(46, 44)
	UNZIGZAG(47, 51)
	UNZIGZAG(48, 58)
	UNZIGZAG(49, 59)
	UNZIGZAG(50, 52)
	UNZIGZAG(51, 45)
	UNZIGZAG(52, 38)
	UNZIGZAG(53, 31)
	UNZIGZAG(54, 39)
	UNZIGZAG(55, 46)
	UNZIGZAG(56, 53)
	UNZIGZAG(57, 60)
	UNZIGZAG(58, 61)
	UNZIGZAG(59, 54)
	UNZIGZAG(60, 47)
	UNZIGZAG(61, 55)
	UNZIGZAG(62, 62)
	UNZIGZAG(63, 63)
	LEAQ 384(SP), R8
	TRANSFORM(R8)

znext:
	ADDQ $8, DI
	ADDQ $128, SI
	ADDQ $8, BX
	DECQ CX
	JNZ zloop

zdone:
	VZEROUPPER
	RET
