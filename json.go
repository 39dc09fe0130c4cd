package twoway

import (
	"encoding/json"
	"math"
)

// nullable returns nil for NaN, so that unknown values encode as JSON null
// (encoding/json refuses NaN).
func nullable(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// MarshalJSON encodes r with unknown (NaN) matches, urgency and saturation
// as null.
func (r Recommendation) MarshalJSON() ([]byte, error) {
	return json.Marshal(recommendationJSON{plainRecommendation(r), nullable(r.TwoWay), nullable(r.Forward), nullable(r.Backward), nullable(r.Urgency), nullable(r.Saturation)})
}

// The wire forms of Recommendation and Response: their fields, with the
// ones that may be unknown as pointers (nil: null).
type (
	plainRecommendation Recommendation
	recommendationJSON  struct {
		plainRecommendation
		TwoWay     *float64 `json:"two_way"`
		Forward    *float64 `json:"forward"`
		Backward   *float64 `json:"backward"`
		Urgency    *float64 `json:"urgency"`
		Saturation *float64 `json:"saturation"`
	}
	plainResponse Response
	responseJSON  struct {
		plainResponse
		Urgency *float64 `json:"urgency"`
	}
)

// MarshalJSON encodes resp with an unknown (NaN) urgency as null.
func (resp Response) MarshalJSON() ([]byte, error) {
	return json.Marshal(responseJSON{plainResponse(resp), nullable(resp.Urgency)})
}

// orNaN returns *p, NaN for nil (JSON null: unknown).
func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// UnmarshalJSON decodes what MarshalJSON encodes: a null (or absent)
// match, urgency or saturation is NaN (unknown), not 0.
func (r *Recommendation) UnmarshalJSON(b []byte) error {
	var v recommendationJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Recommendation(v.plainRecommendation)
	r.TwoWay, r.Forward, r.Backward = orNaN(v.TwoWay), orNaN(v.Forward), orNaN(v.Backward)
	r.Urgency, r.Saturation = orNaN(v.Urgency), orNaN(v.Saturation)
	return nil
}

// UnmarshalJSON decodes what MarshalJSON encodes: a null (or absent)
// urgency is NaN (unknown), not 0.
func (resp *Response) UnmarshalJSON(b []byte) error {
	var v responseJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*resp = Response(v.plainResponse)
	resp.Urgency = orNaN(v.Urgency)
	return nil
}
