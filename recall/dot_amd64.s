#include "textflag.h"

// func dotRowsAVX2(a *float32, stride int, x *float32, n int, y *float32, m int)
//
// y[i] = Σ_d a[i·stride+d]·x[d] for i < m, d < n; n is a positive
// multiple of 8. Four rows at a time share each load of x; each row keeps
// one 8-lane accumulator, reduced as upper half + lower half, then the
// pairs by horizontal adds.
TEXT ·dotRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), SI
	MOVQ stride+8(FP), R8
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), R12
	MOVQ y+32(FP), DX
	MOVQ m+40(FP), BX
	SHLQ $2, R8  // stride in bytes
	SHLQ $2, R12 // row length in bytes

rows4:
	CMPQ BX, $4
	JL   rows1
	LEAQ (SI)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

cols4:
	VMOVUPS     (DI)(AX*1), Y4
	VFMADD231PS (SI)(AX*1), Y4, Y0
	VFMADD231PS (R9)(AX*1), Y4, Y1
	VFMADD231PS (R10)(AX*1), Y4, Y2
	VFMADD231PS (R11)(AX*1), Y4, Y3
	ADDQ        $32, AX
	CMPQ        AX, R12
	JL          cols4

	VEXTRACTF128 $1, Y0, X4
	VADDPS       X4, X0, X0
	VEXTRACTF128 $1, Y1, X5
	VADDPS       X5, X1, X1
	VEXTRACTF128 $1, Y2, X6
	VADDPS       X6, X2, X2
	VEXTRACTF128 $1, Y3, X7
	VADDPS       X7, X3, X3
	VHADDPS      X1, X0, X0 // [a0+a1, a2+a3, b0+b1, b2+b3]
	VHADDPS      X3, X2, X2 // [c0+c1, c2+c3, d0+d1, d2+d3]
	VHADDPS      X2, X0, X0 // [a, b, c, d]
	VMOVUPS      X0, (DX)
	ADDQ         $16, DX
	LEAQ         (R11)(R8*1), SI
	SUBQ         $4, BX
	JMP          rows4

rows1:
	TESTQ BX, BX
	JZ    done
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX

cols1:
	VMOVUPS     (DI)(AX*1), Y4
	VFMADD231PS (SI)(AX*1), Y4, Y0
	ADDQ        $32, AX
	CMPQ        AX, R12
	JL          cols1

	VEXTRACTF128 $1, Y0, X4
	VADDPS       X4, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, (DX)
	ADDQ         $4, DX
	ADDQ         R8, SI
	DECQ         BX
	JMP          rows1

done:
	VZEROUPPER
	RET
