// Package evaluate is a small offline evaluation API for a host's own
// logs, in the spirit of LightFM's precision_at_k(model, test): cut the
// exported behaviour log by time, build one ranking query per requester
// from the test period, rank every query with a [Ranker] (a fitted
// twoway.Engine through [EngineRanker], or one of the [Floors]), and read
// per-side and reciprocal metrics, with bootstrap intervals over
// requesters for the difference of two rankers.
//
// # Queries
//
// A [Query] is one requester and its candidates with two labels each:
// Relevant (one-way: the requester acted positively on the candidate) and
// Mutual (reciprocal: both acted positively on each other). [FromLog]
// takes the candidates from the test log (everyone the requester had an
// event with: shown, viewed, decided); [AllCandidates] ranks every active
// participant of the other side the requester had no training event with,
// as LightFM does.
//
// # Floors
//
// [FitRates] learns, from a training log only, each participant's
// generosity (the smoothed share of the participants it had an event with
// that it acted positively on) and attractiveness (the smoothed share of
// the participants who had an event with it that acted positively on it).
// The floors rank by
//
//	one-way(i→j)  = generosity(i) · attractiveness(j)
//	product(i, j) = one-way(i→j) · one-way(j→i)
//	harmonic(i,j) = 2·one-way(i→j)·one-way(j→i) / (one-way(i→j) + one-way(j→i))
//
// and random ranks by a seeded hash of the pair.
//
// # Scores
//
// A ranker returns one score per candidate, higher first. NaN means "not
// ranked" (the Engine did not return the candidate): such candidates rank
// below every scored one and tie among themselves, and ties count as a
// random order in every metric (package rank).
package evaluate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/benchmarks/metric"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
)

// Positive reports whether action a shows the actor's interest in the
// target: favourite, chat, apply, reply or hire. Impressions and views are
// exposure, not interest; reject is a no.
func Positive(a market.Action) bool {
	switch a {
	case market.Favourite, market.Chat, market.Apply, market.Reply, market.Hire:
		return true
	}
	return false
}

// Split is a host's log cut in two.
type Split struct {
	Train, Test []market.Event
}

// SplitByTime puts the events before at in Train and the others in Test,
// each in the order given.
func SplitByTime(events []market.Event, at time.Time) Split {
	var s Split
	for _, e := range events {
		if e.Time.Before(at) {
			s.Train = append(s.Train, e)
		} else {
			s.Test = append(s.Test, e)
		}
	}
	return s
}

// Query is one requester's ranking task.
type Query struct {
	Requester string      `json:"requester"`
	Side      market.Side `json:"side"`
	// Candidates are IDs of the other side, in increasing order.
	Candidates []string `json:"candidates"`
	// Relevant[i]: the requester acted positively on Candidates[i];
	// Mutual[i]: both acted positively on each other.
	Relevant []bool `json:"relevant"`
	Mutual   []bool `json:"mutual"`
	// Cities, when set, is passed by EngineRanker as Request.Cities (a
	// host's filter, e.g. the closed market a query belongs to).
	Cities []string `json:"cities,omitempty"`
	// Group labels the query for reports (a split name, a wave). Optional.
	Group string `json:"group,omitempty"`
}

// ErrUnknown is wrapped by the errors for events that name a participant
// without a profile.
var ErrUnknown = errors.New("evaluate: unknown participant")

type pair struct{ a, b string }

