#include "textflag.h"

// The AVX2 loops of the gray resize; resize_amd64.go says what each one
// computes. VPMADDWD multiplies 16-bit pixels by 16-bit weights, a pair
// at a time, into 32-bit sums, which start at half (1<<(bits-1)) and end
// shifted right by bits (VPSRAD). VPACKSSDW then VPACKUSWB narrow them to
// bytes, saturating, which clamps them to 0..255.
//
// Each loop goes over its result pixels in blocks. When the count is not
// a multiple of the block, the last block is moved back to end at the
// last pixel, overlapping the one before: its pixels are computed again
// to the same values, and nothing is read or written past the slices.

// func columnAVX2(out, src []uint8, stride, taps int, w []int16, bits uint)
//
// Registers:
//	DI	out
//	DX	len(out), at least 32
//	SI	src: row j of the window at SI + j*stride
//	R8	stride
//	R9	taps/2: the pairs of rows
//	R10	w: the weights of rows 2p and 2p+1 in the 32-bit word at 4p(R10)
//	R11	taps&1: whether a last row goes without a pair
//	BX	the first column of the block
//	AX	row 2p of the block, the pair of rows in the loop
//	R12	the weights of the pair in the loop
//	CX	pairs left
//	Y0-Y3	the 32 sums of the block, of columns (0-3, 16-19), (4-7, 20-23),
//		(8-11, 24-27), (12-15, 28-31): the two 128-bit lanes of each
//		register hold four columns each
//	Y4, Y5	32 pixels a0-a31 of row 2p and b0-b31 of row 2p+1
//	Y6, Y7	their bytes interleaved: a0 b0 a1 b1 ... in the low lane of
//		Y6, a16 b16 ... in its high lane, and so on
//	Y8	the weights of rows 2p and 2p+1, in each 32-bit word
//	Y9-Y11, Y6	the interleaved bytes zero-extended to 16 bits, so that
//		each 32-bit word is the pair (ai, bi) of a column, then
//		ai×w2p + bi×w2p+1
//	Y12	the shift count, bits
//	Y13	half, in each 32-bit word
//	Y14	zero
TEXT ·columnAVX2(SB), NOSPLIT, $0-96
	MOVQ out_base+0(FP), DI
	MOVQ out_len+8(FP), DX
	MOVQ src_base+24(FP), SI
	MOVQ stride+48(FP), R8
	MOVQ taps+56(FP), R9
	MOVQ w_base+64(FP), R10
	MOVQ bits+88(FP), CX
	MOVQ R9, R11
	ANDQ $1, R11
	SHRQ $1, R9

	VMOVQ CX, X12
	DECQ CX
	MOVL $1, AX
	SHLL CX, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	VPXOR Y14, Y14, Y14
	XORQ BX, BX

colblock:
	VMOVDQA Y13, Y0
	VMOVDQA Y13, Y1
	VMOVDQA Y13, Y2
	VMOVDQA Y13, Y3
	LEAQ (SI)(BX*1), AX
	MOVQ R10, R12
	MOVQ R9, CX
	TESTQ CX, CX
	JZ colsingle

colpair:
	VMOVDQU (AX), Y4
	VMOVDQU (AX)(R8*1), Y5
	VPBROADCASTD (R12), Y8
	VPUNPCKLBW Y5, Y4, Y6  // a0 b0 ... a7 b7 | a16 b16 ... a23 b23
	VPUNPCKHBW Y5, Y4, Y7  // a8 b8 ... a15 b15 | a24 b24 ... a31 b31
	VPUNPCKLBW Y14, Y6, Y9 // columns 0-3 | 16-19, as 16-bit a, b pairs
	VPUNPCKHBW Y14, Y6, Y10
	VPUNPCKLBW Y14, Y7, Y11
	VPUNPCKHBW Y14, Y7, Y6
	VPMADDWD Y8, Y9, Y9
	VPMADDWD Y8, Y10, Y10
	VPMADDWD Y8, Y11, Y11
	VPMADDWD Y8, Y6, Y6
	VPADDD Y9, Y0, Y0
	VPADDD Y10, Y1, Y1
	VPADDD Y11, Y2, Y2
	VPADDD Y6, Y3, Y3
	LEAQ (AX)(R8*2), AX
	ADDQ $4, R12
	DECQ CX
	JNZ colpair

