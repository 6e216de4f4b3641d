#include "textflag.h"
#include "go_asm.h"
#include "bitreader_amd64.h"

// acRefineAsm is acRefineGo (progressive.go) in assembly, block by block,
// for the blocks that need nothing it leaves to Go: a code that starts no
// symbol, or a marker or the end of the data within reach of the bit
// reader. At such a block it puts the reader and eobrun back as they were
// at the block's start and returns, and Go decodes that block.
//
// So that a block can be given back, its nz is written only at its end,
// with the correction bits, gathered in corr (R14, j bits in DI from the
// top) while its new coefficients are marked in nzb (R12). The new
// coefficients go to the block at once: given back, it is decoded again
// from the same bits and nz, which sets them to the same values.
//
// Registers: those of the bit reader (bitreader_amd64.h); R13 is the
// zigzag index k of the next coefficient; AX, BX, CX and DX are scratch.
//
// The frame holds:
//
//	0(SP)    band: the zigzag indexes ss to se
//	8(SP)    se
//	16(SP)   p1x: 1<<al in each coefficient of a word
//	24(SP)   b, the block
//	32(SP)   the number of blocks
//	40(SP)   pos, bits and n at the start of the block, to go back to
//	64(SP)   eobrun
//	72(SP)   eobrun at the start of the block
//	80(SP)   nz of the block at its start
//	88(SP)   ss
//	96(SP)   the AC table
//	104(SP)  where fill returns to: 0 a symbol, 1 correction bits
//	112(SP)  the correction bits left to read
//	120(SP)  k, while the slow path uses R13
//	128(SP)  0 while decoding symbols, 1 for the correction bits of an
//	         EOB run
//	136(SP)  p1: 1<<al
//	144(SP)  the block

// POPCOUNT leaves in x the number of its bits that are set, using t and u.
#define POPCOUNT(x, t, u) \
	MOVQ x, t; \
	SHRQ $1, t; \
	MOVQ $0x5555555555555555, u; \
	ANDQ u, t; \
	SUBQ t, x; \
	MOVQ $0x3333333333333333, u; \
	MOVQ x, t; \
	SHRQ $2, t; \
	ANDQ u, t; \
	ANDQ u, x; \
	ADDQ t, x; \
	MOVQ x, t; \
	SHRQ $4, t; \
	ADDQ t, x; \
	MOVQ $0x0f0f0f0f0f0f0f0f, u; \
	ANDQ u, x; \
	MOVQ $0x0101010101010101, u; \
	IMULQ u, x; \
	SHRQ $56, x

// TAKE moves the top DX bits of the reader's bits, DX ≤ n and < 64, to
// corr after its j bits. It uses BX and CX.
#define TAKE \
	MOVQ DX, CX; \
	MOVQ $-1, BX; \
	SHRQ CL, BX; \
	NOTQ BX; \
	ANDQ R8, BX; \
	SHLQ CL, R8; \
	SUBQ CX, R9; \
	MOVQ DI, CX; \
	SHRQ CL, BX; \
	ORQ BX, R14; \
	ADDQ DX, DI

// func acRefineAsm(br *bitReader, eobrun *int, ac *huffTable, coefs, nz []uint64, ss, se, al uint) (done int)
TEXT ·acRefineAsm(SB), NOSPLIT, $152-104
	MOVQ nz_len+56(FP), AX
	MOVQ AX, 32(SP)
	MOVQ $0, 24(SP)
	MOVQ ss+72(FP), AX
	MOVQ AX, 88(SP)
	MOVQ se+80(FP), CX
	MOVQ CX, 8(SP)
	// band = (2<<se - 1) &^ (1<<ss - 1)
	MOVQ $2, DX
	SHLQ CL, DX
	DECQ DX
	MOVQ AX, CX
	MOVQ $1, BX
	SHLQ CL, BX
	DECQ BX
	NOTQ BX
	ANDQ BX, DX
	MOVQ DX, 0(SP)
	MOVQ al+88(FP), CX
	MOVQ $1, DX
	SHLQ CL, DX
	MOVQ DX, 136(SP)
	MOVQ $const_laneOnes, AX
	IMULQ AX, DX
	MOVQ DX, 16(SP)
	MOVQ ac+16(FP), AX
	MOVQ AX, 96(SP)
	MOVQ eobrun+8(FP), AX
	MOVQ (AX), AX
	MOVQ AX, 64(SP)
	MOVQ br+0(FP), AX
	MOVQ bitReader_data(AX), R11
	MOVQ bitReader_pos(AX), R10
	MOVQ bitReader_bits(AX), R8
	MOVQ bitReader_n(AX), R9