// FromLog returns one query per requester of the test log: its candidates
// are the participants of the other side it had any event with in test,
// Relevant when it acted positively (Positive) on one, Mutual when that
// one acted positively on it too, in test. Queries are in increasing
// order of requester ID. An event naming an unknown profile is an error
// wrapping ErrUnknown.
func FromLog(profiles []market.Profile, test []market.Event) ([]Query, error) {
	side := sides(profiles)
	pos := map[pair]bool{}
	cands := map[string]map[string]bool{}
	for _, e := range test {
		if _, ok := side[e.Actor]; !ok {
			return nil, fmt.Errorf("%w: %q (actor of %s)", ErrUnknown, e.Actor, e.Key())
		}
		if _, ok := side[e.Target]; !ok {
			return nil, fmt.Errorf("%w: %q (target of %s)", ErrUnknown, e.Target, e.Key())
		}
		if cands[e.Actor] == nil {
			cands[e.Actor] = map[string]bool{}
		}
		cands[e.Actor][e.Target] = true
		if Positive(e.Action) {
			pos[pair{e.Actor, e.Target}] = true
		}
	}
	var out []Query
	for _, a := range sortedKeys(cands) {
		q := Query{Requester: a, Side: side[a]}
		for _, b := range sortedKeys(cands[a]) {
			q.Candidates = append(q.Candidates, b)
			q.Relevant = append(q.Relevant, pos[pair{a, b}])
			q.Mutual = append(q.Mutual, pos[pair{a, b}] && pos[pair{b, a}])
		}
		out = append(out, q)
	}
	return out, nil
}

// AllCandidates returns, for every requester with a positive action in
// test, a query over every active participant of the other side it had
// no event with in train (LightFM's protocol: rank everything not already
// known). Relevant and Mutual are as in FromLog; Mutual also counts the
// candidate's positive actions on the requester in train.
func AllCandidates(profiles []market.Profile, train, test []market.Event) ([]Query, error) {
	side := sides(profiles)
	known := map[pair]bool{}
	pos := map[pair]bool{}
	for _, e := range train {
		known[pair{e.Actor, e.Target}] = true
		if Positive(e.Action) {
			pos[pair{e.Actor, e.Target}] = true
		}
	}
	testPos := map[pair]bool{}
	requesters := map[string]bool{}
	for _, e := range test {
		for _, id := range []string{e.Actor, e.Target} {
			if _, ok := side[id]; !ok {
				return nil, fmt.Errorf("%w: %q (in %s)", ErrUnknown, id, e.Key())
			}
		}
		if Positive(e.Action) {
			testPos[pair{e.Actor, e.Target}] = true
			pos[pair{e.Actor, e.Target}] = true
			requesters[e.Actor] = true
		}
	}
	var bySide [3][]string
	for i := range profiles {
		if !profiles[i].Inactive {
			bySide[profiles[i].Side] = append(bySide[profiles[i].Side], profiles[i].ID)
		}
	}
	for s := range bySide {
		slices.Sort(bySide[s])
	}
	var out []Query
	for _, a := range sortedKeys(requesters) {
		q := Query{Requester: a, Side: side[a]}
		for _, b := range bySide[side[a].Other()] {
			if known[pair{a, b}] {
				continue
			}
			rel := testPos[pair{a, b}]
			q.Candidates = append(q.Candidates, b)
			q.Relevant = append(q.Relevant, rel)
			q.Mutual = append(q.Mutual, rel && pos[pair{b, a}])
		}
		out = append(out, q)
	}
	return out, nil
}

