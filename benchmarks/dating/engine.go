package dating

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/benchmarks/evaluate"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// EngineConfig configures EvaluateEngine.
type EngineConfig struct {
	// Seed chooses the hidden pairs and seeds the random floor and the
	// bootstrap. Zero is a valid seed.
	Seed uint64 `json:"seed"`
	// HiddenShare is the share of each wave's pairs hidden; 0 means 0.3.
	HiddenShare float64 `json:"hidden_share"`
	// ValidationWaves are the waves whose hidden pairs form the
	// validation set; nil means 11, 12, 13, 14.
	ValidationWaves []int `json:"validation_waves"`
	// K is the cut-off of P/R/NDCG@K; 0 means 3 (about five hidden
	// partners per person).
	K int `json:"k"`
	// Bootstrap is the number of bootstrap resamples; 0 means 1000.
	Bootstrap int `json:"bootstrap"`
	// Engine configures the Engine; its Clock is replaced (the day after
	// the last evening).
	Engine twoway.Config `json:"-"`
	// ValidationOnly scores the validation split alone and leaves Test
	// empty: the form for choosing defaults, which must not see the test
	// waves' figures.
	ValidationOnly bool `json:"validation_only,omitempty"`
}

// SplitResult holds one split's figures.
type SplitResult struct {
	Name    string // "validation" or "test"
	Waves   []int
	Queries int
	// Rankers: the floors (random, one-way, product, harmonic), then
	// "Engine default", then "Engine <aggregator>" for each aggregator.
	Rankers []*evaluate.Result
	Floors  int // the first Floors rankers are floors
	// BestFloor[side] is the index of the floor with the highest
	// AUC(match) for requesters of that side (ties to the earlier).
	BestFloor [3]int
	// AUCvsFloor and GAUCvsFloor[side]: Engine default − best floor of
	// the side, on AUC and GAUC of matches, with bootstrap intervals over
	// people.
	AUCvsFloor, GAUCvsFloor [3]evaluate.Interval
	// Calibration[side]: the default Engine's one-way probabilities for
	// requesters of that side, against what the pairs decided: Forward
	// (the requester's own yes) and Backward (the candidate's yes to the
	// requester), with Base the log-loss of the visible pairs' share of
	// yes of the deciding side.
	Calibration [3]OneWayCalibration
}

// OneWayCalibration holds the calibration of both one-way probabilities
// of the Engine's results (twoway.Recommendation.Forward and Backward).
type OneWayCalibration struct {
	Forward, Backward evaluate.Calibration
}

// EngineResult is the outcome of EvaluateEngine.
type EngineResult struct {
	People, Meetings int
	Skipped          int // rows of the file left out (unplaceable)
	Visible, Hidden  int // meetings (rows)
	Events           int // events recorded
	Validation, Test SplitResult
	Fitted           bool // the Engine said it was fitted when asked
}

// Hidden reports whether the pair of meeting m is hidden by seed at
// share: a hash of the seed and the unordered pair, so both rows of a
// pair agree.
func Hidden(m *Meeting, seed uint64, share float64) bool {
	a, b := min(m.IID, m.PID), max(m.IID, m.PID)
	h := mix(seed ^ 0x5d ^ mix(uint64(a)<<32|uint64(b)))
	return float64(h>>11)/(1<<53) < share
}

