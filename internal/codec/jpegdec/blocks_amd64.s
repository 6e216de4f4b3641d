#include "textflag.h"
#include "go_asm.h"
#include "bitreader_amd64.h"

// decodeBlockAsm is the loop of decodeBlockGo (blocks.go) in assembly,
// which can stop before any symbol when the bit reader needs fill, and go
// on from there.
//
// Registers: those of the bit reader (bitreader_amd64.h); DI points to
// the coefficients, BX to the AC table, R13 to zigzagOrder; SI is the
// zigzag index k of the next coefficient, R12 that of the last one set.
// AX holds a lookup entry, then a symbol or a value; CX, DX and R14 are
// scratch.

// func decodeBlockAsm(br *bitReader, c *[64]int16, dc, ac *huffTable, pred *int32, k, last int) (nk, nlast, status int)
TEXT ·decodeBlockAsm(SB), NOSPLIT, $0-80
	MOVQ br+0(FP), AX
	MOVQ bitReader_data(AX), R11
	MOVQ bitReader_pos(AX), R10
	MOVQ bitReader_bits(AX), R8
	MOVQ bitReader_n(AX), R9
	MOVQ c+8(FP), DI
	MOVQ ac+24(FP), BX
	LEAQ ·zigzagOrder(SB), R13
	MOVQ k+40(FP), SI
	MOVQ last+48(FP), R12
	TESTQ SI, SI
	JNZ acLoop

	// The DC difference, into *pred and c[0]. SI points to the DC table
	// until k is set.
	XORL R12, R12
	CMPQ R9, $32
	JAE dcReady
	REFILL(fillExit)

dcReady:
	MOVQ dc+16(FP), SI
	MOVQ R8, AX
	SHRQ $(64-const_lutBits), AX
	MOVL huffTable_lut(SI)(AX*4), AX
	TESTB AL, AL
	JZ dcSymbol
	// The code and the value within the lookahead: their length is the
	// low byte of the entry.
	MOVL AX, CX
	SHLQ CL, R8
	MOVBLZX AX, CX
	SUBQ CX, R9
	SARL $16, AX
	JMP dcAdd

dcSymbol:
	MOVL AX, DX
	SHRL $16, DX
	ANDL $15, DX
	SHRL $8, AX
	ANDL $0xff, AX
	TESTL DX, DX
	JNZ dcHave
	// A code longer than the lookahead (huffTable.slow): the code of
	// length DX in R14, compared with maxcode, from 10 bits on.
	MOVQ R8, AX
	SHRQ $48, AX
	MOVL $(const_lutBits+1), DX

dcSlow:
	MOVL $16, CX
	SUBL DX, CX
	MOVL AX, R14
	SHRL CL, R14
	CMPL R14, huffTable_maxcode(SI)(DX*4)
	JLE dcFound
	INCL DX
	CMPL DX, $16
	JLE dcSlow
	JMP badCode

dcFound:
	ADDL huffTable_valoff(SI)(DX*4), R14
	MOVBLZX R14, R14
	MOVBLZX huffTable_vals(SI)(R14*1), AX

dcHave:
	// AX is the size of the difference, DX the code's length.
	MOVL DX, CX
	SHLQ CL, R8
	SUBQ CX, R9
	MOVL AX, DX
	XORL AX, AX
	TESTL DX, DX
	JZ dcAdd
	VALUEBITS

dcAdd:
	MOVQ pred+32(FP), DX
	ADDL AX, (DX)
	MOVL (DX), AX
	MOVW AX, (DI)
	MOVL $1, SI

acLoop:
	CMPQ SI, $64
	JGE done
	CMPQ R9, $32
	JAE acReady
	REFILL(fillExit)

acReady:
	MOVQ R8, AX
	SHRQ $(64-const_lutBits), AX
	MOVL huffTable_lut(BX)(AX*4), AX
	TESTB AL, AL
	JZ acSymbol
	// A run and a value within the lookahead.
	MOVL AX, CX
	SHLQ CL, R8
	MOVBLZX AX, CX
	SUBQ CX, R9
	MOVL AX, DX
	SHRL $12, DX
	ANDL $15, DX
	ADDQ DX, SI
	CMPQ SI, $63
	JGT badIndex
	MOVBLZX (R13)(SI*1), DX
	SHRL $16, AX
	MOVW AX, (DI)(DX*2)
	MOVQ SI, R12
	INCQ SI
	JMP acLoop

acSymbol:
	MOVL AX, DX
	SHRL $16, DX
	ANDL $15, DX
	SHRL $8, AX
	ANDL $0xff, AX
	TESTL DX, DX
	JNZ acHave
	// A code longer than the lookahead, as for the DC table.
	MOVQ R8, AX
	SHRQ $48, AX
	MOVL $(const_lutBits+1), DX

acSlow:
	MOVL $16, CX
	SUBL DX, CX
	MOVL AX, R14
	SHRL CL, R14
	CMPL R14, huffTable_maxcode(BX)(DX*4)
	JLE acFound
	INCL DX
	CMPL DX, $16
	JLE acSlow
	JMP badCode

acFound:
	ADDL huffTable_valoff(BX)(DX*4), R14
	MOVBLZX R14, R14
	MOVBLZX huffTable_vals(BX)(R14*1), AX

acHave:
	// AX is the symbol: run in its high nibble, size in its low one.
	MOVL DX, CX
	SHLQ CL, R8
	SUBQ CX, R9
	MOVL AX, DX
	ANDL $15, DX
	SHRL $4, AX
	TESTL DX, DX
	JNZ acValue
	CMPL AX, $15
	JNE done // EOB
	ADDQ $16, SI // ZRL
	JMP acLoop

acValue:
	ADDQ AX, SI
	CMPQ SI, $63
	JGT badIndex
	VALUEBITS
	MOVBLZX (R13)(SI*1), DX
	MOVW AX, (DI)(DX*2)
	MOVQ SI, R12
	INCQ SI
	JMP acLoop

done:
	MOVQ $const_blockDone, AX
	JMP exit

fillExit:
	MOVQ $const_blockFill, AX

exit:
	MOVQ br+0(FP), DX
	MOVQ R10, bitReader_pos(DX)
	MOVQ R8, bitReader_bits(DX)
	MOVQ R9, bitReader_n(DX)
	MOVQ SI, nk+56(FP)
	MOVQ R12, nlast+64(FP)
	MOVQ AX, status+72(FP)
	RET

badCode:
	MOVQ $const_blockBadCode, status+72(FP)
	RET

badIndex:
	MOVQ $const_blockBadIndex, status+72(FP)
	RET
