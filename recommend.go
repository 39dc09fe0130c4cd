package twoway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kelindar/bitmap"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/fusion"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/text"
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
	// Filters keeps candidates whose profiles pass these structured
	// filters (pay, experience, education, industry, workplace; see
	// recall.Facets).
	Filters Filters `json:"filters,omitzero"`
	// Exclude lists IDs not to return (what the host showed elsewhere, say).
	// IDs the Engine does not know are ignored; at most MaxExclude.
	Exclude []string `json:"exclude,omitempty"`
	// Cursor continues a list: Response.Next of the previous page, with the
	// rest of the request unchanged. The page is the best N of what the
	// earlier pages did not return, scored now, so it never repeats one of
	// their results; the ledger counts only this page. A cursor belongs to
	// its requester (ErrBadRequest for another's, or a damaged one).
	Cursor string `json:"cursor,omitempty"`
	// Explain adds each result's explanation (both directions' reasons).
	Explain bool `json:"explain,omitempty"`
	// Aggregator overrides Config.Aggregator for this request.
	Aggregator string `json:"aggregator,omitempty"`
	// Language of the explanations: text.Chinese or text.English. Empty:
	// Config.Language.
	Language text.Language `json:"language,omitempty"`
	// DryRun leaves the exposure ledger alone: the results are not counted
	// as shown (for evaluation, previews and unauthenticated reads).
	// Without it, each result counts one impression in the ledger, once per
	// (requester, candidate) pair within Exposure.RepeatWindow: a requester
	// reloading a list does not spend anybody's budget again.
	DryRun bool `json:"dry_run,omitempty"`

	// probe marks Engine.Ping's request: with a journal it makes no online
	// interest update (that would append to the journal at every health
	// check).
	probe bool
}

// Recommendation is one recommended participant of the other side.
type Recommendation struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"` // fusion's ranking score; always finite (a non-finite one is clamped to ±math.MaxFloat64, the order kept)
	// Forward is the requester's one-way match for the candidate: the
	// probability that the requester acts positively on it when shown.
	// Backward is the candidate's: the probability that it answers the
	// requester positively when contacted. Both are calibrated on the
	// pairs the models learn from (see match.SampleConfig.RawWeights): on
	// speed dating's validation waves (real; mean over split seeds 1–8)
	// their log-loss is 0.554 / 0.573 forward and 0.580 / 0.554 backward
	// (women / men requesting), against 0.584 / 0.590 and 0.611 / 0.583
	// with the raw action weights and the base rate's 0.663 / 0.692 and
	// 0.692 / 0.663; with balanced weights the mean forecast lies 0.014
	// above the observed share of yes in both directions (mean over sides
	// and seeds), against 0.06 (forward) and 0.09 (backward) with raw
	// weights, measured before a training row stopped counting as an
	// answer to a simultaneous contact (benchmarks/dating,
	// SplitResult.Calibration; the report tabulates the test waves'
	// reliability).
	//
	// Answer is the share of one more contact the candidate can answer
	// now, given its capacity and the contacts already steered to it (1
	// without exposure control). TwoWay aggregates Forward and Backward ×
	// Answer (Config.Aggregator; by default "contact-cost": their
	// product, the probability of a match, discounted by the contacts it
	// takes). Before any interaction to learn from, Forward and Backward
	// are NaN (JSON null) and TwoWay is the content similarity of the two
	// profiles times Answer; before the first Fit all three are NaN.
	TwoWay   float64 `json:"two_way"`
	Forward  float64 `json:"forward"`
	Backward float64 `json:"backward"`
	Answer   float64 `json:"answer"`
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
	Urgency   float64          `json:"urgency"` // the requester's (NaN: unknown), also when nothing is left
	Fitted    bool             `json:"fitted"`  // false before the first Fit: cold-start answers
	Results   []Recommendation `json:"results"`
	// Filtered says how many participants of the other side each filter
	// removed, so that an empty or short list explains itself.
	Filtered Filtered `json:"filtered"`
	// Next, set when the page is full, is the cursor of the next page
	// (Request.Cursor). Empty: no more pages (the page was short, or the
	// pages reached MaxN results in all).
	Next string `json:"next,omitempty"`
}