colsingle:
	// A last row without a pair is paired with zeros; the high half of
	// its weights' word is the zero of the padding.
	TESTQ R11, R11
	JZ colfinish
	VMOVDQU (AX), Y4
	VPBROADCASTD (R12), Y8
	VPUNPCKLBW Y14, Y4, Y6
	VPUNPCKHBW Y14, Y4, Y7
	VPUNPCKLBW Y14, Y6, Y9
	VPUNPCKHBW Y14, Y6, Y10
	VPUNPCKLBW Y14, Y7, Y11
	VPUNPCKHBW Y14, Y7, Y6
	VPMADDWD Y8, Y9, Y9
	VPMADDWD Y8, Y10, Y10
	VPMADDWD Y8, Y11, Y11
	VPMADDWD Y8, Y6, Y6
	VPADDD Y9, Y0, Y0
	VPADDD Y10, Y1, Y1
	VPADDD Y11, Y2, Y2
	VPADDD Y6, Y3, Y3

colfinish:
	VPSRAD X12, Y0, Y0
	VPSRAD X12, Y1, Y1
	VPSRAD X12, Y2, Y2
	VPSRAD X12, Y3, Y3
	VPACKSSDW Y1, Y0, Y0 // columns 0-7 | 16-23, 16-bit
	VPACKSSDW Y3, Y2, Y2 // columns 8-15 | 24-31
	VPACKUSWB Y2, Y0, Y0 // columns 0-15 | 16-31, bytes
	VMOVDQU Y0, (DI)(BX*1)

	ADDQ $32, BX
	CMPQ BX, DX
	JEQ coldone
	LEAQ 32(BX), AX
	CMPQ AX, DX
	JLE colblock
	MOVQ DX, BX
	SUBQ $32, BX
	JMP colblock

coldone:
	VZEROUPPER
	RET

// func columnSymAVX2(out, src []uint8, stride, taps int, w []int16, bits uint)
//
// columnAVX2 for a window of symmetric weights, w[j] = w[taps-1-j], and
// taps a multiple of 4, as halving gives. Rows j and taps-1-j share a
// weight, so they are added first, into 16-bit sums Sj, which halves the
// multiplications. Widening the pixels to 16 bits for the sums takes no
// shuffle: VPAND by 0x00ff and VPSRLW by 8 split the 16 words of 32
// pixels into the pixels of the even columns and those of the odd ones.
// VPUNPCKLWD and VPUNPCKHWD then interleave S2q and S2q+1 into the pairs
// that VPMADDWD multiplies by (w2q, w2q+1). At the end, the sums of the
// even and of the odd columns are packed to bytes and put back in order
// by VPSHUFB.
//
// Registers:
//	DI	out
//	DX	len(out), at least 32
//	SI	src: row j of the window at SI + j*stride
//	R8	stride
//	R9	taps/4: the pairs of sums
//	R10	w: the weights of S2q and S2q+1 in the 32-bit word at 4q(R10)
//	R11	(taps-2)*stride
//	BX	the first column of the block
//	AX	row 2q of the block, R13 row taps-2-2q, in the loop over q
//	R12	the weights of the pair in the loop
//	CX	pairs left
//	Y0, Y1	the sums of the even columns of the block, (0, 2, 4, 6 | 16,
//		18, 20, 22) and (8, 10, 12, 14 | 24, 26, 28, 30)
//	Y2, Y3	those of the odd columns, (1, 3, 5, 7 | 17, 19, 21, 23) and
//		(9, 11, 13, 15 | 25, 27, 29, 31)
//	Y4-Y7	rows 2q, 2q+1, taps-1-2q and taps-2-2q, 32 pixels each; then
//		Y4, Y5 the odd columns of S2q and S2q+1
//	Y8, Y9	the even columns of S2q and S2q+1; then products
//	Y10	the weights of S2q and S2q+1, in each 32-bit word
//	Y11	0x00ff in each 16-bit word
//	X12	the shift count, bits
//	Y13	half, in each 32-bit word
//	Y14	temporary
TEXT ·columnSymAVX2(SB), NOSPLIT, $0-96
	MOVQ out_base+0(FP), DI
	MOVQ out_len+8(FP), DX
	MOVQ src_base+24(FP), SI
	MOVQ stride+48(FP), R8
	MOVQ taps+56(FP), R9
	MOVQ w_base+64(FP), R10
	MOVQ bits+88(FP), CX
	LEAQ -2(R9), R11
	IMULQ R8, R11
	SHRQ $2, R9

	VMOVQ CX, X12
	DECQ CX
	MOVL $1, AX
	SHLL CX, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	VPCMPEQW Y11, Y11, Y11
	VPSRLW $8, Y11, Y11
	XORQ BX, BX

symblock:
	VMOVDQA Y13, Y0
	VMOVDQA Y13, Y1
	VMOVDQA Y13, Y2
	VMOVDQA Y13, Y3
	LEAQ (SI)(BX*1), AX
	LEAQ (AX)(R11*1), R13
	MOVQ R10, R12
	MOVQ R9, CX

