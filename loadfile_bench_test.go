package twoway

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/twowayrec/twoway/internal/cputime"
)

// BenchmarkLoadFile measures Load of the snapshot file named by
// $TWOWAY_SNAPSHOT_FILE (skipped when it is unset), so that Load's time
// and the loaded Engine's memory can be measured, and profiled, without a
// Fit in the same process. When the file does not exist it is first
// written from the fitted synth.Large() Engine (the Fit takes minutes):
//
//	TWOWAY_SNAPSHOT_FILE=/tmp/large.snap go test -run '^$' -bench 'LoadFile$' -benchtime 3x -timeout 60m .
//
// With $TWOWAY_HEAP_PROFILE set, it writes a heap profile there while the
// loaded Engine is alive (go tool pprof -sample_index=inuse_space).
//
// It reports Load's wall time, its CPU time (every goroutine's, the GC's
// too), the live heap of the loaded Engine after a GC, and the bleve
// backfill behind it.
func BenchmarkLoadFile(b *testing.B) {
	path := os.Getenv("TWOWAY_SNAPSHOT_FILE")
	if path == "" {
		b.Skip("set TWOWAY_SNAPSHOT_FILE to a snapshot file (it is written from synth.Large() when missing)")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		_, e := largeEngine(b)
		if err := saveFile(e, path); err != nil {
			b.Fatal(err)
		}
		b.Logf("wrote %s", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var wall, cpu, fill time.Duration
	var heap uint64
	for b.Loop() {
		f, err := New(Config{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		cpu0, _ := cputime.Process()
		if err := f.Load(ctx, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		cpu1, _ := cputime.Process()
		cpu += cpu1 - cpu0
		if err := f.index.Backfilled(ctx); err != nil {
			b.Fatal(err)
		}
		fill += time.Since(start)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap += after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
		if out := os.Getenv("TWOWAY_HEAP_PROFILE"); out != "" {
			if err := writeHeapProfile(out); err != nil {
				b.Fatal(err)
			}
		}
		runtime.KeepAlive(f)
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "load-s")
	b.ReportMetric(cpu.Seconds()/n, "load-cpu-s")
	b.ReportMetric(fill.Seconds()/n, "backfill-s")
	b.ReportMetric(float64(heap)/n/(1<<20), "heap-MiB")
	b.ReportMetric(float64(len(data))/(1<<20), "snapshot-MiB")
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