// Filters are a request's structured filters on the candidates' profiles.
type Filters = recall.Facets

// FacetCounts counts what each of a request's Filters removed.
type FacetCounts = recall.FacetCounts

// Filtered counts what each filter of a request removed. The hard filters
// count active participants of the other side (a participant removed by
// several counts in each); the later stages count recalled candidates.
type Filtered struct {
	Eligible int `json:"eligible"` // active participants of the other side
	Seen     int `json:"seen"`     // already contacted by the requester
	Blocked  int `json:"blocked"`  // rejected by or rejecting the requester
	City     int `json:"city"`     // outside Request.Cities
	Request  int `json:"request"`  // in Request.Exclude, or returned by an earlier page (Request.Cursor)
	// Facets counts the removals of each of Request.Filters.
	Facets    FacetCounts `json:"facets"`
	Excluded  int         `json:"excluded"`  // over the exposure hard cap (Exposure.HardCap)
	Allowed   int         `json:"allowed"`   // left after the hard filters
	Recalled  int         `json:"recalled"`  // found by recall among the allowed
	Threshold int         `json:"threshold"` // below fusion's thresholds or saturation cap
	Company   int         `json:"company"`   // over fusion's per-company cap
}

// MaxN is the most recommendations one Request may ask for, and the most
// the pages of one list return in all.
const MaxN = 1000

// MaxExclude is the longest Request.Exclude.
const MaxExclude = 10_000

// activityHalfLife sets Recommendation.Activity.
const activityHalfLife = 3.0 // days

// Recommend answers "whom should this person see next?" for the requester
// of req, on either side: recall from the content index, collaborative and
// strategy recallers under the hard filters (other side, active, not seen,
// not blocked, not over-exposed, the request's cities, filters and
// exclusions), two-way scores with each side's urgency, exposure
// penalties, and fusion's select → filter → rank. Every filter is applied
// before truncation. Unless req.DryRun, the results are counted in the
// exposure ledger.
//
// Errors: ErrUnknownRequester, ErrInactive, ErrWrongSide, ErrEmptyMarket
// (the other side has no active profile), ErrBadRequest (N out of range, an
// unknown aggregator, invalid filters or exclusions, a cursor that is not
// the requester's). Zero results with a nil error means every candidate was
// filtered out (all seen, say); Response.Filtered says by what.
func (e *Engine) Recommend(ctx context.Context, req Request) (*Response, error) {
	return e.recommend(ctx, &req, e.newShared())
}

// shared is what the requests of one batch compute once: the state they
// all read and the active participants of each side.
type shared struct {
	st       *state
	once     [3]sync.Once
	eligible [3]bitmap.Bitmap // by the requesters' side: the other side's active
}

func (e *Engine) newShared() *shared { return &shared{st: e.state.Load()} }

// eligibleOf returns the active participants of the side a requester of
// side s sees (to be read, not changed).
func (sh *shared) eligibleOf(e *Engine, s market.Side) bitmap.Bitmap {
	sh.once[s].Do(func() { sh.eligible[s] = e.pop.Active(nil, s.Other()) })
	return sh.eligible[s]
}

// checked is a validated request.
type checked struct {
	ix    uint32
	prof  market.Profile
	agg   match.NamedAggregator
	n     int
	shown []uint32 // returned by the earlier pages (the cursor)
	drop  []uint32 // shown and the known IDs of Exclude
}