sympair:
	VMOVDQU (AX), Y4
	VMOVDQU (AX)(R8*1), Y5
	VMOVDQU (R13)(R8*1), Y6
	VMOVDQU (R13), Y7
	VPBROADCASTD (R12), Y10
	VPAND Y11, Y4, Y8
	VPAND Y11, Y6, Y14
	VPADDW Y14, Y8, Y8 // S2q, even columns
	VPAND Y11, Y5, Y9
	VPAND Y11, Y7, Y14
	VPADDW Y14, Y9, Y9 // S2q+1, even columns
	VPSRLW $8, Y4, Y4
	VPSRLW $8, Y6, Y6
	VPADDW Y6, Y4, Y4 // S2q, odd columns
	VPSRLW $8, Y5, Y5
	VPSRLW $8, Y7, Y7
	VPADDW Y7, Y5, Y5 // S2q+1, odd columns
	VPUNPCKLWD Y9, Y8, Y6
	VPUNPCKHWD Y9, Y8, Y7
	VPUNPCKLWD Y5, Y4, Y8
	VPUNPCKHWD Y5, Y4, Y9
	VPMADDWD Y10, Y6, Y6
	VPMADDWD Y10, Y7, Y7
	VPMADDWD Y10, Y8, Y8
	VPMADDWD Y10, Y9, Y9
	VPADDD Y6, Y0, Y0
	VPADDD Y7, Y1, Y1
	VPADDD Y8, Y2, Y2
	VPADDD Y9, Y3, Y3
	LEAQ (AX)(R8*2), AX
	SUBQ R8, R13
	SUBQ R8, R13
	ADDQ $4, R12
	DECQ CX
	JNZ sympair

	VPSRAD X12, Y0, Y0
	VPSRAD X12, Y1, Y1
	VPSRAD X12, Y2, Y2
	VPSRAD X12, Y3, Y3
	VPACKSSDW Y1, Y0, Y0 // even columns 0-14 | 16-30, 16-bit
	VPACKSSDW Y3, Y2, Y2 // odd columns 1-15 | 17-31
	VPACKUSWB Y2, Y0, Y0 // even then odd columns, bytes, in each lane
	VPSHUFB evenodd<>(SB), Y0, Y0
	VMOVDQU Y0, (DI)(BX*1)

	ADDQ $32, BX
	CMPQ BX, DX
	JEQ symdone
	LEAQ 32(BX), AX
	CMPQ AX, DX
	JLE symblock
	MOVQ DX, BX
	SUBQ $32, BX
	JMP symblock

symdone:
	VZEROUPPER
	RET

// evenodd puts the bytes of a lane holding columns 0, 2, ..., 14 then
// 1, 3, ..., 15 back in order, in each of the two lanes.
DATA evenodd<>+0(SB)/8, $0x0b030a0209010800
DATA evenodd<>+8(SB)/8, $0x0f070e060d050c04
DATA evenodd<>+16(SB)/8, $0x0b030a0209010800
DATA evenodd<>+24(SB)/8, $0x0f070e060d050c04
GLOBL evenodd<>(SB), RODATA|NOPTR, $32

// func rowAVX2(out, in []uint8, first []int, groups []int16, chunks int, bits uint)
//
// Registers:
//	DI	out
//	DX	len(out)-4, the last place for a group
//	SI	in
//	R8	first
//	R9	chunks
//	R10	the weights of the chunk in groups: 64 bytes, the eight
//		weights of each of the four result pixels of the group
//	BX	the first slot of the group
//	AX, R11, R12, R13	the chunk of eight source pixels of each of the
//		four result pixels
//	CX	chunks left
//	X0-X3	the sums of the four result pixels, four 32-bit parts each
//	X4-X7	their eight source pixels, zero-extended to 16 bits, then
//		multiplied by the weights and added in pairs
//	X12	the shift count, bits
//	X13	half, in each 32-bit word
TEXT ·rowAVX2(SB), NOSPLIT, $0-112
	MOVQ out_base+0(FP), DI
	MOVQ out_len+8(FP), DX
	MOVQ in_base+24(FP), SI
	MOVQ first_base+48(FP), R8
	MOVQ groups_base+72(FP), R10
	MOVQ chunks+96(FP), R9
	MOVQ bits+104(FP), CX
	SUBQ $4, DX

	VMOVQ CX, X12
	DECQ CX
	MOVL $1, AX
	SHLL CX, AX
	VMOVD AX, X13
	VPBROADCASTD X13, X13
	XORQ BX, BX

rowgroup:
	MOVQ (R8)(BX*8), AX
	ADDQ SI, AX
	MOVQ 8(R8)(BX*8), R11
	ADDQ SI, R11
	MOVQ 16(R8)(BX*8), R12
	ADDQ SI, R12
	MOVQ 24(R8)(BX*8), R13
	ADDQ SI, R13
	VPXOR X0, X0, X0
	VPXOR X1, X1, X1
	VPXOR X2, X2, X2
	VPXOR X3, X3, X3
	MOVQ R9, CX

