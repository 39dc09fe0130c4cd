package enginesim

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway"
)

// configVariants are the Engine configurations TestConfigValidation
// compares, by name (TWOWAY_CONFIG_VARIANTS, comma-separated; default
// "default").
var configVariants = map[string]func(*twoway.Config){
	"default":      func(*twoway.Config) {},
	"exposure-off": func(c *twoway.Config) { c.Exposure.Off = true },
	"taste-off":    func(c *twoway.Config) { c.Taste.Neighbours = -1 },
	// The ledger's half-life (exposure.DefaultHalfLife, 6h) and its
	// repeat window (the half-life unless set).
	"hl3":  func(c *twoway.Config) { c.Exposure.HalfLife = 3 * time.Hour },
	"hl12": func(c *twoway.Config) { c.Exposure.HalfLife = 12 * time.Hour },
	"hl24": func(c *twoway.Config) { c.Exposure.HalfLife = 24 * time.Hour },
	"rw24": func(c *twoway.Config) { c.Exposure.RepeatWindow = 24 * time.Hour },
	// The action weights as the interest models' sample weights
	// (match.SampleConfig.RawWeights), which inflate their odds; "raw-hl24"
	// is the default before the samples were balanced.
	"raw":              func(c *twoway.Config) { c.Samples.RawWeights = true },
	"raw-hl24":         func(c *twoway.Config) { c.Samples.RawWeights, c.Exposure.HalfLife = true, 24*time.Hour },
	"raw-exposure-off": func(c *twoway.Config) { c.Samples.RawWeights, c.Exposure.Off = true, true },
	// The interest models' priors: the global weights' precision in
	// units of sample weight (match.InterestConfig.GlobalPrior) and the
	// per-candidate effect's (ItemLambda).
	"prior3":        func(c *twoway.Config) { c.Interest.GlobalPrior = 3 },
	"item10":        func(c *twoway.Config) { c.Interest.ItemLambda = 10 },
	"prior3-item10": func(c *twoway.Config) { c.Interest.GlobalPrior, c.Interest.ItemLambda = 3, 10 },
	// The two-sided latent factors (Config.Factors): a recall source
	// ("factors"), and evidence of both one-way models too
	// ("factor-evidence"); and the harmonic mean as the aggregator.
	"factors":         func(c *twoway.Config) { c.Factors.Use = twoway.FactorsOn },
	"factor-evidence": func(c *twoway.Config) { c.Factors.Use, c.Factors.Evidence = twoway.FactorsOn, true },
	"harmonic":        func(c *twoway.Config) { c.Aggregator = "harmonic" },
	"hl24-exposure-off": func(c *twoway.Config) {
		c.Exposure.HalfLife, c.Exposure.Off = 24*time.Hour, true
	},
}

// TestConfigValidation runs the Engine with each configuration of
// TWOWAY_CONFIG_VARIANTS on the validation markets (TWOWAY_CONFIG_SEEDS,
// default 101 to 105; never the test seed 1; 1,500 seekers × 300 jobs, 10
// rounds) and logs the mutual matches over the run and in its first three
// rounds, and the contacts (simulated), for choosing the Engine's
// defaults. Set TWOWAY_CONFIG_VALIDATION=1 to run it (about 25 s per
// variant and seed on 2 cores):
//
//	TWOWAY_CONFIG_VALIDATION=1 TWOWAY_CONFIG_VARIANTS=default,hl24 nice -n 19 go test ./enginesim -run TestConfigValidation -v -timeout 120m
func TestConfigValidation(t *testing.T) {
	if os.Getenv("TWOWAY_CONFIG_VALIDATION") == "" {
		t.Skip("set TWOWAY_CONFIG_VALIDATION=1 (minutes)")
	}
	names := strings.Split(os.Getenv("TWOWAY_CONFIG_VARIANTS"), ",")
	if names[0] == "" {
		names = []string{"default"}
	}
	ctx := context.Background()
	total := map[string][2]int{}
	seeds := envInts(t, "TWOWAY_CONFIG_SEEDS", "101,102,103,104,105")
	for _, seed := range seeds {
		require.NotEqual(t, 1, seed, "seed 1 is the report's test split")
		w := validationWorld(t, uint64(seed), 10)
		for _, name := range names {
			set, ok := configVariants[name]
			require.True(t, ok, "variant %q", name)
			var ec twoway.Config
			set(&ec)
			c, err := New(ctx, "config "+name, w, Config{Engine: ec})
			require.NoError(t, err)
			res := w.Run("config "+name, c, nil)
			sum := w.Summarize(res)
			require.NoError(t, Check(c.Stats(), sum))
			require.NoError(t, c.Close())
			first, contacts := 0, 0
			for i, r := range res.Rounds {
				if i < 3 {
					first += r.Replies
				}
				contacts += r.Contacts
			}
			tot := total[name]
			total[name] = [2]int{tot[0] + sum.Matches, tot[1] + first}
			t.Logf("simulated, validation seed %d, 1500×300, 10 rounds, %-18s %d matches (first 3 rounds %d), %d contacts, %.1f matches per 1,000 contacts",
				seed, name, sum.Matches, first, contacts, 1000*float64(sum.Matches)/float64(contacts))
		}
	}
	for _, name := range names {
		t.Logf("simulated, validation seeds %v, %-18s %d matches in all (first 3 rounds %d)", seeds, name, total[name][0], total[name][1])
	}
}
