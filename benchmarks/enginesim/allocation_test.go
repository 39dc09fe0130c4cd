package enginesim

import (
	"cmp"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway"
)

// TestAllocationValidation runs the Engine without the market-level
// reranker and with it at several graph sizes (Config.Allocation's
// Candidates, TWOWAY_ALLOCATION_CANDIDATES, comma-separated; default
// "100,50,25") on the validation markets (TWOWAY_ALLOCATION_SEEDS, default
// 101,102; never the test seed 1), and at several temperatures
// (TWOWAY_ALLOCATION_BETAS, allocate.Config.Beta in thousandths,
// default "0": allocate's) and graph windows (TWOWAY_ALLOCATION_WINDOWS,
// AllocationConfig.Window as Go durations, default "0": the Engine's 7
// days; "-1ns" prices every seeker), and logs the matches of each, over the
// run and in the first three rounds (simulated). Set
// TWOWAY_ALLOCATION_VALIDATION=1 to run it:
//
//	TWOWAY_ALLOCATION_VALIDATION=1 nice -n 19 go test ./enginesim -run TestAllocationValidation -v -timeout 120m
func TestAllocationValidation(t *testing.T) {
	if os.Getenv("TWOWAY_ALLOCATION_VALIDATION") == "" {
		t.Skip("set TWOWAY_ALLOCATION_VALIDATION=1 (minutes)")
	}
	seeds := envInts(t, "TWOWAY_ALLOCATION_SEEDS", "101,102")
	cands := envInts(t, "TWOWAY_ALLOCATION_CANDIDATES", "100,50,25")
	// Temperatures (allocate.Config.Beta, in thousandths; 0: allocate's
	// default), each with every graph size.
	betas := envInts(t, "TWOWAY_ALLOCATION_BETAS", "0")
	var windows []time.Duration
	for _, f := range strings.Split(cmp.Or(os.Getenv("TWOWAY_ALLOCATION_WINDOWS"), "0"), ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		require.NoError(t, err, "TWOWAY_ALLOCATION_WINDOWS")
		windows = append(windows, d)
	}
	ctx := context.Background()
	for _, seed := range seeds {
		require.NotEqual(t, 1, seed, "seed 1 is the report's test split")
		w := validationWorld(t, uint64(seed), 10)
		type variant struct {
			name string
			cfg  twoway.Config
		}
		vs := []variant{{name: "allocation off"}}
		for _, k := range cands {
			for _, beta := range betas {
				for _, win := range windows {
					v := variant{name: "allocation, " + strconv.Itoa(k) + " candidates"}
					v.cfg.Allocation = twoway.AllocationConfig{On: true, Candidates: k, Window: win}
					if beta > 0 {
						v.name += ", β " + strconv.FormatFloat(float64(beta)/1000, 'g', -1, 64)
						v.cfg.Allocation.Allocate.Beta = float64(beta) / 1000
					}
					if win != 0 {
						v.name += ", window " + win.String()
					}
					vs = append(vs, v)
				}
			}
		}
		for _, v := range vs {
			name, cfg := v.name, v.cfg
			c, err := New(ctx, name, w, Config{Engine: cfg})
			require.NoError(t, err)
			res := w.Run(name, c, nil)
			sum := w.Summarize(res)
			require.NoError(t, Check(c.Stats(), sum))
			require.NoError(t, c.Close())
			early := 0
			for r := 0; r < min(3, len(res.Rounds)); r++ {
				early += res.Rounds[r].Replies
			}
			t.Logf("simulated, validation seed %d, 1500×300, 10 rounds, %s: %d matches, %d in rounds 0–2, reply rate %.4f, %d contacts/round",
				seed, name, sum.Matches, early, sum.ReplyRate, int(sum.ContactsPerRound))
		}
	}
}

// envInts parses the comma-separated integers of the environment variable
// name, or def when it is unset.
func envInts(t *testing.T, name, def string) []int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		s = def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		require.NoError(t, err, "%s", name)
		out = append(out, v)
	}
	return out
}

