package twoway

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kelindar/bitmap"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/fusion"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/urgency"
)

// Request asks for recommendations for one participant.
type Request struct {
	// ID is the requester's profile ID. Required.
	ID string `json:"id"`
	// Side, when set, must be the requester's side (ErrWrongSide otherwise):
	// a host's guard against asking with a job's ID on a seeker's screen.
	Side market.Side `json:"side,omitempty"`
	// N is how many recommendations to return, at most MaxN. Zero: 10.
	// Negative or above MaxN: ErrBadRequest.
	N int `json:"n,omitempty"`
	// Cities, when set, keeps candidates in these cities only.
	Cities []string `json:"cities,omitempty"`
	// Explain adds each result's explanation (both directions' reasons).
	Explain bool `json:"explain,omitempty"`
	// Aggregator overrides Config.Aggregator for this request.
	Aggregator string `json:"aggregator,omitempty"`
	// DryRun leaves the exposure ledger alone: the results are not counted
	// as shown (for evaluation, previews and unauthenticated reads).
	// Without it, each result counts one impression in the ledger, once per
	// (requester, candidate) pair within Exposure.RepeatWindow: a requester
	// reloading a list does not spend anybody's budget again.
	DryRun bool `json:"dry_run,omitempty"`
}

// Recommendation is one recommended participant of the other side.
type Recommendation struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"` // fusion's ranking score
	// TwoWay is the two-way match, Forward the requester's one-way match
	// for the candidate, Backward the candidate's for the requester. NaN
	// (JSON null) before the first Fit.
	TwoWay   float64 `json:"two_way"`
	Forward  float64 `json:"forward"`
	Backward float64 `json:"backward"`
	// Urgency and Saturation of the candidate (NaN: unknown), Activity in
	// [0,1]: 2^(−days since the candidate's last action / 3).
	Urgency    float64 `json:"urgency"`
	Saturation float64 `json:"saturation"`
	Activity   float64 `json:"activity"`
	// Sources are the recallers that found the candidate, with their scores.
	Sources []fusion.Source `json:"sources"`
	// Parts decompose Score by feature (fusion.Policy.Rank).
	Parts map[string]float64 `json:"parts,omitempty"`
	// Explanation is set when the Request asked for it and the Engine is fitted.
	Explanation *match.Explanation `json:"explanation,omitempty"`
}

// Response is the answer to a Request.
type Response struct {
	Requester string           `json:"requester"`
	Side      market.Side      `json:"side"`
	Urgency   float64          `json:"urgency"` // the requester's (NaN: unknown)
	Fitted    bool             `json:"fitted"`  // false before the first Fit: cold-start answers
	Results   []Recommendation `json:"results"`
}

// MaxN is the most recommendations one Request may ask for.
const MaxN = 1000

// activityHalfLife sets Recommendation.Activity.
const activityHalfLife = 3.0 // days

