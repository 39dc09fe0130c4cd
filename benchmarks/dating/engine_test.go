package dating

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/benchmarks/evaluate"
	"github.com/twowayrec/twoway/internal/realdata"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// hand is a tiny evening: women 1 and 2, men 3 and 4; everyone meets
// everyone. Person 1 has a blank age, and ratings of the evening (attr,
// like) that a profile must never carry.
const hand = `iid,pid,wave,gender,round,order,dec,dec_o,match,age,field,career_c,goal,race,hiking,yoga,attr1_1,attr,like
1,3,1,0,2,1,1,1,1,,Law,1,2,2,8,3,30,7,8
1,4,1,0,2,2,1,1,1,,Law,1,2,2,8,3,30,6,6
2,3,1,0,2,1,0,1,0,25,Economics,7,1,4,2,9,20,5,4
2,4,1,0,2,2,1,0,0,25,Economics,7,1,4,2,9,20,8,7
3,1,1,1,2,1,1,1,1,27,Physics,2,3,2,9,1,40,8,8
3,2,1,1,2,2,1,0,0,27,Physics,2,3,2,9,1,40,6,5
4,1,1,1,2,2,1,1,1,30,,5,,,5,5,,7,7
4,2,1,1,2,1,0,1,0,30,,5,,,5,5,,6,6
4,9,1,1,2,3,,0,0,30,,5,,,5,5,,6,6
`

func handTable(t *testing.T) *Table {
	tab, err := Read(strings.NewReader(hand))
	require.NoError(t, err)
	require.Len(t, tab.Meetings, 8)
	require.Equal(t, []string{"line 10: column dec is missing"}, tab.Skipped)
	return tab
}

// TestFloorsHandComputed hides the pair (1, 3) and checks the floors
// against values computed by hand from the visible decisions:
//
//	visible: 1→4 yes, 4→1 yes, 2→3 no, 3→2 yes, 2→4 yes, 4→2 no
//	prior = 4/6 = 2/3, strength 2
//	generosity(1) = (1 + 2·2/3)/(1 + 2) = 7/9, generosity(3) = 7/9
//	attractiveness(3) = (0 + 4/3)/3 = 4/9, attractiveness(1) = (1 + 4/3)/3 = 7/9
//	one-way(1→3) = 7/9 · 4/9 = 28/81, one-way(3→1) = 7/9 · 7/9 = 49/81
//	product = 28·49/81², harmonic = 2·28·49/(81·77)
func TestFloorsHandComputed(t *testing.T) {
	tab := handTable(t)
	var visible []market.Event
	for i := range tab.Meetings {
		m := &tab.Meetings[i]
		if min(m.IID, m.PID) == 1 && max(m.IID, m.PID) == 3 {
			continue
		}
		visible = append(visible, Events(m)...)
	}
	r := evaluate.FitRates(visible, 0)
	assert.InDelta(t, 2.0/3, r.Prior, 1e-12)
	assert.InDelta(t, 7.0/9, r.Generosity("sd1"), 1e-12)
	assert.InDelta(t, 7.0/9, r.Generosity("sd3"), 1e-12)
	assert.InDelta(t, 4.0/9, r.Attractiveness("sd3"), 1e-12)
	assert.InDelta(t, 7.0/9, r.Attractiveness("sd1"), 1e-12)
	assert.InDelta(t, 2.0/3, r.Generosity("sd99"), 1e-12, "unknown: the prior")
	q := []evaluate.Query{{Requester: "sd1", Side: market.Seeker, Candidates: []string{"sd3"}, Relevant: []bool{true}, Mutual: []bool{true}}}
	want := map[string]float64{
		"one-way":  28.0 / 81,
		"product":  28.0 * 49 / (81 * 81),
		"harmonic": 2 * 28.0 * 49 / (81 * 77),
	}
	floors := evaluate.Floors(visible, 1)
	require.Equal(t, []string{"random", "one-way", "product", "harmonic"}, names(floors))
	for _, f := range floors {
		got, err := f.Ranker.Rank(context.Background(), &q[0], nil)
		require.NoError(t, err)
		require.Len(t, got, 1)
		if w, ok := want[f.Name]; ok {
			assert.InDelta(t, w, got[0], 1e-12, f.Name)
		} else {
			assert.True(t, got[0] >= 0 && got[0] < 1, "random in [0,1)")
		}
	}
}

