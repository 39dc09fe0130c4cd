package fusion

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/twowayrec/twoway/sparse"
)

// Kind says which family of recall found a candidate.
type Kind uint8

const (
	// Content: the inverted index or another content-based recaller.
	Content Kind = 1 << iota
	// Collaborative: user-CF, item-CF, Swing or another behaviour-based recaller.
	Collaborative
	// Strategy: hot, fresh and cold-start lists.
	Strategy
)

// Candidate is one person recall found for the requester, with the
// features the policy ranks by. The Engine fills it; every float is
// expected in [0,1] (NaN is treated as 0).
type Candidate struct {
	Index   uint32 // global participant index
	Company string // for the diversity cap; empty means "no company"
	Kind    Kind   // which recall families found it (bit set)
	// Sources names the recallers that found it, with their scores, in the
	// order recall merged them.
	Sources []Source

	TwoWay     float64 // two-way match
	Forward    float64 // requester → candidate one-way match
	Backward   float64 // candidate → requester one-way match
	Activity   float64 // how active the candidate is (relative, [0,1])
	Urgency    float64 // the candidate's demand urgency
	Saturation float64 // the candidate's exposure saturation
	Penalty    float64 // exposure controller's penalty: subtracted from the weighted sum; a learned score is scaled by 1 − Penalty
	Answer     float64 // share of one more contact the candidate can answer now (congestion), 1 when unknown
	Excluded   bool    // the exposure controller excluded it
	Registered time.Time
}

