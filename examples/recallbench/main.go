// Command recallbench compares twoway's recall strategies on your own data:
// profiles and behaviour events in CSV or JSON lines (the formats of the
// benchmarks module's loaders), split in time, each strategy fitted on the
// earlier events and asked, for every participant who acted later, for
// candidates of the other side; it prints one table row per strategy and
// side with recall@k, NDCG, MRR and GAUC (the benchmarks module's metrics).
//
// # Running
//
//	go run . -profiles sample/profiles.jsonl -events sample/events.csv -split 0.8 -k 5,20
//	go run . -profiles profiles.csv -events events.csv
//	go run . -profiles profiles.jsonl -events events.jsonl -split 0.8 -k 10,50,100
//
// sample/ holds a small simulated market (internal/synth; go generate
// rewrites it) to try the command on.
//
// profiles.csv has a header naming some of id, side, title, company, city,
// district, zone, industry, experience, education, salary, skills, tags,
// text, registered, inactive (id and side required); events.csv has
// actor,target,action,time (action a name such as view, chat; time RFC 3339).
//
// # What is measured
//
// Events are sorted by time; the first -split share trains every strategy
// (interest matrix, CF neighbours, the content index with learned
// preferences). A participant's relevant candidates are those it favourited,
// chatted with, applied to, replied to or hired in the later events, except
// those it had already acted on before the split (which the strategies are
// not allowed to return). The strategies: the inverted content index (bleve),
// user-CF, item-CF, Swing, hot, and two hybrids merging all five
// (reciprocal-rank fusion and snake round-robin).
//
// Candidates a strategy does not return rank below those it does, tied, so a
// strategy that returns fewer than k candidates gets the expected hits of a
// random fill for the rest; the "returned" column shows how many it gave.
package main

//go:generate go test -run ^TestSampleFiles$ -update .

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/twowayrec/twoway/benchmarks/load"
	"github.com/twowayrec/twoway/benchmarks/metric"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "recallbench:", err)
		}
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	profiles, events string
	split            float64
	ks               []int
	maxUsers         int
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("recallbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.profiles, "profiles", "", "profiles file, .csv or .jsonl (required)")
	fs.StringVar(&o.events, "events", "", "events file, .csv or .jsonl (required)")
	fs.Float64Var(&o.split, "split", 0.8, "share of the events (in time order) that train the strategies")
	k := fs.String("k", "10,50,100", "cut-offs of recall@k, comma-separated")
	fs.IntVar(&o.maxUsers, "max-users", 2000, "evaluate at most this many requesters per side (the first by profile order)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.profiles == "" || o.events == "":
		return o, errors.New("-profiles and -events are required")
	case !(o.split > 0 && o.split < 1):
		return o, fmt.Errorf("-split %v: want a share strictly between 0 and 1", o.split)
	case o.maxUsers < 1:
		return o, fmt.Errorf("-max-users %d: want at least 1", o.maxUsers)
	}
	for f := range strings.SplitSeq(*k, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-k %q: want positive integers separated by commas", *k)
		}
		o.ks = append(o.ks, n)
	}
	slices.Sort(o.ks)
	o.ks = slices.Compact(o.ks)
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	events, err := readEvents(o.events)
	if err != nil {
		return err
	}
	if len(events) < 2 {
		return fmt.Errorf("%s: %d events; need at least 2 to split", o.events, len(events))
	}
	slices.SortStableFunc(events, func(a, b market.Event) int { return a.Time.Compare(b.Time) })
	profiles, err := readProfiles(o.profiles, events[0].Time)
	if err != nil {
		return err
	}
	var dict market.Dict
	sides := make(map[string]market.Side, len(profiles))
	for i := range profiles {
		if _, dup := sides[profiles[i].ID]; dup {
			return fmt.Errorf("%s: profile %q appears twice", o.profiles, profiles[i].ID)
		}
		sides[profiles[i].ID] = profiles[i].Side
		if _, err := dict.Index(profiles[i].ID); err != nil {
			return err
		}
	}
	side := func(id string) (market.Side, bool) { s, ok := sides[id]; return s, ok }
	idx := make([]recall.Event, len(events))
	for i := range events {
		if err := market.ValidateEventSides(&events[i], side); err != nil {
			return fmt.Errorf("%s: event %d: %w", o.events, i+1, err)
		}
		if idx[i], err = recall.IndexEvent(&dict, &events[i]); err != nil {
			return fmt.Errorf("%s: event %d: %w", o.events, i+1, err)
		}
	}
	cut := int(o.split * float64(len(idx)))
	cut = min(max(cut, 1), len(idx)-1)
	train, test := idx[:cut], idx[cut:]

	set, err := build(ctx, profiles, train, events[cut].Time)
	if err != nil {
		return err
	}
	defer set.close()
	rows, users, err := evaluate(ctx, profiles, set, train, test, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d profiles, %d events: %d train up to %s, %d test; requesters with a relevant test candidate: %d seekers, %d recruiters\n\n",
		len(profiles), len(events), len(train), events[cut].Time.Format(time.RFC3339), len(test), users[market.Seeker], users[market.Recruiter])
	printTable(stdout, rows, o.ks)
	return nil
}

