#include "go_asm.h"
#include "textflag.h"

// The forward DCT and quantisation of fdctQuant (fdct.go) for groups of 8
// blocks side by side, on 8 lanes of int32 and int64: lane ℓ of every
// register belongs to block β(ℓ) of the group, β = 0, 1, 4, 5, 2, 3, 6, 7,
// the order in which the byte shuffles below gather them. Every register
// holds one value of the 8 blocks, so the butterflies need no transposes
// and each coefficient can be stored wherever the zigzag order wants it.
//
// A group goes through three phases, with a 2 KiB scratch area S of 64
// vectors in the frame:
//
//   - Rows: for each row j, the 64 bytes of the group's row are shuffled
//     and widened so that Y0 to Y7 hold pixels 0 to 7 of the row of each
//     block; the row pass leaves frequencies 0 to 7, and frequency c goes
//     to S[8c+j].
//   - Columns: for each column c, S[8c] to S[8c+7] are the column of every
//     block; the column pass gives vertical frequencies 0 to 7, which are
//     quantised and stored back over them, coefficient (u, c) in S[8c+u].
//     Column 0 computes the DC of each block instead of quantising (0, 0).
//   - Output: pairs of coefficients in zigzag order are packed to int16
//     (one int32 per pair and block) and transposed, eight pairs of a block
//     to a register, which is stored to the block's coefs. The masks are
//     then computed from the stored coefficients.
//
// The arithmetic is fdctQuant's, exactly:
//
//   - Row pass: |sample sums| ≤ 1020 and every product, at most
//     510·85627 + 1020·25080 < 2^27, fits an int32, so VPMULLD computes it
//     exactly, and VPSRAD shifts as Go's >> on int does. The outputs are
//     under 2^19 in magnitude.
//   - Column pass: sums of up to eight row outputs, under 2^22, still fit
//     an int32, but their products with the constants need up to 40 bits.
//     They are formed by VPMULDQ, 32×32 to 64 bits, on the even lanes and on
//     the odd lanes shifted down, summed in 64 bits, and descaled by taking
//     bits 16 to 47: as the result fits an int32, those are its two's
//     complement whatever the sign, the low 32 bits of the arithmetic shift.
//   - Quantisation: (v·recip + 2^30)>>31 = (v·2recip + 2^31)>>32, and
//     2recip < 2^25 fits an int32, so each result is the high half of a
//     VPMULDQ product plus 2^31.
//   - DC: the column pass's sum for frequency (0, 0) is exactly
//     2^8·Σ(sample-128); its magnitude plus dcHalf, times dcMul, shifted
//     down by 32 and given the sign back is the Go code's division.
//   - The quantised coefficients are under 2^11 in magnitude, so packing
//     them to int16 with signed saturation changes nothing.

// Multipliers of fdct.go, 8 copies each.
#define FIX0707 fdctConst<>+0x000(SB)
#define FIX0382 fdctConst<>+0x020(SB)
#define FIX0541 fdctConst<>+0x040(SB)
#define FIX1306 fdctConst<>+0x060(SB)
// −8·128<<inBits: the level shift of the DC term of each row
#define LEVEL fdctConst<>+0x080(SB)
// 2^31 in every 64-bit lane: the rounding of the quantisation
#define ROUND fdctConst<>+0x0a0(SB)
// VPSHUFB: interleave the 8 bytes of the two blocks of each 128-bit lane
#define PAIRBYTES fdctConst<>+0x0c0(SB)
// VPSHUFB: zero-extend bytes 4k to 4k+3 of each 128-bit lane to 32 bits
#define EXPAND0 fdctConst<>+0x0e0(SB)
#define EXPAND1 fdctConst<>+0x100(SB)
#define EXPAND2 fdctConst<>+0x120(SB)
#define EXPAND3 fdctConst<>+0x140(SB)
// VPSHUFB: interleave the words of the two halves of each 128-bit lane
#define PAIRWORDS fdctConst<>+0x160(SB)

