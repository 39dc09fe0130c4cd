package match

import (
	"encoding/json"
	"math"
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
		fs.fill(&d, &opt)
		return d
	}
	p := Pair{Forward: math.NaN(), Backward: math.NaN(), RequesterUrgency: math.NaN(), CandidateUrgency: math.NaN()}
	return Explanation{Forward: dir(a, b), Backward: dir(b, a), Pair: p, Aggregator: "content", TwoWay: sim, Answer: 1, Language: opt.language()}
}
