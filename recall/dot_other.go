//go:build !amd64

package recall

// useAVX2 is false: the assembly kernel is amd64's.
var useAVX2 = false

func dotRowsAVX2(a *float32, stride int, x *float32, n int, y *float32, m int) {
	panic("recall: no AVX2 kernel on this architecture")
}