func sides(profiles []market.Profile) map[string]market.Side {
	m := make(map[string]market.Side, len(profiles))
	for i := range profiles {
		m[profiles[i].ID] = profiles[i].Side
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Ranker scores the candidates of a query, writing one score per
// candidate into dst[:0] (higher is better, NaN: not ranked) and
// returning it. Rank may be called concurrently only if the
// implementation says so; Evaluate calls it from one goroutine.
type Ranker interface {
	Rank(ctx context.Context, q *Query, dst []float64) ([]float64, error)
}

// RankerFunc adapts a function to Ranker.
type RankerFunc func(ctx context.Context, q *Query, dst []float64) ([]float64, error)

// Rank calls f(ctx, q, dst).
func (f RankerFunc) Rank(ctx context.Context, q *Query, dst []float64) ([]float64, error) {
	return f(ctx, q, dst)
}

// Named is a ranker with a name for reports.
type Named struct {
	Name   string
	Ranker Ranker
}

// EngineRanker ranks with a fitted Engine as a host would show results:
// Recommend for the requester (DryRun, so the exposure ledger is left
// alone; Request.Aggregator = aggregator, "" for the Engine's own;
// Request.Cities = the query's Cities; N = n, or the number of candidates
// plus 50 when n is 0). A returned candidate scores its
// Recommendation.Score (fusion's ranking score, by which the Engine orders
// its answer, so the order within a query is the Engine's and pooled
// metrics compare the Engine's own scores across requesters);
// candidates the Engine did not return are NaN.
func EngineRanker(e *twoway.Engine, aggregator string, n int) Ranker {
	return RankerFunc(func(ctx context.Context, q *Query, dst []float64) ([]float64, error) {
		nn := n
		if nn == 0 {
			nn = len(q.Candidates) + 50
		}
		resp, err := e.Recommend(ctx, twoway.Request{ID: q.Requester, N: nn, DryRun: true, Aggregator: aggregator, Cities: q.Cities})
		if err != nil {
			return nil, fmt.Errorf("evaluate: engine: %s: %w", q.Requester, err)
		}
		score := make(map[string]float64, len(resp.Results))
		for _, r := range resp.Results {
			score[r.ID] = r.Score
		}
		dst = dst[:0]
		for _, c := range q.Candidates {
			if v, ok := score[c]; ok {
				dst = append(dst, v)
			} else {
				dst = append(dst, math.NaN())
			}
		}
		return dst, nil
	})
}

// Rates are the generosity and attractiveness of every participant of a
// training log (see the package doc).
type Rates struct {
	// Prior is the overall share of positive (actor, target) pairs among
	// all pairs with an event; Strength the weight of that prior, in
	// pairs.
	Prior, Strength        float64
	gave, gaveN, got, gotN map[string]float64
}

// FitRates counts, over the distinct (actor, target) pairs of train, the
// pairs each participant acted positively on (of all it had an event
// with) and the pairs that acted positively on it (of all that had an
// event with it), smoothed toward the overall share by strength pairs:
//
//	generosity(i)     = (positive pairs i → · + strength·prior) / (pairs i → · + strength)
//	attractiveness(j) = (positive pairs · → j + strength·prior) / (pairs · → j + strength)
//
// strength 0 means 2. A participant absent from train gets the prior.
func FitRates(train []market.Event, strength float64) *Rates {
	if strength == 0 {
		strength = 2
	}
	seen := map[pair]bool{}
	pos := map[pair]bool{}
	for _, e := range train {
		p := pair{e.Actor, e.Target}
		seen[p] = true
		if Positive(e.Action) {
			pos[p] = true
		}
	}
	r := &Rates{Strength: strength, gave: map[string]float64{}, gaveN: map[string]float64{}, got: map[string]float64{}, gotN: map[string]float64{}}
	var npos float64
	for p := range seen {
		r.gaveN[p.a]++
		r.gotN[p.b]++
		if pos[p] {
			r.gave[p.a]++
			r.got[p.b]++
			npos++
		}
	}
	r.Prior = 0.5
	if len(seen) > 0 {
		r.Prior = npos / float64(len(seen))
	}
	return r
}

// Generosity returns the smoothed share of yes that id gave.
func (r *Rates) Generosity(id string) float64 {
	return (r.gave[id] + r.Strength*r.Prior) / (r.gaveN[id] + r.Strength)
}

// Attractiveness returns the smoothed share of yes that id received.
func (r *Rates) Attractiveness(id string) float64 {
	return (r.got[id] + r.Strength*r.Prior) / (r.gotN[id] + r.Strength)
}

// OneWay returns generosity(a) · attractiveness(b).
func (r *Rates) OneWay(a, b string) float64 { return r.Generosity(a) * r.Attractiveness(b) }

// Floors returns the floors fitted on train: random (seeded), one-way,
// product and harmonic (see the package doc), in that order.
func Floors(train []market.Event, seed uint64) []Named {
	r := FitRates(train, 0)
	pairScore := func(f func(a, b string) float64) Ranker {
		return RankerFunc(func(_ context.Context, q *Query, dst []float64) ([]float64, error) {
			dst = dst[:0]
			for _, c := range q.Candidates {
				dst = append(dst, f(q.Requester, c))
			}
			return dst, nil
		})
	}
	return []Named{
		{"random", pairScore(func(a, b string) float64 { return hashUniform(seed, a, b) })},
		{"one-way", pairScore(r.OneWay)},
		{"product", pairScore(func(a, b string) float64 { return r.OneWay(a, b) * r.OneWay(b, a) })},
		{"harmonic", pairScore(func(a, b string) float64 { return Harmonic(r.OneWay(a, b), r.OneWay(b, a)) })},
	}
}

// Harmonic returns 2xy/(x+y), 0 when x+y is 0.
func Harmonic(x, y float64) float64 {
	if x+y == 0 {
		return 0
	}
	return 2 * x * y / (x + y)
}

func hashUniform(seed uint64, a, b string) float64 {
	h := seed ^ 0x9e3779b97f4a7c15
	for _, s := range []string{a, "\x00", b} {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 0x100000001b3
		}
	}
	h = mix(h)
	return float64(h>>11) / (1 << 53)
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Scored is one query with the scores a ranker gave its candidates (NaN
// already replaced by −Inf).
type Scored struct {
	Query  *Query
	Scores []float64
}

// Result is one ranker's evaluation: the scored queries and, per side of
// the requester (indexed by market.Side), the summaries of the one-way
// and the reciprocal relevance at cut-off K (package metric: P/R/NDCG@K,
// MRR, pooled AUC, per-requester GAUC).
type Result struct {
	Name   string
	K      int
	Scored []Scored
	OneWay [3]metric.Summary
	Mutual [3]metric.Summary
}

// Evaluate ranks every query with r and summarises the rankings at
// cut-off k (k ≥ 1). A ranker error stops it.
func Evaluate(ctx context.Context, name string, r Ranker, queries []Query, k int) (*Result, error) {
	if k < 1 {
		return nil, fmt.Errorf("evaluate: k = %d: must be at least 1", k)
	}
	res := &Result{Name: name, K: k}
	for i := range queries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q := &queries[i]
		if len(q.Relevant) != len(q.Candidates) || len(q.Mutual) != len(q.Candidates) {
			return nil, fmt.Errorf("evaluate: query %d (%s): %d candidates, %d Relevant, %d Mutual labels", i, q.Requester, len(q.Candidates), len(q.Relevant), len(q.Mutual))
		}
		s, err := r.Rank(ctx, q, nil)
		if err != nil {
			return nil, err
		}
		if len(s) != len(q.Candidates) {
			return nil, fmt.Errorf("evaluate: %s: %d scores for %d candidates of %s", name, len(s), len(q.Candidates), q.Requester)
		}
		for j, v := range s {
			if math.IsNaN(v) {
				s[j] = math.Inf(-1)
			}
		}
		res.Scored = append(res.Scored, Scored{Query: q, Scores: s})
	}
	res.OneWay, res.Mutual = summarize(res.Scored, k, nil)
	return res, nil
}

// summarize computes the per-side summaries of scored (weighted: query i
// counted weight[i] times; nil: once each).
func summarize(scored []Scored, k int, weight []int) (one, mut [3]metric.Summary) {
	var o, m [3]metric.Ranking
	for s := range o {
		o[s].K, m[s].K = k, k
	}
	for i, sq := range scored {
		n := 1
		if weight != nil {
			n = weight[i]
		}
		sd := sq.Query.Side
		if !sd.Valid() {
			continue
		}
		gOne, gMut := gains(sq.Query.Relevant), gains(sq.Query.Mutual)
		for c := range n {
			// Each copy is its own group for GAUC.
			u := uint32(i)<<8 | uint32(c&0xff)
			o[sd].Add(u, sq.Scores, gOne)
			m[sd].Add(u, sq.Scores, gMut)
		}
	}
	for s := range o {
		one[s], mut[s] = o[s].Summary(), m[s].Summary()
	}
	return one, mut
}

func gains(b []bool) []float64 {
	g := make([]float64, len(b))
	for i, v := range b {
		if v {
			g[i] = 1
		}
	}
	return g
}

// PrecisionAtK is LightFM's precision_at_k(model, test): the mean, over
// queries with at least one relevant candidate, of the share of the top k
// that is relevant (one-way relevance).
func PrecisionAtK(ctx context.Context, r Ranker, queries []Query, k int) (float64, error) {
	res, err := Evaluate(ctx, "", r, queries, k)
	if err != nil {
		return math.NaN(), err
	}
	var ps []float64
	for _, sq := range res.Scored {
		g := gains(sq.Query.Relevant)
		if slices.Contains(sq.Query.Relevant, true) {
			ps = append(ps, rank.PrecisionAt(sq.Scores, g, k))
		}
	}
	m, _ := rank.Mean(ps)
	return m, nil
}

// Metric picks one figure of a summary.
type Metric func(metric.Summary) float64

// Common metrics.
var (
	AUC  Metric = func(s metric.Summary) float64 { return s.AUC }
	GAUC Metric = func(s metric.Summary) float64 { return s.GAUC }
	NDCG Metric = func(s metric.Summary) float64 { return s.NDCG }
)

// Interval is a bootstrap interval of a difference.
type Interval struct {
	Diff     float64 `json:"diff"`      // on the data as given
	Lo       float64 `json:"lo"`        // percentile interval, lower end
	Hi       float64 `json:"hi"`        // and upper end
	Level    float64 `json:"level"`     // 0.95
	Resample int     `json:"resamples"` // resamples that gave a number
}

// Excludes0 reports whether the interval lies entirely above or below 0.
func (iv Interval) Excludes0() bool { return iv.Lo > 0 || iv.Hi < 0 }

// BootstrapDiff returns metric(a) − metric(b) for requesters of side (the
// reciprocal relevance when mutual, else one-way) with a 95% percentile
// bootstrap interval over requesters: n resamples (0: 1000) of the
// queries with replacement, seeded, the same resample for a and b. a and
// b must have scored the same queries in the same order.
func BootstrapDiff(a, b *Result, side market.Side, mutual bool, m Metric, n int, seed uint64) (Interval, error) {
	if len(a.Scored) != len(b.Scored) {
		return Interval{}, fmt.Errorf("evaluate: BootstrapDiff: %d and %d queries", len(a.Scored), len(b.Scored))
	}
	for i := range a.Scored {
		if a.Scored[i].Query.Requester != b.Scored[i].Query.Requester {
			return Interval{}, fmt.Errorf("evaluate: BootstrapDiff: query %d is %s and %s", i, a.Scored[i].Query.Requester, b.Scored[i].Query.Requester)
		}
	}
	if n == 0 {
		n = 1000
	}
	var idx []int
	for i, sq := range a.Scored {
		if sq.Query.Side == side {
			idx = append(idx, i)
		}
	}
	pick := func(r *Result, w []int) metric.Summary {
		var sub []Scored
		var ws []int
		for j, i := range idx {
			if w == nil || w[j] > 0 {
				sub = append(sub, r.Scored[i])
				if w != nil {
					ws = append(ws, w[j])
				}
			}
		}
		one, mut := summarize(sub, a.K, ws)
		if mutual {
			return mut[side]
		}
		return one[side]
	}
	iv := Interval{Level: 0.95, Diff: m(pick(a, nil)) - m(pick(b, nil))}
	var diffs []float64
	w := make([]int, len(idx))
	state := seed ^ 0xb007
	for range n {
		clear(w)
		for range idx {
			state = mix(state)
			w[int(state%uint64(len(idx)))]++
		}
		d := m(pick(a, w)) - m(pick(b, w))
		if !math.IsNaN(d) {
			diffs = append(diffs, d)
		}
	}
	iv.Resample = len(diffs)
	if len(diffs) == 0 {
		iv.Lo, iv.Hi = math.NaN(), math.NaN()
		return iv, nil
	}
	slices.SortFunc(diffs, cmp.Compare[float64])
	iv.Lo = quantile(diffs, 0.025)
	iv.Hi = quantile(diffs, 0.975)
	return iv, nil
}

// quantile of sorted xs by linear interpolation.
func quantile(xs []float64, p float64) float64 {
	pos := p * float64(len(xs)-1)
	i := int(math.Floor(pos))
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}