DATA fdctConst<>+0x000(SB)/4, $46341
DATA fdctConst<>+0x004(SB)/4, $46341
DATA fdctConst<>+0x008(SB)/4, $46341
DATA fdctConst<>+0x00c(SB)/4, $46341
DATA fdctConst<>+0x010(SB)/4, $46341
DATA fdctConst<>+0x014(SB)/4, $46341
DATA fdctConst<>+0x018(SB)/4, $46341
DATA fdctConst<>+0x01c(SB)/4, $46341
DATA fdctConst<>+0x020(SB)/4, $25080
DATA fdctConst<>+0x024(SB)/4, $25080
DATA fdctConst<>+0x028(SB)/4, $25080
DATA fdctConst<>+0x02c(SB)/4, $25080
DATA fdctConst<>+0x030(SB)/4, $25080
DATA fdctConst<>+0x034(SB)/4, $25080
DATA fdctConst<>+0x038(SB)/4, $25080
DATA fdctConst<>+0x03c(SB)/4, $25080
DATA fdctConst<>+0x040(SB)/4, $35468
DATA fdctConst<>+0x044(SB)/4, $35468
DATA fdctConst<>+0x048(SB)/4, $35468
DATA fdctConst<>+0x04c(SB)/4, $35468
DATA fdctConst<>+0x050(SB)/4, $35468
DATA fdctConst<>+0x054(SB)/4, $35468
DATA fdctConst<>+0x058(SB)/4, $35468
DATA fdctConst<>+0x05c(SB)/4, $35468
DATA fdctConst<>+0x060(SB)/4, $85627
DATA fdctConst<>+0x064(SB)/4, $85627
DATA fdctConst<>+0x068(SB)/4, $85627
DATA fdctConst<>+0x06c(SB)/4, $85627
DATA fdctConst<>+0x070(SB)/4, $85627
DATA fdctConst<>+0x074(SB)/4, $85627
DATA fdctConst<>+0x078(SB)/4, $85627
DATA fdctConst<>+0x07c(SB)/4, $85627
DATA fdctConst<>+0x080(SB)/4, $-262144
DATA fdctConst<>+0x084(SB)/4, $-262144
DATA fdctConst<>+0x088(SB)/4, $-262144
DATA fdctConst<>+0x08c(SB)/4, $-262144
DATA fdctConst<>+0x090(SB)/4, $-262144
DATA fdctConst<>+0x094(SB)/4, $-262144
DATA fdctConst<>+0x098(SB)/4, $-262144
DATA fdctConst<>+0x09c(SB)/4, $-262144
DATA fdctConst<>+0x0a0(SB)/8, $0x0000000080000000
DATA fdctConst<>+0x0a8(SB)/8, $0x0000000080000000
DATA fdctConst<>+0x0b0(SB)/8, $0x0000000080000000
DATA fdctConst<>+0x0b8(SB)/8, $0x0000000080000000
DATA fdctConst<>+0x0c0(SB)/8, $0x0b030a0209010800
DATA fdctConst<>+0x0c8(SB)/8, $0x0f070e060d050c04
DATA fdctConst<>+0x0d0(SB)/8, $0x0b030a0209010800
DATA fdctConst<>+0x0d8(SB)/8, $0x0f070e060d050c04
DATA fdctConst<>+0x0e0(SB)/8, $0x8080800180808000
DATA fdctConst<>+0x0e8(SB)/8, $0x8080800380808002
DATA fdctConst<>+0x0f0(SB)/8, $0x8080800180808000
DATA fdctConst<>+0x0f8(SB)/8, $0x8080800380808002
DATA fdctConst<>+0x100(SB)/8, $0x8080800580808004
DATA fdctConst<>+0x108(SB)/8, $0x8080800780808006
DATA fdctConst<>+0x110(SB)/8, $0x8080800580808004
DATA fdctConst<>+0x118(SB)/8, $0x8080800780808006
DATA fdctConst<>+0x120(SB)/8, $0x8080800980808008
DATA fdctConst<>+0x128(SB)/8, $0x8080800b8080800a
DATA fdctConst<>+0x130(SB)/8, $0x8080800980808008
DATA fdctConst<>+0x138(SB)/8, $0x8080800b8080800a
DATA fdctConst<>+0x140(SB)/8, $0x8080800d8080800c
DATA fdctConst<>+0x148(SB)/8, $0x8080800f8080800e
DATA fdctConst<>+0x150(SB)/8, $0x8080800d8080800c
DATA fdctConst<>+0x158(SB)/8, $0x8080800f8080800e
DATA fdctConst<>+0x160(SB)/8, $0x0b0a030209080100
DATA fdctConst<>+0x168(SB)/8, $0x0f0e07060d0c0504
DATA fdctConst<>+0x170(SB)/8, $0x0b0a030209080100
DATA fdctConst<>+0x178(SB)/8, $0x0f0e07060d0c0504
GLOBL fdctConst<>(SB), RODATA|NOPTR, $384