// Source is one recaller's finding.
type Source struct {
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

// Requester is who asks.
type Requester struct {
	Urgency    float64   // demand urgency in [0,1]
	Registered time.Time // zero: not new
}

// Result is one ranked candidate.
type Result struct {
	Candidate
	// Score is the weighted sum of the package doc (Rank), or with
	// Config.Learned the learned score s scaled by the exposure penalty p:
	// s·(1−p), and s·(1+p) for a negative s (a Scorer that is not a
	// probability), so that a penalty always lowers it. With a [*Learned]
	// (a probability) it is in [0,1]. A NaN learned score is −Inf.
	Score float64
	// Parts is the score's decomposition by feature (weighted), for
	// explanations; nil when a learned model ranked.
	Parts map[string]float64
}

// Weights are the rank stage's weights. Saturation is subtracted.
type Weights struct {
	TwoWay      float64 `json:"two_way"`
	Activity    float64 `json:"activity"`
	Urgency     float64 `json:"urgency"`
	Saturation  float64 `json:"saturation"`
	Freshness   float64 `json:"freshness"`
	UrgentBoost float64 `json:"urgent_boost"` // extra factor on Activity and Urgency at requester urgency 1
}

// Scorer scores a feature vector built by [Features]; higher is better.
// *rank.Model-like types satisfy it through ScorerFunc. Rank scales a
// score by the candidate's exposure penalty (see [Result]), so a Scorer
// returning a probability, as [*Learned] does, gives results scored in
// [0,1].
type Scorer interface {
	Score(x sparse.Vector) float64
}

// ScorerFunc adapts a function to Scorer.
type ScorerFunc func(x sparse.Vector) float64

// Score calls f(x).
func (f ScorerFunc) Score(x sparse.Vector) float64 { return f(x) }

// Config is the policy. Every zero value means the default documented on
// the field, so the zero Config is a sensible policy.
type Config struct {
	Pool                      int           `json:"pool"`                         // candidates kept by select; 0 → 200
	CollaborativeShare        float64       `json:"collaborative_share"`          // at urgency 0; 0 → 0.4
	UrgentCollaborativeShare  float64       `json:"urgent_collaborative_share"`   // at urgency 1; 0 → 0.7
	NewUserCollaborativeShare float64       `json:"new_user_collaborative_share"` // new requesters; 0 → 0.1
	NewUserAge                time.Duration `json:"new_user_age"`                 // 0 → 7 days
	MinTwoWay                 float64       `json:"min_two_way"`                  // at urgency 0; 0 → no threshold
	UrgentMinTwoWay           float64       `json:"urgent_min_two_way"`           // at urgency 1; 0 → MinTwoWay/2
	MinActivity               float64       `json:"min_activity"`                 // at urgency 0; 0 → no floor
	UrgentMinActivity         float64       `json:"urgent_min_activity"`          // at urgency 1; 0 → MinActivity
	MaxSaturation             float64       `json:"max_saturation"`               // drop at or above; 0 → 1 (nobody dropped for saturation)
	MaxPerCompany             int           `json:"max_per_company"`              // 0 → 3; negative → no cap
	FreshnessHalfLife         time.Duration `json:"freshness_half_life"`          // 0 → 14 days
	Weights                   *Weights      `json:"weights,omitempty"`            // nil → DefaultWeights()
	// Learned, when set, replaces the weighted sum: the score is
	// Learned.Score(Features(...)) scaled by 1 − Penalty (see [Result]).
	// Not serialised.
	Learned Scorer `json:"-"`
}

// DefaultWeights returns the rank weights used when Config.Weights is nil:
// the two-way match alone. With calibrated one-way matches the two-way
// match is already the probability of a match (the Engine's default
// discounts it by the contacts it takes), with the candidate's
// activity, responsiveness and congestion in it; adding activity, urgency
// or saturation on top lowered matches on the simulator and ranking quality
// on speed dating's validation waves (benchmarks/README.md). The other
// weights stay for hosts that want them.
func DefaultWeights() Weights {
	return Weights{TwoWay: 1}
}

// Policy is a validated Config with defaults applied. It is immutable and
// safe for concurrent use.
type Policy struct {
	c Config
	w Weights
}

// New validates cfg and returns the policy.
func New(cfg Config) (*Policy, error) {
	c := cfg
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Pool == 0 {
		c.Pool = 200
	}
	def(&c.CollaborativeShare, 0.4)
	def(&c.UrgentCollaborativeShare, 0.7)
	def(&c.NewUserCollaborativeShare, 0.1)
	if c.NewUserAge == 0 {
		c.NewUserAge = 7 * 24 * time.Hour
	}
	def(&c.UrgentMinTwoWay, c.MinTwoWay/2)
	def(&c.UrgentMinActivity, c.MinActivity)
	def(&c.MaxSaturation, 1)
	if c.MaxPerCompany == 0 {
		c.MaxPerCompany = 3
	}
	if c.FreshnessHalfLife == 0 {
		c.FreshnessHalfLife = 14 * 24 * time.Hour
	}
	w := DefaultWeights()
	if c.Weights != nil {
		w = *c.Weights
	}
	if c.Pool < 0 {
		return nil, fmt.Errorf("fusion: Config.Pool: negative (%d)", c.Pool)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"CollaborativeShare", c.CollaborativeShare}, {"UrgentCollaborativeShare", c.UrgentCollaborativeShare},
		{"NewUserCollaborativeShare", c.NewUserCollaborativeShare}, {"MinTwoWay", c.MinTwoWay},
		{"UrgentMinTwoWay", c.UrgentMinTwoWay}, {"MinActivity", c.MinActivity},
		{"UrgentMinActivity", c.UrgentMinActivity}, {"MaxSaturation", c.MaxSaturation},
	} {
		if math.IsNaN(f.v) || f.v < 0 || f.v > 1 {
			return nil, fmt.Errorf("fusion: Config.%s: %v is outside [0,1]", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"TwoWay", w.TwoWay}, {"Activity", w.Activity}, {"Urgency", w.Urgency},
		{"Saturation", w.Saturation}, {"Freshness", w.Freshness}, {"UrgentBoost", w.UrgentBoost},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return nil, fmt.Errorf("fusion: Config.Weights.%s: %v is not finite", f.name, f.v)
		}
	}
	if c.NewUserAge < 0 || c.FreshnessHalfLife < 0 {
		return nil, fmt.Errorf("fusion: Config.NewUserAge and FreshnessHalfLife must not be negative")
	}
	return &Policy{c: c, w: w}, nil
}

// Config returns the policy's configuration with defaults applied.
func (p *Policy) Config() Config { return p.c }

func lerp(a, b, u float64) float64 { return a + u*(b-a) }

func clamp01(x float64) float64 {
	if math.IsNaN(x) || x < 0 {
		return 0
	}
	return min(x, 1)
}

// CollaborativeShare returns the share of the pool select takes from
// collaborative recall for r at time now.
func (p *Policy) CollaborativeShare(r Requester, now time.Time) float64 {
	if !r.Registered.IsZero() && now.Sub(r.Registered) < p.c.NewUserAge {
		return p.c.NewUserCollaborativeShare
	}
	return lerp(p.c.CollaborativeShare, p.c.UrgentCollaborativeShare, clamp01(r.Urgency))
}

