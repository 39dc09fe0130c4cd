// Package strategy compares the recall strategies of package recall on the
// simulator. Every figure is simulated.
//
// # Strategies
//
// [Build] fits, on a world's history and profiles: the inverted content
// index (bleve), user-CF, item-CF, Swing, hot, and two hybrids merging
// them (reciprocal-rank fusion and snake round-robin).
//
// # Measure
//
// [Evaluate] asks every strategy for candidates of the other side for each
// sampled user and averages, per side, the recall of the user's mutual
// acceptances (latent truth) in the top k.
package strategy

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
)

// Strategy is a named recaller.
type Strategy struct {
	Name     string
	Recaller recall.Recaller
}

// Set is the strategies built for one world; Close releases the index.
type Set struct {
	Strategies []Strategy
	index      *recall.Index
}

// Close closes the inverted index.
func (s *Set) Close() error {
	if s.index == nil {
		return nil
	}
	return s.index.Close()
}

// Build fits every strategy on w's history (the interest matrix at the
// end of the warm-up, no time decay) and indexes every profile:
// content index (bleve, with learned preferences), user-CF, item-CF,
// Swing, hot, and two hybrids merging all five (reciprocal-rank fusion and
// snake round-robin, equal quotas).
func Build(ctx context.Context, w *sim.World) (*Set, error) {
	clock := func() time.Time { return w.Start }
	x, err := recall.NewInterest(recall.InterestConfig{Clock: clock})
	if err != nil {
		return nil, err
	}
	events := func(yield func(recall.Event) bool) {
		for _, e := range w.History {
			if !yield(recall.Event{Actor: e.Actor, Target: e.Target, Action: e.Action, Time: e.Time}) {
				return
			}
		}
	}
	if err := x.Fit(ctx, iter.Seq[recall.Event](events)); err != nil {
		return nil, fmt.Errorf("strategy: interest: %w", err)
	}
	cf := recall.CFConfig{Workers: 1}
	user, err := recall.NewUserCF(x, cf)
	if err != nil {
		return nil, err
	}
	item, err := recall.NewItemCF(x, cf)
	if err != nil {
		return nil, err
	}
	swing, err := recall.NewSwing(x, recall.SwingConfig{CFConfig: cf})
	if err != nil {
		return nil, err
	}
	for _, f := range []interface{ Fit(context.Context) error }{user, item, swing} {
		if err := f.Fit(ctx); err != nil {
			return nil, fmt.Errorf("strategy: fit: %w", err)
		}
	}
	hot := recall.NewHot(x)
	hot.Refresh()
	idx, err := recall.OpenIndex(recall.IndexConfig{Interest: x})
	if err != nil {
		return nil, fmt.Errorf("strategy: index: %w", err)
	}
	set := &Set{index: idx}
	ixs := make([]uint32, len(w.Market.Profiles))
	for i := range ixs {
		ixs[i] = uint32(i)
	}
	if err := idx.UpsertBatch(ixs, w.Market.Profiles); err != nil {
		set.Close()
		return nil, fmt.Errorf("strategy: index: %w", err)
	}
	base := []Strategy{{"content index", idx}, {"user-CF", user}, {"item-CF", item}, {"Swing", swing}, {"hot", hot}}
	set.Strategies = append(set.Strategies, base...)
	for _, m := range []struct {
		name   string
		method recall.MergeMethod
	}{{"hybrid RRF", recall.RRF}, {"hybrid snake", recall.Snake}} {
		var src []recall.Source
		for _, s := range base {
			src = append(src, recall.Source{Name: s.Name, Recaller: s.Recaller})
		}
		mg, err := recall.NewMerger(recall.MergeConfig{Method: m.method, Sources: src})
		if err != nil {
			set.Close()
			return nil, err
		}
		set.Strategies = append(set.Strategies, Strategy{m.name, mg})
	}
	return set, nil
}

// Curve is the recall@k curve of one strategy: RecallAt[side][i] is the
// mean over requesters of that side of the share of their mutual
// acceptances (among registered participants of the other side) found in
// the first Ks[i] candidates. Requesters without any mutual acceptance
// are skipped. Empty[side] counts requesters who got no candidate at all.
type Curve struct {
	Name     string
	Ks       []int
	RecallAt [3][]float64
	Users    [3]int
	Empty    [3]int
}

// Evaluate asks every strategy for max(ks) candidates for each user.
func Evaluate(ctx context.Context, w *sim.World, set *Set, users []uint32, ks []int) ([]Curve, error) {
	m := w.Market
	kMax := 0
	for _, k := range ks {
		kMax = max(kMax, k)
	}
	var allowed [3]bitmap.Bitmap
	for i := range m.Profiles {
		ix := uint32(i)
		if w.Registered(ix, 0) {
			allowed[m.Side(ix)].Set(ix)
		}
	}
	relevant := make(map[uint32]map[uint32]bool, len(users))
	for _, a := range users {
		rel := map[uint32]bool{}
		other := m.Side(a).Other()
		allowed[other].Range(func(c uint32) {
			if m.Mutual(a, c) {
				rel[c] = true
			}
		})
		relevant[a] = rel
	}
	var out []Curve
	var dst []recall.Candidate
	for _, s := range set.Strategies {
		c := Curve{Name: s.Name, Ks: ks}
		sums := [3][]float64{}
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			sums[sd] = make([]float64, len(ks))
		}
		for _, a := range users {
			rel := relevant[a]
			if len(rel) == 0 {
				continue
			}
			sd := m.Side(a)
			var err error
			dst, err = s.Recaller.Recall(ctx, recall.Request{Requester: a, Side: sd, K: kMax, Allowed: allowed[sd.Other()]}, dst[:0])
			if err != nil {
				return nil, fmt.Errorf("strategy: %s: user %d: %w", s.Name, a, err)
			}
			c.Users[sd]++
			if len(dst) == 0 {
				c.Empty[sd]++
			}
			for i, k := range ks {
				hits := 0
				for _, cand := range dst[:min(k, len(dst))] {
					if rel[cand.Index] {
						hits++
					}
				}
				sums[sd][i] += float64(hits) / float64(len(rel))
			}
		}
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			c.RecallAt[sd] = make([]float64, len(ks))
			for i := range ks {
				if c.Users[sd] > 0 {
					c.RecallAt[sd][i] = sums[sd][i] / float64(c.Users[sd])
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}
