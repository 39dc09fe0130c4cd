package rank_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

// A seeker's interest model: which postings did she open? Features are
// hashed from named fields; the batch trainer fits them.
func ExampleFit() {
	h, _ := rank.NewHasher(1<<12, false)
	var b sparse.Builder
	var d rank.Dataset
	add := func(city, skill string, opened float64) {
		b.Reset()
		h.AddField(&b, "city", city, 1)
		h.AddField(&b, "skill", skill, 1)
		_ = d.Add(b.Vector(sparse.Vector{}), opened, 1)
	}
	for range 20 {
		add("杭州", "Go", 1)
		add("杭州", "Java", 0)
		add("上海", "Go", 1)
		add("上海", "PHP", 0)
		add("杭州", "Go", 0) // not every good match is opened
	}
	m, err := rank.Fit(context.Background(), rank.Config{L2: 0.01}, &d)
	if err != nil {
		fmt.Println(err)
		return
	}
	b.Reset()
	h.AddField(&b, "city", "上海", 1)
	h.AddField(&b, "skill", "Go", 1)
	goJob := b.Vector(sparse.Vector{})
	b.Reset()
	h.AddField(&b, "city", "上海", 1)
	h.AddField(&b, "skill", "PHP", 1)
	phpJob := b.Vector(sparse.Vector{})
	fmt.Printf("P(open Go job) = %.2f\n", m.Predict(goJob))
	fmt.Printf("P(open PHP job) = %.2f\n", m.Predict(phpJob))

	// Save and load: the model round-trips exactly.
	var buf bytes.Buffer
	_, _ = m.WriteTo(&buf)
	loaded, _ := rank.ReadModel(&buf)
	fmt.Println(loaded.Predict(goJob) == m.Predict(goJob))
	// Output:
	// P(open Go job) = 0.87
	// P(open PHP job) = 0.09
	// true
}

// The online trainer learns from each event as it arrives.
func ExampleFTRL() {
	f, _ := rank.NewFTRL(rank.FTRLConfig{Dim: 2, Alpha: 0.5})
	replied := sparse.Vector{Idx: []uint32{0}, Val: []float64{1}}
	ignored := sparse.Vector{Idx: []uint32{1}, Val: []float64{1}}
	for range 200 {
		f.Update(replied, 1, 1)
		f.Update(ignored, 0, 1)
	}
	fmt.Printf("%.2f %.2f\n", f.Predict(replied), f.Predict(ignored))
	// Output: 0.97 0.03
}

// Per-user corrections: user 7 says no to everything, user 8 yes; a new
// user (9) gets the global model alone.
func ExampleFitHierarchical() {
	var d rank.Dataset
	var users []uint32
	x := sparse.Vector{Idx: []uint32{0}, Val: []float64{1}}
	for i := range 40 {
		_ = d.Add(x, float64(i%2), 1)
		users = append(users, uint32(7+i%2))
	}
	h, _ := rank.FitHierarchical(context.Background(), rank.HierarchicalConfig{}, &d, users)
	fmt.Printf("user 7 %.2f, user 8 %.2f, new user %.2f\n", h.Predict(7, x), h.Predict(8, x), h.Predict(9, x))
	// Output: user 7 0.07, user 8 0.93, new user 0.50
}

// Ranking metrics for one query; ties are averaged over their orders.
func ExampleNDCGAt() {
	scores := []float64{0.9, 0.8, 0.8, 0.1}
	gains := []float64{0, 1, 0, 1}
	fmt.Printf("NDCG@3 %.3f  Recall@2 %.2f  RR %.2f  AUC %.3f\n",
		rank.NDCGAt(scores, gains, 3), rank.RecallAt(scores, gains, 2),
		rank.ReciprocalRank(scores, gains),
		rank.AUC(scores, []bool{false, true, false, true}))
	// Output: NDCG@3 0.347  Recall@2 0.25  RR 0.42  AUC 0.125
}

// An urgency-like score: which seekers will chat this week? Rows are dense
// activity features on different scales; a seeker with little history is
// shrunk toward the prior.
func ExampleFitStandardized() {
	d := rank.StandardizedData{Kind: "urgency", Names: []string{"views_7d", "days_since_active"}}
	for i := range 200 {
		views, idle := float64(i%40), float64(i%13)
		d.Rows = append(d.Rows, []float64{views, idle})
		d.Labels = append(d.Labels, views > 3*idle+5 || i%17 == 0)
		d.History = append(d.History, views)
	}
	s, err := rank.FitStandardized(context.Background(), rank.StandardizedConfig{L2: 1e-2, MinHistory: 5}, d)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range s.Coefficients() {
		fmt.Printf("%-18s %+.2f\n", c.Name, c.Weight)
	}
	fmt.Printf("prior %.2f\n", s.Prior())
	fmt.Printf("active seeker %.2f, same features without history %.2f\n",
		s.Predict([]float64{30, 1}, 30), s.Predict([]float64{30, 1}, 0))

	var buf bytes.Buffer
	_, _ = s.WriteTo(&buf)
	back, err := rank.ReadStandardized(&buf)
	fmt.Println(back.Kind(), err, back.Predict([]float64{30, 1}, 30) == s.Predict([]float64{30, 1}, 30))
	// Output:
	// days_since_active  -2.17
	// views_7d           +2.00
	// prior 0.43
	// active seeker 0.91, same features without history 0.43
	// urgency <nil> true
}