// Recommend answers "whom should this person see next?" for the requester
// of req, on either side: recall from the content index, collaborative and
// strategy recallers under the hard filters (other side, active, not seen,
// not blocked, not over-exposed), two-way scores with each side's urgency,
// exposure penalties, and fusion's select → filter → rank. Unless
// req.DryRun, the results are counted in the exposure ledger.
//
// Errors: ErrUnknownRequester, ErrInactive, ErrWrongSide, ErrEmptyMarket
// (the other side has no active profile), ErrBadRequest (N out of range, an
// unknown aggregator). Zero results with a nil error
// means every candidate was filtered out (all seen, say).
func (e *Engine) Recommend(ctx context.Context, req Request) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ix, prof, known, removed := e.lookup(req.ID)
	switch {
	case !known:
		return nil, unknownID(req.ID)
	case removed || prof.Inactive:
		return nil, fmt.Errorf("%w: %q", ErrInactive, req.ID)
	case req.Side != 0 && req.Side != prof.Side:
		return nil, fmt.Errorf("%w: %q is a %s, the request says %s", ErrWrongSide, req.ID, prof.Side, req.Side)
	}
	agg := e.agg
	if req.Aggregator != "" {
		f, err := match.AggregatorByName(req.Aggregator)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		agg = match.NamedAggregator{Name: req.Aggregator, Aggregate: f}
	}
	n := req.N
	switch {
	case n == 0:
		n = 10
	case n < 0 || n > MaxN:
		return nil, fmt.Errorf("%w: N = %d, want 0 (10) to %d", ErrBadRequest, n, MaxN)
	}
	now := e.cfg.Clock()
	st := e.state.Load()
	if err := e.refreshInterest(ctx, st, ix); err != nil {
		return nil, err
	}

	allowed, err := e.allowed(st, ix, prof.Side, req.Cities, now)
	if err != nil {
		return nil, err
	}
	resp := &Response{Requester: req.ID, Side: prof.Side, Fitted: st.fitted, Urgency: math.NaN()}
	if allowed.Count() == 0 {
		return resp, nil
	}

	// Recall.
	rreq := recall.Request{Requester: ix, Side: prof.Side, K: e.cfg.Recall.Content, Allowed: allowed}
	indexed, err := e.index.Recall(ctx, rreq, nil)
	if err != nil {
		return nil, fmt.Errorf("twoway: recall: inverted index: %w", err)
	}
	rreq.K = max(1, e.cfg.Recall.Content/10)
	fresh, err := e.fresh.Recall(ctx, rreq, nil)
	if err != nil {
		return nil, fmt.Errorf("twoway: recall: fresh: %w", err)
	}
	// Content candidates: the index's, then a few of the newest profiles
	// (so that newcomers without matching words are seen too).
	contentCands := append(toCandidates(indexed, fusion.Content, "index"), toCandidates(fresh, fusion.Strategy, "fresh")...)
	rreq.K = e.cfg.Recall.Collaborative
	collab, err := st.collab.Recall(ctx, rreq, nil)
	if err != nil {
		return nil, fmt.Errorf("twoway: recall: %w", err)
	}
	collabCands := toMerged(collab)

	// Scores.
	var in urgency.Input
	reqUrg := e.urgencyOf(ctx, st, ix, now, &in)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	resp.Urgency = reqUrg
	pool := st.policy.Select(fusion.Requester{Urgency: nanTo0(reqUrg), Registered: prof.Registered}, now, contentCands, collabCands)
	e.score(st, agg, ix, reqUrg, now, pool)
	ranked := st.policy.Rank(fusion.Requester{Urgency: nanTo0(reqUrg), Registered: prof.Registered}, now, pool, n, nil)

	served := make([]uint32, len(ranked))
	resp.Results = make([]Recommendation, len(ranked))
	for i, r := range ranked {
		served[i] = r.Index
		id, _ := e.dict.ID(r.Index)
		rec := Recommendation{
			ID: id, Score: r.Score, TwoWay: r.TwoWay, Forward: r.Forward, Backward: r.Backward,
			Urgency: r.Urgency, Saturation: r.Saturation, Activity: r.Activity,
			Sources: r.Sources, Parts: r.Parts,
		}
		if !st.fitted {
			rec.TwoWay, rec.Forward, rec.Backward = math.NaN(), math.NaN(), math.NaN()
		}
		if req.Explain && st.interest != nil {
			x := st.interest.Explain(agg, ix, r.Index, reqUrg, r.Urgency, match.ExplainOptions{Top: e.cfg.Reasons, Language: "en", Encoder: st.encoder})
			withIDs(&x, req.ID, id)
			rec.Explanation = &x
		}
		resp.Results[i] = rec
	}
	if !req.DryRun {
		e.control.ServedTo(ix, served)
	}
	return resp, nil
}

