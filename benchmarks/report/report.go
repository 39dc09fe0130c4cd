// Package report runs the whole evaluation suite and writes its report:
// report.md (Markdown tables) and PNG plots (gonum/plot) in one directory.
//
// # Sections
//
// Simulator (simulated): market outcomes per ranker, exposure Gini and
// coverage per side with and without exposure control, offline ranking
// quality per side, recall@k of the recall strategies. Real data: speed
// dating (one-way against two-way aggregators), parsing coverage of the
// Chinese postings. Engine: the twoway.Engine itself through its public
// API on the simulator (warm and cold start, finite room, beside floors
// and an oracle ceiling), on speed dating (validation and test splits)
// and on text retrieval over real postings. Every contender runs in the
// same process on the same data.
//
// # Determinism
//
// The report holds no timings and no absolute paths, so the same Config
// gives a byte-identical report and plots (timings go to the progress
// lines only); TestDeterministic checks it.
package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twowayrec/twoway/benchmarks/congested"
	"github.com/twowayrec/twoway/benchmarks/contender"
	"github.com/twowayrec/twoway/benchmarks/dating"
	"github.com/twowayrec/twoway/benchmarks/load"
	"github.com/twowayrec/twoway/benchmarks/metric"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/benchmarks/strategy"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// Config describes one report.
type Config struct {
	// Seed seeds the simulated market, the simulation and the speed-dating
	// split. Zero is a valid seed.
	Seed uint64 `json:"seed"`
	// Seekers and Jobs size the simulated market; 0 means 3,000 and 600.
	Seekers int `json:"seekers"`
	Jobs    int `json:"jobs"`
	// Rounds is the number of simulated rounds; 0 means 10.
	Rounds int `json:"rounds"`
	// OfflineUsers is the number of users per side in the offline ranking
	// evaluation; 0 means 150.
	OfflineUsers int `json:"offline_users"`
	// DataDir is the real-data directory; "" means the one
	// internal/realdata finds. Missing real data is reported in the
	// report, never fatal.
	DataDir string `json:"data_dir"`
	// SkipRealData leaves the real data out (for tests of the simulator).
	SkipRealData bool `json:"skip_real_data"`

	// EngineSeekers, EngineJobs and EngineRounds size the Engine section's
	// simulated market; 0 means Seekers, Jobs and Rounds.
	EngineSeekers int `json:"engine_seekers"`
	EngineJobs    int `json:"engine_jobs"`
	EngineRounds  int `json:"engine_rounds"`
	// EngineVariants, when not nil, keeps only the Engine contenders of
	// the simulator with these names ("Engine default", "Engine harmonic,
	// exposure off", …). Nil: all of them.
	EngineVariants []string `json:"engine_variants,omitempty"`
	// SkipEngine leaves the Engine section out.
	SkipEngine bool `json:"skip_engine"`
	// TextQueries is the number of query postings of the text retrieval
	// task; 0 means 300.
	TextQueries int `json:"text_queries"`
	// TextPostings, when positive, runs the text retrieval task on a
	// seeded sample of that many postings (quick runs); 0: all of them.
	TextPostings int `json:"text_postings"`
	// Bootstrap is the number of bootstrap resamples of the Engine
	// section's intervals; 0 means 1000.
	Bootstrap int `json:"bootstrap"`
	// DatingSeeds is how many split seeds, from Seed on, the speed-dating
	// section repeats the Engine protocol with for its table of margins
	// per split; 0 means 8.
	DatingSeeds int `json:"dating_seeds"`
}