// check validates req and resolves its IDs.
func (e *Engine) check(req *Request) (*checked, error) {
	ix, prof, known, removed := e.lookup(req.ID)
	switch {
	case !known:
		return nil, unknownID(req.ID)
	case removed || prof.Inactive:
		return nil, fmt.Errorf("%w: %q", ErrInactive, req.ID)
	case req.Side != 0 && req.Side != prof.Side:
		return nil, fmt.Errorf("%w: %q is a %s, the request says %s", ErrWrongSide, req.ID, prof.Side, req.Side)
	}
	c := &checked{ix: ix, prof: prof, agg: e.agg}
	if req.Aggregator != "" {
		agg, err := aggregator(e.cfg, req.Aggregator)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		c.agg = agg
	}
	c.n = req.N
	switch {
	case c.n == 0:
		c.n = 10
	case c.n < 0 || c.n > MaxN:
		return nil, fmt.Errorf("%w: N = %d, want 0 (10) to %d", ErrBadRequest, c.n, MaxN)
	}
	if err := req.Filters.Validate(); err != nil {
		var fe *market.FieldError
		if errors.As(err, &fe) && fe.ID == "" {
			fe.ID = req.ID // the request it belongs to
		}
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	switch req.Language {
	case "", text.Chinese, text.English:
	default:
		return nil, fmt.Errorf("%w: %w (want %q, %q, or empty for Config.Language)", ErrBadRequest, &market.FieldError{Record: "request", ID: req.ID, Field: "Language",
			Value: strconv.QuoteToASCII(string(req.Language)), Err: market.ErrOutOfRange}, text.Chinese, text.English)
	}
	for i, city := range req.Cities {
		if !utf8.ValidString(city) {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest,
				&market.FieldError{Record: "request", ID: req.ID, Field: fmt.Sprintf("Cities[%d]", i), Value: strconv.QuoteToASCII(city), Err: market.ErrInvalidUTF8})
		}
	}
	if len(req.Exclude) > MaxExclude {
		return nil, fmt.Errorf("%w: Exclude has %d IDs, at most %d", ErrBadRequest, len(req.Exclude), MaxExclude)
	}
	for i, id := range req.Exclude {
		if err := market.CheckID(id); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest,
				&market.FieldError{Record: "request", ID: req.ID, Field: fmt.Sprintf("Exclude[%d]", i), Value: strconv.QuoteToASCII(id), Err: err})
		}
	}
	if req.Cursor != "" {
		cur, err := decodeCursor(req.Cursor)
		if err != nil {
			return nil, err
		}
		if cur.requester != ix {
			return nil, fmt.Errorf("%w: Cursor %q: %w (it is another requester's)", ErrBadRequest, market.Shorten(req.Cursor), errCursor)
		}
		c.shown = cur.shown
		c.n = min(c.n, maxCursorShown-len(c.shown))
	}
	c.drop = slices.Clone(c.shown)
	for _, id := range req.Exclude {
		if t, ok := e.dict.Lookup(id); ok {
			c.drop = append(c.drop, t)
		}
	}
	return c, nil
}

