package insight

import (
	"slices"

	"github.com/twowayrec/twoway/text"
)

// rules mines association rules among the skills and tags of postings ids
// with [text.MineRules] (Apriori): rules held by at least Config.MinShare of
// the postings (and two of them), with confidence ≥ 0.3 and lift ≥ 1.2,
// antecedents of one or two items, best first (confidence, lift, count),
// at most Config.MaxItems, without redundant rules (see nonRedundant).
// Items are shown in their most frequent spelling.
func (m *Market) rules(ids []int32) ([]text.Rule, error) {
	tx := make([][]string, 0, len(ids))
	for _, i := range ids {
		p := &m.postings[i]
		tx = append(tx, append(slices.Clone(p.skills), p.tags...))
	}
	rs, err := text.MineRules(tx, text.RuleConfig{MinSupport: m.cfg.MinShare, MinLift: 1.2})
	if err != nil {
		return nil, err
	}
	all := nonRedundant(rs.All())
	out := make([]text.Rule, 0, min(len(all), m.cfg.MaxItems))
	for _, r := range all[:min(len(all), m.cfg.MaxItems)] {
		r.Antecedent = slices.Clone(r.Antecedent)
		for i, it := range r.Antecedent {
			r.Antecedent[i] = m.itemName(it)
		}
		r.Consequent = m.itemName(r.Consequent)
		out = append(out, r)
	}
	return out, nil
}

// nonRedundant drops every rule that a rule with the same consequent and a
// smaller antecedent (a proper subset) matches or beats in confidence:
// "Python + Tableau ⇒ Hive" says nothing "Tableau ⇒ Hive" does not when
// every posting asks for Python. Order is kept.
func nonRedundant(rules []text.Rule) []text.Rule {
	out := make([]text.Rule, 0, len(rules))
	for _, r := range rules {
		redundant := slices.ContainsFunc(rules, func(s text.Rule) bool {
			return s.Consequent == r.Consequent && len(s.Antecedent) < len(r.Antecedent) &&
				s.Confidence >= r.Confidence-1e-12 && subset(s.Antecedent, r.Antecedent)
		})
		if !redundant {
			out = append(out, r)
		}
	}
	return out
}

// subset reports whether every item of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// itemName returns the most frequent spelling of a skill or tag key.
func (m *Market) itemName(key string) string {
	if _, ok := m.skillNames[key]; ok {
		return m.skillNames.name(key)
	}
	return m.tagNames.name(key)
}