// MULSHIFT16 sets r to r·c>>16 in each int32 lane, c a multiplier in
// memory, using t: the 64-bit products of the even lanes descaled into the
// low halves of the qwords, blended with those of the odd lanes descaled
// into the high halves.
#define MULSHIFT16(c, r, t) \
	VPSRLQ   $32, r, t  \
	VPMULDQ  c, r, r    \
	VPMULDQ  c, t, t    \
	VPSRLQ   $16, r, r  \
	VPSLLQ   $16, t, t  \
	VPBLENDD $0xaa, t, r, r

// QUANT quantises r, coefficient (u, c) of each block, and stores it to
// S[8c+u], at off(R11); R12 points to vecQuantizer.recip2[c], whose entry
// for (u, c) is at off(R12). The result of each lane is the high half of
// v·2recip + 2^31: moved down for the even lanes, in place for the odd
// ones.
#define QUANT(off, r)                 \
	VPBROADCASTD off(R12), Y9     \
	VPSRLQ       $32, r, Y10      \
	VPMULDQ      Y9, r, r         \
	VPMULDQ      Y9, Y10, Y10     \
	VPADDQ       ROUND, r, r      \
	VPADDQ       ROUND, Y10, Y10  \
	VPSRLQ       $32, r, r        \
	VPBLENDD     $0xaa, Y10, r, r \
	VMOVDQU      r, off(R11)

// PAIR sets r to the coefficients of zigzag positions k and k+1, packed
// to int16 in each lane, k's in the low half; their scratch offsets are at
// off(R13) and off+2(R13) (zigzagScratch). VPACKSSDW gives the two
// halves of each 128-bit lane, and PAIRWORDS interleaves them.
#define PAIR(off, r)               \
	MOVWQZX   off(R13), R9     \
	MOVWQZX   off+2(R13), AX   \
	VMOVDQU   (SP)(R9*1), r    \
	VPACKSSDW (SP)(AX*1), r, r \
	VPSHUFB   PAIRWORDS, r, r

// MASK computes the mask of block b of the group from its stored
// coefficients, b·128(DI), Y15 being zero: the words equal to zero become
// bytes 0xff, put in zigzag order by VPERMQ after the in-lane packing,
// and VPMOVMSKB gathers their top bits.
#define MASK(b)                           \
	VPCMPEQW  (b*128)(DI), Y15, Y0    \
	VPCMPEQW  (b*128+32)(DI), Y15, Y1 \
	VPACKSSWB Y1, Y0, Y0              \
	VPERMQ    $0xd8, Y0, Y0           \
	VPMOVMSKB Y0, AX                  \
	VPCMPEQW  (b*128+64)(DI), Y15, Y2 \
	VPCMPEQW  (b*128+96)(DI), Y15, Y3 \
	VPACKSSWB Y3, Y2, Y2              \
	VPERMQ    $0xd8, Y2, Y2           \
	VPMOVMSKB Y2, R9                  \
	SHLQ      $32, R9                 \
	ORQ       R9, AX                  \
	NOTQ      AX                      \
	MOVQ      AX, (b*8)(BX)