// recommend answers one request with what sh shares.
func (e *Engine) recommend(ctx context.Context, req *Request, sh *shared) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := e.check(req)
	if err != nil {
		return nil, err
	}
	ix, prof, agg, n := c.ix, c.prof, c.agg, c.n
	start := time.Now()
	now := e.cfg.Clock()
	st := sh.st
	// Ping's probe with a journal leaves the update to the requester's own
	// request.
	if !req.probe || e.cfg.Journal == nil {
		if err := e.refreshInterest(ctx, st, ix); err != nil {
			return nil, err
		}
	}
	resp := &Response{Requester: req.ID, Side: prof.Side, Fitted: st.fitted}
	var in urgency.Input
	reqUrg := e.urgencyOf(ctx, st, ix, now, &in)
	resp.Urgency = reqUrg
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	eligible := sh.eligibleOf(e, prof.Side)
	stats := RequestStats{Side: prof.Side, Fitted: st.fitted, DryRun: req.DryRun}
	allowed, err := e.allowed(ctx, st, ix, prof.Side, eligible, req, c.drop, now, &resp.Filtered, &stats.StoreErr)
	if err != nil {
		return nil, err
	}
	if allowed.Count() == 0 || n == 0 {
		stats.Filtered, stats.Total = resp.Filtered, time.Since(start)
		e.cfg.Observer.Request(stats)
		return resp, nil
	}

	// Recall.
	// The inverted index, the costliest recaller, runs beside the others.
	rreq := recall.Request{Requester: ix, Side: prof.Side, K: e.cfg.Recall.Content, Allowed: allowed}
	var (
		indexed, fresh, collab   []recall.Candidate
		indexErr, freshErr, cErr error
	)
	together(func() {
		indexed, indexErr = e.index.Recall(ctx, rreq, nil)
	}, func() {
		r := rreq
		r.K = max(1, e.cfg.Recall.Content/10)
		if fresh, freshErr = e.fresh.Recall(ctx, r, nil); freshErr != nil {
			return
		}
		r.K = e.cfg.Recall.Collaborative
		collab, cErr = st.collab.Recall(ctx, r, nil)
	})
	switch {
	case indexErr != nil:
		return nil, fmt.Errorf("twoway: recall: inverted index: %w", indexErr)
	case freshErr != nil:
		return nil, fmt.Errorf("twoway: recall: fresh: %w", freshErr)
	case cErr != nil:
		return nil, fmt.Errorf("twoway: recall: %w", cErr)
	}
	// Content candidates: the index's, then a few of the newest profiles
	// (so that newcomers without matching words are seen too).
	contentCands := make([]fusion.Candidate, 0, len(indexed)+len(fresh))
	contentCands = appendCandidates(contentCands, indexed, fusion.Content, "index")
	contentCands = appendCandidates(contentCands, fresh, fusion.Strategy, "fresh")
	collabCands := toMerged(collab)
	stats.Recall = time.Since(start)
	stats.Recalled = map[string]int{"index": len(indexed), "fresh": len(fresh), "collaborative": len(collab)}

	// Scores.
	requester := fusion.Requester{Urgency: nanTo0(reqUrg), Registered: prof.Registered}
	pool := st.policy.Select(requester, now, contentCands, collabCands)
	resp.Filtered.Recalled, stats.Pool = len(pool), len(pool)
	e.score(ctx, st, agg, ix, prof.Side, reqUrg, now, pool, &stats.StoreErr)
	stats.Score = time.Since(start) - stats.Recall
	ranked := st.policy.Rank(requester, now, pool, n, func(_ *fusion.Candidate, why string) {
		if why == "company cap" {
			resp.Filtered.Company++
		} else {
			resp.Filtered.Threshold++
		}
	})
	stats.Rank = time.Since(start) - stats.Recall - stats.Score

	served := make([]uint32, len(ranked))
	expected := make([]float64, len(ranked))
	resp.Results = make([]Recommendation, len(ranked))
	for i, r := range ranked {
		served[i], expected[i] = r.Index, nanTo0(r.Forward)
		id, _ := e.dict.ID(r.Index)
		rec := Recommendation{
			ID: id, Score: finiteScore(r.Score), TwoWay: r.TwoWay, Forward: r.Forward, Backward: r.Backward, Answer: r.Answer,
			Urgency: r.Urgency, Saturation: r.Saturation, Activity: r.Activity,
			Sources: r.Sources, Parts: r.Parts,
		}
		if !st.fitted {
			rec.TwoWay, rec.Forward, rec.Backward = math.NaN(), math.NaN(), math.NaN()
		}
		if req.Explain && st.catalog != nil {
			opt := match.ExplainOptions{Top: e.cfg.Reasons, Language: e.language(req.Language), Encoder: st.encoder, Answer: r.Answer}
			var x match.Explanation
			if st.interest != nil {
				x = st.interest.Explain(agg, ix, r.Index, reqUrg, r.Urgency, opt)
			} else {
				x = match.ExplainContent(st.catalog, ix, r.Index, opt)
				x.Answer, x.TwoWay = r.Answer, x.TwoWay*r.Answer
			}
			withIDs(&x, req.ID, id)
			rec.Explanation = &x
		}
		resp.Results[i] = rec
	}
	if !req.DryRun {
		if st.interest == nil {
			// No model yet: every impression counts as one expected contact
			// of the side's base rate.
			for i := range expected {
				expected[i] = 0.1
			}
		}
		if err := e.serve(ctx, ix, served, expected); err != nil {
			e.warnShared(err)
			stats.StoreErr = true
		}
	}
	if len(served) == n && len(c.shown)+len(served) < maxCursorShown {
		resp.Next = cursor{requester: ix, shown: append(c.shown, served...)}.encode()
	}
	stats.Filtered, stats.Results, stats.Total = resp.Filtered, len(resp.Results), time.Since(start)
	e.cfg.Observer.Request(stats)
	return resp, nil
}

