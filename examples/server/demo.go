package main

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// quickstartJSON is examples/quickstart/market.json, copied here because
// embed cannot reach outside the package's directory
// (TestQuickstartMarketCopy keeps the two the same).
//
//go:embed demo/quickstart.json
var quickstartJSON []byte

// quickstartNow is the quick start's fixed "now", which its history counts
// back from.
var quickstartNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// DemoConfig configures the demonstration market the server can load at
// start (Config.Demo), for the web UI: real Chinese job postings as the
// recruiters, synthetic seekers and a simulated behaviour history as the
// other side.
type DemoConfig struct {
	// Postings is a directory of real postings (market.LoadPostingDir).
	// Empty: jobs-zh of the shared data directory ($TWOWAY_DATA, or
	// shared/data in the working directory or one above it), when it is
	// there; without it, the quick start's market of 10 seekers and 8 jobs.
	Postings string `json:"postings"`
	// MaxPostings caps the postings used, taken evenly over the files.
	// Zero: 3,000; negative: all of them.
	MaxPostings int `json:"max_postings"`
	// Seekers is the number of synthetic seekers. Zero: 1,500.
	Seekers int `json:"seekers"`
	// Events is the number of simulated events over 30 days, before those
	// that involve no real posting are dropped. Zero: 40 per seeker.
	Events int `json:"events"`
	// Seed seeds the simulation. Zero: 1.
	Seed uint64 `json:"seed"`
	// Now, when set, freezes the Engine's clock there (tests, screenshots;
	// at the history's end instead when Now is before it).
	// Zero: a clock that starts at the end of the simulated history when
	// the server starts and runs from there. Unused when Config.Engine.Clock
	// is set.
	Now time.Time `json:"now"`
}

// demoMarket is what a demo loads: profiles of both sides, their history,
// and what it is made of.
type demoMarket struct {
	Profiles []market.Profile
	Events   []market.Event
	End      time.Time // the end of the history: "now" when the server starts
	Real     bool      // real postings (false: the quick start's market)
	Source   string    // where the postings come from
	Postings int
	Seekers  int
}

