package insight

// Rule is an association rule among the skills and tags of postings: a
// posting that asks for every item of If usually asks for Then as well.
type Rule struct {
	If   []string `json:"if"`
	Then string   `json:"then"`
	// Support is the share of postings asking for If and Then; Confidence
	// the share of postings asking for If that ask for Then; Lift is
	// Confidence over the share of postings asking for Then.
	Support    float64 `json:"support"`
	Confidence float64 `json:"confidence"`
	Lift       float64 `json:"lift"`
}

// rules mines association rules among the skills and tags of postings ids.
func (m *Market) rules(ids []int32) []Rule {
	_ = ids
	return nil // replaced by text's miner when it lands
}
