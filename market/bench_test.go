package market_test

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"github.com/twowayrec/twoway/internal/realdata"
	"github.com/twowayrec/twoway/market"
)

func BenchmarkParseSalary(b *testing.B) {
	inputs := []string{"15k-30k", "15-25K", "20-40K·16薪", "4K-5K", "1.5-2万", "8000-10000元/月", "200元/天", "面议"}
	want := []float64{15000, 15000, 20000, 4000, 15000, 8000, 4350, 0}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % len(inputs)
		s, err := market.ParseSalary(inputs[k])
		if err != nil || s.Min != want[k] {
			b.Fatalf("%q: %+v %v", inputs[k], s, err)
		}
		i++
	}
}

// BenchmarkReadPostings reads the largest real file (lagou_2017, 6,876
// rows) from memory and checks that every row parsed.
func BenchmarkReadPostings(b *testing.B) {
	path := realdata.Require(b, "jobs-zh/lagou_2017_data_analyst.csv")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var rows int
	for b.Loop() {
		_, rep, err := market.ReadPostings(bytes.NewReader(data), market.PostingConfig{Format: market.Lagou2017})
		if err != nil || rep.Parsed != rep.Rows {
			b.Fatalf("%v, parsed %d of %d", err, rep.Parsed, rep.Rows)
		}
		rows = rep.Rows
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDictIndex(b *testing.B) {
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = "seeker-" + strconv.Itoa(i)
	}
	var d market.Dict
	for _, id := range ids {
		if _, err := d.Index(id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ix, err := d.Index(ids[i%len(ids)])
		if err != nil || int(ix) != i%len(ids) {
			b.Fatalf("%d: %d %v", i, ix, err)
		}
		i++
	}
}