// Run runs the suite and writes report.md and the plots into out (created
// if needed). Progress lines go to progress (nil: none).
func Run(ctx context.Context, cfg Config, out string, progress io.Writer) error {
	if cfg.Seekers == 0 {
		cfg.Seekers = 3000
	}
	if cfg.Jobs == 0 {
		cfg.Jobs = 600
	}
	if cfg.Rounds == 0 {
		cfg.Rounds = 10
	}
	if cfg.DatingSeeds == 0 {
		cfg.DatingSeeds = 8
	}
	if cfg.DatingSeeds < 0 {
		return fmt.Errorf("report: DatingSeeds = %d: must not be negative", cfg.DatingSeeds)
	}
	if cfg.OfflineUsers == 0 {
		cfg.OfflineUsers = 150
	}
	if cfg.EngineSeekers == 0 {
		cfg.EngineSeekers = cfg.Seekers
	}
	if cfg.EngineJobs == 0 {
		cfg.EngineJobs = cfg.Jobs
	}
	if cfg.EngineRounds == 0 {
		cfg.EngineRounds = cfg.Rounds
	}
	if cfg.TextQueries == 0 {
		cfg.TextQueries = 300
	}
	if cfg.Bootstrap == 0 {
		cfg.Bootstrap = 1000
	}
	if cfg.Seekers < 1 || cfg.Jobs < 1 || cfg.Rounds < 1 || cfg.OfflineUsers < 1 {
		return fmt.Errorf("report: Seekers, Jobs, Rounds and OfflineUsers must be positive")
	}
	if cfg.EngineSeekers < 1 || cfg.EngineJobs < 1 || cfg.EngineRounds < 1 || cfg.TextQueries < 1 || cfg.Bootstrap < 1 || cfg.TextPostings < 0 {
		return fmt.Errorf("report: EngineSeekers, EngineJobs, EngineRounds, TextQueries and Bootstrap must be positive, TextPostings not negative")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	start := time.Now()
	logf := func(format string, args ...any) {
		if progress != nil {
			fmt.Fprintf(progress, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
		}
	}
	var md strings.Builder
	r := &writer{md: &md}
	r.p("# twoway evaluation report\n")
	r.p("Generated by `go run ./cmd/report -seed %d` (benchmarks module). Seed %d. Every figure in the "+
		"simulator sections is **simulated**; the speed-dating and postings sections use real data.\n", cfg.Seed, cfg.Seed)

	// Reply rates: the real resumeProcessRate distribution, or the fallback.
	var rates []float64
	rateSource := "real: resumeProcessRate/100 of lagou_2019_data_analyst.csv"
	if !cfg.SkipRealData {
		var err error
		rates, err = load.ReplyRates(cfg.DataDir)
		if err != nil {
			logf("reply rates: %v; using synth.DefaultReplyRates", err)
			rateSource = "fallback: synth.DefaultReplyRates (ventiles of the same real distribution; the file was not found)"
			rates = nil
		}
	} else {
		rateSource = "fallback: synth.DefaultReplyRates (real data skipped)"
	}
	logf("generating the simulated market (%d seekers, %d jobs)", cfg.Seekers, cfg.Jobs)
	sc := sim.Config{Market: synth.Config{Seed: cfg.Seed, Seekers: cfg.Seekers, Jobs: cfg.Jobs, ReplyRates: rates}, Rounds: cfg.Rounds}
	w, err := sim.NewWorld(sc)
	if err != nil {
		return err
	}
	f := contender.NewFeatures(w)
	logf("fitting the one-way models on %d history events", len(w.History))
	models, err := contender.FitModels(ctx, w, f)
	if err != nil {
		return err
	}
	logf("fitting the saturation model of package exposure")
	expo, err := contender.FitExposure(ctx, w)
	if err != nil {
		return err
	}
	logf("fitting the urgency model of package urgency")
	urg, err := contender.FitUrgency(ctx, w, f, models)
	if err != nil {
		return err
	}
	type entry struct {
		name     string
		exposure bool
		mk       func(*contender.Board) contender.ScoreFunc
	}
	entries := []entry{{"random", false, contender.Random(cfg.Seed)}, {"popularity", false, contender.Popular()}, {"content", false, contender.Content(f)}}
	for _, a := range contender.Aggregators() {
		entries = append(entries, entry{a.Name, false, contender.TwoWay(f, models, a.Aggregate)})
	}
	entries = append(entries, entry{"content +exposure", true, contender.Content(f)})
	for _, a := range contender.Aggregators() {
		entries = append(entries, entry{a.Name + " +exposure", true, contender.TwoWay(f, models, a.Aggregate)})
	}
	var sums []sim.Summary
	var results []*sim.Result
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		var o contender.Options
		if e.exposure {
			o.Exposure = expo
		}
		if strings.HasPrefix(e.name, "urgency-weighted") {
			o.Urgency = urg
		}
		rec, err := contender.NewRanked(e.name, w, o, e.mk)
		if err != nil {
			return err
		}
		res := w.Run(e.name, rec, nil)
		results = append(results, res)
		s := w.Summarize(res)
		sums = append(sums, s)
		logf("simulated %2d/%d %-28s %7.1f matches/round (%.1fs)", i+1, len(entries), e.name, s.MatchesPerRound, time.Since(t0).Seconds())
	}
	users := w.SampleUsers(cfg.OfflineUsers)
	ks := []int{10, 20, 50, 100, 200}
	var offline []sim.Offline
	for _, e := range entries {
		if e.exposure {
			continue
		}
		var o contender.Options
		if strings.HasPrefix(e.name, "urgency-weighted") {
			o.Urgency = urg
		}
		rec, err := contender.NewRanked(e.name, w, o, e.mk)
		if err != nil {
			return err
		}
		if err := rec.Prepare(0); err != nil {
			return err
		}
		offline = append(offline, w.EvaluateOffline(e.name, rec, users, 10, ks))
		logf("offline ranking %-20s done", e.name)
	}

	logf("building the recall strategies (content index, user-CF, item-CF, Swing, hot, hybrids)")
	set, err := strategy.Build(ctx, w)
	if err != nil {
		return err
	}
	curves, err := strategy.Evaluate(ctx, w, set, users, ks)
	if cerr := set.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	logf("recall strategies evaluated")

	r.simSetup(w, sc, rateSource, len(rates), models, expo, urg)
	r.simMarket(sums)
	r.simExposure(sums)
	r.simOffline(offline, curves)
	if err := r.plots(out, w, results, offline, curves); err != nil {
		return err
	}
	logf("plots written")

	if cfg.SkipRealData {
		r.p("\n## Real data\n\nSkipped (Config.SkipRealData).\n")
	} else {
		r.realData(ctx, cfg, logf)
	}
	if cfg.SkipEngine {
		r.p("\n## Engine: twoway.Engine through its public API\n\nSkipped (Config.SkipEngine).\n")
	} else if err := r.engineSection(ctx, cfg, rates, rateSource, out, logf); err != nil {
		return err
	}
	logf("congested markets (Tomita et al. protocol)")
	table, err := congested.MainMarkdown(congested.Config{})
	if err != nil {
		return err
	}
	r.p("\n## Market allocation on congested synthetic markets (simulated)\n")
	r.p("Package allocate (TU matching by IPFP, the Engine's optional market-level reranker, `Config.Allocation`) against the method " +
		"of Tomita et al. (RecSys 2023) implemented from the paper in the same run, the product ranking and one-way ranking, on " +
		"their protocol (benchmarks/congested: uniform preferences mixed with a common popularity ramp by λ, examination probability " +
		"1/rank, a match when both like and both examine). allocate's defaults were chosen on seeds 101–105; the table is seeds 1–5.\n")
	r.p("%s", table)
	logf("writing %s", filepath.Join(out, "report.md"))
	return os.WriteFile(filepath.Join(out, "report.md"), []byte(md.String()), 0o644)
}

type writer struct{ md *strings.Builder }

func (r *writer) p(format string, args ...any) { fmt.Fprintf(r.md, format+"\n", args...) }

func f3(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.3f", x)
}

func f1(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.1f", x)
}

func pct(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return fmt.Sprintf("%+.1f%%", 100*x)
}

func (r *writer) simSetup(w *sim.World, sc sim.Config, rateSource string, nRates int, m *contender.Models, x *contender.Exposure, u *contender.Urgency) {
	c := w.Config
	r.p("\n## Simulator (simulated)\n")
	r.p("Market: %d seekers, %d jobs (internal/synth, seed %d); %d days of history (%d events) that every contender learns from, "+
		"then %d rounds (one simulated day each); K = %d candidates per active user per round; about %.0f%% of registered users active per round "+
		"(×3 while urgent). Recruiter reply rates: %s%s.", w.Market.NumSeekers, w.Market.NumJobs, sc.Market.Seed, c.Warmup, len(w.History),
		c.Rounds, c.K, 100*c.ActiveShare, rateSource, postings(nRates))
	r.p("\nTwo-way rankers share one pair of fitted one-way models per side (logistic regression, package rank; training rows: "+
		"forward seekers %d, forward jobs %d, backward seekers %d, backward jobs %d); they differ only in the aggregator and in exposure control. "+
		"Aggregators are package match's (match.Aggregators). "+
		"Urgency for the urgency-weighted sum is package urgency: its model fitted on %d users of the history (cut-off 7 days before the "+
		"end of the history, default label), recomputed for every participant at the start of each round. "+
		"\"+exposure\" is package exposure: its saturation model fitted on %d labelled contacts of the history, recomputed for every participant "+
		"at the start of each round, and an exposure.Controller per ranker (default capacity 50 impressions, 24 h half-life ledger) that "+
		"multiplies scores by 1 − penalty and drops excluded candidates.\n",
		m.Rows[0], m.Rows[1], m.Rows[2], m.Rows[3], u.Users, x.Examples)
}

func (r *writer) simMarket(sums []sim.Summary) {
	oneWay := math.NaN()
	for _, s := range sums {
		if s.Name == "one-way" {
			oneWay = s.MatchesPerRound
		}
	}
	best := 0
	for i, s := range sums {
		if s.MatchesPerRound > sums[best].MatchesPerRound {
			best = i
		}
	}
	bestTwoWay := -1
	for i, s := range sums {
		if strings.Contains(s.Name, "exposure") || s.Name == "one-way" || i < 3 {
			continue
		}
		if bestTwoWay < 0 || s.MatchesPerRound > sums[bestTwoWay].MatchesPerRound {
			bestTwoWay = i
		}
	}
	r.p("\n### Market outcomes per ranker (simulated)\n")
	r.p("Most mutual matches per round: **%s** with %s, %s over one-way ranking (%s).", sums[best].Name, f1(sums[best].MatchesPerRound),
		pct(sums[best].MatchesPerRound/oneWay-1), f1(oneWay))
	if bestTwoWay >= 0 {
		r.p("Best two-way aggregator without exposure control: **%s** with %s, %s over one-way.\n", sums[bestTwoWay].Name,
			f1(sums[bestTwoWay].MatchesPerRound), pct(sums[bestTwoWay].MatchesPerRound/oneWay-1))
	}
	r.p("| ranker | matches/round | vs one-way | contacts/round | reply rate | seekers matched | jobs matched | overloaded | urgent: matched, rounds to 1st | calm: matched, rounds to 1st |")
	r.p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range sums {
		r.p("| %s | %s | %s | %s | %s | %s | %s | %s | %s, %s | %s, %s |", s.Name, f1(s.MatchesPerRound), pct(s.MatchesPerRound/oneWay-1),
			f1(s.ContactsPerRound), f3(s.ReplyRate), f3(s.Seekers.ShareMatched), f3(s.Jobs.ShareMatched), f3(s.Overloaded),
			f3(s.MatchedUrgent), f1(s.RoundsToMatchUrgent), f3(s.MatchedCalm), f1(s.RoundsToMatchCalm))
	}
	r.p("\n![mutual matches per round](matches_per_round.png)\n")
}

func (r *writer) simExposure(sums []sim.Summary) {
	r.p("\n### Exposure per side (simulated)\n")
	r.p("Gini coefficient of impressions received (0 = everybody equally exposed) and coverage (share of the side shown at least once), " +
		"for each ranker without and with exposure control.\n")
	r.p("| ranker | Gini seekers | Gini seekers +exposure | Gini jobs | Gini jobs +exposure | coverage seekers | coverage jobs | coverage seekers +exp | coverage jobs +exp |")
	r.p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	byName := map[string]sim.Summary{}
	for _, s := range sums {
		byName[s.Name] = s
	}
	for _, s := range sums {
		if strings.HasSuffix(s.Name, " +exposure") {
			continue
		}
		e, ok := byName[s.Name+" +exposure"]
		if !ok {
			r.p("| %s | %s | — | %s | — | %s | %s | — | — |", s.Name, f3(s.Seekers.ExposureGini), f3(s.Jobs.ExposureGini), f3(s.Seekers.Coverage), f3(s.Jobs.Coverage))
			continue
		}
		r.p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", s.Name, f3(s.Seekers.ExposureGini), f3(e.Seekers.ExposureGini),
			f3(s.Jobs.ExposureGini), f3(e.Jobs.ExposureGini), f3(s.Seekers.Coverage), f3(s.Jobs.Coverage), f3(e.Seekers.Coverage), f3(e.Jobs.Coverage))
	}
	r.p("\n![Lorenz curves, seekers](lorenz_seekers.png) ![Lorenz curves, jobs](lorenz_jobs.png)\n")
}