// findPostings returns the directory of the real postings: $TWOWAY_DATA's
// jobs-zh, else shared/data/jobs-zh in the working directory or above it.
func findPostings() (string, bool) {
	isDir := func(d string) bool {
		st, err := os.Stat(d)
		return err == nil && st.IsDir()
	}
	if d := os.Getenv("TWOWAY_DATA"); d != "" {
		d = filepath.Join(d, "jobs-zh")
		return d, isDir(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if c := filepath.Join(d, "shared", "data", "jobs-zh"); isDir(c) {
			return c, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// buildDemo makes the demo market of cfg.
func buildDemo(cfg DemoConfig) (*demoMarket, error) {
	dir := cfg.Postings
	if dir == "" {
		d, ok := findPostings()
		if !ok {
			return quickstartMarket()
		}
		dir = d
	}
	all, _, err := market.LoadPostingDir(dir)
	if err != nil {
		return nil, fmt.Errorf("server: demo: %w", err)
	}
	postings := slices.DeleteFunc(all, func(p market.Profile) bool {
		return p.Side != market.Recruiter || p.Inactive || strings.TrimSpace(p.Title) == "" || p.City == ""
	})
	if len(postings) == 0 {
		return nil, fmt.Errorf("server: demo: no usable posting in %s", dir)
	}
	limit := cfg.MaxPostings
	if limit == 0 {
		limit = 3000
	}
	if limit > 0 && len(postings) > limit {
		// Evenly over the files (LoadPostingDir returns them file by file).
		picked := make([]market.Profile, limit)
		for i := range picked {
			picked[i] = postings[i*len(postings)/limit]
		}
		postings = picked
	}
	seekers := cfg.Seekers
	if seekers == 0 {
		seekers = 1500
	}
	events := cfg.Events
	if events == 0 {
		events = 40 * seekers
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = 1
	}
	sim, err := synth.Generate(synth.Config{Seed: seed, Seekers: seekers, Jobs: min(len(postings), seekers), Events: events, Days: 30})
	if err != nil {
		return nil, fmt.Errorf("server: demo: %w", err)
	}
	return mapOntoPostings(sim, postings, dir), nil
}

// mapOntoPostings keeps sim's seekers and behaviour but puts the real
// postings in the place of its synthetic jobs: each synthetic job is
// replaced by an unused real posting of the same job family (by title and
// skills), in the same city when there is one, and its events follow it;
// synthetic jobs of a family no real posting belongs to are dropped with
// their events. Real postings that take no synthetic job's place are in
// the market without a history (newly posted, as it were). Registration
// times move onto the simulated timeline: a posting that takes a job's
// place registers when the job did, the others the day before the history
// starts.
func mapOntoPostings(sim *synth.Market, postings []market.Profile, dir string) *demoMarket {
	fams := synth.Families()
	type family struct {
		titles [][]string // bigrams of each title
		skills map[string]bool
	}
	families := make([]family, fams)
	for i := range families {
		families[i].skills = map[string]bool{}
	}
	seen := map[string]bool{}
	for ix := range sim.Profiles {
		p := &sim.Profiles[ix]
		f := &families[sim.Family(uint32(ix))]
		if key := strconv.Itoa(sim.Family(uint32(ix))) + "\x00" + p.Title; !seen[key] {
			seen[key] = true
			f.titles = append(f.titles, bigrams(p.Title))
		}
		for _, s := range p.Skills {
			f.skills[foldSkill(s)] = true
		}
	}
	familyOf := func(p *market.Profile) int {
		tb := bigrams(p.Title)
		best, bestScore := -1, 0.3
		for fi := range families {
			title := 0.0
			for _, t := range families[fi].titles {
				title = max(title, dice(tb, t))
			}
			skill := 0.0
			if len(p.Skills) > 0 {
				n := 0
				for _, s := range p.Skills {
					if families[fi].skills[foldSkill(s)] {
						n++
					}
				}
				skill = float64(n) / float64(len(p.Skills))
			}
			if sc := title + 0.5*skill; sc > bestScore {
				best, bestScore = fi, sc
			}
		}
		return best
	}
	// Queues of unused postings per family and (family, city): the postings
	// of the companies with the most postings first, so that the simulated
	// traffic gathers at the big employers as real traffic does (and the
	// market page's "where people went" has groups of at least k people).
	perCompany := map[string]int{}
	for i := range postings {
		perCompany[postings[i].Company]++
	}
	order := make([]int, len(postings))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(perCompany[postings[b].Company], perCompany[postings[a].Company])
	})
	byFamily := make([][]int, fams)
	byCity := map[string][]int{}
	for _, i := range order {
		if f := familyOf(&postings[i]); f >= 0 {
			byFamily[f] = append(byFamily[f], i)
			k := strconv.Itoa(f) + "\x00" + postings[i].City
			byCity[k] = append(byCity[k], i)
		}
	}
	used := make([]bool, len(postings))
	take := func(q *[]int) int {
		for len(*q) > 0 {
			i := (*q)[0]
			*q = (*q)[1:]
			if !used[i] {
				used[i] = true
				return i
			}
		}
		return -1
	}
	start := sim.Config.Start
	for i := range postings {
		postings[i].Registered = start.Add(-24 * time.Hour)
	}
	rename := map[string]string{} // synthetic job ID → real posting ID
	lo, hi := sim.Jobs()
	for j := lo; j < hi; j++ {
		p := &sim.Profiles[j]
		f := sim.Family(j)
		q := byCity[strconv.Itoa(f)+"\x00"+p.City]
		i := take(&q)
		byCity[strconv.Itoa(f)+"\x00"+p.City] = q
		if i < 0 {
			i = take(&byFamily[f])
		}
		if i < 0 {
			continue
		}
		rename[p.ID] = postings[i].ID
		postings[i].Registered = p.Registered
	}
	out := &demoMarket{Real: true, Source: dir, Postings: len(postings), End: start.AddDate(0, 0, sim.Config.Days)}
	out.Profiles = append(out.Profiles, postings...)
	// Seekers want the titles real postings of their family use (drawn in
	// proportion to how often postings use them), so that seekers and
	// postings meet on the same titles: the market page's supply per title
	// and "where people went" count seekers by title.
	familyPostings := make([][]int, fams)
	for i := range postings {
		if f := familyOf(&postings[i]); f >= 0 {
			familyPostings[f] = append(familyPostings[f], i)
		}
	}
	seekers := map[string]bool{}
	slo, shi := sim.Seekers()
	for s := slo; s < shi; s++ {
		p := sim.Profiles[s]
		if ps := familyPostings[sim.Family(s)]; len(ps) > 0 {
			p.Title = postings[ps[int(mix(uint64(s)+sim.Config.Seed)%uint64(len(ps)))]].Title
		}
		out.Profiles = append(out.Profiles, p)
		seekers[sim.Profiles[s].ID] = true
		out.Seekers++
	}
	isSeeker := func(id string) bool { return seekers[id] }
	for _, ev := range sim.Events {
		a, b := ev.Actor, ev.Target
		if r, ok := rename[a]; ok {
			a = r
		} else if !isSeeker(a) {
			continue
		}
		if r, ok := rename[b]; ok {
			b = r
		} else if !isSeeker(b) {
			continue
		}
		ev.Actor, ev.Target = a, b
		out.Events = append(out.Events, ev)
	}
	return out
}

// quickstartMarket is the quick start's market (examples/quickstart), for
// when the real postings are absent.
func quickstartMarket() (*demoMarket, error) {
	var m struct {
		Jobs, Seekers []market.Profile
		History       []string // "actor action target days-ago"
	}
	dec := json.NewDecoder(bytes.NewReader(quickstartJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("server: demo: the quick start's market: %w", err)
	}
	out := &demoMarket{End: quickstartNow, Source: "the quick start's market (examples/quickstart/market.json)",
		Postings: len(m.Jobs), Seekers: len(m.Seekers)}
	for _, side := range []struct {
		side market.Side
		ps   []market.Profile
	}{{market.Recruiter, m.Jobs}, {market.Seeker, m.Seekers}} {
		for _, p := range side.ps {
			p.Side, p.Registered = side.side, quickstartNow.AddDate(0, -1, 0)
			out.Profiles = append(out.Profiles, p)
		}
	}
	for _, line := range m.History {
		f := strings.Fields(line)
		if len(f) != 4 {
			return nil, fmt.Errorf("server: demo: the quick start's history: %q is not \"actor action target days-ago\"", line)
		}
		action, err := market.ParseAction(f[1])
		if err != nil {
			return nil, fmt.Errorf("server: demo: the quick start's history: %w", err)
		}
		days, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, fmt.Errorf("server: demo: the quick start's history: %q: %w", line, err)
		}
		out.Events = append(out.Events, market.Event{Actor: f[0], Action: action, Target: f[2], Time: quickstartNow.AddDate(0, 0, -days)})
	}
	return out, nil
}

// loadDemo puts the demo market into the Server's Engine and catalogue,
// fits, and serves every seeker's first page once (counted in the exposure
// ledger, as a host showing the lists would), so that the ledger and the
// saturation it feeds are those of a market in use.
func (s *Server) loadDemo(ctx context.Context, m *demoMarket) error {
	start := time.Now()
	log := s.cfg.Logger.With("demo", m.Source)
	if err := s.engine.Upsert(ctx, m.Profiles...); err != nil {
		return fmt.Errorf("server: demo: %w", err)
	}
	s.ui.upsert(m.Profiles...)
	if err := s.engine.Record(ctx, m.Events...); err != nil {
		var batch *twoway.BatchError
		if errors.As(err, &batch) {
			return fmt.Errorf("server: demo: %w", err)
		}
		log.Warn("demo history logged, but the real-time store failed", "err", err)
	}
	s.ui.record(m.Events...)
	log.Info("demo market loaded", "postings", m.Postings, "seekers", m.Seekers, "events", len(m.Events), "elapsed", time.Since(start))
	if err := s.engine.Fit(ctx); err != nil {
		return fmt.Errorf("server: demo: fit: %w", err)
	}
	served := 0
	for _, p := range m.Profiles {
		if p.Side != market.Seeker {
			continue
		}
		if _, err := s.engine.Recommend(ctx, twoway.Request{ID: p.ID, N: 10}); err != nil {
			return fmt.Errorf("server: demo: serving %s: %w", p.ID, err)
		}
		served++
	}
	s.refitDone()
	log.Info("demo ready", "feeds served", served, "elapsed", time.Since(start))
	return nil
}

// demoClock is the Engine's clock in a demo: frozen at cfg.Now when set
// (at the end of the history when that is later: a clock before the
// history would refuse its events as from the future, as it did when the
// postings were missing and the quick start's later market stood in),
// else starting at the end of the history and running.
func demoClock(cfg DemoConfig, end time.Time) func() time.Time {
	if !cfg.Now.IsZero() {
		at := cfg.Now
		if at.Before(end) {
			at = end
		}
		return func() time.Time { return at }
	}
	t0 := time.Now()
	return func() time.Time { return end.Add(time.Since(t0)) }
}

// mix is SplitMix64's finaliser: a well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// bigrams returns the character bigrams of a title, case and width
// folded, letters and digits only (a one-character title is its own
// bigram).
func bigrams(title string) []string {
	var rs []rune
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	if len(rs) == 1 {
		return []string{string(rs)}
	}
	out := make([]string, 0, len(rs))
	for i := 0; i+1 < len(rs); i++ {
		out = append(out, string(rs[i:i+2]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dice is the Dice coefficient of two sorted sets of bigrams.
func dice(a, b []string) float64 {
	if len(a)+len(b) == 0 {
		return 0
	}
	n := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch c := strings.Compare(a[i], b[j]); {
		case c == 0:
			n++
			i++
			j++
		case c < 0:
			i++
		default:
			j++
		}
	}
	return 2 * float64(n) / float64(len(a)+len(b))
}

// foldSkill folds a skill's spelling for comparison ("Spring Boot" =
// "springboot").
func foldSkill(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '_' || r == '.' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}