// func fdctGroupsAVX2(zz []coefs, masks []uint64, pix []byte, off *[8]int, x int, t *vecQuantizer)
//
// SI points to pixel x of the group in pix (rows at off), DI to its first
// coefs and BX to its first mask; CX counts the groups left, DX holds off
// and R8 t. The frame is the scratch area S.
TEXT ·fdctGroupsAVX2(SB), 0, $2048-96
	MOVQ zz_base+0(FP), DI
	MOVQ zz_len+8(FP), CX
	SHRQ $3, CX
	MOVQ masks_base+24(FP), BX
	MOVQ pix_base+48(FP), SI
	ADDQ x+80(FP), SI
	MOVQ off+72(FP), DX
	MOVQ t+88(FP), R8

group:
	// Rows: R10 counts them, R11 points to S[j].
	XORQ R10, R10
	MOVQ SP, R11

rows:
	MOVQ       (DX)(R10*8), R9
	VMOVDQU    (SI)(R9*1), Y8   // blocks 0 to 3 of row j
	VMOVDQU    32(SI)(R9*1), Y9 // blocks 4 to 7
	VPSHUFB    PAIRBYTES, Y8, Y8
	VPSHUFB    PAIRBYTES, Y9, Y9
	VPUNPCKHWD Y9, Y8, Y10 // pixels 4 to 7 of blocks 0, 1, 4, 5 | 2, 3, 6, 7
	VPUNPCKLWD Y9, Y8, Y8  // pixels 0 to 3

	// Y0 to Y7 = d0 to d7: pixel k, lane ℓ block β(ℓ), as int32.
	VPSHUFB EXPAND0, Y8, Y0
	VPSHUFB EXPAND1, Y8, Y1
	VPSHUFB EXPAND2, Y8, Y2
	VPSHUFB EXPAND3, Y8, Y3
	VPSHUFB EXPAND0, Y10, Y4
	VPSHUFB EXPAND1, Y10, Y5
	VPSHUFB EXPAND2, Y10, Y6
	VPSHUFB EXPAND3, Y10, Y7

	// Row pass.
	VPADDD Y7, Y0, Y8 // tmp0 = d0+d7
	VPSUBD Y7, Y0, Y0 // tmp7 = d0-d7
	VPADDD Y6, Y1, Y7 // tmp1
	VPSUBD Y6, Y1, Y1 // tmp6
	VPADDD Y5, Y2, Y6 // tmp2
	VPSUBD Y5, Y2, Y2 // tmp5
	VPADDD Y4, Y3, Y5 // tmp3
	VPSUBD Y4, Y3, Y3 // tmp4

	// Even part.
	VPADDD  Y5, Y8, Y4     // tmp10 = tmp0+tmp3
	VPSUBD  Y5, Y8, Y8     // tmp13 = tmp0-tmp3
	VPADDD  Y6, Y7, Y5     // tmp11 = tmp1+tmp2
	VPSUBD  Y6, Y7, Y7     // tmp12 = tmp1-tmp2
	VPADDD  Y5, Y4, Y6
	VPSUBD  Y5, Y4, Y4
	VPSLLD  $8, Y6, Y6
	VPADDD  LEVEL, Y6, Y6  // W0 = (tmp10+tmp11-8·128)<<8
	VPSLLD  $8, Y4, Y4     // W4 = (tmp10-tmp11)<<8
	VPADDD  Y8, Y7, Y7
	VPMULLD FIX0707, Y7, Y7
	VPSRAD  $8, Y7, Y7     // z1 = (tmp12+tmp13)·fix0707>>8
	VPSLLD  $8, Y8, Y8
	VPADDD  Y7, Y8, Y5     // W2 = tmp13<<8 + z1
	VPSUBD  Y7, Y8, Y8     // W6 = tmp13<<8 - z1

	// Odd part.
	VPADDD  Y2, Y3, Y3     // tmp10 = tmp4+tmp5
	VPADDD  Y1, Y2, Y2     // tmp11 = tmp5+tmp6
	VPADDD  Y0, Y1, Y1     // tmp12 = tmp6+tmp7
	VPSUBD  Y1, Y3, Y7
	VPMULLD FIX0382, Y7, Y7 // z5 = (tmp10-tmp12)·fix0382
	VPMULLD FIX0541, Y3, Y3
	VPADDD  Y7, Y3, Y3
	VPSRAD  $8, Y3, Y3     // z2 = (tmp10·fix0541 + z5)>>8
	VPMULLD FIX1306, Y1, Y1
	VPADDD  Y7, Y1, Y1
	VPSRAD  $8, Y1, Y1     // z4 = (tmp12·fix1306 + z5)>>8
	VPMULLD FIX0707, Y2, Y2
	VPSRAD  $8, Y2, Y2     // z3 = tmp11·fix0707>>8
	VPSLLD  $8, Y0, Y0
	VPADDD  Y2, Y0, Y7     // z11 = tmp7<<8 + z3
	VPSUBD  Y2, Y0, Y0     // z13 = tmp7<<8 - z3
	VPADDD  Y3, Y0, Y9     // W5 = z13+z2
	VPSUBD  Y3, Y0, Y3     // W3 = z13-z2
	VPADDD  Y1, Y7, Y10    // W1 = z11+z4
	VPSUBD  Y1, Y7, Y7     // W7 = z11-z4

	// W0 to W7 are in Y6, Y10, Y5, Y3, Y4, Y9, Y8 and Y7: Wc to S[8c+j].
	VMOVDQU Y6, 0(R11)
	VMOVDQU Y10, 256(R11)
	VMOVDQU Y5, 512(R11)
	VMOVDQU Y3, 768(R11)
	VMOVDQU Y4, 1024(R11)
	VMOVDQU Y9, 1280(R11)
	VMOVDQU Y8, 1536(R11)
	VMOVDQU Y7, 1792(R11)
	ADDQ    $32, R11
	INCQ    R10
	CMPQ    R10, $8
	JLT     rows

	// Columns: R10 counts them, R11 points to S[8c] and R12 to
	// t.recip2[c].
	XORQ R10, R10
	MOVQ SP, R11
	MOVQ R8, R12