// allowed builds the request's hard-filter bitmap from eligible (the
// active participants of the other side) and counts what each filter
// removed into f. drop holds the request's exclusions (Request.Exclude
// and the cursor's earlier pages). The seen and blocked pairs are this
// process's and those of the shared stores (Config.Seen, Config.Blocked);
// when a shared store fails, the request goes on with this process's, and
// *storeErr is set.
func (e *Engine) allowed(ctx context.Context, st *state, ix uint32, side market.Side, eligible bitmap.Bitmap, req *Request, drop []uint32, now time.Time, f *Filtered, storeErr *bool) (bitmap.Bitmap, error) {
	var seen, blocked, dropped bitmap.Bitmap
	e.mu.RLock()
	for _, t := range e.seen[ix] {
		seen.Set(t)
	}
	for _, t := range e.blocked[ix] {
		blocked.Set(t)
	}
	e.mu.RUnlock()
	if err := e.sharedSets(ctx, ix, &seen, &blocked); err != nil {
		e.warnShared(err)
		*storeErr = true
	}
	for _, t := range drop {
		dropped.Set(t)
	}
	f.Eligible = eligible.Count()
	if f.Eligible == 0 {
		return nil, fmt.Errorf("%w: no active %s", ErrEmptyMarket, side.Other())
	}
	excl := e.exclusions(st, now)
	f.Seen, f.Blocked, f.Excluded, f.Request = andCount(eligible, seen), andCount(eligible, blocked), andCount(eligible, excl), andCount(eligible, dropped)
	if len(dropped) > 0 {
		seen.Or(dropped) // (bitmap v1.5.3's Or panics on an empty argument)
	}
	allowed, err := e.pop.Mask(nil, recall.Filter{
		Requester: ix, Side: side, ActiveOnly: true, Cities: req.Cities,
		Seen: seen, Blocked: blocked, Exclude: excl,
	})
	if err != nil {
		return nil, err
	}
	if len(req.Cities) > 0 {
		inCity, err := e.pop.Mask(nil, recall.Filter{Requester: ix, Side: side, ActiveOnly: true, Cities: req.Cities})
		if err != nil {
			return nil, err
		}
		f.City = f.Eligible - inCity.Count()
	}
	// Nobody outside eligible (one who became active since a batch began):
	// the facets below look at eligible only.
	allowed.And(eligible)
	e.pop.Facet(eligible, &allowed, &req.Filters, &f.Facets)
	f.Allowed = allowed.Count()
	return allowed, nil
}

// andCount returns how many bits a and b share, without building their
// intersection.
func andCount(a, b bitmap.Bitmap) int {
	n := 0
	for i := range min(len(a), len(b)) {
		n += bits.OnesCount64(a[i] & b[i])
	}
	return n
}

