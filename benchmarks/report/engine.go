package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/benchmarks/dating"
	"github.com/twowayrec/twoway/benchmarks/enginesim"
	"github.com/twowayrec/twoway/benchmarks/evaluate"
	"github.com/twowayrec/twoway/benchmarks/load"
	"github.com/twowayrec/twoway/benchmarks/retrieval"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
)

// The Engine section's simulator: declines and finite room (see
// benchmarks/README.md, "Engine section").
const (
	engineDecline     = 0.3
	engineSeekerLeave = 0.5
	engineHeadcount   = 5
)

// engineSection writes the "Engine" section: the twoway.Engine through its
// public API on the simulator (warm and cold), on speed dating and on
// text retrieval, each beside its floors.
func (r *writer) engineSection(ctx context.Context, cfg Config, rates []float64, rateSource, out string, logf func(string, ...any)) error {
	r.p("\n## Engine: twoway.Engine through its public API\n")
	r.p("Everything in this section drives a `twoway.Engine` exactly as a host would (Upsert, Record, Fit, Recommend; no internal " +
		"package), beside floors computed in the same run with the same metric code. The Engine's own configuration is its default " +
		"(`twoway.Config{}`) unless a row says otherwise; its defaults were chosen on speed dating's validation waves and on a development " +
		"seed of the simulator, never on the figures below. \"exposure off\" is `enginesim.ExposureOff`: the Engine's switch Exposure.Off " +
		"(no ledger, no congestion factor, no exclusion).\n")

	sc := sim.Config{Market: synth.Config{Seed: cfg.Seed, Seekers: cfg.EngineSeekers, Jobs: cfg.EngineJobs, ReplyRates: rates},
		Rounds: cfg.EngineRounds, Decline: engineDecline, Room: sim.Room{SeekerLeave: engineSeekerLeave, Headcount: engineHeadcount}}
	w, err := sim.NewWorld(sc)
	if err != nil {
		return err
	}
	engines := enginesim.Engines(twoway.Config{}, cfg.Seed, nil)
	if cfg.EngineVariants != nil {
		engines = slices.DeleteFunc(engines, func(e enginesim.Entry) bool { return !slices.Contains(cfg.EngineVariants, e.Name) })
	}
	entries := slices.Concat(enginesim.Floors(cfg.Seed), engines, []enginesim.Entry{enginesim.Oracle()}, enginesim.ObserverOracles())
	r.p("### Simulator (simulated)\n")
	r.p("Market: %d seekers, %d jobs (internal/synth, seed %d), recruiter reply rates %s%s. %d rounds (one simulated day each), K = %d. "+
		"Compared to the simulator sections above, this market's room is finite and people say no: a contacted participant who does not "+
		"accept declines explicitly (a Reject) with probability %.1f; a seeker leaves after each match with probability %.1f; a job "+
		"fills and closes after its headcount of matches (uniform in 1 … %d, mean %d). Departures are upserted as Inactive. "+
		"**warm**: the %d-day history (%d events) is fed first; **cold**: the market opens with profiles only. "+
		"Every contender asks once per active participant and round; the host records every event as it happens; the Engine is refitted "+
		"every night (before each round, the first included).\n",
		w.Market.NumSeekers, w.Market.NumJobs, cfg.Seed, rateSource, postings(len(rates)), w.Config.Rounds, w.Config.K,
		engineDecline, engineSeekerLeave, 2*engineHeadcount-1, engineHeadcount, w.Config.Warmup, len(w.History))
	r.p("Floors: random, popularity (interest received so far), content (cosine of skills, city, title, industry), and one-way, " +
		"product and harmonic over package contender's logistic one-way models (P(contact | shown), P(reply | contacted)) refitted every " +
		"night on everything observed so far (content cosine in both directions before anything can be fitted). Ceiling: the oracle reads " +
		"the latent truth (both sides' acceptance, reply rates, capacities, the live load) and shows the candidates most likely to become a " +
		"match now (greedy, not a proven bound). Two rows of kind *observer* rank the same way for an observer who knows all of that " +
		"but part of the affinities: \"noise hidden\" does not know the pair-specific noise of each affinity (nobody can: it is the " +
		"generator's unobservable part), \"latent hidden\" not the latent taste·trait term either (which only collaborative evidence " +
		"recovers from the history); each ranks by the expected chance of a match (synth's AcceptChance) instead of the certain one. " +
		"The gap closed is still measured to the oracle.\n")
	r.p("Columns: *matches* over the run and in the first three rounds, each with its difference to the best floor and the share of the " +
		"gap between the best floor and the oracle that it closes; *per 1,000 contacts*; *empty* and *short* lists (fewer than K valid " +
		"candidates) as shares of requests; *overloaded jobs*: share of contacted jobs whose load passed their capacity (pooled over rounds); " +
		"inbound Gini of jobs (contacts received) and exposure Gini of jobs (impressions); *harness*: Engine errors and invariant breaches " +
		"(0 = every Record, Upsert, Fit and Recommend returned nil, every candidate shown was valid and not contacted before).\n")
	var plots []scenarioPlot
	for _, scn := range []struct {
		name string
		w    *sim.World
	}{{"warm", w}, {"cold", w.Cold()}} {
		logf("Engine section: simulator, %s (%d contenders)", scn.name, len(entries))
		outs, err := enginesim.Compare(ctx, scn.w, entries, logf)
		if err != nil {
			return err
		}
		r.engineSimTable(scn.name, outs)
		r.engineProbe(scn.name, outs)
		plots = append(plots, scenarioPlot{scn.name, outs})
	}
	if err := enginePlots(out, plots); err != nil {
		return err
	}
	r.p("\n![matches per round, warm](engine_matches_warm.png) ![matches per round, cold](engine_matches_cold.png)\n")

	if cfg.SkipRealData {
		r.p("\n### Speed dating and text retrieval through the Engine (real data)\n\nSkipped (Config.SkipRealData).\n")
		return nil
	}
	r.engineDating(ctx, cfg, logf)
	r.engineRetrieval(ctx, cfg, logf)
	return nil
}

