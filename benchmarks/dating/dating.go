// Package dating evaluates one-way against two-way ranking on real
// reciprocal decisions: the Columbia speed-dating experiment (waves 1–14,
// read by [Read]), where every meeting is seen from both sides. It has two
// protocols: [Evaluate], package-level models of the suite, and
// [EvaluateEngine], the twoway.Engine itself driven through its public
// API with a validation split (see engine.go).
//
// # Package-level protocol (Evaluate)
//
// Each wave is a closed market. A seeded share of the meetings (both rows
// of a pair together) is held out as the test set. A logistic model
// (package rank) of P(A says yes to B) is fitted on the training rows from
// features that do not reveal the held-out decisions:
//
//   - B's popularity: the share of yes B received from others in training
//     (leave-one-out for training rows), and A's pickiness: the share of
//     yes A gave;
//   - B's mean attractiveness, fun and shared-interest ratings given by
//     others in training, and the same times A's stated weight for that
//     quality (attr1_1 … normalised to sum to 1);
//   - interest correlation, same race, age gap, A's gender.
//
// For each person A with held-out partners, the partners are ranked by an
// aggregator of Forward = P(A→B) and Backward = P(B→A). One-way relevance
// is A's own decision (dec); reciprocal relevance is a match (both yes).
// There is no urgency in this data, so the urgency-weighted sum reduces to
// the mean. Results are per side (women, men).
//
// # Engine protocol (EvaluateEngine)
//
// The whole file is one market with one closed evening per wave (City,
// and Request.Cities keeps every request inside its evening). In every
// wave a seeded share of the pairs (both rows of a pair together) is
// hidden; every other meeting is visible and becomes events (Events). One
// Engine gets every person's Profile (sign-up fields only), records the
// visible events of all waves and is fitted once. Hidden pairs of the
// validation waves (11–14 by default) are the validation set, the ones
// of the other waves the test set: each person with hidden partners is
// one query ranking them (evaluate.Query, one-way relevance = the
// person's own yes, reciprocal = a match). Floors (evaluate.Floors) use
// the visible events only. The same metric code (package evaluate)
// scores the floors, the Engine's default and the Engine with each
// aggregator of match.Aggregators (Request.Aggregator).
//
// Tuning may look at the validation figures only; the test figures are
// reported beside them and must not be used to choose anything.
//
// # Mapping for hosts
//
// [Read] and [Open] read the file (or any copy of it) into a [Table];
// [People] and [Profile] turn its participants into market profiles with
// sign-up fields only; [Events] turns a visible decision into the events
// a host logs. None of them uses an internal package type.
package dating

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/twowayrec/twoway/benchmarks/metric"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

// Config sets up an evaluation.
type Config struct {
	// Seed chooses the held-out meetings. Zero is a valid seed.
	Seed uint64 `json:"seed"`
	// TestShare is the share of meetings held out; 0 means 0.3.
	TestShare float64 `json:"test_share"`
	// K is the cut-off of the @k metrics; 0 means 3 (a person has about
	// five held-out partners).
	K int `json:"k"`
}

// Aggregator is a named two-way aggregator of (Forward, Backward).
type Aggregator struct {
	Name      string
	Aggregate func(forward, backward float64) float64
}

// Result holds the metrics of every ranker, per side.
type Result struct {
	Rows, TrainRows, TestRows int
	People                    int // people with held-out partners
	Skipped                   int // rows of the file left out (unplaceable)
	// Rankers in the order given; Women and Men hold one Summary per
	// ranker for one-way relevance (OneWay…) and for matches (Mutual…).
	Rankers                []string
	OneWayWomen, OneWayMen []metric.Summary
	MutualWomen, MutualMen []metric.Summary
	K                      int
}

// ErrNoData is returned when the table has no usable rows.
var ErrNoData = errors.New("dating: no usable rows")

type key struct{ a, b int }