// Select builds the candidate pool from the content list and the
// collaborative list (each in recall order, best first) in the ratio of
// CollaborativeShare; a candidate in both lists is taken once, with both
// kinds and all sources. When one list runs short the other fills the pool.
// Strategy candidates (hot, fresh) may be passed in either list.
func (p *Policy) Select(r Requester, now time.Time, content, collaborative []Candidate) []Candidate {
	pool := p.c.Pool
	wantCollab := int(math.Round(p.CollaborativeShare(r, now) * float64(pool)))
	wantContent := pool - wantCollab
	out := make([]Candidate, 0, min(pool, len(content)+len(collaborative)))
	pos := make(map[uint32]int, cap(out))
	// Every kept candidate's sources are copied into one backing array
	// (one allocation instead of one per candidate); each gets a slice of
	// it capped at its length, so that adding a duplicate's sources
	// reallocates that candidate's slice instead of writing over the next.
	n := 0
	for _, l := range [2][]Candidate{content, collaborative} {
		for k := range l {
			n += len(l[k].Sources)
		}
	}
	sources := make([]Source, 0, n)
	add := func(c Candidate) bool {
		if k, ok := pos[c.Index]; ok {
			out[k].Kind |= c.Kind
			out[k].Sources = append(out[k].Sources, c.Sources...)
			return false
		}
		pos[c.Index] = len(out)
		start := len(sources)
		sources = append(sources, c.Sources...)
		c.Sources = sources[start:len(sources):len(sources)]
		out = append(out, c)
		return true
	}
	i, j := 0, 0
	nContent, nCollab := 0, 0
	// Alternate so that both kinds are represented at the top of the pool,
	// each until its quota is met; then fill from whichever has more.
	for len(out) < pool && (i < len(content) || j < len(collaborative)) {
		var takeCollab bool
		switch {
		case j >= len(collaborative):
			takeCollab = false
		case i >= len(content):
			takeCollab = true
		case nCollab >= wantCollab && nContent < wantContent:
			takeCollab = false
		case nContent >= wantContent && nCollab < wantCollab:
			takeCollab = true
		default: // both under quota, or both filled: keep the ratio
			takeCollab = nCollab*wantContent <= nContent*wantCollab
		}
		if takeCollab {
			if add(collaborative[j]) {
				nCollab++
			}
			j++
		} else {
			if add(content[i]) {
				nContent++
			}
			i++
		}
	}
	// Candidates found by both lists after the pool filled still merge their sources.
	for ; i < len(content); i++ {
		if k, ok := pos[content[i].Index]; ok {
			out[k].Kind |= content[i].Kind
			out[k].Sources = append(out[k].Sources, content[i].Sources...)
		}
	}
	for ; j < len(collaborative); j++ {
		if k, ok := pos[collaborative[j].Index]; ok {
			out[k].Kind |= collaborative[j].Kind
			out[k].Sources = append(out[k].Sources, collaborative[j].Sources...)
		}
	}
	return out
}

// Keep reports whether c passes the filter stage for r, and if not, why.
func (p *Policy) Keep(r Requester, c *Candidate) (bool, string) {
	u := clamp01(r.Urgency)
	switch {
	case c.Excluded:
		return false, "excluded by exposure control"
	case clamp01(c.Saturation) >= p.c.MaxSaturation:
		return false, "saturated"
	case clamp01(c.TwoWay) < lerp(p.c.MinTwoWay, p.c.UrgentMinTwoWay, u):
		return false, "two-way match below threshold"
	case clamp01(c.Activity) < lerp(p.c.MinActivity, p.c.UrgentMinActivity, u):
		return false, "candidate not active enough"
	}
	return true, ""
}

// Freshness returns 2^(−age/half-life) for a profile registered at reg
// (1 for a brand-new one, 0 for an unknown registration time).
func (p *Policy) Freshness(reg, now time.Time) float64 {
	if reg.IsZero() {
		return 0
	}
	age := now.Sub(reg)
	if age <= 0 {
		return 1
	}
	return math.Exp2(-float64(age) / float64(p.c.FreshnessHalfLife))
}

