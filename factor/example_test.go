package factor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/sparse"
)

// A market of 6 seekers and 4 jobs in two families: seekers 0–2 and jobs
// 0–1 are backend, seekers 3–5 and jobs 2–3 are data. Each side attended
// to some of the other within its family. One model per direction gives a
// pair's forward and backward estimates, and vector recall finds seeker
// 0's next job among those it has not seen.
func Example() {
	seekers, _ := factor.FromCells(6, 4, []factor.Cell{
		{Row: 0, Col: 0, Value: 3}, {Row: 1, Col: 0, Value: 1}, {Row: 1, Col: 1, Value: 2}, {Row: 2, Col: 1, Value: 1},
		{Row: 3, Col: 2, Value: 2}, {Row: 4, Col: 2, Value: 1}, {Row: 4, Col: 3, Value: 3}, {Row: 5, Col: 3, Value: 1},
	})
	jobs, _ := factor.FromCells(4, 6, []factor.Cell{
		{Row: 0, Col: 0, Value: 2}, {Row: 0, Col: 1, Value: 1}, {Row: 1, Col: 2, Value: 2},
		{Row: 2, Col: 3, Value: 1}, {Row: 3, Col: 4, Value: 2}, {Row: 3, Col: 5, Value: 1},
	})
	tr, err := factor.New(factor.Config{Factors: 2, Regularization: 0.1, Holdout: -1, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	model, err := tr.FitTwoSided(context.Background(), factor.TwoSided{SeekerInterest: seekers, JobInterest: jobs})
	if err != nil {
		fmt.Println(err)
		return
	}
	fwd, bwd := model.Match(market.Seeker, 0, 1)
	other, _ := model.Match(market.Seeker, 0, 2)
	fmt.Println("seeker 0 → backend job 1 beats data job 2:", fwd.Score > other.Score)
	fmt.Println("job 1 → seeker 0 is positive:", bwd.Score > 0)

	// Vector recall over global indices: seekers 0–5, jobs 6–9.
	m := model.Model(market.Seeker)
	queries, candidates := make([][]float32, 10), make([][]float32, 10)
	for s := range 6 {
		queries[s] = m.Row(s)
	}
	for j := range 4 {
		candidates[6+j] = m.Col(j)
	}
	vectors, _ := recall.NewVectors(recall.VectorsConfig{Side: market.Seeker, Queries: queries, Candidates: candidates})
	var unseen bitmap.Bitmap
	for j := uint32(7); j < 10; j++ { // every job but job 0 (index 6), which seeker 0 has seen
		unseen.Set(j)
	}
	got, _ := vectors.Recall(context.Background(), recall.Request{Requester: 0, Side: market.Seeker, K: 2, Allowed: unseen}, nil)
	for _, c := range got {
		fmt.Println("recalled job", c.Index-6)
	}
	// Output:
	// seeker 0 → backend job 1 beats data job 2: true
	// job 1 → seeker 0 is positive: true
	// recalled job 1
	// recalled job 2
}

// A hybrid model learns a factor per content feature, so a job posted
// after the fit gets a factor from its skills alone. Features here: 0 =
// "Go", 1 = "SQL".
func ExampleModel_ColFromFeatures() {
	seekers, _ := factor.FromCells(4, 4, []factor.Cell{
		{Row: 0, Col: 0, Value: 2}, {Row: 0, Col: 1, Value: 1}, {Row: 1, Col: 1, Value: 2},
		{Row: 2, Col: 2, Value: 2}, {Row: 2, Col: 3, Value: 1}, {Row: 3, Col: 3, Value: 2},
	})
	jobSkills, _ := factor.FromCells(4, 2, []factor.Cell{
		{Row: 0, Col: 0, Value: 1}, {Row: 1, Col: 0, Value: 1}, {Row: 2, Col: 1, Value: 1}, {Row: 3, Col: 1, Value: 1},
	})
	tr, _ := factor.New(factor.Config{Factors: 2, Regularization: 0.1, Holdout: -1, Seed: 1})
	m, err := tr.Fit(context.Background(), factor.Data{Interest: seekers, ColFeatures: &jobSkills})
	if err != nil {
		fmt.Println(err)
		return
	}
	newGoJob, _ := m.ColFromFeatures(sparse.Vector{Idx: []uint32{0}, Val: []float64{1}}, nil)
	goSeeker, sqlSeeker := m.Row(0), m.Row(3)
	fmt.Println("the Go seeker likes the new Go job more:", factor.Dot(goSeeker, newGoJob) > factor.Dot(sqlSeeker, newGoJob))
	// Output:
	// the Go seeker likes the new Go job more: true
}

// The hashing-trick embedder is the reference Embedder: profiles that
// share skills and title words get close vectors.
func ExampleHashEmbedder() {
	e, _ := factor.NewHashEmbedder(factor.HashConfig{Dim: 256})
	vecs, _ := e.Embed(context.Background(), []market.Profile{
		{ID: "job-go", Title: "Go后端开发工程师", Skills: []string{"Go", "MySQL", "Kubernetes"}},
		{ID: "anna", Title: "Backend Engineer", Skills: []string{"go", "k8s", "MySQL"}},
		{ID: "bo", Title: "数据分析师", Skills: []string{"SQL", "Tableau"}},
	})
	fmt.Printf("job-go · anna = %.2f\n", factor.Dot(vecs[0], vecs[1]))
	fmt.Printf("job-go · bo = %.2f\n", factor.Dot(vecs[0], vecs[2]))
	// Output:
	// job-go · anna = 0.28
	// job-go · bo = 0.00
}

// EmbedAll keeps going when the host's embedder fails: the profiles of a
// failed batch have no vector, and the failure is counted for a metric.
func ExampleEmbedAll() {
	ref, _ := factor.NewHashEmbedder(factor.HashConfig{Dim: 16})
	flaky := factor.EmbedderFunc(func(ctx context.Context, ps []market.Profile) ([][]float32, error) {
		if ps[0].ID == "c" {
			return nil, errors.New("embedding service unavailable")
		}
		return ref.Embed(ctx, ps)
	})
	profiles := []market.Profile{{ID: "a", Title: "Go"}, {ID: "b", Title: "Java"}, {ID: "c", Title: "SQL"}, {ID: "d", Title: "Rust"}}
	res, err := factor.EmbedAll(context.Background(), flaky, profiles, factor.EmbedConfig{Batch: 2, Timeout: time.Second})
	fmt.Println("error:", err)
	fmt.Println("embedded:", res.Embedded, "failed:", res.Failed)
	fmt.Println("has c:", res.Table.Has(2), "has a:", res.Table.Has(0))
	fmt.Println(res.Err)
	// Output:
	// error: <nil>
	// embedded: 2 failed: 2
	// has c: false has a: true
	// factor: embedding profiles 2 to 3: embedding service unavailable
}

// Models are saved and loaded through io.Writer and io.Reader.
func ExampleModel_WriteTo() {
	im, _ := factor.FromCells(3, 3, []factor.Cell{{Row: 0, Col: 0, Value: 1}, {Row: 1, Col: 1, Value: 2}, {Row: 2, Col: 2, Value: 1}})
	tr, _ := factor.New(factor.Config{Factors: 4, Holdout: -1})
	m, _ := tr.Fit(context.Background(), factor.Data{Interest: im})
	var buf bytes.Buffer
	n, _ := m.WriteTo(&buf)
	var loaded factor.Model
	_, err := loaded.ReadFrom(&buf)
	fmt.Println(n, err, loaded.Score(1, 1) == m.Score(1, 1))
	_, err = loaded.ReadFrom(bytes.NewReader([]byte("not a model")))
	fmt.Println(errors.Is(err, factor.ErrCorrupt))
	// Output:
	// 475 <nil> true
	// true
}
