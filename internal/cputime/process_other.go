//go:build !unix

package cputime

import "time"

// Process returns the CPU time the process has used; on this platform it
// is unknown: 0, false.
func Process() (time.Duration, bool) { return 0, false }
