// The bit reader in the registers of the assembly decoders: R8 holds the
// bits (bitReader.bits), R9 their number n, R10 pos and R11 the data's
// first byte; the function's first argument, br, is the *bitReader.

// REFILL tops up the bits as refill does, or jumps to fail when the next
// eight bytes are fewer than eight or hold a 0xFF. It uses AX, CX and DX.
#define REFILL(fail) \
	MOVQ br+0(FP), DX; \
	MOVQ (bitReader_data+8)(DX), DX; \
	SUBQ R10, DX; \
	CMPQ DX, $8; \
	JLT fail; \
	MOVQ (R11)(R10*1), DX; \
	BSWAPQ DX; \
	MOVQ DX, AX; \
	NOTQ AX; \
	MOVQ $0xfefefefefefefeff, CX; \
	ADDQ CX, AX; \
	ANDQ DX, AX; \
	MOVQ $0x8080808080808080, CX; \
	TESTQ CX, AX; \
	JNZ fail; \
	MOVQ R9, CX; \
	SHRQ CL, DX; \
	ORQ DX, R8; \
	MOVL $64, CX; \
	SUBL R9, CX; \
	SHRL $3, CX; \
	ADDQ CX, R10; \
	LEAQ (R9)(CX*8), R9

// VALUEBITS leaves in AX the signed value of the top s bits, s in DX from
// 1 to 15 (valueBits), and drops those bits. It uses CX and R14.
#define VALUEBITS \
	MOVL $64, CX; \
	SUBL DX, CX; \
	MOVQ R8, AX; \
	SHRQ CL, AX; \
	MOVL DX, CX; \
	MOVQ $-1, R14; \
	SHLQ CL, R14; \
	INCQ R14; \
	MOVQ R8, CX; \
	SARQ $63, CX; \
	NOTQ CX; \
	ANDQ CX, R14; \
	ADDL R14, AX; \
	MOVL DX, CX; \
	SHLQ CL, R8; \
	SUBQ CX, R9
