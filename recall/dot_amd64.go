package recall

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernel: AVX2 and FMA, with the operating
// system saving the YMM registers (x/sys/cpu checks OSXSAVE for both).
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotRowsAVX2 is dotRows's kernel: m rows of n floats (n a positive
// multiple of 8), stride floats apart from a, against x, into y.
//
//go:noescape
func dotRowsAVX2(a *float32, stride int, x *float32, n int, y *float32, m int)