// exclusions returns the recall-time exclusion bitmap of candidates over
// the exposure hard cap (Exposure.HardCap; empty without one), rebuilt at
// most every Config.ExclusionRefresh. The score stage judges every
// recalled candidate against the live ledger as well, so the bitmap's lag
// only costs recall slots.
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
	e.control.HardExclusions(st.capTable.Values(nil), st.capPrior[market.Recruiter], now, &x.bm)
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
// of the pool's candidates. Urgency, saturation, activity and capacity come
// from the state's serving tables; the requester's urgency (reqUrg) is
// live.
//
// The two-way match is aggregated from the requester's one-way match
// (Forward) and the candidate's answer to a contact (Backward) times the
// share of one more contact it can answer now (Answer, exposure.Congestion
// of its capacity and of the contacts already steered to it), so an
// over-asked candidate falls smoothly instead of being cut off. Before any
// interest model (no events yet), the two-way match is the content
// similarity of the pair (and Forward, Backward unknown). The ledger is the
// shared one when configured (Config.Ledger); when it fails, *storeErr is
// set and the loads count as 0.
func (e *Engine) score(ctx context.Context, st *state, agg match.NamedAggregator, ix uint32, side market.Side, reqUrg float64, now time.Time, pool []fusion.Candidate, storeErr *bool) {
	idx := make([]uint32, len(pool))
	for i := range pool {
		idx[i] = pool[i].Index
	}
	var forward, backward, similar []float64
	switch {
	case st.interest != nil:
		// The two directions on two goroutines, each with its own buffer.
		var fbuf, bbuf match.Buffer
		together(func() {
			forward = st.forwardMatch(nil, &fbuf, nil, ix, idx)
		}, func() {
			backward = st.backwardMatch(nil, &bbuf, nil, ix, idx)
		})
	case st.catalog != nil:
		similar = st.catalog.Similarity(ix, idx, nil)
	}
	vals := make([]float64, 6*len(pool))
	urg, sats, acts := vals[:len(pool)], vals[len(pool):2*len(pool)], vals[2*len(pool):3*len(pool)]
	caps, recent, answer := vals[3*len(pool):4*len(pool)], vals[4*len(pool):5*len(pool)], vals[5*len(pool):]
	st.urgTable.GetAll(idx, urg)
	st.satTable.GetAll(idx, sats)
	st.actTable.GetAll(idx, acts)
	st.capTable.GetAll(idx, caps)
	st.recentTable.GetAll(idx, recent)
	for i := range caps {
		if caps[i] == 0 {
			caps[i] = st.capPrior[side.Other()]
		}
	}
	var excluded bitmap.Bitmap
	if err := e.congestion(ctx, idx, caps, recent, now, answer, &excluded); err != nil {
		e.warnShared(err)
		*storeErr = true
	}
	var mass []float64
	if forward != nil && st.potentials != nil {
		mass = make([]float64, len(idx))
		st.allocated(ix, idx, forward, backward, mass)
	}
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
		c.Answer, c.Excluded = answer[i], excluded.Contains(c.Index)
		switch {
		case forward != nil && st.potentials != nil:
			c.Forward, c.Backward = forward[i], backward[i]
			c.TwoWay = mass[i]
		case forward != nil:
			c.Forward = forward[i]
			c.Backward = backward[i]
			c.TwoWay = agg.Aggregate(match.Pair{Forward: c.Forward, Backward: c.Backward * c.Answer, RequesterUrgency: reqUrg, CandidateUrgency: c.Urgency})
		case similar != nil:
			c.Forward, c.Backward = math.NaN(), math.NaN()
			c.TwoWay = similar[i] * c.Answer
		default:
			// Before the first Fit: the recall order stands in for the match.
			c.Forward, c.Backward = math.NaN(), math.NaN()
			c.TwoWay = c.Answer / (1 + float64(i))
		}
	}
}