// Features returns the feature vector the learned ranker scores:
// index 0 two-way, 1 forward, 2 backward, 3 activity, 4 candidate urgency,
// 5 saturation, 6 freshness, 7 requester urgency, 8 requester urgency ×
// activity. Zero entries are omitted; NaN reads as 0. dst's storage is
// reused. Which recallers found the candidate is left out on purpose: the
// outcomes a ranker learns from (past events) do not say it.
func Features(dst sparse.Vector, r Requester, c *Candidate, freshness float64) sparse.Vector {
	dst.Idx, dst.Val = dst.Idx[:0], dst.Val[:0]
	u := clamp01(r.Urgency)
	vals := [NumFeatures]float64{
		clamp01(c.TwoWay), clamp01(c.Forward), clamp01(c.Backward), clamp01(c.Activity),
		clamp01(c.Urgency), clamp01(c.Saturation), clamp01(freshness), u,
		u * clamp01(c.Activity),
	}
	for i, v := range vals {
		if v != 0 {
			dst.Idx, dst.Val = append(dst.Idx, uint32(i)), append(dst.Val, v)
		}
	}
	return dst
}

// NumFeatures is the dimension of the vectors Features returns.
const NumFeatures = 9

// Rank filters the pool, scores what remains, applies the company cap and
// returns the top n (all when n <= 0), best first. dropped, when non-nil,
// receives the reason for each candidate the filter removed.
func (p *Policy) Rank(r Requester, now time.Time, pool []Candidate, n int, dropped func(c *Candidate, reason string)) []Result {
	u := clamp01(r.Urgency)
	// The parts are kept in arrays while sorting and become maps only for
	// the results returned.
	type scored struct {
		c     *Candidate
		score float64
		parts [len(partOrder)]float64
	}
	res := make([]scored, 0, len(pool))
	learned := p.c.Learned != nil
	var x sparse.Vector
	for i := range pool {
		c := &pool[i]
		if ok, why := p.Keep(r, c); !ok {
			if dropped != nil {
				dropped(c, why)
			}
			continue
		}
		f := p.Freshness(c.Registered, now)
		sc := scored{c: c}
		if learned {
			x = Features(x, r, c, f)
			sc.score = penalised(p.c.Learned.Score(x), clamp01(c.Penalty))
			if math.IsNaN(sc.score) {
				sc.score = math.Inf(-1)
			}
		} else {
			boost := 1 + u*p.w.UrgentBoost
			sc.parts = [len(partOrder)]float64{ // in partOrder
				p.w.TwoWay * clamp01(c.TwoWay),
				boost * p.w.Activity * clamp01(c.Activity),
				boost * p.w.Urgency * clamp01(c.Urgency),
				p.w.Freshness * f,
				-p.w.Saturation * clamp01(c.Saturation),
				-clamp01(c.Penalty),
			}
			for _, v := range sc.parts {
				sc.score += v
			}
		}
		res = append(res, sc)
	}
	slices.SortFunc(res, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.c.Index, b.c.Index)
	})
	if p.c.MaxPerCompany > 0 {
		perCompany := make(map[string]int)
		kept := res[:0]
		for _, r := range res {
			if co := r.c.Company; co != "" {
				if perCompany[co] >= p.c.MaxPerCompany {
					if dropped != nil {
						c := *r.c
						dropped(&c, "company cap")
					}
					continue
				}
				perCompany[co]++
			}
			kept = append(kept, r)
		}
		res = kept
	}
	if n > 0 && len(res) > n {
		res = res[:n]
	}
	out := make([]Result, len(res))
	for i, sc := range res {
		out[i] = Result{Candidate: *sc.c, Score: sc.score}
		if !learned {
			out[i].Parts = make(map[string]float64, len(partOrder))
			for k, name := range partOrder {
				out[i].Parts[name] = sc.parts[k]
			}
		}
	}
	return out
}

// penalised scales a learned score s by the exposure penalty pen in [0,1]:
// s·(1−pen) for s ≥ 0, which keeps a probability a probability (the
// down-weighting exposure.Controller documents for its penalty), and
// s·(1+pen) for s < 0, so that a penalty lowers any score. For a fixed pen < 1 it is increasing in s:
// candidates with equal penalties keep the Scorer's order.
func penalised(s, pen float64) float64 {
	if s < 0 {
		return s * (1 + pen)
	}
	return s * (1 - pen)
}

// partOrder fixes the summation order of the score parts, so that scores are
// bit-identical from run to run.
var partOrder = [...]string{"two_way", "activity", "urgency", "freshness", "saturation", "exposure"}