// EvaluateEngine runs the Engine protocol on t.
func EvaluateEngine(ctx context.Context, cfg EngineConfig, t *Table) (*EngineResult, error) {
	if cfg.HiddenShare == 0 {
		cfg.HiddenShare = 0.3
	}
	if cfg.ValidationWaves == nil {
		cfg.ValidationWaves = []int{11, 12, 13, 14}
	}
	if cfg.K == 0 {
		cfg.K = 3
	}
	if !(cfg.HiddenShare > 0 && cfg.HiddenShare < 1) || cfg.K < 0 || cfg.Bootstrap < 0 {
		return nil, fmt.Errorf("dating: invalid EngineConfig: HiddenShare %v, K %d, Bootstrap %d", cfg.HiddenShare, cfg.K, cfg.Bootstrap)
	}
	if len(t.Meetings) == 0 {
		return nil, ErrNoData
	}
	people := People(t)
	res := &EngineResult{People: len(people), Meetings: len(t.Meetings), Skipped: len(t.Skipped)}
	profiles := make([]market.Profile, len(people))
	last := 0
	for i := range people {
		profiles[i] = Profile(&people[i])
		last = max(last, people[i].Wave)
	}
	var visible []market.Event
	byPerson := map[int][]*Meeting{}
	rows := map[key]*Meeting{}
	sideOf := map[int]market.Side{}
	for _, p := range people {
		sideOf[p.IID] = SideOf(p.Gender)
	}
	var yes, decided [3]float64 // visible decisions by the decider's side
	for i := range t.Meetings {
		m := &t.Meetings[i]
		rows[key{m.IID, m.PID}] = m
		if Hidden(m, cfg.Seed, cfg.HiddenShare) {
			res.Hidden++
			byPerson[m.IID] = append(byPerson[m.IID], m)
			continue
		}
		res.Visible++
		if sd := sideOf[m.IID]; sd.Valid() {
			yes[sd] += b2f(m.Dec)
			decided[sd]++
		}
		visible = append(visible, Events(m)...)
	}
	res.Events = len(visible)
	base := [3]float64{math.NaN(), math.NaN(), math.NaN()} // share of yes of each deciding side
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		if decided[sd] > 0 {
			base[sd] = yes[sd] / decided[sd]
		}
	}

	now := WaveTime(last).Add(24 * time.Hour)
	ec := cfg.Engine
	ec.Clock = func() time.Time { return now }
	e, err := twoway.New(ec)
	if err != nil {
		return nil, fmt.Errorf("dating: engine: %w", err)
	}
	defer e.Close()
	if err := e.Upsert(ctx, profiles...); err != nil {
		return nil, fmt.Errorf("dating: engine: upsert: %w", err)
	}
	if err := e.Record(ctx, visible...); err != nil {
		return nil, fmt.Errorf("dating: engine: record: %w", err)
	}
	if err := e.Fit(ctx); err != nil {
		return nil, fmt.Errorf("dating: engine: fit: %w", err)
	}

	// Queries: each person's hidden partners whose own row is there too;
	// answer[q][i] is candidate i's decision on query q's requester.
	var val, test []evaluate.Query
	var valAnswer, testAnswer [][]bool
	for _, p := range people {
		list := byPerson[p.IID]
		slices.SortFunc(list, func(x, y *Meeting) int { return x.PID - y.PID })
		q := evaluate.Query{Requester: ID(p.IID), Side: SideOf(p.Gender), Cities: []string{City(p.Wave)}}
		var answer []bool
		for _, m := range list {
			back := rows[key{m.PID, m.IID}]
			if back == nil {
				continue // the partner's side of the meeting is missing
			}
			q.Candidates = append(q.Candidates, ID(m.PID))
			q.Relevant = append(q.Relevant, m.Dec)
			q.Mutual = append(q.Mutual, m.Match)
			answer = append(answer, back.Dec)
		}
		if len(q.Candidates) == 0 || !q.Side.Valid() {
			continue
		}
		if slices.Contains(cfg.ValidationWaves, p.Wave) {
			q.Group = "validation"
			val, valAnswer = append(val, q), append(valAnswer, answer)
		} else {
			q.Group = "test"
			test, testAnswer = append(test, q), append(testAnswer, answer)
		}
	}
	rankers := evaluate.Floors(visible, cfg.Seed)
	nFloors := len(rankers)
	rankers = append(rankers, evaluate.Named{Name: "Engine default", Ranker: evaluate.EngineRanker(e, "", 0)})
	for _, a := range match.Aggregators() {
		rankers = append(rankers, evaluate.Named{Name: "Engine " + a.Name, Ranker: evaluate.EngineRanker(e, a.Name, 0)})
	}
	if len(people) > 0 {
		resp, err := e.Recommend(ctx, twoway.Request{ID: ID(people[0].IID), N: 1, DryRun: true, Cities: []string{City(people[0].Wave)}})
		if err != nil {
			return nil, fmt.Errorf("dating: engine: %w", err)
		}
		res.Fitted = resp.Fitted
	}
	var waves []int
	for _, p := range people {
		if !slices.Contains(waves, p.Wave) {
			waves = append(waves, p.Wave)
		}
	}
	slices.Sort(waves)
	for _, s := range []struct {
		out    *SplitResult
		name   string
		qs     []evaluate.Query
		answer [][]bool
		val    bool
	}{{&res.Validation, "validation", val, valAnswer, true}, {&res.Test, "test", test, testAnswer, false}} {
		if cfg.ValidationOnly && !s.val {
			continue
		}
		s.out.Name, s.out.Queries, s.out.Floors = s.name, len(s.qs), nFloors
		for _, w := range waves {
			if slices.Contains(cfg.ValidationWaves, w) == s.val {
				s.out.Waves = append(s.out.Waves, w)
			}
		}
		for _, r := range rankers {
			er, err := evaluate.Evaluate(ctx, r.Name, r.Ranker, s.qs, cfg.K)
			if err != nil {
				return nil, fmt.Errorf("dating: %s: %w", s.name, err)
			}
			s.out.Rankers = append(s.out.Rankers, er)
		}
		engine := s.out.Rankers[nFloors]
		for _, side := range []market.Side{market.Seeker, market.Recruiter} {
			best := 0
			for i := 1; i < nFloors; i++ {
				if s.out.Rankers[i].Mutual[side].AUC > s.out.Rankers[best].Mutual[side].AUC {
					best = i
				}
			}
			s.out.BestFloor[side] = best
			floor := s.out.Rankers[best]
			if s.out.AUCvsFloor[side], err = evaluate.BootstrapDiff(engine, floor, side, true, evaluate.AUC, cfg.Bootstrap, cfg.Seed); err != nil {
				return nil, err
			}
			if s.out.GAUCvsFloor[side], err = evaluate.BootstrapDiff(engine, floor, side, true, evaluate.GAUC, cfg.Bootstrap, cfg.Seed); err != nil {
				return nil, err
			}
		}
		if s.out.Calibration, err = calibrate(ctx, e, s.qs, s.answer, base); err != nil {
			return nil, fmt.Errorf("dating: %s: %w", s.name, err)
		}
	}
	return res, nil
}

