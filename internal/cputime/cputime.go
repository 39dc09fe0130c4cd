// Package cputime reads the CPU time the process (or the calling OS
// thread) has used, for benchmarks on a shared machine: wall-clock ns/op
// includes the time spent waiting for a core, CPU ns/op does not.
//
// # Use
//
//	cpu := cputime.Start()
//	for b.Loop() {
//		…
//	}
//	cpu.Report(b) // adds a "cpu-ns/op" column
//
// Where the platform cannot tell (not Unix), [Process] and [Thread] return
// false and [Meter.Report] reports nothing.
package cputime

import (
	"testing"
	"time"
)

// Meter remembers the process CPU time at [Start].
type Meter struct {
	start time.Duration
	ok    bool
}

// Start returns a Meter reading the process CPU time now.
func Start() Meter {
	t, ok := Process()
	return Meter{start: t, ok: ok}
}

// Report reports the process CPU time used since Start divided by b.N as
// the benchmark metric "cpu-ns/op"; nothing where the CPU time is unknown.
// It counts every goroutine and the garbage collector, as the wall clock
// does.
func (m Meter) Report(b *testing.B) {
	now, ok := Process()
	if !m.ok || !ok || b.N == 0 {
		return
	}
	b.ReportMetric(float64(now-m.start)/float64(b.N), "cpu-ns/op")
}
