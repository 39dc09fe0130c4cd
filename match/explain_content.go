package match

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
)

// MarshalJSON encodes d with an unknown (NaN) Match as null.
func (d Direction) MarshalJSON() ([]byte, error) {
	type plain Direction
	return json.Marshal(struct {
		plain
		Match *float64 `json:"match"`
	}{plain(d), nullable(d.Match)})
}

// UnmarshalJSON decodes what MarshalJSON encodes: a null Match is NaN.
func (d *Direction) UnmarshalJSON(b []byte) error {
	type plain Direction
	var v struct {
		plain
		Match *float64 `json:"match"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*d = Direction(v.plain)
	d.Match = orNaN(v.Match)
	return nil
}

// ExplainContent explains a pair before anything is known of either
// side's preferences (no interest model yet: a new market): the two-way
// match is their content cosine ([Catalog.Similarity]), and each
// direction's reasons are the shared content features that make up their
// dot product, each contributing its share a_j·b_j. Both directions' Match are NaN (unknown: nothing was
// learned) and Base is 0; the aggregator is named "content". Words come
// from opt.Encoder, as in [Interest.Explain].
func ExplainContent(cat *Catalog, a, b uint32, opt ExplainOptions) Explanation {
	sim := cat.Similarity(a, []uint32{b}, nil)[0]
	dir := func(req, cand uint32) Direction {
		d := Direction{Requester: req, Candidate: cand, Side: cat.Side(req), Match: math.NaN()}
		cr, _ := cat.Content(req)
		cc, _ := cat.Content(cand)
		fs := newFacts(cat, req, cand, d.Side, &opt)
		i, j := 0, 0
		x, y := cr.Vector, cc.Vector
		for i < len(x.Idx) && j < len(y.Idx) {
			switch p, q := x.Idx[i], y.Idx[j]; {
			case p < q:
				i++
			case p > q:
				j++
			default:
				fs.add(NumPairFeatures+q, y.Val[j], x.Val[i]*y.Val[j])
				i++
				j++
			}
		}
		lang, vocab := opt.language(), opt.vocabulary()
		for _, r := range fs.reasons() {
			if r.Kind != ReasonContent {
				r.Labels = labels(vocab, lang, r.Terms)
			}
			r.Text = say(lang, d.Side, &r)
			if r.Contribution > 0 {
				d.Reasons = append(d.Reasons, r)
			} else {
				d.Concerns = append(d.Concerns, r)
			}
		}
		byStrength := func(p, q Reason) int {
			return cmp.Or(cmp.Compare(math.Abs(q.Contribution), math.Abs(p.Contribution)), cmp.Compare(p.Kind, q.Kind), slices.Compare(p.Terms, q.Terms))
		}
		slices.SortFunc(d.Reasons, byStrength)
		slices.SortFunc(d.Concerns, byStrength)
		if opt.Top > 0 {
			d.Reasons = d.Reasons[:min(opt.Top, len(d.Reasons))]
			d.Concerns = d.Concerns[:min(opt.Top, len(d.Concerns))]
		}
		return d
	}
	p := Pair{Forward: math.NaN(), Backward: math.NaN(), RequesterUrgency: math.NaN(), CandidateUrgency: math.NaN()}
	return Explanation{Forward: dir(a, b), Backward: dir(b, a), Pair: p, Aggregator: "content", TwoWay: sim, Answer: 1, Language: opt.language()}
}