func (r *writer) engineSimTable(scenario string, outs []enginesim.Outcome) {
	bf, bf3 := enginesim.Best(outs, enginesim.Floor, false), enginesim.Best(outs, enginesim.Floor, true)
	or := enginesim.Best(outs, enginesim.Ceiling, false)
	r.p("\n#### %s start (simulated)\n", scenario)
	if bf < 0 {
		r.p("No floor ran.\n")
		return
	}
	oracle, oracle3 := math.NaN(), math.NaN()
	if or >= 0 {
		oracle, oracle3 = float64(outs[or].Summary.Matches), float64(outs[or].Summary.MatchesFirst3)
	}
	floor, floor3 := float64(outs[bf].Summary.Matches), float64(outs[bf3].Summary.MatchesFirst3)
	r.p("Best floor over the run: **%s** (%s matches); in the first three rounds: **%s** (%s); oracle ceiling: %s (%s in the first three rounds).\n",
		outs[bf].Name, f0(floor), outs[bf3].Name, f0(floor3), f0(oracle), f0(oracle3))
	r.p("| contender | kind | matches | vs best floor | gap closed | first 3 rounds | vs best floor | gap closed | per 1,000 contacts | empty | short | overloaded jobs | inbound Gini jobs | exposure Gini jobs | harness |")
	r.p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, o := range outs {
		s := o.Summary
		m, m3 := float64(s.Matches), float64(s.MatchesFirst3)
		harness := "—"
		if o.Engine != nil {
			harness = "ok"
			if o.Harness != "" {
				harness = "**" + strings.ReplaceAll(o.Harness, "\n", "; ") + "**"
			}
		}
		r.p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", o.Name, o.Kind, f0(m), pct(m/floor-1),
			gap(m, floor, oracle), f0(m3), pct(m3/floor3-1), gap(m3, floor3, oracle3), f1(s.MatchesPer1000Contacts),
			share(s.EmptyShare), share(s.ShortShare), f3(s.OverloadedJobs), f3(s.Jobs.InboundGini), f3(s.Jobs.ExposureGini), harness)
	}
	r.p("\n*(simulated; %s start)*\n", scenario)
}

