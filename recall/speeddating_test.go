package recall_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/realdata"
	"github.com/twowayrec/twoway/internal/speeddating"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/recall"
)

// dating is the speed-dating market split for evaluation: each person's
// decisions are shuffled (seeded) and 20% hidden; the shown "yes"
// decisions are the interactions the recallers learn from.
type dating struct {
	dict    market.Dict
	pop     recall.Population
	side    map[uint32]market.Side
	wave    map[uint32]string
	shown   map[uint32][]uint32        // partners decided in the shown 80%
	hidden  map[uint32]map[uint32]bool // hidden partner → was it a yes
	events  []recall.Event
	members map[string]map[market.Side][]uint32
}

func loadDating(t *testing.T, seed uint64) *dating {
	t.Helper()
	tab, err := speeddating.Open(realdata.Require(t, speeddating.File))
	require.NoError(t, err)
	d := &dating{side: map[uint32]market.Side{}, wave: map[uint32]string{}, shown: map[uint32][]uint32{},
		hidden: map[uint32]map[uint32]bool{}, members: map[string]map[market.Side][]uint32{}}
	type decision struct {
		partner uint32
		yes     bool
	}
	byPerson := map[uint32][]decision{}
	ix := func(iid int) uint32 {
		i, err := d.dict.Index(strconv.Itoa(iid))
		require.NoError(t, err)
		return i
	}
	// Men are one side, women the other (gender 1 male: Seeker).
	for _, r := range tab.Rows {
		u, p := ix(r.IID), ix(r.PID)
		s := market.Recruiter
		if r.Gender == 1 {
			s = market.Seeker
		}
		if _, ok := d.side[u]; !ok {
			d.side[u], d.wave[u] = s, "wave "+strconv.Itoa(r.Wave)
			prof := market.Profile{ID: strconv.Itoa(r.IID), Side: s, City: d.wave[u], Registered: time.Unix(int64(r.IID), 0)}
			require.NoError(t, d.pop.Upsert(u, &prof))
			if d.members[d.wave[u]] == nil {
				d.members[d.wave[u]] = map[market.Side][]uint32{}
			}
			d.members[d.wave[u]][s] = append(d.members[d.wave[u]][s], u)
		}
		byPerson[u] = append(byPerson[u], decision{p, r.Dec})
	}
	people := slices.Sorted(func(yield func(uint32) bool) {
		for u := range byPerson {
			if !yield(u) {
				return
			}
		}
	})
	when := time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, u := range people {
		ds := byPerson[u]
		slices.SortFunc(ds, func(a, b decision) int { return int(a.partner) - int(b.partner) })
		rng := rand.New(rand.NewPCG(seed, uint64(u)))
		rng.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
		nh := int(math.Round(0.2 * float64(len(ds))))
		d.hidden[u] = map[uint32]bool{}
		for _, dc := range ds[:nh] {
			d.hidden[u][dc.partner] = dc.yes
		}
		for _, dc := range ds[nh:] {
			d.shown[u] = append(d.shown[u], dc.partner)
			if dc.yes {
				d.events = append(d.events, recall.Event{Actor: u, Target: dc.partner, Action: market.Favourite, Time: when})
			}
		}
	}
	return d
}

type datingScore struct {
	recall, ndcg float64 // global pool, @10
	waveNDCG     float64 // within the requester's wave, @10
	n            int     // requesters with at least one hidden yes
}

