package twoway

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/twowayrec/twoway/market"
)

// Whatever a journal entry holds, applying it never panics, and Sync moves
// past it: an undecodable entry is reported and skipped, a write the data
// refuses is skipped, by every process alike.
func FuzzJournalEntry(f *testing.F) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	seed := func(r journalRecord) {
		r.V = journalVersion
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(journalRecord{Kind: kindUpsert, Profiles: []market.Profile{{ID: "s9", Side: market.Seeker, Title: "Go", Registered: at}}})
	seed(journalRecord{Kind: kindUpsert, Profiles: []market.Profile{{ID: "j1", Side: market.Seeker, Title: "side change", Registered: at}}})
	seed(journalRecord{Kind: kindRemove, IDs: []string{"j2"}})
	seed(journalRecord{Kind: kindRemove, IDs: []string{"nobody"}})
	seed(journalRecord{Kind: kindRecord, Events: []market.Event{{ID: "x", Actor: "s1", Target: "j1", Action: market.Chat, Time: at}}})
	seed(journalRecord{Kind: kindRecord, Events: []market.Event{{Actor: "s1", Target: "s2", Action: market.Chat, Time: at}}})
	seed(journalRecord{Kind: kindInterest, IDs: []string{"s1"}})
	f.Add([]byte(`{"v":2,"kind":"upsert"}`))
	f.Add([]byte(`{"v":1,"kind":"interest","ids":[]}`))
	f.Add([]byte(`not json`))
	j := &MemoryJournal{}
	cfg := Config{Journal: j, Clock: func() time.Time { return at }}
	e := sharedMarket(f, cfg, at)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		if _, err := j.Append(ctx, data); err != nil {
			t.Fatal(err)
		}
		_ = e.Sync(ctx) // an error is fine; a panic or a stuck offset is not
		if got, want := e.JournalOffset().Lo, uint64(j.Len()); got != want {
			t.Fatalf("Sync stopped at entry %d of %d on %q", got, want, data)
		}
	})
}
