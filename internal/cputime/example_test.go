package cputime_test

import (
	"fmt"
	"testing"

	"github.com/twowayrec/twoway/internal/cputime"
)

// A benchmark that reports CPU ns/op beside wall-clock ns/op.
func ExampleMeter() {
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		cpu := cputime.Start()
		var s []int
		for b.Loop() {
			s = append(s[:0], 1, 2, 3)
		}
		cpu.Report(b)
		if len(s) != 3 {
			b.Fatal("wrong result")
		}
	})
	_, ok := cputime.Process()
	_, reported := r.Extra["cpu-ns/op"]
	fmt.Println(reported == ok)
	// Output: true
}