// TestAggregatorValidation runs the Engine with each two-way aggregator of
// TWOWAY_AGGREGATORS (comma-separated names of match.Aggregators, and
// "contact-cost:c" for the contact-cost aggregator at Config.ContactCost
// c; default "product,harmonic") on the validation markets (TWOWAY_AGGREGATOR_SEEDS,
// default 101,102,103,104,105; never the test seed 1) and logs the matches
// of each (simulated), for the choice of DefaultAggregator. Set
// TWOWAY_AGGREGATOR_VALIDATION=1 to run it:
//
//	TWOWAY_AGGREGATOR_VALIDATION=1 nice -n 19 go test ./enginesim -run TestAggregatorValidation -v -timeout 120m
func TestAggregatorValidation(t *testing.T) {
	if os.Getenv("TWOWAY_AGGREGATOR_VALIDATION") == "" {
		t.Skip("set TWOWAY_AGGREGATOR_VALIDATION=1 (minutes)")
	}
	seeds := envInts(t, "TWOWAY_AGGREGATOR_SEEDS", "101,102,103,104,105")
	names := strings.Split(os.Getenv("TWOWAY_AGGREGATORS"), ",")
	if names[0] == "" {
		names = []string{"product", "harmonic"}
	}
	ctx := context.Background()
	for _, seed := range seeds {
		require.NotEqual(t, 1, seed, "seed 1 is the report's test split")
		w := validationWorld(t, uint64(seed), 10)
		for _, agg := range names {
			name := "aggregator " + agg
			ec := twoway.Config{Aggregator: agg}
			if a, cost, ok := strings.Cut(agg, ":"); ok {
				var err error
				ec.Aggregator = a
				ec.ContactCost, err = strconv.ParseFloat(cost, 64)
				require.NoError(t, err, agg)
			}
			c, err := New(ctx, name, w, Config{Engine: ec})
			require.NoError(t, err)
			res := w.Run(name, c, nil)
			sum := w.Summarize(res)
			require.NoError(t, Check(c.Stats(), sum))
			require.NoError(t, c.Close())
			n := 0
			for _, r := range res.Rounds {
				n += r.Contacts
			}
			t.Logf("simulated, validation seed %d, 1500×300, 10 rounds, %s: %d matches, reply rate %.4f, %d contacts/round, %.1f matches per 1,000 contacts",
				seed, name, sum.Matches, sum.ReplyRate, int(sum.ContactsPerRound), 1000*float64(sum.Matches)/float64(n))
		}
	}
}

// TestAggregatorTestSplit runs the Engine with the product and with the
// default aggregator (DefaultAggregator, chosen by TestAggregatorValidation
// and speed dating's validation waves), and with the one-way aggregator for
// the per-contact ratio, once on the test markets, seeds 1 to 5, which no
// default was tuned on, and logs the matches, contacts and matches per
// 1,000 contacts of each (simulated). Set TWOWAY_AGGREGATOR_TEST=1 to run
// it (about ten minutes on 2 cores):
//
//	TWOWAY_AGGREGATOR_TEST=1 nice -n 19 go test ./enginesim -run TestAggregatorTestSplit -v -timeout 90m
func TestAggregatorTestSplit(t *testing.T) {
	if os.Getenv("TWOWAY_AGGREGATOR_TEST") == "" {
		t.Skip("set TWOWAY_AGGREGATOR_TEST=1 (ten minutes)")
	}
	ctx := context.Background()
	names := []string{"product", twoway.DefaultAggregator, "one-way"}
	var matches, contacts [3]float64
	for seed := uint64(1); seed <= 5; seed++ {
		w := validationWorld(t, seed, 10)
		for i, agg := range names {
			name := "aggregator " + agg
			c, err := New(ctx, name, w, Config{Engine: twoway.Config{Aggregator: agg}})
			require.NoError(t, err)
			res := w.Run(name, c, nil)
			sum := w.Summarize(res)
			require.NoError(t, Check(c.Stats(), sum))
			require.NoError(t, c.Close())
			n := 0
			for _, r := range res.Rounds {
				n += r.Contacts
			}
			matches[i] += float64(sum.Matches)
			contacts[i] += float64(n)
			t.Logf("simulated, test seed %d, 1500×300, 10 rounds, %s: %d matches, %d contacts, %.1f matches per 1,000 contacts",
				seed, name, sum.Matches, n, 1000*float64(sum.Matches)/float64(n))
		}
	}
	for i, agg := range names {
		t.Logf("simulated, test seeds 1–5, aggregator %s: %.0f matches, %.0f contacts, %.1f per 1,000 contacts (%.2f× one-way's)",
			agg, matches[i], contacts[i], 1000*matches[i]/contacts[i], (matches[i]/contacts[i])/(matches[2]/contacts[2]))
	}
}