blockTop:
	MOVQ 24(SP), AX
	CMPQ AX, 32(SP)
	JGE exit
	MOVQ R10, 40(SP)
	MOVQ R8, 48(SP)
	MOVQ R9, 56(SP)
	MOVQ 64(SP), DX
	MOVQ DX, 72(SP)
	MOVQ nz_base+48(FP), DX
	MOVQ (DX)(AX*8), R12
	MOVQ R12, 80(SP)
	MOVQ AX, DX
	SHLQ $7, DX
	ADDQ coefs_base+24(FP), DX
	MOVQ DX, 144(SP)
	XORL R14, R14
	XORL DI, DI
	MOVQ $0, 128(SP)
	MOVQ 88(SP), R13
	CMPQ 64(SP), $0
	JNE eobRest

symTop:
	CMPQ R13, 8(SP)
	JHI deposit
	CMPQ R9, $32
	JAE symReady
	MOVQ $0, 104(SP)
	REFILL(fill)

symReady:
	MOVQ 96(SP), BX
	MOVQ R8, AX
	SHRQ $(64-const_lutBits), AX
	MOVL huffTable_lut(BX)(AX*4), AX
	TESTB AL, AL
	JZ symSlow
	MOVL AX, DX
	ANDL $0xf00, DX
	CMPL DX, $0x100
	JNE symSlow
	// A run, size 1 and the sign bit within the lookahead. AX becomes
	// the run r in bits 0–7, 1 in bit 8 for a new coefficient and its
	// sign in bit 9.
	MOVL AX, CX
	SHLQ CL, R8
	MOVBLZX AX, CX
	SUBQ CX, R9
	MOVL AX, DX
	SHRL $31, DX
	SHRL $12, AX
	ANDL $15, AX
	SHLL $9, DX
	ORL DX, AX
	ORL $0x100, AX
	JMP place

symSlow:
	MOVL AX, DX
	SHRL $16, DX
	ANDL $15, DX
	SHRL $8, AX
	ANDL $0xff, AX
	TESTL DX, DX
	JNZ symHave
	// A code longer than the lookahead (huffTable.slow): the code of
	// length DX in R13, compared with maxcode, from 10 bits on.
	MOVQ R13, 120(SP)
	MOVQ R8, AX
	SHRQ $48, AX
	MOVL $(const_lutBits+1), DX

slowLoop:
	MOVL $16, CX
	SUBL DX, CX
	MOVL AX, R13
	SHRL CL, R13
	CMPL R13, huffTable_maxcode(BX)(DX*4)
	JLE slowFound
	INCL DX
	CMPL DX, $16
	JLE slowLoop
	JMP rollback // no symbol: acRefineGo reports it

slowFound:
	ADDL huffTable_valoff(BX)(DX*4), R13
	MOVBLZX R13, R13
	MOVBLZX huffTable_vals(BX)(R13*1), AX
	MOVQ 120(SP), R13

symHave:
	// AX is the symbol, DX the code's length.
	MOVL DX, CX
	SHLQ CL, R8
	SUBQ CX, R9
	MOVL AX, DX
	ANDL $15, DX
	SHRL $4, AX
	TESTL DX, DX
	JZ symNoValue
	// A size, taken for 1: a sign bit follows, 1 for positive.
	MOVQ R8, DX
	SHRQ $63, DX
	XORL $1, DX
	SHLL $9, DX
	ORL DX, AX
	ORL $0x100, AX
	SHLQ $1, R8
	DECQ R9
	JMP place

symNoValue:
	CMPL AX, $15
	JEQ place // ZRL: 16 zeros passed over, no new coefficient
	// EOBr: eobrun = 1<<r plus the next r bits as a number, and only
	// correction bits for the rest of the band.
	MOVL AX, CX
	MOVL $1, DX
	SHLQ CL, DX
	TESTL CX, CX
	JZ eobrSet
	MOVQ R8, AX
	NEGL CX
	ADDL $64, CX
	SHRQ CL, AX
	ADDQ AX, DX
	NEGL CX
	ADDL $64, CX
	SHLQ CL, R8
	SUBQ CX, R9

eobrSet:
	MOVQ DX, 64(SP)
	JMP eobRest