func (r *writer) simOffline(off []sim.Offline, curves []strategy.Curve) {
	r.p("\n### Offline ranking quality at the start of the rounds (simulated)\n")
	r.p("Each sampled user ranks the whole other side. Relevance from the latent truth: *mutual* = both would accept; " +
		"*one-way* = the user would accept. P/R/NDCG at 10; AUC pooled over users; GAUC = per-user AUC averaged.\n")
	for _, kind := range []string{"mutual", "one-way"} {
		r.p("| ranker | side | P@10 | R@10 | NDCG@10 | MRR | AUC | GAUC | users (with relevant) |")
		r.p("|---|---|---:|---:|---:|---:|---:|---:|---:|")
		for _, o := range off {
			for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
				s := o.Mutual[sd]
				if kind == "one-way" {
					s = o.OneWay[sd]
				}
				r.p("| %s | %s | %s | %s | %s | %s | %s | %s | %d (%d) |", o.Name, sideName(sd), f3(s.Precision), f3(s.Recall), f3(s.NDCG), f3(s.MRR),
					f3(s.AUC), f3(s.GAUC), s.Users, s.Relevant)
			}
		}
		r.p("\n*(relevance: %s)*\n", kind)
	}
	r.p("#### Recall of mutual acceptances at k, per strategy (simulated)\n")
	r.p("Recall strategies of package recall, fitted on the same history (interest matrix of views/favourites/chats/replies, " +
		"no decay; content index = bleve over every profile with learned preferences; hybrids merge the five with equal quotas), " +
		"each asked for the top 200 of the registered other side; then the scorers above used as recall (whole other side ranked). " +
		"Recall = share of the requester's mutual acceptances found in the top k. \"empty\" counts requesters who got no candidate.\n")
	if len(off) == 0 {
		return
	}
	head := "| strategy | side |"
	sep := "|---|---|"
	for _, k := range off[0].Ks {
		head += fmt.Sprintf(" R@%d |", k)
		sep += "---:|"
	}
	r.p("%s empty |\n%s---:|", head, sep)
	for _, c := range curves {
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			line := fmt.Sprintf("| %s | %s |", c.Name, sideName(sd))
			for _, v := range c.RecallAt[sd] {
				line += " " + f3(v) + " |"
			}
			r.p("%s %d of %d |", line, c.Empty[sd], c.Users[sd])
		}
	}
	for _, o := range off {
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			line := fmt.Sprintf("| %s (scorer) | %s |", o.Name, sideName(sd))
			for _, v := range o.RecallAt[sd] {
				line += " " + f3(v) + " |"
			}
			r.p("%s — |", line)
		}
	}
	r.p("\n![recall at k, seekers](recall_seekers.png) ![recall at k, jobs](recall_jobs.png)\n")
}

