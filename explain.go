package twoway

import (
	"context"
	"fmt"
	"time"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/text"
	"github.com/twowayrec/twoway/urgency"
)

// ErrNotFitted: Explain needs a Fit (its text encoder at least; without
// events to learn from, explanations are of the content alone).
var ErrNotFitted = fmt.Errorf("twoway: not fitted yet (call Fit)")

// Explain explains the two-way match of a requester and a candidate (IDs on
// opposite sides), with each side's reasons in words and as data, under
// Config.Aggregator and both sides' current urgencies. A removed or
// inactive requester, or a removed candidate, is ErrInactive (as in
// Recommend); an inactive candidate (a filled job) can still be explained.
// An unknown ID is ErrUnknownRequester (the message says which of the
// two it is), a pair on one side ErrWrongSide, and a participant with
// itself ErrBadRequest (market.ErrSelf).
func (e *Engine) Explain(ctx context.Context, requester, candidate string) (*match.Explanation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a, pa, ok, removed := e.lookup(requester)
	switch {
	case !ok:
		return nil, unknownID(requester)
	case removed || pa.Inactive:
		return nil, fmt.Errorf("%w: %q", ErrInactive, requester)
	}
	b, pb, ok, removed := e.lookup(candidate)
	switch {
	case !ok:
		return nil, &roleError{role: "candidate", id: candidate}
	case removed:
		return nil, &roleError{role: "candidate", id: candidate, removed: true}
	case a == b:
		return nil, fmt.Errorf("%w: Explain of %q with itself: %w", ErrBadRequest, requester, market.ErrSelf)
	}
	if pa.Side == pb.Side {
		return nil, fmt.Errorf("%w: %q and %q are both %ss", ErrWrongSide, requester, candidate, pa.Side)
	}
	st := e.state.Load()
	if st.catalog == nil {
		return nil, ErrNotFitted
	}
	opt := match.ExplainOptions{Top: e.cfg.Reasons, Language: e.language(""), Encoder: st.encoder}
	if st.interest == nil {
		// Fitted, but nothing to learn preferences from yet: the content.
		x := match.ExplainContent(st.catalog, a, b, opt)
		withIDs(&x, requester, candidate)
		return &x, nil
	}
	if err := e.refreshInterest(ctx, st, a); err != nil {
		return nil, err
	}
	now := e.cfg.Clock()
	var in urgency.Input
	ua := e.urgencyOf(ctx, st, a, now, &in)
	ub := e.urgencyOf(ctx, st, b, now, &in)
	opt.Answer = e.answerOf(ctx, st, b, pb.Side, now)
	x := st.interest.Explain(e.agg, a, b, ua, ub, opt)
	withIDs(&x, requester, candidate)
	return &x, nil
}

// withIDs names the two participants of x by their string IDs.
func withIDs(x *match.Explanation, requester, candidate string) {
	x.Forward.RequesterID, x.Forward.CandidateID = requester, candidate
	x.Backward.RequesterID, x.Backward.CandidateID = candidate, requester
}

// language returns the language of explanations: lang when set, else
// Config.Language, else Chinese.
func (e *Engine) language(lang text.Language) text.Language {
	switch {
	case lang != "":
		return lang
	case e.cfg.Language != "":
		return e.cfg.Language
	}
	return text.Chinese
}

// answerOf returns the share of one more contact candidate b (on side s)
// can answer at now (exposure.Controller.Congestion).
func (e *Engine) answerOf(ctx context.Context, st *state, b uint32, s market.Side, now time.Time) float64 {
	c := st.capTable.Get(b)
	if c == 0 {
		c = st.capPrior[s]
	}
	g := []float64{1}
	if err := e.congestion(ctx, []uint32{b}, []float64{c}, []float64{st.recentTable.Get(b)}, now, g, nil); err != nil {
		e.warnShared(err)
	}
	return g[0]
}