// finiteScore clamps a ranking score to a finite number, keeping its
// order: a learned model's NaN (ranked last as −Inf by fusion) or an
// overflow would make the Recommendation impossible to encode as JSON.
func finiteScore(s float64) float64 {
	switch {
	case math.IsNaN(s) || math.IsInf(s, -1):
		return -math.MaxFloat64
	case math.IsInf(s, 1):
		return math.MaxFloat64
	}
	return s
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
//
// With Config.Journal the update is a journal entry, so that every process
// computes it from the same state: a requester whose correction is stale
// appends it, and the update is made when the entry is applied. When the
// journal fails the request is answered with the stale correction (the
// next request tries again) and the failure is logged.
func (e *Engine) refreshInterest(ctx context.Context, st *state, ix uint32) error {
	if st.interest == nil {
		return nil
	}
	if e.cfg.Journal == nil {
		return e.updateInterest(ctx, st, ix, false)
	}
	e.mu.RLock()
	stale := e.dirty[ix]
	e.mu.RUnlock()
	if !stale {
		return nil
	}
	if _, err := e.appendApply(ctx, journalRecord{Kind: kindInterest, IDs: []string{e.id(ix)}}); err != nil {
		if ctx.Err() != nil {
			return err
		}
		e.warnShared(err)
	}
	return nil
}

// updateInterest makes the online update of ix's interest model with the
// state's behaviour counts: when events arrived since its last update, or
// always (an update from the journal, made wherever it lands).
func (e *Engine) updateInterest(ctx context.Context, st *state, ix uint32, always bool) error {
	if st.interest == nil {
		return nil
	}
	e.mu.Lock()
	if !e.dirty[ix] && !always {
		e.mu.Unlock()
		return nil
	}
	delete(e.dirty, ix)
	log := e.actLog()
	own := e.acts[ix]
	acts := make([]match.Interaction, len(own))
	for i, p := range own {
		acts[i] = log[p].interaction()
	}
	// What the user's counterparts did to the user, so that the evidence
	// of each row knows which of the user's actions answered a contact.
	events := slices.Clone(acts)
	met := map[uint32]bool{}
	for _, a := range acts {
		if met[a.Target] {
			continue
		}
		met[a.Target] = true
		for _, p := range e.acts[a.Target] {
			if b := log[p]; b.target == ix {
				events = append(events, b.interaction())
			}
		}
	}
	if e.others == nil {
		e.others = candidatesBySide(e.profiles, e.removed)
	}
	others := e.others // replaced, never changed in place: safe after Unlock
	e.mu.Unlock()
	samples, err := samplesOf(e.cfg.Samples, acts, e.pop.Side, others)
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

// appendCandidates (to dst) and toMerged give every candidate a
// capacity-limited window of one shared Sources array (one allocation per
// list, and appends to a window copy rather than overwrite a neighbour).
func appendCandidates(dst []fusion.Candidate, cs []recall.Candidate, kind fusion.Kind, source string) []fusion.Candidate {
	src := make([]fusion.Source, len(cs))
	for i, c := range cs {
		src[i] = fusion.Source{Name: source, Score: c.Score}
		dst = append(dst, fusion.Candidate{Index: c.Index, Kind: kind, Sources: src[i : i+1 : i+1]})
	}
	return dst
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

// together runs a and b and returns when both have: a on a goroutine of its
// own when the process may run two at once (GOMAXPROCS > 1), else one after
// the other. The caller must hold no lock that a or b takes (a's goroutine
// would wait for it behind a waiting writer while the caller waits for a);
// a and b may take the same read locks, each on its own goroutine. A panic
// in a is raised again on the caller's goroutine, where the host's recover
// (an HTTP server's, say) sees it as it would without the second goroutine.
func together(a, b func()) {
	if runtime.GOMAXPROCS(0) < 2 {
		a()
		b()
		return
	}
	var (
		done  = make(chan struct{})
		fault any
	)
	go func() {
		defer close(done)
		defer func() { fault = recover() }()
		a()
	}()
	b()
	<-done
	if fault != nil {
		panic(fault)
	}
}
