package urgency

import (
	"runtime"
	"testing"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/evalsim"
	"github.com/twowayrec/twoway/internal/synth"
)

// BenchmarkInputsLarge measures the batch path at scale: the inputs of all
// 120,000 participants of synth.Large (5,000,000 events) at day 21, with
// the attention replay calling a constant OneWay. Heavy (about 1 GB);
// skipped with -short.
func BenchmarkInputsLarge(b *testing.B) {
	if testing.Short() {
		b.Skip("large simulated market: skipped with -short")
	}
	m, evs := evalsim.Market(b, synth.Large())
	m.Events = nil
	runtime.GC()
	tr, err := activity.New(activity.Config{})
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{OneWay: func(user, target uint32) float64 { return float64((user ^ target) % 7) }}
	cutoff := m.Config.Start.Add(21 * 24 * time.Hour)
	var ins []Input
	b.ReportAllocs()
	for b.Loop() {
		ins, err = Inputs(tr, cfg, evs, cutoff, len(m.Profiles))
		if err != nil {
			b.Fatal(err)
		}
	}
	var active int
	for i := range ins {
		if ins[i].Activity.Active {
			active++
		}
	}
	if len(ins) != len(m.Profiles) || active == 0 {
		b.Fatalf("%d inputs, %d active", len(ins), active)
	}
	b.ReportMetric(float64(len(evs))/(b.Elapsed().Seconds()/float64(b.N)), "events/s")
}
