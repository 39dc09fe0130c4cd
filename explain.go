package twoway

import (
	"context"
	"fmt"

	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/urgency"
)

// ErrNotFitted: Explain needs the interest models of a Fit.
var ErrNotFitted = fmt.Errorf("twoway: not fitted yet (call Fit)")

// Explain explains the two-way match of a requester and a candidate (IDs on
// opposite sides), with each side's reasons in words and as data, under
// Config.Aggregator and both sides' current urgencies. A removed or
// inactive requester, or a removed candidate, is ErrInactive (as in
// Recommend); an inactive candidate (a filled job) can still be explained.
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
		return nil, unknownID(candidate)
	case removed:
		return nil, fmt.Errorf("%w: %q was removed", ErrInactive, candidate)
	}
	if pa.Side == pb.Side {
		return nil, fmt.Errorf("%w: %q and %q are both %ss", ErrWrongSide, requester, candidate, pa.Side)
	}
	st := e.state.Load()
	if st.interest == nil {
		return nil, ErrNotFitted
	}
	if err := e.refreshInterest(ctx, st, a); err != nil {
		return nil, err
	}
	now := e.cfg.Clock()
	var in urgency.Input
	ua := e.urgencyOf(ctx, st, a, now, &in)
	ub := e.urgencyOf(ctx, st, b, now, &in)
	x := st.interest.Explain(e.agg, a, b, ua, ub, match.ExplainOptions{Top: e.cfg.Reasons, Language: "en", Encoder: st.encoder})
	withIDs(&x, requester, candidate)
	return &x, nil
}

// withIDs names the two participants of x by their string IDs.
func withIDs(x *match.Explanation, requester, candidate string) {
	x.Forward.RequesterID, x.Forward.CandidateID = requester, candidate
	x.Backward.RequesterID, x.Backward.CandidateID = candidate, requester
}
