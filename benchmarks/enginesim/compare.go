package enginesim

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/benchmarks/contender"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// Kind says what an entry of a comparison stands for.
type Kind uint8

const (
	// Floor is a simple baseline any recommender must beat.
	Floor Kind = iota + 1
	// EngineKind is a twoway.Engine driven through its public API.
	EngineKind
	// Ceiling reads the latent truth (the oracle).
	Ceiling
	// Observer reads the latent truth but part of it (ObserverOracles):
	// what a recommender that learned everything else could do.
	Observer
)

// String returns "floor", "engine", "ceiling" or "observer".
func (k Kind) String() string {
	switch k {
	case Floor:
		return "floor"
	case EngineKind:
		return "engine"
	case Ceiling:
		return "ceiling"
	case Observer:
		return "observer"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Entry is one contender of a comparison: New builds a fresh recommender
// for one run on w (a closer, when not nil, is called after the run).
type Entry struct {
	Name string
	Kind Kind
	New  func(ctx context.Context, w *sim.World) (rec sim.Recommender, closer func() error, err error)
	// Probe, when set and the recommender is a *Contender, probes its
	// Engine after the run (Probe with this config).
	Probe *ProbeConfig
}

// Floors returns the floors of the Engine comparisons, each a
// contender.Ranked recommender that skips participants who left: random
// (seeded), popularity (interest received so far), content cosine, and
// one-way, product and harmonic over package contender's one-way models
// refitted every night on everything observed so far (content cosine for
// both directions while nothing can be fitted, as on a cold market's
// first day).
func Floors(seed uint64) []Entry {
	ranked := func(name string, refit bool, mk func(f *contender.Features) func(*contender.Board) contender.ScoreFunc) Entry {
		return Entry{Name: name, Kind: Floor, New: func(_ context.Context, w *sim.World) (sim.Recommender, func() error, error) {
			f := contender.NewFeatures(w)
			var o contender.Options
			if refit {
				o.Refit = f
			}
			r, err := contender.NewRanked(name, w, o, mk(f))
			return r, nil, err
		}}
	}
	aggs := map[string]func(match.Pair) float64{}
	for _, a := range match.Aggregators() {
		aggs[a.Name] = a.Aggregate
	}
	out := []Entry{
		ranked("random", false, func(*contender.Features) func(*contender.Board) contender.ScoreFunc { return contender.Random(seed) }),
		ranked("popularity", false, func(*contender.Features) func(*contender.Board) contender.ScoreFunc { return contender.Popular() }),
		ranked("content", false, contender.Content),
	}
	for _, name := range []string{"one-way", "product", "harmonic"} {
		agg := aggs[name]
		if agg == nil {
			panic("enginesim: match has no aggregator " + name)
		}
		out = append(out, ranked(name, true, func(f *contender.Features) func(*contender.Board) contender.ScoreFunc {
			return contender.TwoWayLive(f, agg)
		}))
	}
	return out
}

// Engines returns the Engine contenders: base ("default"), base with the
// market-level reranker ("default + allocation", Config.Allocation.On),
// then base with each aggregator of match.Aggregators as
// Config.Aggregator, each with exposure control as configured and with
// ExposureOff. onFit, when set,
// receives each contender's nightly Fit times (progress only). The two
// "default" entries probe their Engine after the run (ProbeConfig{Seed:
// seed}).
func Engines(base twoway.Config, seed uint64, onFit func(name string, round int, took time.Duration, err error)) []Entry {
	type variant struct {
		name string
		cfg  twoway.Config
	}
	vs := []variant{{"default", base}}
	alloc := base
	alloc.Allocation.On = true
	vs = append(vs, variant{"default + allocation", alloc})
	for _, a := range match.Aggregators() {
		c := base
		c.Aggregator = a.Name
		vs = append(vs, variant{a.Name, c})
	}
	var out []Entry
	for _, v := range vs {
		for _, off := range []bool{false, true} {
			name, cfg := "Engine "+v.name, v.cfg
			if off {
				name += ", exposure off"
				cfg = ExposureOff(cfg)
			}
			var probe *ProbeConfig
			if v.name == "default" {
				probe = &ProbeConfig{Seed: seed}
			}
			out = append(out, Entry{Name: name, Kind: EngineKind, Probe: probe, New: func(ctx context.Context, w *sim.World) (sim.Recommender, func() error, error) {
				var fit func(int, time.Duration, error)
				if onFit != nil {
					fit = func(r int, d time.Duration, err error) { onFit(name, r, d, err) }
				}
				c, err := New(ctx, name, w, Config{Engine: cfg, OnFit: fit})
				if err != nil {
					return nil, nil, err
				}
				return c, c.Close, nil
			}})
		}
	}
	return out
}

// LatentEngine returns the Engine with base's configuration and an
// Embedder that hands it the latent truth ("Engine, latent embeddings"):
// a seeker's vector is its taste then its trait, a job's its trait then
// its taste, so that their dot product is the sum of both directions'
// latent terms (synth.Market.Latent). It is of kind Observer: not a
// contender (no host has these vectors) but the measure of how much of
// perfect latent knowledge the Engine's assembly (embedding recall and
// the cosine evidence of both one-way models) turns into matches, to set
// beside "oracle, latent hidden" and "oracle, noise hidden".
func LatentEngine(base twoway.Config) Entry {
	const name = "Engine, latent embeddings"
	return Entry{Name: name, Kind: Observer, New: func(ctx context.Context, w *sim.World) (sim.Recommender, func() error, error) {
		cfg := base
		cfg.Embedder = latentEmbedder(w.Market)
		c, err := New(ctx, name, w, Config{Engine: cfg})
		if err != nil {
			return nil, nil, err
		}
		return c, c.Close, nil
	}}
}

// latentEmbedder embeds the profiles of m (by their IDs in m.Profiles)
// by their latent vectors (see LatentEngine).
func latentEmbedder(m *synth.Market) factor.Embedder {
	index := make(map[string]uint32, len(m.Profiles))
	for i, p := range m.Profiles {
		index[p.ID] = uint32(i)
	}
	return factor.EmbedderFunc(func(_ context.Context, profiles []market.Profile) ([][]float32, error) {
		out := make([][]float32, len(profiles))
		for i, p := range profiles {
			ix, ok := index[p.ID]
			if !ok {
				return nil, &factor.ProfileError{Index: i, ID: p.ID, Err: fmt.Errorf("not a profile of the market")}
			}
			taste, trait := m.Latent(ix)
			if m.Side(ix) == market.Recruiter {
				taste, trait = trait, taste
			}
			v := make([]float32, 0, len(taste)+len(trait))
			for _, x := range slices.Concat(taste, trait) {
				v = append(v, float32(x))
			}
			out[i] = v
		}
		return out, nil
	})
}

// Oracle returns the ceiling entry (contender.Oracle).
func Oracle() Entry {
	return Entry{Name: "oracle", Kind: Ceiling, New: func(_ context.Context, w *sim.World) (sim.Recommender, func() error, error) {
		return contender.NewOracle(w), nil, nil
	}}
}

// ObserverOracles returns the oracle as observers see it
// (contender.NewObserverOracle): "oracle, noise hidden" knows everything
// but the pairs' noise, "oracle, latent hidden" not the latent taste·trait
// term either. They are of kind Observer, not Ceiling: rows that bound
// what a recommender could learn, not the gap's end.
func ObserverOracles() []Entry {
	mk := func(name string, h synth.Hidden) Entry {
		return Entry{Name: name, Kind: Observer, New: func(_ context.Context, w *sim.World) (sim.Recommender, func() error, error) {
			return contender.NewObserverOracle(w, h), nil, nil
		}}
	}
	return []Entry{mk("oracle, noise hidden", synth.HideNoise), mk("oracle, latent hidden", synth.HideLatent)}
}

// Outcome is what one entry achieved in one run.
type Outcome struct {
	Name    string      `json:"name"`
	Kind    Kind        `json:"kind"`
	Summary sim.Summary `json:"summary"`
	Result  *sim.Result `json:"-"`
	// Engine is the Engine's call counts (EngineKind only), and Harness the
	// harness check of the run (Check), "" when it passed.
	Engine  *Stats `json:"engine,omitempty"`
	Harness string `json:"harness,omitempty"`
	// Probe is the Engine's one-way matches against the latent truth
	// after the run (entries with Probe set).
	Probe *ProbeResult `json:"probe,omitempty"`
}

// Compare runs every entry on w, one after the other in the given order,
// each on a fresh recommender. progress, when set, receives one line per
// entry (timings belong there, never in a report).
func Compare(ctx context.Context, w *sim.World, entries []Entry, progress func(format string, args ...any)) ([]Outcome, error) {
	var out []Outcome
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t0 := time.Now()
		rec, closer, err := e.New(ctx, w)
		if err != nil {
			return nil, fmt.Errorf("enginesim: %s: %w", e.Name, err)
		}
		res := w.Run(e.Name, rec, nil)
		o := Outcome{Name: e.Name, Kind: e.Kind, Summary: w.Summarize(res), Result: res}
		if c, ok := rec.(*Contender); ok {
			st := c.Stats()
			o.Engine = &st
			if err := Check(st, o.Summary); err != nil {
				o.Harness = err.Error()
			}
			if e.Probe != nil {
				p, err := Probe(ctx, c, *e.Probe)
				if err != nil {
					return nil, fmt.Errorf("enginesim: %s: %w", e.Name, err)
				}
				o.Probe = p
			}
		}
		if closer != nil {
			if err := closer(); err != nil {
				return nil, fmt.Errorf("enginesim: %s: close: %w", e.Name, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, o)
		if progress != nil {
			progress("simulated %2d/%d %-40s %6d matches (%.1fs)", i+1, len(entries), e.Name, o.Summary.Matches, time.Since(t0).Seconds())
		}
	}
	return out, nil
}

// Best returns the index of the outcome of kind k with the most matches
// (first3: in the first three rounds), ties to the earlier; −1 if none.
func Best(outs []Outcome, k Kind, first3 bool) int {
	best := -1
	val := func(o Outcome) int {
		if first3 {
			return o.Summary.MatchesFirst3
		}
		return o.Summary.Matches
	}
	for i, o := range outs {
		if o.Kind == k && (best < 0 || val(o) > val(outs[best])) {
			best = i
		}
	}
	return best
}

// Names returns the names of entries, in order.
func Names(entries []Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name
	}
	return slices.Clip(out)
}
