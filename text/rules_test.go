package text

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMineRulesByHand(t *testing.T) {
	tx := [][]string{
		{"数据分析", "sql", "excel"},
		{"数据分析", "sql"},
		{"数据分析", "sql", "python"},
		{"数据分析", "excel"},
		{"java", "spring"},
		{"java", "spring", "sql"},
		{"java"},
		{"python", "数据分析", "sql", "sql"},
	}
	r, err := MineRules(tx, RuleConfig{MinSupport: 0.2, MinConfidence: 0.5, MinLift: 0.0001})
	require.NoError(t, err)
	got := r.From("数据分析")
	require.NotEmpty(t, got)
	// 数据分析 in 5 transactions, with sql in 4: confidence 0.8, lift 0.8/(5/8).
	assert.Equal(t, "sql", got[0].Consequent)
	assert.Equal(t, 4, got[0].Count)
	assert.InDelta(t, 0.8, got[0].Confidence, 1e-12)
	assert.InDelta(t, 0.5, got[0].Support, 1e-12)
	assert.InDelta(t, 0.8/(5.0/8.0), got[0].Lift, 1e-12)
	// Brute force: every rule's numbers agree with direct counting.
	count := func(items ...string) int {
		n := 0
		for _, t := range tx {
			all := true
			for _, it := range items {
				has := false
				for _, x := range t {
					has = has || x == it
				}
				all = all && has
			}
			if all {
				n++
			}
		}
		return n
	}
	for _, ru := range r.All() {
		both := count(append([]string{ru.Consequent}, ru.Antecedent...)...)
		assert.Equal(t, both, ru.Count, ru.String())
		assert.InDelta(t, float64(both)/float64(count(ru.Antecedent...)), ru.Confidence, 1e-12)
		assert.GreaterOrEqual(t, ru.Confidence, 0.5)
		assert.GreaterOrEqual(t, ru.Support, 0.2)
	}
	// Two-item antecedents are mined too: python + 数据分析 ⇒ sql holds always.
	two := r.From("python", "数据分析")
	require.NotEmpty(t, two)
	assert.Equal(t, "sql", two[0].Consequent)
	assert.InDelta(t, 1, two[0].Confidence, 1e-12)

	exp := r.Expand([]string{"数据分析", "python"})
	require.NotEmpty(t, exp)
	assert.Equal(t, "sql", exp[0].Item)
	assert.InDelta(t, 1, exp[0].Weight, 1e-12)
	for _, x := range exp {
		assert.NotContains(t, []string{"数据分析", "python"}, x.Item)
	}
	assert.Equal(t, "java", r.All()[0].Consequent) // spring ⇒ java, confidence 1, lift 8/3
}

func TestMineRulesConfig(t *testing.T) {
	for _, cfg := range []RuleConfig{{MinSupport: 2}, {MinCount: -1}, {MinConfidence: -0.1}, {MinLift: -1}, {MaxAntecedent: 5}} {
		_, err := MineRules(nil, cfg)
		var ce *ConfigError
		assert.ErrorAs(t, err, &ce, "%+v", cfg)
	}
	r, err := MineRules(nil, RuleConfig{})
	require.NoError(t, err)
	assert.Zero(t, r.Len())
	assert.Empty(t, r.Expand([]string{"x"}))
}

func TestMineRulesMaxItemsets(t *testing.T) {
	items := make([]string, 40)
	for i := range items {
		items[i] = fmt.Sprint("t", i)
	}
	tx := make([][]string, 10)
	for i := range tx {
		tx[i] = items
	}
	start := time.Now()
	r, err := MineRules(tx, RuleConfig{MaxAntecedent: 4})
	if err != nil {
		t.Fatal(err)
	}
	// Sizes 2 and 3 (780 + 9,880 itemsets) fit the default 100,000; size 4
	// (91,390 more) does not, so antecedents stop at two items.
	if got, want := r.Len(), 780*2+9880*3; got != want {
		t.Errorf("rules = %d, want %d", got, want)
	}
	for _, ru := range r.All() {
		if len(ru.Antecedent) > 2 {
			t.Fatalf("rule %v beyond the truncation", ru)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("mining took %v", d)
	}
	small, err := MineRules(tx, RuleConfig{MaxAntecedent: 4, MaxItemsets: 780})
	if err != nil {
		t.Fatal(err)
	}
	if small.Len() != 780*2 {
		t.Errorf("MaxItemsets 780: %d rules, want %d", small.Len(), 780*2)
	}
	if _, err := MineRules(tx, RuleConfig{MaxItemsets: -1}); err == nil || !strings.Contains(err.Error(), "MaxItemsets") {
		t.Errorf("MaxItemsets -1: %v", err)
	}
}
