package twoway_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
)

// Two servers of one market share a journal (in production the
// redisstore module's Journal, with the shared stores beside it): a write
// acknowledged by one is applied by the other at its next Sync.
func ExampleEngine_Sync() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	journal := &twoway.MemoryJournal{}
	newServer := func() *twoway.Engine {
		e, err := twoway.New(twoway.Config{Journal: journal, Clock: func() time.Time { return now }})
		if err != nil {
			panic(err)
		}
		return e
	}
	a, b := newServer(), newServer()
	defer a.Close()
	defer b.Close()
	err := a.Upsert(ctx,
		market.Profile{ID: "job-go", Side: market.Recruiter, Title: "Go后端开发工程师", Skills: []string{"Go"}, Registered: now},
		market.Profile{ID: "anna", Side: market.Seeker, Title: "Backend Engineer", Skills: []string{"golang"}, Registered: now})
	if err != nil {
		panic(err)
	}
	// b validates against the journal: it knows both profiles at once.
	err = b.Record(ctx, market.Event{ID: "ev-1", Actor: "anna", Target: "job-go", Action: market.View, Time: now})
	if err != nil {
		panic(err)
	}
	// A redelivery to a is acknowledged and not counted again.
	if err := a.Record(ctx, market.Event{ID: "ev-1", Actor: "anna", Target: "job-go", Action: market.View, Time: now}); err != nil {
		panic(err)
	}
	if err := b.Sync(ctx); err != nil {
		panic(err)
	}
	fmt.Println("journal entries:", journal.Len())
	fmt.Println("applied by a:", a.JournalOffset(), "by b:", b.JournalOffset())
	fmt.Println("events in a:", a.Stats().Events, "in b:", b.Stats().Events)
	// Output:
	// journal entries: 2
	// applied by a: 0-2 by b: 0-2
	// events in a: 1 in b: 1
}

// One process fits and saves; a server of the same journal takes the new
// models with Reload while it serves, and reports the fitter's model
// version.
func ExampleEngine_Reload() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	journal := &twoway.MemoryJournal{}
	newEngine := func() *twoway.Engine {
		e, err := twoway.New(twoway.Config{Journal: journal, Clock: func() time.Time { return now }})
		if err != nil {
			panic(err)
		}
		return e
	}
	fitter, server := newEngine(), newEngine()
	defer fitter.Close()
	defer server.Close()
	err := fitter.Upsert(ctx,
		market.Profile{ID: "job-go", Side: market.Recruiter, Title: "Go后端开发工程师", Skills: []string{"Go"}, Registered: now},
		market.Profile{ID: "anna", Side: market.Seeker, Title: "Backend Engineer", Skills: []string{"golang"}, Registered: now})
	if err != nil {
		panic(err)
	}
	if err := server.Record(ctx, market.Event{ID: "ev-1", Actor: "anna", Target: "job-go", Action: market.Chat, Time: now}); err != nil {
		panic(err)
	}
	if err := fitter.Sync(ctx); err != nil {
		panic(err)
	}
	if err := fitter.Fit(ctx); err != nil {
		panic(err)
	}
	var snap bytes.Buffer
	if err := fitter.Save(&snap); err != nil {
		panic(err)
	}
	fmt.Println("before:", server.Stats().ModelVersion)
	if err := server.Reload(ctx, &snap); err != nil {
		panic(err)
	}
	fmt.Println("after:", server.Stats().ModelVersion, "at", server.JournalOffset())
	// Output:
	// before: 0
	// after: 1 at 0-2
}