// allowed builds the request's hard-filter bitmap.
func (e *Engine) allowed(st *state, ix uint32, side market.Side, cities []string, now time.Time) (bitmap.Bitmap, error) {
	var seen, blocked bitmap.Bitmap
	e.mu.RLock()
	for _, t := range e.seen[ix] {
		seen.Set(t)
	}
	for _, t := range e.blocked[ix] {
		blocked.Set(t)
	}
	e.mu.RUnlock()
	allowed, err := e.pop.Mask(nil, recall.Filter{
		Requester: ix, Side: side, ActiveOnly: true, Cities: cities,
		Seen: seen, Blocked: blocked, Exclude: e.exclusions(st, now),
	})
	if err != nil {
		return nil, err
	}
	if allowed.Count() == 0 {
		all, err := e.pop.Mask(nil, recall.Filter{Requester: ix, Side: side, ActiveOnly: true})
		if err != nil {
			return nil, err
		}
		if all.Count() == 0 {
			return nil, fmt.Errorf("%w: no active %s", ErrEmptyMarket, side.Other())
		}
	}
	return allowed, nil
}

// exclusions returns the recall-time exclusion bitmap of over-exposed
// candidates, rebuilt at most every Config.ExclusionRefresh. The fusion
// stage judges every recalled candidate against the live ledger as well,
// so the bitmap's lag only costs recall slots.
func (e *Engine) exclusions(st *state, now time.Time) bitmap.Bitmap {
	if x := e.excl.Load(); x != nil && now.Sub(x.at) < e.cfg.ExclusionRefresh {
		return x.bm
	}
	e.exclMu.Lock()
	defer e.exclMu.Unlock()
	if x := e.excl.Load(); x != nil && now.Sub(x.at) < e.cfg.ExclusionRefresh {
		return x.bm
	}
	x := &exclusions{at: now}
	e.control.Exclusions(st.satTable.Values(nil), now, &x.bm)
	e.excl.Store(x)
	return x.bm
}

// urgencyOf returns ix's urgency now (NaN without a fitted model), filling
// in with its behaviour features.
func (e *Engine) urgencyOf(ctx context.Context, st *state, ix uint32, now time.Time, in *urgency.Input) float64 {
	*in = urgency.Input{}
	if int(ix) < len(st.features) {
		in.Activity = st.features[ix] // log-only fields from the Fit
	}
	if err := urgency.Live(ctx, e.tracker, st.recent, ix, now, in); err != nil {
		e.cfg.Logger.Warn("twoway: real-time features unavailable", "participant", ix, "err", err)
		return math.NaN()
	}
	if st.urgency == nil {
		return math.NaN()
	}
	return st.urgency.Urgency(in)
}

// score fills the match, urgency, activity, saturation and exposure fields
// of the pool's candidates. Urgency, saturation and activity come from the
// state's serving tables; the requester's urgency (reqUrg) is live.
func (e *Engine) score(st *state, agg match.NamedAggregator, ix uint32, reqUrg float64, now time.Time, pool []fusion.Candidate) {
	idx := make([]uint32, len(pool))
	for i := range pool {
		idx[i] = pool[i].Index
	}
	var forward, backward []float64
	if st.interest != nil {
		var buf match.Buffer
		evf, evb := make([]match.Evidence, len(idx)), make([]match.Evidence, len(idx))
		st.pairEvidence(evf, evb, ix, idx)
		forward = st.interest.OneWayBatch(nil, &buf, ix, idx, evf)
		backward = st.interest.OneWayToward(nil, &buf, idx, ix, evb)
	}
	urg := make([]float64, len(pool))
	sats := make([]float64, len(pool))
	acts := make([]float64, len(pool))
	st.urgTable.GetAll(idx, urg)
	st.satTable.GetAll(idx, sats)
	st.actTable.GetAll(idx, acts)
	pens := make([]float64, len(pool))
	var excluded bitmap.Bitmap
	e.control.Penalties(idx, sats, now, pens, &excluded)
	e.mu.RLock()
	for i := range pool {
		c := &pool[i]
		if int(c.Index) < len(e.profiles) {
			c.Company = e.profiles[c.Index].Company
			c.Registered = e.profiles[c.Index].Registered
		}
	}
	e.mu.RUnlock()
	for i := range pool {
		c := &pool[i]
		c.Urgency, c.Saturation, c.Activity = urg[i], sats[i], acts[i]
		c.Penalty, c.Excluded = pens[i], excluded.Contains(c.Index)
		if forward != nil {
			c.Forward = forward[i]
			c.Backward = backward[i]
			c.TwoWay = agg.Aggregate(match.Pair{Forward: c.Forward, Backward: c.Backward, RequesterUrgency: reqUrg, CandidateUrgency: c.Urgency})
		} else {
			// Before the first Fit: the recall order stands in for the match.
			c.TwoWay = 1 / (1 + float64(i))
		}
	}
}

