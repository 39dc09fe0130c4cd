//go:build !linux

package recall_test

import "time"

var startWall = time.Now()

// threadCPU falls back to wall time where the thread CPU clock is not wired.
func threadCPU() time.Duration { return time.Since(startWall) }
