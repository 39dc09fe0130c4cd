package recall_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
)

// Item-CF on a tiny market: seekers 0–2, jobs 10–13. Seeker 2 chatted
// with job 10; seekers who liked 10 also liked 11, so 11 comes first.
// By hand: sim(10, 11) = (3·2/ln 3 + 1·3/ln 4) / (√19·√13) = 0.485 and
// score(11) = R[2][10]·sim(10, 11) = 3 × 0.485.
func ExampleItemCF() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	events := []recall.Event{
		{Actor: 0, Target: 10, Action: market.Chat, Time: now},
		{Actor: 0, Target: 11, Action: market.Favourite, Time: now},
		{Actor: 1, Target: 10, Action: market.View, Time: now},
		{Actor: 1, Target: 11, Action: market.Chat, Time: now},
		{Actor: 1, Target: 12, Action: market.View, Time: now},
		{Actor: 2, Target: 10, Action: market.Chat, Time: now},
	}
	interest, _ := recall.NewInterest(recall.InterestConfig{HalfLife: 14 * 24 * time.Hour, Clock: func() time.Time { return now }})
	if err := interest.Fit(context.Background(), slices.Values(events)); err != nil {
		fmt.Println(err)
		return
	}
	itemCF, _ := recall.NewItemCF(interest, recall.CFConfig{})
	if err := itemCF.Fit(context.Background()); err != nil {
		fmt.Println(err)
		return
	}

	// Filters: jobs only, not what seeker 2 has seen.
	var pop recall.Population
	for ix := range uint32(14) {
		side := market.Seeker
		if ix >= 10 {
			side = market.Recruiter
		} else if ix > 2 {
			continue
		}
		pop.Upsert(ix, &market.Profile{ID: fmt.Sprint(ix), Side: side, Registered: now})
	}
	seen := interest.History(2, nil)
	var filter recall.Filter
	filter.Requester, filter.Side = 2, market.Seeker
	for _, h := range seen {
		filter.Seen.Set(h.Index)
	}
	allowed, _ := pop.Mask(nil, filter)

	got, _ := itemCF.Recall(context.Background(), recall.Request{Requester: 2, Side: market.Seeker, K: 5, Allowed: allowed}, nil)
	for _, c := range got {
		fmt.Printf("job %d score %.3f\n", c.Index, c.Score)
	}
	// Output:
	// job 11 score 1.456
	// job 12 score 0.496
}

// Merging two lists with reciprocal-rank fusion: each candidate carries
// the sources that found it.
func ExampleMerge() {
	content := []recall.Candidate{{Index: 7, Score: 3.1}, {Index: 4, Score: 2.5}}
	collaborative := []recall.Candidate{{Index: 4, Score: 0.9}, {Index: 9, Score: 0.4}}
	merged, err := recall.Merge(nil, recall.MergeConfig{Method: recall.RRF, Sources: []recall.Source{
		{Name: "index"}, {Name: "itemcf"},
	}}, [][]recall.Candidate{content, collaborative}, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range merged {
		fmt.Printf("%d %.4f", c.Index, c.Score)
		for _, h := range c.Hits {
			fmt.Printf(" %s#%d", h.Source, h.Rank)
		}
		fmt.Println()
	}
	// Output:
	// 4 0.0325 index#1 itemcf#0
	// 7 0.0164 index#0
	// 9 0.0161 itemcf#1
}