place:
	// The new coefficient goes to the (r+1)th zero from k on; BX is the
	// zeros: ^nzb & band & ^(1<<k - 1), k ≤ 63.
	MOVQ R13, CX
	MOVQ $-1, BX
	SHLQ CL, BX
	MOVQ R12, CX
	NOTQ CX
	ANDQ 0(SP), CX
	ANDQ CX, BX
	// Clear the r lowest: 1 for r&1 and 2 for r&2 without branches, and
	// 4·(r>>2) more one at a time.
	LEAQ -1(BX), CX
	ANDQ BX, CX
	TESTL $1, AX
	CMOVQNE CX, BX
	LEAQ -1(BX), CX
	ANDQ BX, CX
	LEAQ -1(CX), DX
	ANDQ CX, DX
	TESTL $2, AX
	CMOVQNE DX, BX
	MOVL AX, DX
	ANDL $12, DX
	JNZ clearMore

placed:
	BSFQ BX, CX
	JZ noZero
	// The new coefficient's index t in CX. Between k and t lie r zeros
	// and t-k-r nonzero coefficients, whose correction bits come first.
	MOVQ CX, DX
	SUBQ R13, DX
	MOVBLZX AX, BX
	SUBQ BX, DX
	LEAQ 1(CX), R13
	TESTL $0x100, AX
	JZ placedTake
	// The new coefficient, p1 with its sign, into the block at once.
	BTSQ CX, R12
	MOVL AX, BX
	SHRL $9, BX
	ANDL $1, BX
	SHLL $15, BX
	ORQ 136(SP), BX
	MOVL CX, AX
	ANDL $3, CX
	SHLL $4, CX
	SHLQ CL, BX
	SHRL $2, AX
	MOVQ 144(SP), CX
	ORQ BX, (CX)(AX*8)

placedTake:
	CMPQ DX, R9
	JHI gather
	TAKE
	JMP symTop

clearMore:
	TESTQ BX, BX
	JZ placed
	LEAQ -1(BX), CX
	ANDQ CX, BX
	DECL DX
	JNZ clearMore
	JMP placed

noZero:
	// No (r+1)th zero is left: the new coefficient is dropped, every
	// nonzero coefficient from k on has a correction bit, and k goes past
	// the band.
	MOVQ R13, CX
	MOVQ $-1, DX
	SHLQ CL, DX
	ANDQ R12, DX
	POPCOUNT(DX, BX, CX)
	MOVQ $65, R13
	CMPQ DX, R9
	JHI gather
	TAKE
	JMP symTop

eobRest:
	// An EOB run: correction bits for the nonzero coefficients of the
	// band from k on, k ≤ 63.
	MOVQ $1, 128(SP)
	DECQ 64(SP)
	MOVQ R13, CX
	MOVQ $-1, DX
	SHLQ CL, DX
	ANDQ R12, DX
	ANDQ 0(SP), DX
	POPCOUNT(DX, BX, CX)
	CMPQ DX, R9
	JHI gather
	TAKE
	JMP deposit

gather:
	// More correction bits (DX) than the reader holds, with refills.
	MOVQ DX, 112(SP)

gatherLoop:
	CMPQ 112(SP), $0
	JEQ gatherDone
	CMPQ R9, $32
	JAE gatherReady
	MOVQ $1, 104(SP)
	REFILL(fill)

gatherReady:
	MOVQ 112(SP), DX
	CMPQ DX, R9
	CMOVQHI R9, DX
	SUBQ DX, 112(SP)
	TAKE
	JMP gatherLoop

gatherDone:
	CMPQ 128(SP), $0
	JEQ symTop
	JMP deposit

fill:
	// fill, one byte at a time, unstuffing 0xFF 0x00; at a marker or the
	// end of the data the block goes back to Go.
	CMPQ R9, $56
	JHI filled
	MOVQ br+0(FP), DX
	CMPB bitReader_end(DX), $0
	JNE rollback
	MOVQ (bitReader_data+8)(DX), DX
	CMPQ R10, DX
	JGE rollback
	MOVBLZX (R11)(R10*1), AX
	CMPL AX, $0xff
	JNE fillByte
	LEAQ 1(R10), CX
	CMPQ CX, DX
	JGE rollback
	MOVBLZX 1(R11)(R10*1), CX
	TESTL CX, CX
	JNZ rollback
	INCQ R10

fillByte:
	MOVL $56, CX
	SUBL R9, CX
	SHLQ CL, AX
	ORQ AX, R8
	ADDQ $8, R9
	INCQ R10
	JMP fill

filled:
	CMPQ 104(SP), $0
	JEQ symReady
	JMP gatherReady

deposit:
	// The block is decoded: nz, then the correction bits, p1 in each
	// coefficient whose bit is 1, four coefficients at a time (DI, the
	// band's nonzero coefficients at the start). R13 points to the block.
	MOVQ nz_base+48(FP), AX
	MOVQ 24(SP), CX
	MOVQ R12, (AX)(CX*8)
	MOVQ 144(SP), R13
	MOVQ 80(SP), DI
	ANDQ 0(SP), DI

