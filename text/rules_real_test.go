package text

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/realdata"
)

// labelTransactions reads one transaction of canonical labels per posting
// from the label columns of the lagou and boss files.
func labelTransactions(tb testing.TB) [][]string {
	tb.Helper()
	v := DefaultVocabulary()
	var out [][]string
	for _, src := range []struct {
		file    string
		columns []string
	}{
		{"jobs-zh/lagou_2019_data_analyst.csv", []string{"positionLables", "skillLables"}},
		{"jobs-zh/lagou_2017_data_analyst.csv", []string{"positionLables"}},
		{"jobs-zh/boss_2024_java_nanjing.csv", []string{"need"}},
	} {
		f, err := os.Open(realdata.Require(tb, src.file))
		require.NoError(tb, err)
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		head, err := r.Read()
		require.NoError(tb, err)
		col := map[string]int{}
		for i, h := range head {
			col[strings.TrimPrefix(h, "\ufeff")] = i
		}
		for line := 2; ; line++ {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			require.NoError(tb, err, "%s record %d", src.file, line)
			var tx []string
			for _, c := range src.columns {
				i, ok := col[c]
				require.True(tb, ok, "%s: no column %s", src.file, c)
				if i >= len(rec) || rec[i] == c {
					continue
				}
				field := strings.NewReplacer("[", "", "]", "", "'", "").Replace(rec[i])
				for _, l := range SplitLabels(field) {
					if n := v.Normalize(l); plausibleLabel(n) {
						tx = append(tx, n)
					}
				}
			}
			out = append(out, tx)
		}
		f.Close()
	}
	return out
}

// plausibleLabel rejects the sentence fragments and list numbers that the
// boss file's need column sometimes holds instead of labels.
func plausibleLabel(s string) bool {
	n := utf8.RuneCountInString(s)
	return n > 0 && n <= 16 && strings.IndexFunc(s, unicode.IsLetter) >= 0 && !strings.ContainsAny(s, "。；：:;！？")
}

func TestRulesRealPostings(t *testing.T) {
	tx := labelTransactions(t)
	r, err := MineRules(tx, RuleConfig{MinSupport: 0.005, MinConfidence: 0.3, MinLift: 1.2})
	require.NoError(t, err)
	require.Positive(t, r.Len())
	t.Logf("%d postings (lagou 2019 + 2017 data analyst, boss 2024 java), %d rules (support >= 0.5%%, confidence >= 0.3, lift >= 1.2)", r.Transactions(), r.Len())
	for i, ru := range r.All()[:min(15, r.Len())] {
		t.Logf("top %2d: %s", i+1, ru)
	}
	byLift := slices.Clone(r.All())
	slices.SortStableFunc(byLift, func(a, b Rule) int { return cmp.Compare(b.Lift, a.Lift) })
	for i, ru := range byLift[:min(10, len(byLift))] {
		t.Logf("top %2d by lift: %s", i+1, ru)
	}
	// 数据分析 is on half the postings, so its consequents need looser
	// thresholds to show.
	loose, err := MineRules(tx, RuleConfig{MinSupport: 0.005, MinConfidence: 0.05, MinLift: 1})
	require.NoError(t, err)
	with := loose.From("数据分析")
	require.NotEmpty(t, with)
	for _, ru := range with[:min(10, len(with))] {
		t.Logf("with 数据分析 (confidence >= 0.05, lift >= 1): %s", ru)
	}
	for _, ru := range r.From("java")[:min(8, len(r.From("java")))] {
		t.Logf("with java: %s", ru)
	}
	for _, ru := range r.All() {
		assert.GreaterOrEqual(t, ru.Support, 0.005-1e-12)
		assert.GreaterOrEqual(t, ru.Confidence, 0.3)
		assert.GreaterOrEqual(t, ru.Lift, 1.2)
	}
	exp := r.Expand([]string{"spring boot", "mysql"})
	t.Logf("expand [spring boot, mysql]: %v", fmt.Sprint(exp[:min(6, len(exp))]))
	require.NotEmpty(t, exp)
}

func BenchmarkMineRules(b *testing.B) {
	tx := labelTransactions(b)
	b.ReportAllocs()
	var r *Rules
	for b.Loop() {
		var err error
		if r, err = MineRules(tx, RuleConfig{MinSupport: 0.005, MinConfidence: 0.3, MinLift: 1.2}); err != nil {
			b.Fatal(err)
		}
	}
	if r.Len() == 0 {
		b.Fatal("no rules")
	}
	b.ReportMetric(float64(r.Len()), "rules")
}