// requireData returns the path of the real speed-dating file, or skips
// the test saying where the data comes from.
func requireData(t *testing.T) string {
	t.Helper()
	p, ok := realdata.Path(File)
	if !ok {
		t.Skipf("real data absent: this test needs %s", Source)
	}
	return p
}

func names(ns []evaluate.Named) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}

// TestProfileSignupOnly: a profile carries sign-up fields only (no rating
// or decision of the evening), blanks stay missing, and the events of a
// decision are an impression and a contact or a reject.
func TestProfileSignupOnly(t *testing.T) {
	tab := handTable(t)
	people := People(tab)
	require.Len(t, people, 4)
	assert.Equal(t, []int{1, 2, 3, 4}, []int{people[0].IID, people[1].IID, people[2].IID, people[3].IID})
	p1 := Profile(&people[0])
	require.NoError(t, p1.Validate())
	assert.Equal(t, market.Seeker, p1.Side)
	assert.Equal(t, "Law", p1.Title)
	assert.Equal(t, "lawyer", p1.Industry)
	assert.Equal(t, "wave 01", p1.City)
	assert.Equal(t, []string{"hiking"}, p1.Skills)
	assert.Equal(t, []string{"to meet new people"}, p1.Tags)
	assert.NotContains(t, p1.Attributes, "age", "blank is missing, not zero")
	assert.Equal(t, 1.0, p1.Attributes["race_2"])
	for k := range p1.Attributes {
		assert.True(t, slices.Contains(SignupColumns, k) || strings.HasPrefix(k, "race_"), "attribute %q is not a sign-up field", k)
	}
	for _, bad := range []string{"attr", "like", "dec", "dec_o", "match"} {
		assert.NotContains(t, p1.Attributes, bad)
	}
	p4 := Profile(&people[3])
	require.NoError(t, p4.Validate())
	assert.Equal(t, market.Recruiter, p4.Side)
	assert.Empty(t, p4.Title)
	assert.Empty(t, p4.Tags)

	ev := Events(&tab.Meetings[2]) // 2 → 3: no
	require.Len(t, ev, 2)
	assert.Equal(t, market.Impression, ev[0].Action)
	assert.Equal(t, market.Reject, ev[1].Action)
	assert.True(t, ev[1].Time.After(ev[0].Time))
	assert.Equal(t, market.Apply, Events(&tab.Meetings[0])[1].Action, "a woman's yes (Seeker side) is Apply")
	assert.Equal(t, market.Chat, Events(&tab.Meetings[4])[1].Action, "a man's yes (Recruiter side) is Chat")
}

// TestEngineOnSpeedDating runs the Engine protocol on the real data and
// checks its structure (splits, queries, every ranker scored every
// query); the figures themselves are the report's.
func TestEngineOnSpeedDating(t *testing.T) {
	tab, err := Open(requireData(t))
	require.NoError(t, err)
	res, err := EvaluateEngine(context.Background(), EngineConfig{Seed: 1, Bootstrap: 50}, tab)
	require.NoError(t, err)
	assert.True(t, res.Fitted)
	assert.Equal(t, res.Meetings, res.Visible+res.Hidden)
	assert.Equal(t, 2*res.Visible, res.Events)
	assert.Equal(t, []int{11, 12, 13, 14}, res.Validation.Waves)
	assert.Len(t, res.Test.Waves, 10)
	for _, s := range []SplitResult{res.Validation, res.Test} {
		require.Positive(t, s.Queries, s.Name)
		require.Len(t, s.Rankers, 4+1+len(match.Aggregators()))
		for _, r := range s.Rankers {
			require.Len(t, r.Scored, s.Queries)
			for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
				assert.Positive(t, r.Mutual[sd].Relevant, "%s %s %s", s.Name, r.Name, sd)
			}
		}
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			iv := s.AUCvsFloor[sd]
			assert.LessOrEqual(t, iv.Lo, iv.Hi)
			assert.Equal(t, 50, iv.Resample)
		}
	}
}
