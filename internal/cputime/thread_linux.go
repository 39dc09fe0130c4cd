package cputime

import "time"

// Thread returns the CPU time (user + system) the calling OS thread has
// used and whether it could be read (getrusage RUSAGE_THREAD, Linux only).
// The caller must hold runtime.LockOSThread, or the goroutine may move to
// another thread between two readings.
func Thread() (time.Duration, bool) {
	const rusageThread = 1
	return rusage(rusageThread)
}