// engineProbe writes how well the default Engine's one-way matches track
// the latent truth at the end of the run.
func (r *writer) engineProbe(scenario string, outs []enginesim.Outcome) {
	var rows []enginesim.Outcome
	for _, o := range outs {
		if o.Probe != nil {
			rows = append(rows, o)
		}
	}
	if len(rows) == 0 {
		return
	}
	r.p("The Engine's one-way matches against the latent truth at the end of the run (%s start): AUC of Explain's Forward.Match against "+
		"\"the requester would accept the candidate\" and of Backward.Match against \"the candidate would accept the requester\" (synth's "+
		"Accepts, not urgent), pooled over a seeded sample of pairs still in the market (up to 100 requesters per side × 40 uniform "+
		"candidates).\n", scenario)
	r.p("| contender | forward AUC, seekers asking | forward AUC, jobs asking | backward AUC, seekers asking | backward AUC, jobs asking | pairs (accepted fwd / bwd) |")
	r.p("|---|---:|---:|---:|---:|---|")
	for _, o := range rows {
		p := o.Probe
		s, j := market.Seeker, market.Recruiter
		r.p("| %s | %s | %s | %s | %s | %d (%d / %d) seekers, %d (%d / %d) jobs |", o.Name, f3(p.Forward[s]), f3(p.Forward[j]),
			f3(p.Backward[s]), f3(p.Backward[j]), p.Pairs[s], p.Positives[s], p.BackPositives[s], p.Pairs[j], p.Positives[j], p.BackPositives[j])
	}
	r.p("\n*(simulated; %s start)*\n", scenario)
}

// gap is the share of the floor-to-ceiling gap that x closes.
func gap(x, floor, ceiling float64) string {
	if math.IsNaN(ceiling) || ceiling <= floor {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*(x-floor)/(ceiling-floor))
}

func f0(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.0f", x)
}

func share(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}

type scenarioPlot struct {
	name string
	outs []enginesim.Outcome
}

// enginePlots draws matches per round of the oracle, the best floor and
// the default Engine with exposure control on and off, per scenario.
func enginePlots(out string, scs []scenarioPlot) error {
	for _, sc := range scs {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("Mutual matches per round, Engine section, %s start (simulated)", sc.name)
		p.X.Label.Text = "round"
		p.Y.Label.Text = "mutual matches"
		keep := map[int]bool{}
		if i := enginesim.Best(sc.outs, enginesim.Floor, false); i >= 0 {
			keep[i] = true
		}
		var lines []any
		rounds := 0
		for i, o := range sc.outs {
			if !keep[i] && o.Kind != enginesim.Ceiling && !strings.HasPrefix(o.Name, "Engine default") {
				continue
			}
			pts := make(plotter.XYs, len(o.Result.Rounds))
			for j, st := range o.Result.Rounds {
				pts[j] = plotter.XY{X: float64(j), Y: float64(st.Replies)}
			}
			rounds = max(rounds, len(pts))
			name := o.Name
			if o.Kind == enginesim.Floor {
				name += " (best floor)"
			}
			lines = append(lines, name, pts)
		}
		if err := plotutil.AddLinePoints(p, finite(lines)...); err != nil {
			return err
		}
		p.X.Tick.Marker = roundTicks(rounds)
		if err := saveLegendRight(p, out, "engine_matches_"+sc.name+".png"); err != nil {
			return err
		}
	}
	return nil
}

