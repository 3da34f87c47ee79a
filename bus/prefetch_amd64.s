#include "textflag.h"

// func cpuHasPrefetchW() bool
TEXT ·cpuHasPrefetchW(SB),NOSPLIT,$0-1
	MOVL $0x80000000, AX
	CPUID
	CMPL AX, $0x80000001
	JB no
	MOVL $0x80000001, AX
	MOVL $0, CX
	CPUID
	SHRL $8, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET
no:
	MOVB $0, ret+0(FP)
	RET

// func prefetchW(a, b unsafe.Pointer)
TEXT ·prefetchW(SB),NOSPLIT,$0-16
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), CX
	// PREFETCHW (AX) and PREFETCHW (CX), which the assembler does not name.
	BYTE $0x0F; BYTE $0x0D; BYTE $0x08
	BYTE $0x0F; BYTE $0x0D; BYTE $0x09
	RET

// func prefetchWLines(p unsafe.Pointer, stride uintptr, n int)
TEXT ·prefetchWLines(SB),NOSPLIT,$0-24
	MOVQ p+0(FP), AX
	MOVQ stride+8(FP), BX
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JLE done
loop:
	// PREFETCHW (AX)
	BYTE $0x0F; BYTE $0x0D; BYTE $0x08
	ADDQ BX, AX
	DECQ CX
	JNZ loop
done:
	RET