func readProfiles(path string, registered time.Time) ([]market.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ps []market.Profile
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		ps, err = load.ReadProfilesCSV(f, registered)
	case ".jsonl", ".ndjson":
		ps, err = load.ReadProfilesJSONL(f, registered)
	default:
		return nil, fmt.Errorf("%s: unknown extension %q (want .csv or .jsonl)", path, ext)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ps, nil
}

func readEvents(path string) ([]market.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var evs []market.Event
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		evs, err = load.ReadEventsCSV(f)
	case ".jsonl", ".ndjson":
		evs, err = load.ReadEventsJSONL(f)
	default:
		return nil, fmt.Errorf("%s: unknown extension %q (want .csv or .jsonl)", path, ext)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return evs, nil
}

// strategy is a named recaller.
type strategy struct {
	name     string
	recaller recall.Recaller
}

type strategies struct {
	list  []strategy
	index *recall.Index
}

func (s *strategies) close() {
	if s.index != nil {
		s.index.Close()
	}
}

// build fits every strategy on the training events as of cutoff.
func build(ctx context.Context, profiles []market.Profile, train []recall.Event, cutoff time.Time) (*strategies, error) {
	x, err := recall.NewInterest(recall.InterestConfig{Clock: func() time.Time { return cutoff }})
	if err != nil {
		return nil, err
	}
	if err := x.Fit(ctx, slices.Values(train)); err != nil {
		return nil, fmt.Errorf("interest matrix: %w", err)
	}
	cf := recall.CFConfig{}
	user, err := recall.NewUserCF(x, cf)
	if err != nil {
		return nil, err
	}
	item, err := recall.NewItemCF(x, cf)
	if err != nil {
		return nil, err
	}
	swing, err := recall.NewSwing(x, recall.SwingConfig{CFConfig: cf})
	if err != nil {
		return nil, err
	}
	for _, f := range []interface{ Fit(context.Context) error }{user, item, swing} {
		if err := f.Fit(ctx); err != nil {
			return nil, err
		}
	}
	hot := recall.NewHot(x)
	hot.Refresh()
	index, err := recall.OpenIndex(recall.IndexConfig{Interest: x})
	if err != nil {
		return nil, err
	}
	set := &strategies{index: index}
	ixs := make([]uint32, len(profiles))
	for i := range ixs {
		ixs[i] = uint32(i)
	}
	if err := index.UpsertBatch(ixs, profiles); err != nil {
		set.close()
		return nil, fmt.Errorf("content index: %w", err)
	}
	base := []strategy{{"content index", index}, {"user-CF", user}, {"item-CF", item}, {"Swing", swing}, {"hot", hot}}
	set.list = append(set.list, base...)
	for _, m := range []struct {
		name   string
		method recall.MergeMethod
	}{{"hybrid RRF", recall.RRF}, {"hybrid snake", recall.Snake}} {
		src := make([]recall.Source, len(base))
		for i, b := range base {
			src[i] = recall.Source{Name: b.name, Recaller: b.recaller}
		}
		mg, err := recall.NewMerger(recall.MergeConfig{Method: m.method, Sources: src})
		if err != nil {
			set.close()
			return nil, err
		}
		set.list = append(set.list, strategy{m.name, mg})
	}
	return set, nil
}

// row is one strategy on one side.
type row struct {
	strategy string
	side     market.Side
	returned float64 // mean candidates returned
	empty    int     // requesters given none
	at       []metric.Summary
}

// positive reports whether an action shows interest worth recalling for.
func positive(a market.Action) bool {
	switch a {
	case market.Favourite, market.Chat, market.Apply, market.Reply, market.Hire:
		return true
	}
	return false
}