func (r *writer) engineDating(ctx context.Context, cfg Config, logf func(string, ...any)) {
	r.p("\n### Speed dating through the Engine (real: %s)\n", dating.File)
	tab, err := load.SpeedDating(cfg.DataDir)
	if err != nil {
		r.p("Not run: %s.\n", missing(err))
		return
	}
	t0 := time.Now()
	res, err := dating.EvaluateEngine(ctx, dating.EngineConfig{Seed: cfg.Seed, Bootstrap: cfg.Bootstrap}, tab)
	if err != nil {
		r.p("Failed: %v.\n", err)
		return
	}
	logf("Engine section: speed dating (%.1fs)", time.Since(t0).Seconds())
	r.p("Protocol: package benchmarks/dating (EvaluateEngine). %d people, %d rows (%d left out as unplaceable); in every wave 30%% of "+
		"the pairs are hidden (seed %d): %d rows hidden, %d visible. Each person is a profile with sign-up fields only (women on the "+
		"Seeker side, men on the Recruiter side, one \"city\" per wave, requests kept inside it with Request.Cities); every visible "+
		"meeting is an Impression and the decision (yes: Apply/Chat, no: Reject), %d events, all recorded before one Fit. Each person "+
		"ranks their hidden partners: the Engine by Recommend (DryRun, Recommendation.Score; partners it did not return rank last), "+
		"the floors from the visible decisions only (generosity(i) = smoothed share of yes i gave, attractiveness(j) = smoothed share of "+
		"yes j received, prior = the overall share, strength 2). AUC is pooled over the side's queries, GAUC averaged over people, "+
		"NDCG@%d; relevance *match* = both said yes, *own yes* = the person's decision.\n",
		res.People, res.Meetings, res.Skipped, cfg.Seed, res.Hidden, res.Visible, res.Events, 3)
	for _, s := range []dating.SplitResult{res.Validation, res.Test} {
		label := "**Validation** (waves %s: tuning may look here)"
		if s.Name == "test" {
			label = "**Test** (waves %s: computed once, never used to choose anything)"
		}
		r.p(label+", %d people with hidden partners.\n", waveList(s.Waves), s.Queries)
		r.p("| ranker | kind | AUC(match) women | AUC(match) men | GAUC(match) women | GAUC(match) men | NDCG@3(match) women | NDCG@3(match) men | AUC(own yes) women | AUC(own yes) men |")
		r.p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
		for i, er := range s.Rankers {
			kind := "engine"
			if i < s.Floors {
				kind = "floor"
			}
			w, m := er.Mutual[market.Seeker], er.Mutual[market.Recruiter]
			ow, om := er.OneWay[market.Seeker], er.OneWay[market.Recruiter]
			r.p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", er.Name, kind, f3(w.AUC), f3(m.AUC), f3(w.GAUC), f3(m.GAUC),
				f3(w.NDCG), f3(m.NDCG), f3(ow.AUC), f3(om.AUC))
		}
		r.p("")
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			who := "women"
			if sd == market.Recruiter {
				who = "men"
			}
			bf := s.Rankers[s.BestFloor[sd]].Name
			r.p("- %s, Engine default − best floor (%s, by AUC(match)): AUC(match) %s, GAUC(match) %s (95%% bootstrap over people).",
				who, bf, interval(s.AUCvsFloor[sd]), interval(s.GAUCvsFloor[sd]))
		}
		r.datingCalibration(&s)
		r.p("\n*(real: %s, %s split)*\n", dating.File, s.Name)
	}
	r.engineDatingSeeds(ctx, cfg, tab, res)
}

