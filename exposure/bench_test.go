package exposure

import (
	"context"
	"testing"
	"time"

	"github.com/kelindar/bitmap"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/cputime"
	"github.com/twowayrec/twoway/internal/evalsim"
)

// benchSetup fits a saturation model on a small simulated market and
// returns it with a tracker holding the market's events, the batch
// features at the end of the period and that time.
func benchSetup(b *testing.B) (*Model, *activity.Tracker, []activity.Features, time.Time) {
	b.Helper()
	m, evs := evalsim.Market(b, evalsim.Bench())
	tr, err := activity.New(activity.Config{Clock: func() time.Time { return m.Config.Start.Add(30 * 24 * time.Hour) }})
	if err != nil {
		b.Fatal(err)
	}
	cutoff := m.Config.Start.Add(21 * 24 * time.Hour)
	feats, err := tr.Batch(evs, cutoff, len(m.Profiles))
	if err != nil {
		b.Fatal(err)
	}
	contacts, err := Labels(evs, cutoff, Config{})
	if err != nil {
		b.Fatal(err)
	}
	exs, err := Examples(feats, contacts)
	if err != nil {
		b.Fatal(err)
	}
	model, err := Fit(context.Background(), Config{}, Training{Names: tr.VectorNames(), Examples: exs})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range evs {
		if err := tr.Record(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	return model, tr, feats[:1000], m.Config.Start.Add(30 * 24 * time.Hour)
}

// BenchmarkSaturation1000 scores 1,000 candidates whose features are at
// hand.
func BenchmarkSaturation1000(b *testing.B) {
	model, _, fs, _ := benchSetup(b)
	out := make([]float64, len(fs))
	b.ReportAllocs()
	cpu := cputime.Start()
	for b.Loop() {
		model.SaturationAll(fs, out)
	}
	cpu.Report(b)
	for i, s := range out {
		if !(s >= 0 && s <= 1) || s != model.Saturation(&fs[i]) {
			b.Fatalf("saturation %d = %v", i, s)
		}
	}
}

// BenchmarkSaturationLive1000 reads 1,000 candidates' real-time features
// from the in-memory store and scores them.
func BenchmarkSaturationLive1000(b *testing.B) {
	model, tr, fs, now := benchSetup(b)
	out := make([]float64, len(fs))
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cputime.Start()
	for b.Loop() {
		for i := range fs {
			if err := tr.Features(ctx, uint32(i), now, &fs[i]); err != nil {
				b.Fatal(err)
			}
			out[i] = model.Saturation(&fs[i])
		}
	}
	cpu.Report(b)
	for i, s := range out {
		if !(s >= 0 && s <= 1) {
			b.Fatalf("saturation %d = %v", i, s)
		}
	}
}

// BenchmarkServe1000 is the per-request serving path for 1,000 recalled
// candidates: read their saturation from the serving table, judge them
// against the ledger (penalties and exclusion bitmap), and record the top
// 20 as served.
func BenchmarkServe1000(b *testing.B) {
	model, _, fs, now := benchSetup(b)
	tab := model.Table(fs)
	c, err := New(Config{Clock: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	cands := make([]uint32, len(fs))
	for i := range cands {
		cands[i] = uint32((i * 7919) % len(fs))
	}
	sat := make([]float64, len(cands))
	pen := make([]float64, len(cands))
	var excl bitmap.Bitmap
	excl.Grow(uint32(len(fs)))
	b.ReportAllocs()
	cpu := cputime.Start()
	for b.Loop() {
		tab.GetAll(cands, sat)
		excl.Clear()
		c.Penalties(cands, sat, now, pen, &excl)
		c.Served(cands[:20])
	}
	cpu.Report(b)
	for i, p := range pen {
		if !(p >= sat[i]-1e-12 && p <= 1) {
			b.Fatalf("penalty %d = %v below saturation %v", i, p, sat[i])
		}
	}
}