rowchunk:
	VPMOVZXBW (AX), X4
	VPMOVZXBW (R11), X5
	VPMOVZXBW (R12), X6
	VPMOVZXBW (R13), X7
	VPMADDWD (R10), X4, X4
	VPMADDWD 16(R10), X5, X5
	VPMADDWD 32(R10), X6, X6
	VPMADDWD 48(R10), X7, X7
	VPADDD X4, X0, X0
	VPADDD X5, X1, X1
	VPADDD X6, X2, X2
	VPADDD X7, X3, X3
	ADDQ $8, AX
	ADDQ $8, R11
	ADDQ $8, R12
	ADDQ $8, R13
	ADDQ $64, R10
	DECQ CX
	JNZ rowchunk

	VPHADDD X1, X0, X0 // the parts of pixels 0 and 1, added in twos
	VPHADDD X3, X2, X2 // those of pixels 2 and 3
	VPHADDD X2, X0, X0 // the sums of pixels 0-3
	VPADDD X13, X0, X0
	VPSRAD X12, X0, X0
	VPACKSSDW X0, X0, X0
	VPACKUSWB X0, X0, X0
	MOVQ BX, CX
	CMPQ CX, DX
	CMOVQGT DX, CX
	VMOVD X0, (DI)(CX*1)

	ADDQ $4, BX
	CMPQ BX, first_len+56(FP)
	JLT rowgroup
	VZEROUPPER
	RET

// func halveAVX2(out, in []uint8, pairs []int32, bits uint)
//
// Result pixel x weighs the pairs of source pixels (2x+2p, 2x+2p+1). The
// 32 bytes from in[2x+2p], zero-extended to 16 bits, are those pairs for
// the 16 result pixels x to x+15, one in each 32-bit word, so that one
// VPMADDWD by the broadcast weights of pair p does the pair for all 16.
//
// Registers:
//	DI	out
//	DX	len(out), at least 16
//	SI	in
//	R10	pairs
//	R9	len(pairs)
//	BX	the first result pixel x of the block
//	AX	in[2x+2p], in the loop over the pairs
//	R12	the weights of pair p
//	CX	pairs left
//	Y0, Y1	the 16 sums of the block, of pixels (0-3, 8-11) and (4-7, 12-15)
//	Y4	the 32 source pixels from 2x+2p
//	Y5, Y6	those zero-extended to 16 bits (bytes 0-7 | 16-23 and 8-15 |
//		24-31), then their products with the weights, added in pairs
//	Y8	the weights of pair p, in each 32-bit word
//	X12	the shift count, bits
//	Y13	half, in each 32-bit word
//	Y14	zero
TEXT ·halveAVX2(SB), NOSPLIT, $0-80
	MOVQ out_base+0(FP), DI
	MOVQ out_len+8(FP), DX
	MOVQ in_base+24(FP), SI
	MOVQ pairs_base+48(FP), R10
	MOVQ pairs_len+56(FP), R9
	MOVQ bits+72(FP), CX

	VMOVQ CX, X12
	DECQ CX
	MOVL $1, AX
	SHLL CX, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	VPXOR Y14, Y14, Y14
	XORQ BX, BX

halfblock:
	VMOVDQA Y13, Y0
	VMOVDQA Y13, Y1
	LEAQ (SI)(BX*2), AX
	MOVQ R10, R12
	MOVQ R9, CX

halfpair:
	VMOVDQU (AX), Y4
	VPBROADCASTD (R12), Y8
	VPUNPCKLBW Y14, Y4, Y5
	VPUNPCKHBW Y14, Y4, Y6
	VPMADDWD Y8, Y5, Y5
	VPMADDWD Y8, Y6, Y6
	VPADDD Y5, Y0, Y0
	VPADDD Y6, Y1, Y1
	ADDQ $2, AX
	ADDQ $4, R12
	DECQ CX
	JNZ halfpair

	VPSRAD X12, Y0, Y0
	VPSRAD X12, Y1, Y1
	VPACKSSDW Y1, Y0, Y0  // pixels 0-7 | 8-15, 16-bit
	VPACKUSWB Y0, Y0, Y0  // pixels 0-7, 0-7 | 8-15, 8-15, bytes
	VPERMQ $0x08, Y0, Y0  // pixels 0-15 in the low lane
	VMOVDQU X0, (DI)(BX*1)

	ADDQ $16, BX
	CMPQ BX, DX
	JEQ halfdone
	LEAQ 16(BX), AX
	CMPQ AX, DX
	JLE halfblock
	MOVQ DX, BX
	SUBQ $16, BX
	JMP halfblock

halfdone:
	VZEROUPPER
	RET
