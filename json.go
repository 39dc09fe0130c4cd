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
	type plain Recommendation
	return json.Marshal(struct {
		plain
		TwoWay     *float64 `json:"two_way"`
		Forward    *float64 `json:"forward"`
		Backward   *float64 `json:"backward"`
		Urgency    *float64 `json:"urgency"`
		Saturation *float64 `json:"saturation"`
	}{plain(r), nullable(r.TwoWay), nullable(r.Forward), nullable(r.Backward), nullable(r.Urgency), nullable(r.Saturation)})
}

// MarshalJSON encodes resp with an unknown (NaN) urgency as null.
func (resp Response) MarshalJSON() ([]byte, error) {
	type plain Response
	return json.Marshal(struct {
		plain
		Urgency *float64 `json:"urgency"`
	}{plain(resp), nullable(resp.Urgency)})
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
	type plain Recommendation
	var v struct {
		plain
		TwoWay     *float64 `json:"two_way"`
		Forward    *float64 `json:"forward"`
		Backward   *float64 `json:"backward"`
		Urgency    *float64 `json:"urgency"`
		Saturation *float64 `json:"saturation"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Recommendation(v.plain)
	r.TwoWay, r.Forward, r.Backward = orNaN(v.TwoWay), orNaN(v.Forward), orNaN(v.Backward)
	r.Urgency, r.Saturation = orNaN(v.Urgency), orNaN(v.Saturation)
	return nil
}

// UnmarshalJSON decodes what MarshalJSON encodes: a null (or absent)
// urgency is NaN (unknown), not 0.
func (resp *Response) UnmarshalJSON(b []byte) error {
	type plain Response
	var v struct {
		plain
		Urgency *float64 `json:"urgency"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*resp = Response(v.plain)
	resp.Urgency = orNaN(v.Urgency)
	return nil
}
