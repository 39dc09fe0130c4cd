package match_test

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time consumed by the calling OS thread
// (getrusage RUSAGE_THREAD): on a shared machine it measures the work of a
// benchmark loop without the time spent waiting for a core. The caller
// must hold runtime.LockOSThread.
func threadCPU() (time.Duration, bool) {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// processCPU returns the CPU time consumed by the whole process, every
// thread (getrusage RUSAGE_SELF).
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
