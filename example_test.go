package twoway_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

// A host feeds the Engine profiles and events, fits it, and asks for
// recommendations on either side.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	engine, err := twoway.New(twoway.Config{Clock: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	joined := now.AddDate(0, -1, 0)
	err = engine.Upsert(ctx,
		market.Profile{ID: "job-go", Side: market.Recruiter, Title: "Go后端开发工程师", City: "上海",
			Skills: []string{"Go", "MySQL", "Kubernetes"}, Registered: joined},
		market.Profile{ID: "job-fe", Side: market.Recruiter, Title: "前端开发工程师", City: "上海",
			Skills: []string{"Vue", "TypeScript"}, Registered: joined},
		market.Profile{ID: "anna", Side: market.Seeker, Title: "Backend Engineer", City: "上海",
			Skills: []string{"golang", "k8s", "MySQL"}, Registered: joined},
		market.Profile{ID: "min", Side: market.Seeker, Title: "前端开发", City: "上海",
			Skills: []string{"Vue", "JavaScript"}, Registered: joined},
	)
	if err != nil {
		panic(err)
	}
	day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	err = engine.Record(ctx,
		market.Event{Actor: "anna", Target: "job-go", Action: market.View, Time: day(3)},
		market.Event{Actor: "anna", Target: "job-fe", Action: market.Impression, Time: day(3)},
		market.Event{Actor: "min", Target: "job-fe", Action: market.Apply, Time: day(2)},
		market.Event{Actor: "min", Target: "job-go", Action: market.Impression, Time: day(2)},
		market.Event{Actor: "job-fe", Target: "min", Action: market.Reply, Time: day(1)},
		market.Event{Actor: "job-go", Target: "anna", Action: market.View, Time: day(1)},
	)
	if err != nil {
		panic(err)
	}
	if err := engine.Fit(ctx); err != nil {
		panic(err)
	}
	resp, err := engine.Recommend(ctx, twoway.Request{ID: "anna", N: 1, Explain: true, Language: text.English})
	if err != nil {
		panic(err)
	}
	best := resp.Results[0]
	fmt.Println(best.ID)
	fmt.Println(best.Explanation.Forward.Reasons[0].Text)
	// Output:
	// job-go
	// alike in what the profiles say
}

// A seeker pages through remote jobs that pay at least 20,000 a month:
// filters apply before the list is cut to N, and each page's Next leaves
// out everything the earlier pages showed.
func ExampleEngine_Recommend_filtersAndPages() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	engine, err := twoway.New(twoway.Config{Clock: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	joined := now.AddDate(0, -1, 0)
	profiles := []market.Profile{{ID: "lin", Side: market.Seeker, Title: "Go开发", Skills: []string{"Go"}, Registered: joined}}
	for i, pay := range []float64{15000, 22000, 25000, 30000, 17000, 21000} {
		where := market.WorkplaceRemote
		if i == 3 {
			where = market.WorkplaceOnsite
		}
		profiles = append(profiles, market.Profile{ID: fmt.Sprintf("job-%d", i), Side: market.Recruiter, Title: "Go开发工程师",
			Skills: []string{"Go"}, Salary: market.Salary{Min: pay, Max: pay + 2000}, Workplace: where, Registered: joined})
	}
	if err := engine.Upsert(ctx, profiles...); err != nil {
		panic(err)
	}
	req := twoway.Request{ID: "lin", N: 2, Filters: twoway.Filters{
		SalaryMin:  20000,
		Workplaces: []market.Workplace{market.WorkplaceRemote},
	}}
	for page := 1; ; page++ {
		resp, err := engine.Recommend(ctx, req)
		if err != nil {
			panic(err)
		}
		var ids []string
		for _, r := range resp.Results {
			ids = append(ids, r.ID)
		}
		slices.Sort(ids)
		f := resp.Filtered
		fmt.Printf("page %d: %v (removed: %d for pay, %d on site, %d on earlier pages)\n",
			page, ids, f.Facets.Salary, f.Facets.Workplace, f.Request)
		if resp.Next == "" {
			break
		}
		req.Cursor = resp.Next
	}
	// Output:
	// page 1: [job-1 job-2] (removed: 2 for pay, 1 on site, 0 on earlier pages)
	// page 2: [job-5] (removed: 2 for pay, 1 on site, 2 on earlier pages)
}