func postings(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d postings)", n)
}

func sideName(s market.Side) string {
	if s == market.Seeker {
		return "seekers"
	}
	return "jobs"
}

func (r *writer) realData(ctx context.Context, cfg Config, logf func(string, ...any)) {
	r.p("\n## Speed dating (real data)\n")
	tab, err := load.SpeedDating(cfg.DataDir)
	if err != nil {
		r.p("Not run: %s.\n", missing(err))
		logf("speed dating: %v", err)
	} else {
		var aggs []dating.Aggregator
		for _, a := range contender.Aggregators() {
			fn := a.Aggregate
			aggs = append(aggs, dating.Aggregator{Name: a.Name, Aggregate: func(x, y float64) float64 {
				return fn(contender.Pair{Forward: x, Backward: y, RequesterUrgency: math.NaN(), CandidateUrgency: math.NaN()})
			}})
		}
		res, err := dating.Evaluate(ctx, dating.Config{Seed: cfg.Seed}, tab, aggs)
		if err != nil {
			r.p("Failed: %v.\n", err)
		} else {
			r.p("File speeddating/speed_dating_waves01-14.csv: %d rows (%d left out as unplaceable), %d training and %d held-out rows "+
				"(30%% of meetings, seed %d), %d people ranked. Protocol: package benchmarks/dating. Urgency is unknown in this data, "+
				"so the urgency-weighted sum equals the mean. Cut-off k = %d.\n", res.Rows, res.Skipped, res.TrainRows, res.TestRows, cfg.Seed, res.People, res.K)
			for _, part := range []struct {
				title      string
				women, men []metric.Summary
			}{{"Matches (both said yes): reciprocal relevance", res.MutualWomen, res.MutualMen},
				{"Own decision (dec): one-way relevance", res.OneWayWomen, res.OneWayMen}} {
				r.p("**%s**\n", part.title)
				r.p("| ranker | side | P@%d | R@%d | NDCG@%d | MRR | AUC | GAUC | people (with relevant) |", res.K, res.K, res.K)
				r.p("|---|---|---:|---:|---:|---:|---:|---:|---:|")
				for i, name := range res.Rankers {
					for _, g := range []struct {
						side string
						s    metric.Summary
					}{{"women", part.women[i]}, {"men", part.men[i]}} {
						s := g.s
						r.p("| %s | %s | %s | %s | %s | %s | %s | %s | %d (%d) |", name, g.side, f3(s.Precision), f3(s.Recall), f3(s.NDCG), f3(s.MRR), f3(s.AUC), f3(s.GAUC), s.Users, s.Relevant)
					}
				}
				r.p("")
			}
		}
		logf("speed dating evaluated")
	}
	r.p("\n## Chinese job postings (real data): parsing coverage\n")
	_, reps, err := load.Postings(cfg.DataDir)
	if err != nil {
		r.p("Not run: %s.\n", missing(err))
		return
	}
	r.p("Read through market.LoadPostingDir (duplicates across crawls dropped).\n")
	r.p("| file | rows | parsed | coverage | duplicates (across files) | 面议 | rejected |")
	r.p("|---|---:|---:|---:|---:|---:|---|")
	for _, rep := range reps {
		var rej []string
		for _, k := range rep.Reasons() {
			rej = append(rej, fmt.Sprintf("%s %d", k, rep.Rejected[k]))
		}
		r.p("| %s | %d | %d | %s | %d (%d) | %d | %s |", rep.Source, rep.Rows, rep.Parsed, f3(rep.Coverage()), rep.Duplicates, rep.DuplicatesAcross, rep.Negotiable, strings.Join(rej, ", "))
	}
	logf("postings read")
}

func missing(err error) string {
	if errors.Is(err, load.ErrMissing) {
		return err.Error()
	}
	return "error: " + err.Error()
}