// calibrate scores the default Engine's Forward and Backward for every
// candidate of qs (asked as EngineRanker asks) against the requester's
// decision (Relevant) and the candidate's (answer), per requester side,
// with base[s], the visible decisions' share of yes of side s (NaN: none),
// as the base rate of the side deciding.
func calibrate(ctx context.Context, e *twoway.Engine, qs []evaluate.Query, answer [][]bool, base [3]float64) ([3]OneWayCalibration, error) {
	var out [3]OneWayCalibration
	var fp, bp [3][]float64
	var fy, by [3][]bool
	for i := range qs {
		q := &qs[i]
		resp, err := e.Recommend(ctx, twoway.Request{ID: q.Requester, N: len(q.Candidates) + 50, DryRun: true, Cities: q.Cities})
		if err != nil {
			return out, fmt.Errorf("engine: %s: %w", q.Requester, err)
		}
		got := make(map[string]*twoway.Recommendation, len(resp.Results))
		for j := range resp.Results {
			got[resp.Results[j].ID] = &resp.Results[j]
		}
		sd := q.Side
		for j, c := range q.Candidates {
			f, b := math.NaN(), math.NaN()
			if r := got[c]; r != nil {
				f, b = r.Forward, r.Backward
			}
			fp[sd], fy[sd] = append(fp[sd], f), append(fy[sd], q.Relevant[j])
			bp[sd], by[sd] = append(bp[sd], b), append(by[sd], answer[i][j])
		}
	}
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		var err error
		if out[sd].Forward, err = evaluate.Calibrate(fp[sd], fy[sd], 10, base[sd]); err != nil {
			return out, err
		}
		if out[sd].Backward, err = evaluate.Calibrate(bp[sd], by[sd], 10, base[sd.Other()]); err != nil {
			return out, err
		}
	}
	return out, nil
}