// datingCalibration tabulates how well the default Engine's one-way
// probabilities agree with the hidden pairs' decisions: log-loss against
// the base rate's, and a reliability table (forecast → observed share,
// pairs, per tenth of the forecast).
func (r *writer) datingCalibration(s *dating.SplitResult) {
	r.p("\nCalibration of the default Engine's one-way probabilities on the same pairs: *forward* is Recommendation.Forward, the " +
		"probability that the requester says yes, against the requester's decision; *backward* is Recommendation.Backward, the " +
		"probability that the candidate says yes to the requester, against the candidate's decision. The base rate is the visible " +
		"pairs' share of yes of the deciding side, forecast for every pair.\n")
	r.p("| requester | probability | pairs | mean forecast | observed | log-loss | base rate's log-loss | Brier |")
	r.p("|---|---|---:|---:|---:|---:|---:|---:|")
	type row struct {
		who, dir string
		c        *evaluate.Calibration
	}
	var rows []row
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		who := "women"
		if sd == market.Recruiter {
			who = "men"
		}
		rows = append(rows, row{who, "forward", &s.Calibration[sd].Forward}, row{who, "backward", &s.Calibration[sd].Backward})
	}
	for _, x := range rows {
		r.p("| %s | %s | %d | %s | %s | %s | %s | %s |", x.who, x.dir, x.c.N, f3(x.c.Mean), f3(x.c.Observed), f3(x.c.LogLoss), f3(x.c.Base), f3(x.c.Brier))
	}
	if len(rows) == 0 || len(rows[0].c.Bins) == 0 {
		return
	}
	r.p("\nReliability: in each tenth of the forecast, the mean forecast → the observed share of yes (pairs).\n")
	head, rule := "| requester | probability |", "|---|---|"
	for _, b := range rows[0].c.Bins {
		head += fmt.Sprintf(" %.1f–%.1f |", b.Lo, b.Hi)
		rule += "---:|"
	}
	r.p("%s\n%s", head, rule)
	for _, x := range rows {
		line := "| " + x.who + " | " + x.dir + " |"
		for _, b := range x.c.Bins {
			if b.N == 0 {
				line += " |"
				continue
			}
			line += fmt.Sprintf(" %.2f → %.2f (%d) |", b.Mean, b.Observed, b.N)
		}
		r.p("%s", line)
	}
}

// engineDatingSeeds repeats the Engine protocol with the split seeds
// cfg.Seed … cfg.Seed+cfg.DatingSeeds−1 and tabulates Engine default − best
// floor on the test waves for each: one split's test set is a few hundred
// pairs a side, and the margin moves by ±0.01 from one split to the next.
// first is the run with cfg.Seed the section already made.
func (r *writer) engineDatingSeeds(ctx context.Context, cfg Config, tab *dating.Table, first *dating.EngineResult) {
	n := cfg.DatingSeeds
	r.p("**Split seeds.** The hidden pairs, and so both sets, depend on the seed. Engine default − best floor on the test waves "+
		"with seeds %d to %d (AUC(match), 95%% bootstrap over people, %d resamples):\n", cfg.Seed, cfg.Seed+uint64(n)-1, cfg.Bootstrap)
	r.p("| seed | women | men |")
	r.p("|---:|---|---|")
	var mean [3]float64
	var above [3]int
	for k := range uint64(n) {
		res := first
		if k > 0 {
			var err error
			if res, err = dating.EvaluateEngine(ctx, dating.EngineConfig{Seed: cfg.Seed + k, Bootstrap: cfg.Bootstrap}, tab); err != nil {
				r.p("\nFailed: %v.\n", err)
				return
			}
		}
		iv := res.Test.AUCvsFloor
		r.p("| %d | %s | %s |", cfg.Seed+k, interval(iv[market.Seeker]), interval(iv[market.Recruiter]))
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			mean[sd] += iv[sd].Diff / float64(n)
			if iv[sd].Lo > 0 {
				above[sd]++
			}
		}
	}
	r.p("| mean | %+.3f (interval above 0 on %d of %d) | %+.3f (%d of %d) |", mean[market.Seeker], above[market.Seeker], n,
		mean[market.Recruiter], above[market.Recruiter], n)
	r.p("\n*(real: %s, test split, split seeds %d–%d)*\n", dating.File, cfg.Seed, cfg.Seed+uint64(n)-1)
}

