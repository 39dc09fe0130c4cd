package text

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// RuleConfig configures [MineRules]. The zero value mines rules with
// support >= 1%, confidence >= 0.3, lift >= 1 and antecedents of one or two
// items.
type RuleConfig struct {
	// MinSupport is the least fraction of transactions that must hold
	// every item of a rule (antecedent and consequent), in (0, 1]. Zero
	// means 0.01.
	MinSupport float64 `json:"min_support,omitempty"`
	// MinCount is the least number of transactions that must hold a rule,
	// on top of MinSupport. Zero means 2.
	MinCount int `json:"min_count,omitempty"`
	// MinConfidence is the least P(consequent | antecedent), in [0, 1].
	// Zero means 0.3.
	MinConfidence float64 `json:"min_confidence,omitempty"`
	// MinLift is the least confidence / P(consequent). Zero means 1: the
	// antecedent must not make the consequent less likely.
	MinLift float64 `json:"min_lift,omitempty"`
	// MaxAntecedent is the largest antecedent, in items. Zero means 2.
	MaxAntecedent int `json:"max_antecedent,omitempty"`
	// MaxItemsets bounds the frequent itemsets of two items or more that
	// mining keeps, and so its time and memory (Apriori grows
	// combinatorially: ten identical transactions of 40 tags hold 760,000
	// frequent itemsets of up to five items). Itemsets are grown one size
	// at a time; when a size would take the total above MaxItemsets, or
	// would count more than 4 × MaxItemsets candidates or enumerate more
	// than 64 × MaxItemsets combinations, that size and every larger one
	// are left out: the rules are those of
	// the smaller itemsets, as if MaxAntecedent were lower. The result
	// stays deterministic. Zero means 100,000; it must be >= 0.
	MaxItemsets int `json:"max_itemsets,omitempty"`
}

// defaultMaxItemsets is the MaxItemsets of a zero RuleConfig.
const defaultMaxItemsets = 100_000

// Rule is an association rule Antecedent ⇒ Consequent mined from item
// co-occurrence:
//
//	support    = n(A ∪ {c}) / N
//	confidence = n(A ∪ {c}) / n(A)
//	lift       = confidence / (n({c}) / N)
type Rule struct {
	Antecedent []string `json:"antecedent"` // sorted
	Consequent string   `json:"consequent"`
	Count      int      `json:"count"` // transactions holding every item
	Support    float64  `json:"support"`
	Confidence float64  `json:"confidence"`
	Lift       float64  `json:"lift"`
}

// String formats the rule as "数据分析 ⇒ sql (conf 0.41, lift 1.9, n 512)".
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString(strings.Join(r.Antecedent, " + "))
	b.WriteString(" ⇒ ")
	b.WriteString(r.Consequent)
	b.WriteString(" (conf ")
	b.WriteString(ftoa(r.Confidence, 2))
	b.WriteString(", lift ")
	b.WriteString(ftoa(r.Lift, 2))
	b.WriteString(", n ")
	b.WriteString(itoa(r.Count))
	b.WriteString(")")
	return b.String()
}

// Rules is a mined rule set. It is immutable and safe for concurrent use.
type Rules struct {
	rules  []Rule
	byAnte map[string][]int32 // antecedent key → rules, best first
	maxA   int
	n      int
}

// Expansion is an item added to a profile's tags by [Rules.Expand].
type Expansion struct {
	Item   string  `json:"item"`
	Weight float64 `json:"weight"` // the best confidence of a rule implying Item
	Rule   int     `json:"rule"`   // index in Rules.All() of that rule
}

