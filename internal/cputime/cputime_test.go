package cputime

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spin burns CPU on the calling goroutine for about d of wall-clock time.
func spin(d time.Duration) float64 {
	x := 1.0
	for end := time.Now().Add(d); time.Now().Before(end); {
		for range 1000 {
			x = x*1.0000001 + 1e-9
		}
	}
	return x
}

func TestProcessAndThreadGrow(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p0, pok := Process()
	t0, tok := Thread()
	if runtime.GOOS != "linux" {
		assert.False(t, tok)
	}
	if !pok {
		t.Skip("no process CPU time on " + runtime.GOOS)
	}
	assert.NotZero(t, spin(50*time.Millisecond))
	p1, _ := Process()
	assert.Greater(t, p1, p0, "the process used CPU")
	if tok {
		t1, _ := Thread()
		// The thread spun for 50 ms of wall clock; on a busy machine it
		// may have got only part of it, but never more than the process.
		assert.Greater(t, t1, t0)
		assert.LessOrEqual(t, t1-t0, p1-p0+time.Millisecond)
	}
}

func TestMeterReports(t *testing.T) {
	if _, ok := Process(); !ok {
		t.Skip("no process CPU time on " + runtime.GOOS)
	}
	var sink float64
	r := testing.Benchmark(func(b *testing.B) {
		cpu := Start()
		for b.Loop() {
			sink += spin(10 * time.Microsecond)
		}
		cpu.Report(b)
	})
	require.Contains(t, r.Extra, "cpu-ns/op")
	assert.Greater(t, r.Extra["cpu-ns/op"], 0.0)
	// The loop spins ~10 µs of wall clock per op: the CPU per op cannot
	// be far above it (other goroutines of the test binary are idle).
	assert.Less(t, r.Extra["cpu-ns/op"], 1e6)
	assert.NotZero(t, sink)
}