// Evaluate runs the protocol on t with the aggregators (run in the same
// process on the same split). "random" (every partner tied) and
// "popularity" (B's training yes-rate) are added as baselines first.
func Evaluate(ctx context.Context, cfg Config, t *Table, aggs []Aggregator) (*Result, error) {
	if cfg.TestShare == 0 {
		cfg.TestShare = 0.3
	}
	if cfg.K == 0 {
		cfg.K = 3
	}
	if !(cfg.TestShare > 0 && cfg.TestShare < 1) || cfg.K < 0 {
		return nil, fmt.Errorf("dating: invalid config: TestShare %v, K %d", cfg.TestShare, cfg.K)
	}
	rows := t.Meetings
	if len(rows) == 0 {
		return nil, ErrNoData
	}
	res := &Result{Rows: len(rows), Skipped: len(t.Skipped), K: cfg.K}
	test := func(r *Meeting) bool {
		a, b := min(r.IID, r.PID), max(r.IID, r.PID)
		h := mix(cfg.Seed ^ mix(uint64(a)<<32|uint64(b)))
		return float64(h>>11)/(1<<53) < cfg.TestShare
	}
	// Training statistics.
	type stat struct{ yes, n float64 }
	recv, gave := map[int]*stat{}, map[int]*stat{}
	type ratings struct{ attr, fun, shar, na, nf, ns float64 }
	rated := map[int]*ratings{}
	get := func(m map[int]*stat, k int) *stat {
		if m[k] == nil {
			m[k] = &stat{}
		}
		return m[k]
	}
	for i := range rows {
		r := &rows[i]
		if test(r) {
			continue
		}
		res.TrainRows++
		d := b2f(r.Dec)
		get(recv, r.PID).yes += d
		get(recv, r.PID).n++
		get(gave, r.IID).yes += d
		get(gave, r.IID).n++
		rt := rated[r.PID]
		if rt == nil {
			rt = &ratings{}
			rated[r.PID] = rt
		}
		if v := r.Num("attr"); !math.IsNaN(v) {
			rt.attr += v
			rt.na++
		}
		if v := r.Num("fun"); !math.IsNaN(v) {
			rt.fun += v
			rt.nf++
		}
		if v := r.Num("shar"); !math.IsNaN(v) {
			rt.shar += v
			rt.ns++
		}
	}
	const prior, priorN = 0.42, 2.0 // smoothing toward the overall yes-rate
	rate := func(s *stat, own float64, loo bool) float64 {
		if s == nil {
			return prior
		}
		y, n := s.yes, s.n
		if loo {
			y, n = y-own, n-1
		}
		return (y + prior*priorN) / (n + priorN)
	}
	features := func(r *Meeting, train bool) sparse.Vector {
		d := b2f(r.Dec)
		pop := rate(recv[r.PID], d, train)
		pick := rate(gave[r.IID], d, train)
		var attr, fun, shar float64 = 0.6, 0.6, 0.5
		if rt := rated[r.PID]; rt != nil {
			// Leave A's own rating out of B's mean when A's row is in training.
			own := func(col string, sum, n float64) float64 {
				if train {
					if v := r.Num(col); !math.IsNaN(v) {
						sum, n = sum-v, n-1
					}
				}
				if n <= 0 {
					return math.NaN()
				}
				return sum / n / 10
			}
			if v := own("attr", rt.attr, rt.na); !math.IsNaN(v) {
				attr = v
			}
			if v := own("fun", rt.fun, rt.nf); !math.IsNaN(v) {
				fun = v
			}
			if v := own("shar", rt.shar, rt.ns); !math.IsNaN(v) {
				shar = v
			}
		}
		w := [6]float64{}
		var sum float64
		for i, c := range []string{"attr1_1", "sinc1_1", "intel1_1", "fun1_1", "amb1_1", "shar1_1"} {
			if v := r.Num(c); v > 0 {
				w[i] = v
				sum += v
			}
		}
		if sum > 0 {
			for i := range w {
				w[i] /= sum
			}
		} else {
			w = [6]float64{1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6}
		}
		ic, icMiss := r.Num("int_corr"), 0.0
		if math.IsNaN(ic) {
			ic, icMiss = 0, 1
		}
		age := r.Num("age") - r.Num("age_o")
		ageMiss := 0.0
		if math.IsNaN(age) {
			age, ageMiss = 0, 1
		}
		same := r.Num("samerace")
		if math.IsNaN(same) {
			same = 0
		}
		x := []float64{pop, pick, attr, fun, shar, w[0] * attr * 6, w[3] * fun * 6, w[5] * shar * 6,
			ic, icMiss, same, math.Abs(age) / 10, ageMiss, float64(r.Gender)}
		v := sparse.Vector{Idx: make([]uint32, len(x)), Val: x}
		for i := range v.Idx {
			v.Idx[i] = uint32(i)
		}
		return v
	}
	var train rank.Dataset
	for i := range rows {
		r := &rows[i]
		if test(r) {
			continue
		}
		if err := train.Add(features(r, true), b2f(r.Dec), 1); err != nil {
			return nil, fmt.Errorf("dating: row iid %d pid %d: %w", r.IID, r.PID, err)
		}
	}
	if train.Len() == 0 {
		return nil, ErrNoData
	}
	model, err := rank.Fit(ctx, rank.Config{L2: 1e-3, Workers: 1}, &train)
	if err != nil {
		return nil, fmt.Errorf("dating: fit: %w", err)
	}
	// Held-out rows, both directions.
	fwd := map[key]float64{}
	byPerson := map[int][]*Meeting{}
	for i := range rows {
		r := &rows[i]
		if !test(r) {
			continue
		}
		res.TestRows++
		fwd[key{r.IID, r.PID}] = model.Predict(features(r, false))
		byPerson[r.IID] = append(byPerson[r.IID], r)
	}
	people := make([]int, 0, len(byPerson))
	for p := range byPerson {
		people = append(people, p)
	}
	slices.Sort(people)
	all := append([]Aggregator{
		{"random", func(_, _ float64) float64 { return 0 }},
		{"popularity", nil},
	}, aggs...)
	for _, a := range all {
		res.Rankers = append(res.Rankers, a.Name)
	}
	type acc struct{ oneWay, mutual [2]metric.Ranking }
	accs := make([]acc, len(all))
	for i := range accs {
		for g := range 2 {
			accs[i].oneWay[g].K, accs[i].mutual[g].K = cfg.K, cfg.K
		}
	}
	for _, p := range people {
		list := byPerson[p]
		slices.SortFunc(list, func(x, y *Meeting) int { return cmp.Compare(x.PID, y.PID) })
		var cand []*Meeting
		for _, r := range list {
			if _, ok := fwd[key{r.PID, r.IID}]; ok {
				cand = append(cand, r)
			}
		}
		if len(cand) == 0 {
			continue
		}
		res.People++
		g := cand[0].Gender
		if g != 0 && g != 1 {
			continue
		}
		dec, mat := make([]float64, len(cand)), make([]float64, len(cand))
		for i, r := range cand {
			dec[i], mat[i] = b2f(r.Dec), b2f(r.Match)
		}
		for ai, a := range all {
			scores := make([]float64, len(cand))
			for i, r := range cand {
				f, b := fwd[key{r.IID, r.PID}], fwd[key{r.PID, r.IID}]
				if a.Aggregate == nil {
					scores[i] = rate(recv[r.PID], 0, false)
				} else {
					scores[i] = a.Aggregate(f, b)
				}
			}
			accs[ai].oneWay[g].Add(uint32(p), scores, dec)
			accs[ai].mutual[g].Add(uint32(p), scores, mat)
		}
	}
	for _, a := range accs {
		res.OneWayWomen = append(res.OneWayWomen, a.oneWay[0].Summary())
		res.OneWayMen = append(res.OneWayMen, a.oneWay[1].Summary())
		res.MutualWomen = append(res.MutualWomen, a.mutual[0].Summary())
		res.MutualMen = append(res.MutualMen, a.mutual[1].Summary())
	}
	return res, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