// activityScore maps recency of the last action to [0,1].
func activityScore(f *activity.Features) float64 {
	if !f.Active {
		return 0
	}
	return math.Exp2(-f.DaysSinceActive / activityHalfLife)
}

// refreshInterest applies the online update of ix's interest model when
// events arrived since its last update.
func (e *Engine) refreshInterest(ctx context.Context, st *state, ix uint32) error {
	if st.interest == nil {
		return nil
	}
	e.mu.Lock()
	if !e.dirty[ix] {
		e.mu.Unlock()
		return nil
	}
	delete(e.dirty, ix)
	acts := slices.Clone(e.acts[ix])
	// What the user's counterparts did to the user, so that the evidence
	// of each row knows which of the user's actions answered a contact.
	events := slices.Clone(acts)
	met := map[uint32]bool{}
	for _, a := range acts {
		if met[a.Target] {
			continue
		}
		met[a.Target] = true
		for _, b := range e.acts[a.Target] {
			if b.Target == ix {
				events = append(events, b)
			}
		}
	}
	if e.others == nil {
		e.others = othersBySide(e.profiles, e.removed)
	}
	others := e.others // replaced, never changed in place: safe after Unlock
	e.mu.Unlock()
	samples, err := match.Samples(e.cfg.Samples, acts, e.pop.Side, func(s market.Side) []uint32 { return others[s] })
	if err != nil {
		return fmt.Errorf("twoway: online interest update: %w", err)
	}
	slices.SortStableFunc(events, func(a, b match.Interaction) int { return cmp.Compare(a.Time, b.Time) })
	st.behaviour.AttachEvidence(samples, events)
	if err := st.interest.Update(ctx, ix, samples); err != nil {
		return fmt.Errorf("twoway: online interest update: %w", err)
	}
	return nil
}

// toCandidates and toMerged give every candidate a capacity-limited window
// of one shared Sources array (one allocation per list, and appends to a
// window copy rather than overwrite a neighbour).
func toCandidates(cs []recall.Candidate, kind fusion.Kind, source string) []fusion.Candidate {
	out := make([]fusion.Candidate, len(cs))
	src := make([]fusion.Source, len(cs))
	for i, c := range cs {
		src[i] = fusion.Source{Name: source, Score: c.Score}
		out[i] = fusion.Candidate{Index: c.Index, Kind: kind, Sources: src[i : i+1 : i+1]}
	}
	return out
}

func toMerged(cs []recall.Candidate) []fusion.Candidate {
	out := make([]fusion.Candidate, len(cs))
	total := 0
	for _, c := range cs {
		total += len(c.Hits)
	}
	src := make([]fusion.Source, 0, total)
	for i, c := range cs {
		fc := fusion.Candidate{Index: c.Index, Kind: fusion.Collaborative}
		start := len(src)
		for _, h := range c.Hits {
			src = append(src, fusion.Source{Name: h.Source, Score: h.Score})
			if h.Source == "hot" && len(c.Hits) == 1 {
				fc.Kind = fusion.Strategy
			}
		}
		if len(src) > start {
			fc.Sources = src[start:len(src):len(src)]
		}
		out[i] = fc
	}
	return out
}

func nanTo0(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}