// evaluate ranks for every requester of side s with at least one hidden
// yes. The global pool is every participant of the other side except
// those the requester decided on in the shown part; the wave pool keeps
// only the requester's wave (the city filter). Candidates a recaller does
// not return tie below those it returns.
func (d *dating) evaluate(t *testing.T, r recall.Recaller, s market.Side) datingScore {
	t.Helper()
	var recalls, ndcgs, waves []float64
	var mask bitmap.Bitmap
	for u, hid := range d.hidden {
		if d.side[u] != s || !slices.Contains(slices.Collect(mapValues(hid)), true) {
			continue
		}
		var seen bitmap.Bitmap
		for _, p := range d.shown[u] {
			seen.Set(p)
		}
		for _, wave := range []bool{false, true} {
			f := recall.Filter{Requester: u, Side: s, Seen: seen}
			if wave {
				f.Cities = []string{d.wave[u]}
			}
			var err error
			mask, err = d.pop.Mask(mask, f)
			require.NoError(t, err)
			got, err := r.Recall(context.Background(), recall.Request{Requester: u, Side: s, K: mask.Count(), Allowed: mask}, nil)
			require.NoError(t, err)
			score := map[uint32]float64{}
			for k, c := range got {
				score[c.Index] = float64(len(got) - k) // rank order, ties already broken
			}
			var scores, gains []float64
			mask.Range(func(c uint32) {
				scores = append(scores, score[c])
				g := 0.0
				if hid[c] {
					g = 1
				}
				gains = append(gains, g)
			})
			if wave {
				waves = append(waves, rank.NDCGAt(scores, gains, 10))
			} else {
				recalls = append(recalls, rank.RecallAt(scores, gains, 10))
				ndcgs = append(ndcgs, rank.NDCGAt(scores, gains, 10))
			}
		}
	}
	var out datingScore
	out.recall, out.n = rank.Mean(recalls)
	out.ndcg, _ = rank.Mean(ndcgs)
	out.waveNDCG, _ = rank.Mean(waves)
	return out
}

func mapValues[K comparable, V any](m map[K]V) func(func(V) bool) {
	return func(yield func(V) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

// TestSpeedDatingHiddenYeses measures Recall@10 and NDCG@10 of hidden
// "yes" decisions on the real speed-dating waves 1–14, per recaller and
// per side. It logs the table (run with -v) and checks that each CF
// recaller beats random order and that the figures are stable.
func TestSpeedDatingHiddenYeses(t *testing.T) {
	d := loadDating(t, 2026)
	x, err := recall.NewInterest(recall.InterestConfig{})
	require.NoError(t, err)
	require.NoError(t, x.Fit(context.Background(), slices.Values(d.events)))
	item, err := recall.NewItemCF(x, recall.CFConfig{})
	require.NoError(t, err)
	user, err := recall.NewUserCF(x, recall.CFConfig{})
	require.NoError(t, err)
	swing, err := recall.NewSwing(x, recall.SwingConfig{Beta: 0.5})
	require.NoError(t, err)
	for _, r := range []interface{ Fit(context.Context) error }{item, user, swing} {
		require.NoError(t, r.Fit(context.Background()))
	}
	hot := recall.NewHot(x)
	hot.Refresh()
	none := recall.RecallerFunc(func(ctx context.Context, req recall.Request, dst []recall.Candidate) ([]recall.Candidate, error) {
		return dst, ctx.Err()
	})
	names := []string{"random", "popularity", "itemcf", "usercf", "swing"}
	recallers := []recall.Recaller{none, hot, item, user, swing}
	t.Logf("speed dating waves 1–14, %d shown yes decisions, 20%% of each person's decisions hidden (seed 2026)", len(d.events))
	t.Logf("%-10s | %-11s | %9s | %7s | %12s | %s", "recaller", "side", "Recall@10", "NDCG@10", "wave NDCG@10", "requesters")
	res := map[string]map[market.Side]datingScore{}
	for k, r := range recallers {
		res[names[k]] = map[market.Side]datingScore{}
		for _, s := range []market.Side{market.Seeker, market.Recruiter} {
			sc := d.evaluate(t, r, s)
			res[names[k]][s] = sc
			label := "men→women"
			if s == market.Recruiter {
				label = "women→men"
			}
			t.Logf("%-10s | %-11s | %9.3f | %7.3f | %12.3f | %d", names[k], label, sc.recall, sc.ndcg, sc.waveNDCG, sc.n)
		}
	}
	for _, name := range []string{"itemcf", "usercf", "swing"} {
		for _, s := range []market.Side{market.Seeker, market.Recruiter} {
			assert.Greaterf(t, res[name][s].recall, 2*res["random"][s].recall, "%s %v beats random", name, s)
			assert.Greaterf(t, res[name][s].recall, res["popularity"][s].recall, "%s %v beats global popularity", name, s)
		}
	}
	assert.Greater(t, res["itemcf"][market.Seeker].n, 100, "requesters with a hidden yes")
}