func interval(iv evaluate.Interval) string {
	if math.IsNaN(iv.Diff) {
		return "—"
	}
	s := fmt.Sprintf("%+.3f [%+.3f, %+.3f]", iv.Diff, iv.Lo, iv.Hi)
	if iv.Excludes0() {
		s += ", excludes 0"
	}
	return s
}

func waveList(ws []int) string {
	if len(ws) == 0 {
		return "none"
	}
	if ws[len(ws)-1]-ws[0] == len(ws)-1 {
		return fmt.Sprintf("%d–%d", ws[0], ws[len(ws)-1])
	}
	var parts []string
	for _, w := range ws {
		parts = append(parts, fmt.Sprint(w))
	}
	return strings.Join(parts, ", ")
}

func (r *writer) engineRetrieval(ctx context.Context, cfg Config, logf func(string, ...any)) {
	r.p("\n### Text retrieval through the Engine (real: %s)\n", retrieval.Lagou2017File)
	p, err := load.Path(cfg.DataDir, retrieval.Lagou2017File)
	if err != nil {
		r.p("Not run: %s.\n", missing(err))
		return
	}
	c, err := retrieval.OpenLagou2017(p)
	if err != nil {
		r.p("Failed: %v.\n", err)
		return
	}
	t0 := time.Now()
	res, err := retrieval.Evaluate(ctx, c, retrieval.Config{Seed: cfg.Seed, Queries: cfg.TextQueries, Postings: cfg.TextPostings, Bootstrap: cfg.Bootstrap})
	if err != nil {
		r.p("Failed: %v.\n", err)
		return
	}
	logf("Engine section: text retrieval (%.1fs)", time.Since(t0).Seconds())
	sample := ""
	if res.Postings < len(c.Postings) {
		sample = fmt.Sprintf(" (a seeded sample of the %d)", len(c.Postings))
	}
	r.p("Protocol: package benchmarks/retrieval. Weak labels: %d postings of the file%s (market.ReadPostings, duplicates dropped, %d "+
		"without a secondType left out), %d categories (lagou's secondType); %d query postings (seed %d), each asked as a seeker profile "+
		"in two forms: its title, skills, labels and text as fields, and the same words as free text only (no title, no skills, as a résumé "+
		"upload gives). Relevant = the other postings of the same category (base rate %.3f: a random list's expected precision); the query's "+
		"own posting is never a candidate. The Engine has every posting as a recruiter and every query as a seeker, one Fit with no events "+
		"(its content path only), Recommend with DryRun; the text baselines (package text's tokenizer with TF-IDF cosine; plain "+
		"strings.FieldsFunc words; character bigrams; all with the same TF-IDF weighting) read all the words of either form. "+
		"95%% bootstrap intervals over queries.\n",
		res.Postings, sample, c.Uncategorised, res.Categories, res.Queries, cfg.Seed, res.BaseRate)
	for _, v := range res.Variants {
		r.p("**Query form: %s**\n", v.Variant)
		r.p("| ranker | P@%d | NDCG@%d | Hit@%d | Engine − ranker, P@%d |", res.K, res.K, res.K, res.K)
		r.p("|---|---:|---:|---:|---:|")
		for i, rk := range v.Rankers {
			diff := "—"
			if i > 0 {
				diff = fig(rk.EngineMinus)
			}
			r.p("| %s | %s | %s | %s | %s |", rk.Name, fig(rk.Precision), fig(rk.NDCG), fig(rk.Hit), diff)
		}
		r.p("\n*(real: %s; the Engine returned %.1f postings per query on average)*\n", retrieval.Lagou2017File, v.Returned)
	}
}

func fig(f retrieval.Figure) string {
	if math.IsNaN(f.Mean) {
		return "—"
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", f.Mean, f.Lo, f.Hi)
}

// roundTicks labels rounds 0 … n−1.
func roundTicks(n int) plot.ConstantTicks {
	var t plot.ConstantTicks
	for i := range n {
		t = append(t, plot.Tick{Value: float64(i), Label: fmt.Sprint(i)})
	}
	return t
}
