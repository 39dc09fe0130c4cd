package dating

import (
	"context"
	"fmt"
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
	for i := range t.Meetings {
		m := &t.Meetings[i]
		rows[key{m.IID, m.PID}] = m
		if Hidden(m, cfg.Seed, cfg.HiddenShare) {
			res.Hidden++
			byPerson[m.IID] = append(byPerson[m.IID], m)
			continue
		}
		res.Visible++
		visible = append(visible, Events(m)...)
	}
	res.Events = len(visible)

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

	// Queries: each person's hidden partners whose own row is there too.
	var val, test []evaluate.Query
	for _, p := range people {
		list := byPerson[p.IID]
		slices.SortFunc(list, func(x, y *Meeting) int { return x.PID - y.PID })
		q := evaluate.Query{Requester: ID(p.IID), Side: SideOf(p.Gender), Cities: []string{City(p.Wave)}}
		for _, m := range list {
			if rows[key{m.PID, m.IID}] == nil {
				continue // the partner's side of the meeting is missing
			}
			q.Candidates = append(q.Candidates, ID(m.PID))
			q.Relevant = append(q.Relevant, m.Dec)
			q.Mutual = append(q.Mutual, m.Match)
		}
		if len(q.Candidates) == 0 || !q.Side.Valid() {
			continue
		}
		if slices.Contains(cfg.ValidationWaves, p.Wave) {
			q.Group = "validation"
			val = append(val, q)
		} else {
			q.Group = "test"
			test = append(test, q)
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
		out  *SplitResult
		name string
		qs   []evaluate.Query
		val  bool
	}{{&res.Validation, "validation", val, true}, {&res.Test, "test", test, false}} {
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
	}
	return res, nil
}
