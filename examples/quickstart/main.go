// Command quickstart runs twoway end to end on a small market written for
// this example (10 seekers, 8 jobs, Chinese and English): it fits the
// Engine on the market's history, recommends jobs to a seeker and seekers to
// a job with the reasons on both sides (the first also in Chinese), then
// records a few new events and shows how they change both lists.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/text"
)

//go:embed market.json
var marketJSON []byte

// now is the example's fixed clock, so that its output never changes.
var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	ctx := context.Background()
	var m struct {
		Jobs, Seekers []market.Profile
		History       []string // "actor action target days-ago"
	}
	if err := json.Unmarshal(marketJSON, &m); err != nil {
		return err
	}
	engine, err := twoway.New(twoway.Config{Clock: func() time.Time { return now }, Seed: 1, Language: text.English})
	if err != nil {
		return err
	}
	for _, side := range []struct {
		side market.Side
		ps   []market.Profile
	}{{market.Recruiter, m.Jobs}, {market.Seeker, m.Seekers}} {
		for i := range side.ps {
			side.ps[i].Side, side.ps[i].Registered = side.side, now.AddDate(0, -1, 0)
		}
		if err := engine.Upsert(ctx, side.ps...); err != nil {
			return err
		}
	}
	var history []market.Event
	for _, line := range m.History {
		f := strings.Fields(line) // actor action target days-ago
		action, err := market.ParseAction(f[1])
		if err != nil {
			return err
		}
		days, _ := strconv.Atoi(f[3])
		history = append(history, market.Event{Actor: f[0], Action: action, Target: f[2], Time: now.AddDate(0, 0, -days)})
	}
	if err := engine.Record(ctx, history...); err != nil {
		return err
	}
	if err := engine.Fit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "A market of %d seekers and %d jobs with %d past events; fitted.\n", len(m.Seekers), len(m.Jobs), len(history))

	var first *match.Explanation // li.wei's first result, shown in Chinese too
	show := func(id string) error {
		resp, err := engine.Recommend(ctx, twoway.Request{ID: id, N: 3, Explain: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\nFor %s (a %s), best first:\n", id, resp.Side)
		for i, r := range resp.Results {
			x := r.Explanation
			fmt.Fprintf(w, "%d. %-12s two-way %.3f  (%s → it %.2f, it → %s %.2f)\n",
				i+1, r.ID, r.TwoWay, id, r.Forward, id, r.Backward)
			fmt.Fprintf(w, "   why %s: %s\n", id, reasons(x.Forward.Reasons, "; "))
			fmt.Fprintf(w, "   why %s: %s\n", r.ID, reasons(x.Backward.Reasons, "; "))
			if first == nil {
				first = x
			}
		}
		return nil
	}
	for _, id := range []string{"li.wei", "job-java-nj"} {
		if err := show(id); err != nil {
			return err
		}
	}

	// The same explanation in Chinese, rendered from its structured
	// reasons (kind, terms, values) without explaining again.
	zh := first.Localize(text.Chinese, nil)
	fmt.Fprintf(w, "\nIn Chinese (Explanation.Localize), %s → %s:\n", zh.Forward.RequesterID, zh.Forward.CandidateID)
	fmt.Fprintf(w, "   %s 的理由：%s\n", zh.Forward.RequesterID, reasons(zh.Forward.Reasons, "；"))
	fmt.Fprintf(w, "   %s 的理由：%s\n", zh.Backward.RequesterID, reasons(zh.Backward.Reasons, "；"))

	fmt.Fprintln(w, "\nNew events: li.wei chats with job-py-nj, job-java-sh rejects li.wei, job-java-nj chats with he.tao.")
	if err := engine.Record(ctx,
		market.Event{Actor: "li.wei", Target: "job-py-nj", Action: market.Chat, Time: now},
		market.Event{Actor: "job-java-sh", Target: "li.wei", Action: market.Reject, Time: now},
		market.Event{Actor: "job-java-nj", Target: "he.tao", Action: market.Chat, Time: now},
	); err != nil {
		return err
	}
	fmt.Fprintln(w, "The next requests see them at once: contacted and rejected pairs leave both lists.")
	for _, id := range []string{"li.wei", "job-java-nj"} {
		if err := show(id); err != nil {
			return err
		}
	}
	return nil
}

// reasons joins the reasons of one direction in words, with sep.
func reasons(rs []match.Reason, sep string) string {
	if len(rs) == 0 {
		return "nothing stands out"
	}
	words := make([]string, len(rs))
	for i, r := range rs {
		words[i] = r.Text
	}
	return strings.Join(words, sep)
}