corrLoop:
	// The group g of four (CX), its coefficients with a correction bit
	// (AX), the word of p1s that corr's next bits give them (R12).
	TESTQ DI, DI
	JZ blockDone
	BSFQ DI, CX
	ANDQ $-4, CX
	MOVQ DI, AX
	SHRQ CL, AX
	ANDL $15, AX
	MOVQ $15, DX
	SHLQ CL, DX
	NOTQ DX
	ANDQ DX, DI
	SHRQ $2, CX
	MOVQ R14, DX
	SHRQ $60, DX
	MOVL AX, R12
	SHLL $4, R12
	ORL DX, R12
	LEAQ ·depositLanes(SB), DX
	MOVQ (DX)(R12*8), R12
	ANDQ 16(SP), R12
	ORQ R12, (R13)(CX*8)
	LEAQ ·popcount4(SB), DX
	MOVBLZX (DX)(AX*1), CX
	SHLQ CL, R14
	JMP corrLoop

blockDone:
	INCQ 24(SP)
	JMP blockTop

rollback:
	MOVQ 40(SP), R10
	MOVQ 48(SP), R8
	MOVQ 56(SP), R9
	MOVQ 72(SP), AX
	MOVQ AX, 64(SP)

exit:
	MOVQ br+0(FP), AX
	MOVQ R10, bitReader_pos(AX)
	MOVQ R8, bitReader_bits(AX)
	MOVQ R9, bitReader_n(AX)
	MOVQ eobrun+8(FP), AX
	MOVQ 64(SP), CX
	MOVQ CX, (AX)
	MOVQ 24(SP), AX
	MOVQ AX, done+96(FP)
	RET

// func acFirstAsm(br *bitReader, eobrun *int, ac *huffTable, coefs, nz []uint64, ss, se, al, b, k int) (nb, nk, status int)
//
// acFirstAsm is acFirstGo (progressive.go) in assembly, from block b on,
// at zigzag index k within it, or at its start for k < 0. It stops early,
// with blockFill, before a symbol for which the reader needs fill, with
// the block's nonzero coefficients so far in nz.
//
// Registers: those of the bit reader (bitreader_amd64.h); DI is the block
// b, SI points to it, R12 is its nonzero coefficients, R13 the zigzag
// index k of the next coefficient, BX points to the AC table; AX, CX, DX
// and R14 are scratch. The frame holds se at 0(SP), the number of blocks
// at 8(SP), al at 16(SP), ss at 24(SP) and eobrun at 32(SP).
TEXT ·acFirstAsm(SB), NOSPLIT, $40-136
	MOVQ se+80(FP), AX
	MOVQ AX, 0(SP)
	MOVQ nz_len+56(FP), AX
	MOVQ AX, 8(SP)
	MOVQ al+88(FP), AX
	MOVQ AX, 16(SP)
	MOVQ ss+72(FP), AX
	MOVQ AX, 24(SP)
	MOVQ eobrun+8(FP), AX
	MOVQ (AX), AX
	MOVQ AX, 32(SP)
	MOVQ ac+16(FP), BX
	MOVQ br+0(FP), AX
	MOVQ bitReader_data(AX), R11
	MOVQ bitReader_pos(AX), R10
	MOVQ bitReader_bits(AX), R8
	MOVQ bitReader_n(AX), R9
	MOVQ b+96(FP), DI
	MOVQ k+104(FP), R13
	TESTQ R13, R13
	JS firstBlock
	// Go on within block b.
	MOVQ nz_base+48(FP), AX
	MOVQ (AX)(DI*8), R12
	MOVQ DI, SI
	SHLQ $7, SI
	ADDQ coefs_base+24(FP), SI
	JMP firstSym

firstBlock:
	CMPQ DI, 8(SP)
	JGE firstDone
	MOVQ 32(SP), AX
	TESTQ AX, AX
	JZ firstStart
	// An EOB run passes over min(eobrun, blocks left) blocks.
	MOVQ 8(SP), CX
	SUBQ DI, CX
	CMPQ AX, CX
	CMOVQGT CX, AX
	SUBQ AX, 32(SP)
	ADDQ AX, DI
	JMP firstBlock

firstStart:
	MOVQ nz_base+48(FP), AX
	MOVQ (AX)(DI*8), R12
	MOVQ DI, SI
	SHLQ $7, SI
	ADDQ coefs_base+24(FP), SI
	MOVQ 24(SP), R13

firstSym:
	CMPQ R13, 0(SP)
	JGT firstBlockEnd
	CMPQ R9, $32
	JAE firstReady
	REFILL(firstFill)

