package twoway

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTogether checks the request's fork: both functions run, on one
// goroutine or two, and a panic in the forked one reaches the caller (a
// host's recover sees it as it would without the fork).
func TestTogether(t *testing.T) {
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		var ran atomic.Int32
		together(func() { ran.Add(1) }, func() { ran.Add(10) })
		require.Equal(t, int32(11), ran.Load(), "GOMAXPROCS %d", procs)

		func() {
			defer func() {
				require.Equal(t, "forked", recover(), "GOMAXPROCS %d", procs)
			}()
			together(func() { panic("forked") }, func() { ran.Add(100) })
		}()
		if procs > 1 {
			require.Equal(t, int32(111), ran.Load(), "the caller's half ran beside the panic")
		}
		runtime.GOMAXPROCS(old)
	}
}
