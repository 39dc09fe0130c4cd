//go:build !linux

package cputime

import "time"

// Thread returns the CPU time the calling OS thread has used; on this
// platform it is unknown: 0, false.
func Thread() (time.Duration, bool) { return 0, false }