firstReady:
	MOVQ R8, AX
	SHRQ $(64-const_lutBits), AX
	MOVL huffTable_lut(BX)(AX*4), AX
	TESTB AL, AL
	JZ firstSlow
	// A run and a value within the lookahead, the value ready to OR in
	// (withLanes).
	MOVL AX, CX
	SHLQ CL, R8
	MOVBLZX AX, CX
	SUBQ CX, R9
	MOVL AX, DX
	SHRL $12, DX
	ANDL $15, DX
	ADDQ DX, R13
	CMPQ R13, 0(SP)
	JGT firstBadIndex
	SHRL $16, AX

firstSet:
	// OR the coefficient AX into the block at k, and mark it.
	MOVQ R13, CX
	ANDL $3, CX
	SHLL $4, CX
	SHLQ CL, AX
	MOVQ R13, DX
	SHRQ $2, DX
	ORQ AX, (SI)(DX*8)
	BTSQ R13, R12
	INCQ R13
	JMP firstSym

firstSlow:
	MOVL AX, DX
	SHRL $16, DX
	ANDL $15, DX
	SHRL $8, AX
	ANDL $0xff, AX
	TESTL DX, DX
	JNZ firstHave
	// A code longer than the lookahead (huffTable.slow): the code of
	// length DX in R14, compared with maxcode, from 10 bits on.
	MOVQ R8, AX
	SHRQ $48, AX
	MOVL $(const_lutBits+1), DX

firstSlowLoop:
	MOVL $16, CX
	SUBL DX, CX
	MOVL AX, R14
	SHRL CL, R14
	CMPL R14, huffTable_maxcode(BX)(DX*4)
	JLE firstFound
	INCL DX
	CMPL DX, $16
	JLE firstSlowLoop
	JMP firstBadCode

firstFound:
	ADDL huffTable_valoff(BX)(DX*4), R14
	MOVBLZX R14, R14
	MOVBLZX huffTable_vals(BX)(R14*1), AX

firstHave:
	// AX is the symbol, DX the code's length.
	MOVL DX, CX
	SHLQ CL, R8
	SUBQ CX, R9
	MOVL AX, DX
	ANDL $15, DX
	SHRL $4, AX
	TESTL DX, DX
	JNZ firstValue
	CMPL AX, $15
	JNE firstEOB
	ADDQ $16, R13 // ZRL
	JMP firstSym

firstEOB:
	// EOBr: this block and 2^r-1 plus the next r bits more end here.
	MOVL AX, CX
	MOVL $1, DX
	SHLQ CL, DX
	DECQ DX
	TESTL CX, CX
	JZ firstEOBSet
	MOVQ R8, AX
	NEGL CX
	ADDL $64, CX
	SHRQ CL, AX
	ADDQ AX, DX
	NEGL CX
	ADDL $64, CX
	SHLQ CL, R8
	SUBQ CX, R9

firstEOBSet:
	MOVQ DX, 32(SP)
	JMP firstBlockEnd

firstValue:
	ADDQ AX, R13
	CMPQ R13, 0(SP)
	JGT firstBadIndex
	VALUEBITS
	// acLane: the magnitude shifted by al in 15 bits, with the sign in
	// bit 15 when it is not 0.
	MOVL AX, DX
	SARL $31, DX
	XORL DX, AX
	SUBL DX, AX
	MOVQ 16(SP), CX
	SHLL CL, AX
	ANDL $0x7fff, AX
	CMOVLEQ AX, DX
	ANDL $0x8000, DX
	ORL DX, AX
	JMP firstSet

firstBlockEnd:
	MOVQ nz_base+48(FP), AX
	MOVQ R12, (AX)(DI*8)
	INCQ DI
	JMP firstBlock

firstDone:
	MOVQ $const_blockDone, AX
	JMP firstExit

firstFill:
	MOVQ nz_base+48(FP), AX
	MOVQ R12, (AX)(DI*8)
	MOVQ $const_blockFill, AX

firstExit:
	MOVQ br+0(FP), DX
	MOVQ R10, bitReader_pos(DX)
	MOVQ R8, bitReader_bits(DX)
	MOVQ R9, bitReader_n(DX)
	MOVQ eobrun+8(FP), DX
	MOVQ 32(SP), CX
	MOVQ CX, (DX)
	MOVQ DI, nb+112(FP)
	MOVQ R13, nk+120(FP)
	MOVQ AX, status+128(FP)
	RET

firstBadCode:
	MOVQ $const_blockBadCode, status+128(FP)
	RET

firstBadIndex:
	MOVQ $const_blockBadIndex, status+128(FP)
	RET