// MineRules mines association rules with one consequent from transactions
// (each the tags or canonical skills of one profile; duplicates within a
// transaction are ignored) with the Apriori algorithm: frequent itemsets
// are grown one item at a time, and a candidate is counted only if every
// subset one item smaller is frequent.
func MineRules(transactions [][]string, cfg RuleConfig) (*Rules, error) {
	switch {
	case !(cfg.MinSupport >= 0 && cfg.MinSupport <= 1):
		return nil, &ConfigError{Field: "RuleConfig.MinSupport", Value: cfg.MinSupport, Reason: "must be in [0, 1]"}
	case cfg.MinCount < 0:
		return nil, &ConfigError{Field: "RuleConfig.MinCount", Value: cfg.MinCount, Reason: "must be >= 0"}
	case !(cfg.MinConfidence >= 0 && cfg.MinConfidence <= 1):
		return nil, &ConfigError{Field: "RuleConfig.MinConfidence", Value: cfg.MinConfidence, Reason: "must be in [0, 1]"}
	case !(cfg.MinLift >= 0) || math.IsInf(cfg.MinLift, 0):
		return nil, &ConfigError{Field: "RuleConfig.MinLift", Value: cfg.MinLift, Reason: "must be finite and >= 0"}
	case cfg.MaxAntecedent < 0 || cfg.MaxAntecedent > 4:
		return nil, &ConfigError{Field: "RuleConfig.MaxAntecedent", Value: cfg.MaxAntecedent, Reason: "must be in [0, 4]"}
	case cfg.MaxItemsets < 0:
		return nil, &ConfigError{Field: "RuleConfig.MaxItemsets", Value: cfg.MaxItemsets, Reason: "must be >= 0"}
	}
	if cfg.MaxItemsets == 0 {
		cfg.MaxItemsets = defaultMaxItemsets
	}
	if cfg.MinSupport == 0 {
		cfg.MinSupport = 0.01
	}
	if cfg.MinCount == 0 {
		cfg.MinCount = 2
	}
	if cfg.MinConfidence == 0 {
		cfg.MinConfidence = 0.3
	}
	if cfg.MinLift == 0 {
		cfg.MinLift = 1
	}
	if cfg.MaxAntecedent == 0 {
		cfg.MaxAntecedent = 2
	}
	n := len(transactions)
	minCount := max(cfg.MinCount, int(math.Ceil(cfg.MinSupport*float64(n)-1e-9)))

	// Level 1: item counts; items numbered in byte order of their names.
	count1 := map[string]int{}
	for _, t := range transactions {
		for i, it := range t {
			if it != "" && !slices.Contains(t[:i], it) {
				count1[it]++
			}
		}
	}
	var items []string
	for it, c := range count1 {
		if c >= minCount {
			items = append(items, it)
		}
	}
	slices.Sort(items)
	id := make(map[string]int32, len(items))
	for i, it := range items {
		id[it] = int32(i)
	}
	// Transactions as sorted ids of frequent items.
	txs := make([][]int32, 0, n)
	for _, t := range transactions {
		var x []int32
		for _, it := range t {
			if k, ok := id[it]; ok {
				x = append(x, k)
			}
		}
		slices.Sort(x)
		x = slices.Compact(x)
		if len(x) > 1 {
			txs = append(txs, x)
		}
	}
	// counts of frequent itemsets of every size, keyed by packed ids.
	freq := map[string]int{}
	for it, c := range count1 {
		if k, ok := id[it]; ok {
			freq[setKey([]int32{k})] = c
		}
	}
	prev := freq
	kept := 0 // frequent itemsets of two items or more
	for size := 2; size <= cfg.MaxAntecedent+1 && len(prev) > 0; size++ {
		cand := map[string]int{}
		comb := make([]int32, size)
		work, budget := 0, 64*cfg.MaxItemsets
		sub := make([]int32, 0, size-1)
		complete := true
		for _, t := range txs {
			if len(t) < size {
				continue
			}
			complete = forCombinations(t, comb, 0, 0, func(c []int32) bool {
				if work++; work > budget {
					return false
				}
				// Apriori pruning: every subset one smaller must be frequent.
				for skip := range c {
					sub = append(sub[:0], c[:skip]...)
					sub = append(sub, c[skip+1:]...)
					if _, ok := prev[setKey(sub)]; !ok {
						return true
					}
				}
				k := setKey(c)
				cand[k]++
				// Bounded memory: a level with too many candidates is left out.
				return len(cand) <= 4*cfg.MaxItemsets
			})
			if !complete {
				break
			}
		}
		if !complete {
			break
		}
		next := map[string]int{}
		for k, c := range cand {
			if c >= minCount {
				next[k] = c
			}
		}
		if kept+len(next) > cfg.MaxItemsets {
			break // truncated: this size and larger are left out
		}
		for k, c := range next {
			freq[k] = c
		}
		kept += len(next)
		prev = next
	}
	// Rules with one consequent.
	var rules []Rule
	for k, c := range freq {
		set := unpackKey(k)
		if len(set) < 2 {
			continue
		}
		for ci, cons := range set {
			ante := slices.Concat(set[:ci], set[ci+1:])
			na := freq[setKey(ante)]
			conf := float64(c) / float64(na)
			lift := conf / (float64(freq[setKey([]int32{cons})]) / float64(n))
			if conf < cfg.MinConfidence || lift < cfg.MinLift {
				continue
			}
			names := make([]string, len(ante))
			for i, a := range ante {
				names[i] = items[a]
			}
			rules = append(rules, Rule{Antecedent: names, Consequent: items[cons], Count: c,
				Support: float64(c) / float64(n), Confidence: conf, Lift: lift})
		}
	}
	slices.SortFunc(rules, compareRules)
	r := &Rules{rules: rules, byAnte: map[string][]int32{}, maxA: cfg.MaxAntecedent, n: n}
	for i, ru := range rules {
		k := strings.Join(ru.Antecedent, "\x00")
		r.byAnte[k] = append(r.byAnte[k], int32(i))
	}
	return r, nil
}

