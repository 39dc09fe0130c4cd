package urgency

import (
	"context"
	"testing"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/cputime"
	"github.com/twowayrec/twoway/internal/evalsim"
)

// benchSetup fits a model on the small simulated market and returns it
// with a tracker holding that market's events and 1,000 participants'
// batch inputs at the end of the period.
func benchSetup(b *testing.B) (*Model, *activity.Tracker, *Recent, []Input, time.Time) {
	b.Helper()
	m, evs := evalsim.Market(b, evalsim.Bench())
	tr, err := activity.New(activity.Config{Clock: func() time.Time { return m.Config.Start.Add(30 * 24 * time.Hour) }})
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{OneWay: contentMatch(m)}
	cutoff := m.Config.Start.Add(21 * 24 * time.Hour)
	ins, err := Inputs(tr, cfg, evs, cutoff, len(m.Profiles))
	if err != nil {
		b.Fatal(err)
	}
	labels, err := Labels(evs, cutoff, cfg, len(m.Profiles))
	if err != nil {
		b.Fatal(err)
	}
	model, err := Fit(context.Background(), cfg, Training{Names: VectorNames(tr.VectorNames()), Inputs: ins, Labels: labels})
	if err != nil {
		b.Fatal(err)
	}
	rec, err := NewRecent(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range evs {
		if err := tr.Record(ctx, e); err != nil {
			b.Fatal(err)
		}
		rec.Record(e)
	}
	end := m.Config.Start.Add(30 * 24 * time.Hour)
	return model, tr, rec, ins[:1000], end
}

// BenchmarkUrgency1000 scores 1,000 participants whose inputs are at hand.
func BenchmarkUrgency1000(b *testing.B) {
	model, _, _, ins, _ := benchSetup(b)
	out := make([]float64, len(ins))
	b.ReportAllocs()
	cpu := cputime.Start()
	for b.Loop() {
		model.UrgencyAll(ins, out)
	}
	cpu.Report(b)
	for i, s := range out {
		if !(s >= 0 && s <= 1) || s != model.Urgency(&ins[i]) {
			b.Fatalf("urgency %d = %v", i, s)
		}
	}
}

// BenchmarkUrgencyLive1000 reads 1,000 participants' real-time inputs from
// the in-memory store and scores them: the full real-time path.
func BenchmarkUrgencyLive1000(b *testing.B) {
	model, tr, rec, ins, now := benchSetup(b)
	out := make([]float64, len(ins))
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cputime.Start()
	for b.Loop() {
		for i := range ins {
			in := &ins[i]
			if err := Live(ctx, tr, rec, uint32(i), now, in); err != nil {
				b.Fatal(err)
			}
			out[i] = model.Urgency(in)
		}
	}
	cpu.Report(b)
	for i, s := range out {
		if !(s >= 0 && s <= 1) {
			b.Fatalf("urgency %d = %v", i, s)
		}
	}
}

// BenchmarkUrgencyTable1000 reads 1,000 candidates' urgency from the
// serving table, the path fusion takes per request.
func BenchmarkUrgencyTable1000(b *testing.B) {
	model, _, _, ins, _ := benchSetup(b)
	tab := model.Table(ins)
	users := make([]uint32, len(ins))
	for i := range users {
		users[i] = uint32((i * 7919) % len(ins))
	}
	out := make([]float64, len(users))
	b.ReportAllocs()
	cpu := cputime.Start()
	for b.Loop() {
		tab.GetAll(users, out)
	}
	cpu.Report(b)
	for i, u := range users {
		if out[i] != model.Urgency(&ins[u]) {
			b.Fatalf("table[%d] = %v, want %v", u, out[i], model.Urgency(&ins[u]))
		}
	}
}