columns:
	// D0 to D7 in Y0, Y2, Y12, Y14, Y1, Y11, Y13 and Y15.
	VMOVDQU 0(R11), Y0
	VMOVDQU 32(R11), Y2
	VMOVDQU 64(R11), Y12
	VMOVDQU 96(R11), Y14
	VMOVDQU 128(R11), Y1
	VMOVDQU 160(R11), Y11
	VMOVDQU 192(R11), Y13
	VMOVDQU 224(R11), Y15

	// Column pass.
	VPADDD Y15, Y0, Y3    // tmp0 = D0+D7
	VPSUBD Y15, Y0, Y0    // tmp7 = D0-D7
	VPADDD Y13, Y2, Y4    // tmp1 = D1+D6
	VPSUBD Y13, Y2, Y2    // tmp6
	VPADDD Y11, Y12, Y5   // tmp2 = D2+D5
	VPSUBD Y11, Y12, Y12  // tmp5
	VPADDD Y1, Y14, Y6    // tmp3 = D3+D4
	VPSUBD Y1, Y14, Y14   // tmp4

	// Even part.
	VPADDD     Y6, Y3, Y7        // tmp10 = tmp0+tmp3
	VPSUBD     Y6, Y3, Y3        // tmp13 = tmp0-tmp3
	VPADDD     Y5, Y4, Y6        // tmp11 = tmp1+tmp2
	VPSUBD     Y5, Y4, Y4        // tmp12 = tmp1-tmp2
	VPADDD     Y6, Y7, Y1        // out0 = tmp10+tmp11, the DC sum in column 0
	VPSUBD     Y6, Y7, Y7        // out4 = tmp10-tmp11
	VPADDD     Y3, Y4, Y4
	MULSHIFT16(FIX0707, Y4, Y5)  // z1 = (tmp12+tmp13)·fix0707>>16
	VPADDD     Y4, Y3, Y5        // out2 = tmp13+z1
	VPSUBD     Y4, Y3, Y3        // out6 = tmp13-z1

	// Odd part. z5 stays in 64 bits: Y4 for the even lanes, Y6 for the
	// odd lanes.
	VPADDD   Y12, Y14, Y14  // tmp10 = tmp4+tmp5
	VPADDD   Y2, Y12, Y12   // tmp11 = tmp5+tmp6
	VPADDD   Y0, Y2, Y2     // tmp12 = tmp6+tmp7
	VPSUBD   Y2, Y14, Y4
	VPSRLQ   $32, Y4, Y6
	VPMULDQ  FIX0382, Y4, Y4
	VPMULDQ  FIX0382, Y6, Y6 // z5 = (tmp10-tmp12)·fix0382
	VPSRLQ   $32, Y14, Y8
	VPMULDQ  FIX0541, Y14, Y9
	VPMULDQ  FIX0541, Y8, Y8
	VPADDQ   Y4, Y9, Y9
	VPADDQ   Y6, Y8, Y8
	VPSRLQ   $16, Y9, Y9
	VPSLLQ   $16, Y8, Y8
	VPBLENDD $0xaa, Y8, Y9, Y9 // z2 = (tmp10·fix0541 + z5)>>16
	VPSRLQ   $32, Y2, Y8
	VPMULDQ  FIX1306, Y2, Y2
	VPMULDQ  FIX1306, Y8, Y8
	VPADDQ   Y4, Y2, Y2
	VPADDQ   Y6, Y8, Y8
	VPSRLQ   $16, Y2, Y2
	VPSLLQ   $16, Y8, Y8
	VPBLENDD $0xaa, Y8, Y2, Y2 // z4 = (tmp12·fix1306 + z5)>>16
	MULSHIFT16(FIX0707, Y12, Y4) // z3 = tmp11·fix0707>>16
	VPADDD   Y12, Y0, Y4    // z11 = tmp7+z3
	VPSUBD   Y12, Y0, Y0    // z13 = tmp7-z3
	VPADDD   Y9, Y0, Y6     // out5 = z13+z2
	VPSUBD   Y9, Y0, Y0     // out3 = z13-z2
	VPADDD   Y2, Y4, Y8     // out1 = z11+z4
	VPSUBD   Y2, Y4, Y4     // out7 = z11-z4

	// out0 to out7 are in Y1, Y8, Y5, Y0, Y7, Y6, Y3 and Y4.
	TESTQ R10, R10
	JNZ   ac

	// Column 0: the DC of each block for (0, 0). sum = dcSum>>8, and the
	// Go code's (|sum|+dcHalf)·dcMul>>32 with the sign of sum, the
	// products of the odd lanes formed after shifting them down.
	VPSRAD   $8, Y1, Y9
	VPABSD   Y9, Y10
	VPADDD   vecQuantizer_dcHalf(R8), Y10, Y10
	VPSRLQ   $32, Y10, Y11
	VPMULUDQ vecQuantizer_dcMul(R8), Y10, Y10
	VPMULUDQ vecQuantizer_dcMul(R8), Y11, Y11
	VPSRLQ   $32, Y10, Y10
	VPBLENDD $0xaa, Y11, Y10, Y10
	VPSIGND  Y9, Y10, Y10
	VMOVDQU  Y10, 0(R11)
	JMP      rest

