package insight

import (
	"testing"

	"github.com/twowayrec/twoway/market"
)

func BenchmarkNewRealPostings(b *testing.B) {
	ps := loadJobsZh(b)
	b.ReportAllocs()
	for b.Loop() {
		m, err := New(Config{}, ps, nil)
		if err != nil || m.Stats().Postings != len(ps) {
			b.Fatal(err, m.Stats())
		}
	}
	b.ReportMetric(float64(len(ps)), "postings")
}

func BenchmarkSuggestSalaryReal(b *testing.B) {
	m, err := New(Config{}, loadJobsZh(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	draft := &market.Profile{Title: "数据分析师", City: "北京", Experience: market.Range{Min: 3, Max: 5}, Education: market.EducationBachelor}
	b.ReportAllocs()
	for b.Loop() {
		s, err := m.SuggestSalary(draft)
		if err != nil || !(s.P25 <= s.P50 && s.P50 <= s.P75 && s.Comparable > 100) {
			b.Fatal(err, s)
		}
	}
}

func BenchmarkRequirementsReal(b *testing.B) {
	m, err := New(Config{}, loadJobsZh(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := m.Requirements(RequirementsQuery{Title: "Java开发工程师", City: "南京"})
		if err != nil || len(r.Skills) == 0 || r.Skills[0].Name != "Java" {
			b.Fatal(err, r.Skills)
		}
	}
}

func BenchmarkEvaluateSalaryReal(b *testing.B) {
	m, err := New(Config{}, loadJobsZh(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var ev SalaryEvaluation
	for b.Loop() {
		if ev, err = m.EvaluateSalary(); err != nil || ev.MedianAbsError >= ev.BaselineMedianAbsError {
			b.Fatal(err, ev)
		}
	}
	b.ReportMetric(ev.MedianAbsError, "MAE-yuan")
	b.ReportMetric(ev.BaselineMedianAbsError, "baseline-MAE-yuan")
}
