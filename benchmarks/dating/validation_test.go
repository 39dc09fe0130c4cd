package dating

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
)

// datingVariants are the Engine configurations TestEngineValidation
// compares on speed dating's validation waves, by name
// (TWOWAY_DATING_VARIANTS, comma-separated; default "default").
var datingVariants = map[string]func(*twoway.Config){
	"default": func(*twoway.Config) {},
	"factors": func(c *twoway.Config) { c.Factors.Use = twoway.FactorsOn },
}

// TestEngineValidation runs the Engine protocol on speed dating's
// validation waves only (EngineConfig.ValidationOnly: the test waves are
// not scored) for each variant and logs, per side, AUC(match) of the
// default aggregator and of the best floor, the Engine's one-way AUC of
// the requester's own decision against the one-way floor's, and GAUC of
// matches. It is the form for choosing a default; set
// TWOWAY_DATING_VALIDATION=1 to run it (a minute per variant).
//
//	TWOWAY_DATING_VALIDATION=1 TWOWAY_DATING_VARIANTS=default,factors go test ./dating -run TestEngineValidation -v
func TestEngineValidation(t *testing.T) {
	if os.Getenv("TWOWAY_DATING_VALIDATION") == "" {
		t.Skip("set TWOWAY_DATING_VALIDATION=1 (a minute per variant)")
	}
	tab, err := Open(requireData(t))
	require.NoError(t, err)
	names := []string{"default"}
	if s := os.Getenv("TWOWAY_DATING_VARIANTS"); s != "" {
		names = strings.Split(s, ",")
	}
	for _, name := range names {
		set, ok := datingVariants[name]
		require.True(t, ok, "variant %q", name)
		var ec twoway.Config
		set(&ec)
		res, err := EvaluateEngine(context.Background(), EngineConfig{Seed: 1, Bootstrap: 200, Engine: ec, ValidationOnly: true}, tab)
		require.NoError(t, err)
		v := res.Validation
		require.Empty(t, res.Test.Rankers, "the test waves must not be scored")
		byName := map[string]int{}
		for i, r := range v.Rankers {
			byName[r.Name] = i
		}
		eng, one := v.Rankers[byName["Engine default"]], v.Rankers[byName["Engine one-way"]]
		floorOne := v.Rankers[byName["one-way"]]
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			floor := v.Rankers[v.BestFloor[sd]]
			iv := v.AUCvsFloor[sd]
			t.Logf("real %s, validation waves %v, %-10s %-9s AUC(match) %.4f (best floor %s %.4f; diff %+.4f [%+.4f, %+.4f]) GAUC(match) %.4f (floor %.4f); one-way AUC(own yes) Engine %.4f, floor %.4f",
				File, v.Waves, name, sideName(sd), eng.Mutual[sd].AUC, floor.Name, floor.Mutual[sd].AUC, iv.Diff, iv.Lo, iv.Hi,
				eng.Mutual[sd].GAUC, floor.Mutual[sd].GAUC, one.OneWay[sd].AUC, floorOne.OneWay[sd].AUC)
		}
	}
}

// sideName names a requester side of speed dating.
func sideName(s market.Side) string {
	if s == market.Seeker {
		return "women"
	}
	return "men"
}