ac:
	QUANT(0, Y1)

rest:
	QUANT(32, Y8)
	QUANT(64, Y5)
	QUANT(96, Y0)
	QUANT(128, Y7)
	QUANT(160, Y6)
	QUANT(192, Y3)
	QUANT(224, Y4)
	ADDQ $256, R11
	ADDQ $4, R12
	INCQ R10
	CMPQ R10, $8
	JLT  columns

	// Output: R10 counts groups of 16 zigzag positions, R13 points to
	// their scratch offsets and R12 to their place in the first coefs.
	XORQ R10, R10
	LEAQ ·zigzagScratch(SB), R13
	MOVQ DI, R12

output:
	// Y0 to Y7: pairs 8G to 8G+7, lane ℓ block β(ℓ).
	PAIR(0, Y0)
	PAIR(4, Y1)
	PAIR(8, Y2)
	PAIR(12, Y3)
	PAIR(16, Y4)
	PAIR(20, Y5)
	PAIR(24, Y6)
	PAIR(28, Y7)

	// Transpose them: the eight pairs of lane ℓ to Y8+ℓ, stored to block
	// β(ℓ).
	VPUNPCKLDQ  Y1, Y0, Y8   // pairs 0, 1 of lanes 0, 1 | 4, 5
	VPUNPCKHDQ  Y1, Y0, Y9   // pairs 0, 1 of lanes 2, 3 | 6, 7
	VPUNPCKLDQ  Y3, Y2, Y10  // pairs 2, 3 of lanes 0, 1 | 4, 5
	VPUNPCKHDQ  Y3, Y2, Y11  // pairs 2, 3 of lanes 2, 3 | 6, 7
	VPUNPCKLDQ  Y5, Y4, Y12  // pairs 4, 5 of lanes 0, 1 | 4, 5
	VPUNPCKHDQ  Y5, Y4, Y13  // pairs 4, 5 of lanes 2, 3 | 6, 7
	VPUNPCKLDQ  Y7, Y6, Y14  // pairs 6, 7 of lanes 0, 1 | 4, 5
	VPUNPCKHDQ  Y7, Y6, Y15  // pairs 6, 7 of lanes 2, 3 | 6, 7
	VPUNPCKLQDQ Y10, Y8, Y0  // pairs 0-3 of lane 0 | lane 4
	VPUNPCKHQDQ Y10, Y8, Y1  // pairs 0-3 of lane 1 | lane 5
	VPUNPCKLQDQ Y11, Y9, Y2  // pairs 0-3 of lane 2 | lane 6
	VPUNPCKHQDQ Y11, Y9, Y3  // pairs 0-3 of lane 3 | lane 7
	VPUNPCKLQDQ Y14, Y12, Y4 // pairs 4-7 of lane 0 | lane 4
	VPUNPCKHQDQ Y14, Y12, Y5 // pairs 4-7 of lane 1 | lane 5
	VPUNPCKLQDQ Y15, Y13, Y6 // pairs 4-7 of lane 2 | lane 6
	VPUNPCKHQDQ Y15, Y13, Y7 // pairs 4-7 of lane 3 | lane 7
	VPERM2I128  $0x20, Y4, Y0, Y8
	VPERM2I128  $0x31, Y4, Y0, Y12
	VPERM2I128  $0x20, Y5, Y1, Y9
	VPERM2I128  $0x31, Y5, Y1, Y13
	VPERM2I128  $0x20, Y6, Y2, Y10
	VPERM2I128  $0x31, Y6, Y2, Y14
	VPERM2I128  $0x20, Y7, Y3, Y11
	VPERM2I128  $0x31, Y7, Y3, Y15
	VMOVDQU     Y8, 0(R12)    // lane 0, block 0
	VMOVDQU     Y9, 128(R12)  // lane 1, block 1
	VMOVDQU     Y10, 512(R12) // lane 2, block 4
	VMOVDQU     Y11, 640(R12) // lane 3, block 5
	VMOVDQU     Y12, 256(R12) // lane 4, block 2
	VMOVDQU     Y13, 384(R12) // lane 5, block 3
	VMOVDQU     Y14, 768(R12) // lane 6, block 6
	VMOVDQU     Y15, 896(R12) // lane 7, block 7
	ADDQ        $32, R13
	ADDQ        $32, R12
	INCQ        R10
	CMPQ        R10, $4
	JLT         output

	VPXOR Y15, Y15, Y15
	MASK(0)
	MASK(1)
	MASK(2)
	MASK(3)
	MASK(4)
	MASK(5)
	MASK(6)
	MASK(7)

	ADDQ $64, SI
	ADDQ $1024, DI
	ADDQ $64, BX
	DECQ CX
	JNZ  group
	VZEROUPPER
	RET