func evaluate(ctx context.Context, profiles []market.Profile, set *strategies, train, test []recall.Event, o options) ([]row, [3]int, error) {
	var users [3]int
	acted := map[uint32]map[uint32]bool{}
	for _, e := range train {
		if e.Action == market.Impression {
			continue
		}
		if acted[e.Actor] == nil {
			acted[e.Actor] = map[uint32]bool{}
		}
		acted[e.Actor][e.Target] = true
	}
	relevant := map[uint32]map[uint32]bool{}
	for _, e := range test {
		if !positive(e.Action) || acted[e.Actor][e.Target] || profiles[e.Target].Inactive {
			continue
		}
		if relevant[e.Actor] == nil {
			relevant[e.Actor] = map[uint32]bool{}
		}
		relevant[e.Actor][e.Target] = true
	}
	var others [3][]uint32 // active participants by side
	for i := range profiles {
		if !profiles[i].Inactive {
			others[profiles[i].Side] = append(others[profiles[i].Side], uint32(i))
		}
	}
	var requesters [3][]uint32
	for i := range profiles {
		sd := profiles[i].Side
		if len(relevant[uint32(i)]) > 0 && len(requesters[sd]) < o.maxUsers {
			requesters[sd] = append(requesters[sd], uint32(i))
		}
	}
	users[market.Seeker], users[market.Recruiter] = len(requesters[market.Seeker]), len(requesters[market.Recruiter])
	kMax := o.ks[len(o.ks)-1]

	var rows []row
	var dst []recall.Candidate
	for _, s := range set.list {
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			r := row{strategy: s.name, side: sd, at: make([]metric.Summary, len(o.ks))}
			rankings := make([]metric.Ranking, len(o.ks))
			for i, k := range o.ks {
				rankings[i].K = k
			}
			cands := others[sd.Other()]
			scores := make([]float64, len(cands))
			gains := make([]float64, len(cands))
			pos := make(map[uint32]int, len(cands))
			for i, c := range cands {
				pos[c] = i
			}
			for _, a := range requesters[sd] {
				var allowed bitmap.Bitmap
				for _, c := range cands {
					if !acted[a][c] {
						allowed.Set(c)
					}
				}
				var err error
				dst, err = s.recaller.Recall(ctx, recall.Request{Requester: a, Side: sd, K: kMax, Allowed: allowed}, dst[:0])
				if err != nil {
					return nil, users, fmt.Errorf("%s: requester %s: %w", s.name, profiles[a].ID, err)
				}
				r.returned += float64(len(dst))
				if len(dst) == 0 {
					r.empty++
				}
				// Candidates the requester already acted on are out of the
				// race (score -1, never relevant); returned ones score by
				// rank; the rest tie at 0.
				for i, c := range cands {
					scores[i], gains[i] = 0, 0
					if acted[a][c] {
						scores[i] = -1
					}
					if relevant[a][c] {
						gains[i] = 1
					}
				}
				for rk, c := range dst {
					if i, ok := pos[c.Index]; ok {
						scores[i] = float64(kMax - rk)
					}
				}
				for i := range rankings {
					rankings[i].Add(a, scores, gains)
				}
			}
			if n := len(requesters[sd]); n > 0 {
				r.returned /= float64(n)
			}
			for i := range rankings {
				r.at[i] = rankings[i].Summary()
			}
			rows = append(rows, r)
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(a.side, b.side) })
	return rows, users, nil
}

func printTable(w io.Writer, rows []row, ks []int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"side", "strategy", "users", "returned", "empty"}
	for _, k := range ks {
		head = append(head, fmt.Sprintf("recall@%d", k))
	}
	kMax := ks[len(ks)-1]
	head = append(head, fmt.Sprintf("NDCG@%d", kMax), "MRR", "GAUC")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range rows {
		last := r.at[len(r.at)-1]
		cells := []string{r.side.String(), r.strategy, strconv.Itoa(last.Users), fmt.Sprintf("%.1f", r.returned), strconv.Itoa(r.empty)}
		for _, s := range r.at {
			cells = append(cells, fmt.Sprintf("%.3f", s.Recall))
		}
		cells = append(cells, fmt.Sprintf("%.3f", last.NDCG), fmt.Sprintf("%.3f", last.MRR), fmt.Sprintf("%.3f", last.GAUC))
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
}