// compareRules orders rules by confidence, then lift, then count, all
// descending, then by antecedent and consequent.
func compareRules(a, b Rule) int {
	return cmp.Or(cmp.Compare(b.Confidence, a.Confidence), cmp.Compare(b.Lift, a.Lift), cmp.Compare(b.Count, a.Count),
		slices.Compare(a.Antecedent, b.Antecedent), cmp.Compare(a.Consequent, b.Consequent))
}

// forCombinations calls f with every size-len(comb) combination of t's
// elements (in order), reusing comb.
func forCombinations(t, comb []int32, start, depth int, f func([]int32) bool) bool {
	if depth == len(comb) {
		return f(comb)
	}
	for i := start; i <= len(t)-(len(comb)-depth); i++ {
		comb[depth] = t[i]
		if !forCombinations(t, comb, i+1, depth+1, f) {
			return false
		}
	}
	return true
}

func setKey(s []int32) string {
	b := make([]byte, 0, 4*len(s))
	for _, x := range s {
		b = append(b, byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
	}
	return string(b)
}

func unpackKey(k string) []int32 {
	s := make([]int32, len(k)/4)
	for i := range s {
		s[i] = int32(k[4*i])<<24 | int32(k[4*i+1])<<16 | int32(k[4*i+2])<<8 | int32(k[4*i+3])
	}
	return s
}

// All returns the rules, best first (confidence, lift, count descending).
// The slice is shared: do not modify it.
func (r *Rules) All() []Rule { return r.rules }

// Len returns the number of rules.
func (r *Rules) Len() int { return len(r.rules) }

// Transactions returns the number of transactions mined.
func (r *Rules) Transactions() int { return r.n }

// From returns the rules whose antecedent is exactly the given items
// (in any order), best first: "what comes with 数据分析".
func (r *Rules) From(items ...string) []Rule {
	k := slices.Clone(items)
	slices.Sort(k)
	var out []Rule
	for _, i := range r.byAnte[strings.Join(k, "\x00")] {
		out = append(out, r.rules[i])
	}
	return out
}

// Expand returns the items implied by rules whose antecedent lies within
// items and whose consequent is not among them, each weighted by the best
// confidence implying it, sorted by weight descending then item.
func (r *Rules) Expand(items []string) []Expansion {
	set := slices.Clone(items)
	slices.Sort(set)
	set = slices.Compact(set)
	if len(set) > 24 { // keep the subset walk bounded
		set = set[:24]
	}
	best := map[string]Expansion{}
	sub := make([]string, 0, r.maxA)
	var walk func(start int)
	walk = func(start int) {
		if len(sub) > 0 {
			for _, i := range r.byAnte[strings.Join(sub, "\x00")] {
				ru := r.rules[i]
				if _, has := slices.BinarySearch(set, ru.Consequent); has {
					continue
				}
				if old, ok := best[ru.Consequent]; !ok || ru.Confidence > old.Weight {
					best[ru.Consequent] = Expansion{Item: ru.Consequent, Weight: ru.Confidence, Rule: int(i)}
				}
			}
		}
		if len(sub) == r.maxA {
			return
		}
		for i := start; i < len(set); i++ {
			sub = append(sub, set[i])
			walk(i + 1)
			sub = sub[:len(sub)-1]
		}
	}
	walk(0)
	out := make([]Expansion, 0, len(best))
	for _, x := range best {
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b Expansion) int { return cmp.Or(cmp.Compare(b.Weight, a.Weight), cmp.Compare(a.Item, b.Item)) })
	return out
}
