package insight

// Headcount is a number of people, shown only when it reaches Config.K
// (k-anonymity). A suppressed Headcount has N 0 and Suppressed true: the
// group may hold anywhere from 0 to K−1 people, and nothing else computed
// from those people is shown either.
type Headcount struct {
	N          int  `json:"n,omitempty"`
	Suppressed bool `json:"suppressed,omitempty"`
}

// headcount returns n as a Headcount under the market's k.
func (m *Market) headcount(n int) Headcount {
	if n < m.cfg.K {
		return Headcount{Suppressed: true}
	}
	return Headcount{N: n}
}

// shown reports whether a figure over n people may be shown.
func (m *Market) shown(n int) bool { return n >= m.cfg.K }
