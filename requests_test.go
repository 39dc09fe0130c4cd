package twoway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/fusion"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// loads is every participant's ledger load now, by ID.
func loads(e *Engine) map[string]float64 {
	now := e.cfg.Clock()
	out := map[string]float64{}
	for ix := range e.dict.Len() {
		id, _ := e.dict.ID(uint32(ix))
		out[id] = e.control.Ledger().Load(uint32(ix), now)
	}
	return out
}

// assertCounted checks that between before and after the ledger grew by
// each result's expected contacts (its Forward match) and nobody else's.
func assertCounted(t *testing.T, before, after map[string]float64, results []Recommendation) {
	t.Helper()
	grew := map[string]float64{}
	for _, r := range results {
		grew[r.ID] = r.Forward
	}
	for id, b := range before {
		assert.InDelta(t, b+grew[id], after[id], 1e-9, "%s", id)
	}
}

// newUncappedEngine is newEngine without fusion's per-company cap, so that
// the order of a list does not depend on which other results it holds.
func newUncappedEngine(t *testing.T) (*Engine, *synth.Market) {
	m := tinyMarket(t)
	e, err := New(Config{Clock: endOf(m), Seed: 7, Fusion: fusion.Config{MaxPerCompany: -1}})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))
	return e, m
}

func ids(rs []Recommendation) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// Issue 20: structured filters apply before truncation (a filtered list
// is as long as what passes allows), and Filtered counts each facet.
func TestRequestFilters(t *testing.T) {
	e, m := newUncappedEngine(t)
	ctx := context.Background()
	// Half the jobs remote, the rest on site; every other job in 金融.
	var jobs []market.Profile
	for i, p := range m.Profiles[m.NumSeekers:] {
		p.Workplace = market.WorkplaceOnsite
		if i%2 == 0 {
			p.Workplace, p.Industry = market.WorkplaceRemote, "金融,电子商务"
		}
		jobs = append(jobs, p)
	}
	require.NoError(t, e.Upsert(ctx, jobs...))
	byID := map[string]market.Profile{}
	for _, p := range jobs {
		byID[p.ID] = p
	}
	s := m.Profiles[0].ID
	all, err := e.Recommend(ctx, Request{ID: s, N: 20, DryRun: true})
	require.NoError(t, err)
	f := Filters{Workplaces: []market.Workplace{market.WorkplaceRemote}}
	resp, err := e.Recommend(ctx, Request{ID: s, N: 20, DryRun: true, Filters: f})
	require.NoError(t, err)
	var want []string
	for _, r := range all.Results {
		if byID[r.ID].Workplace == market.WorkplaceRemote {
			want = append(want, r.ID)
		}
	}
	assert.ElementsMatch(t, want, ids(resp.Results), "the remote jobs of the full list, nothing else")
	assert.Equal(t, resp.Filtered.Eligible-len(jobs)/2, resp.Filtered.Facets.Workplace, "on-site jobs counted")
	// Before truncation: N = 3 still returns 3 when the full top 3 has
	// on-site jobs in it.
	top3, err := e.Recommend(ctx, Request{ID: s, N: 3, DryRun: true, Filters: f})
	require.NoError(t, err)
	assert.Len(t, top3.Results, min(3, len(want)))
	assert.Equal(t, want[:len(top3.Results)], ids(top3.Results), "the best remote jobs, in order")

	// Pay: every result's range meets the filter's.
	pay := Filters{SalaryMin: 15000, SalaryMax: 20000}
	resp, err = e.Recommend(ctx, Request{ID: s, N: 20, DryRun: true, Filters: pay})
	require.NoError(t, err)
	for _, r := range resp.Results {
		sal := byID[r.ID].Salary
		require.True(t, sal.Known(), r.ID)
		hi := sal.Max
		if hi == 0 {
			hi = math.Inf(1)
		}
		assert.True(t, hi >= 15000 && sal.Min <= 20000, "%s pays %v", r.ID, sal)
	}
	assert.Equal(t, resp.Filtered.Eligible, resp.Filtered.Facets.Salary+countPassing(jobs, func(p market.Profile) bool {
		hi := p.Salary.Max
		if hi == 0 {
			hi = math.Inf(1)
		}
		return p.Salary.Known() && hi >= 15000 && p.Salary.Min <= 20000
	}))

	// A recruiter's view: seekers with a bachelor or more.
	j := jobs[0].ID
	resp, err = e.Recommend(ctx, Request{ID: j, N: 50, DryRun: true, Filters: Filters{MinEducation: market.EducationBachelor}})
	require.NoError(t, err)
	require.NotEmpty(t, resp.Results)
	for _, r := range resp.Results {
		_, p, _, _ := e.lookup(r.ID)
		assert.GreaterOrEqual(t, p.Education, market.EducationBachelor, r.ID)
	}

	// Invalid filters name the field.
	_, err = e.Recommend(ctx, Request{ID: s, Filters: Filters{SalaryMin: math.NaN()}})
	require.ErrorIs(t, err, ErrBadRequest)
	var fe *market.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Filters.SalaryMin", fe.Field)
	assert.Equal(t, s, fe.ID, "the error names the request")
	assert.Contains(t, err.Error(), fmt.Sprintf("request %q", s))

	// So do an unknown language and a city that is not UTF-8.
	for _, bad := range []struct {
		req   Request
		field string
		err   error
	}{
		{Request{ID: s, Language: "fr", Explain: true}, "Language", market.ErrOutOfRange},
		{Request{ID: s, Cities: []string{"北京", "\xff"}}, "Cities[1]", market.ErrInvalidUTF8},
	} {
		_, err := e.Recommend(ctx, bad.req)
		require.ErrorIs(t, err, ErrBadRequest, bad.field)
		require.ErrorIs(t, err, bad.err, bad.field)
		var fe *market.FieldError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, bad.field, fe.Field)
		assert.Equal(t, s, fe.ID)
	}
}

func countPassing(ps []market.Profile, ok func(market.Profile) bool) int {
	n := 0
	for _, p := range ps {
		if ok(p) {
			n++
		}
	}
	return n
}

// Exclude drops the IDs named, counts them, and spends nobody's budget.
func TestRequestExclude(t *testing.T) {
	e, m := newUncappedEngine(t)
	ctx := context.Background()
	s := m.Profiles[0].ID
	all, err := e.Recommend(ctx, Request{ID: s, N: 10, DryRun: true})
	require.NoError(t, err)
	require.Len(t, all.Results, 10)
	drop := ids(all.Results[:3])
	before := loads(e)
	resp, err := e.Recommend(ctx, Request{ID: s, N: 5, Exclude: append(slices.Clone(drop), "nobody-knows-me")})
	require.NoError(t, err)
	assert.Equal(t, ids(all.Results[3:8]), ids(resp.Results), "the next best, in order")
	assert.Equal(t, 3, resp.Filtered.Request)
	assertCounted(t, before, loads(e), resp.Results)
	for _, bad := range []string{"", "\xff", strings.Repeat("x", market.MaxIDLen+1)} {
		_, err := e.Recommend(ctx, Request{ID: s, Exclude: []string{drop[0], bad}})
		require.ErrorIs(t, err, ErrBadRequest)
		var fe *market.FieldError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "Exclude[1]", fe.Field)
	}
	_, err = e.Recommend(ctx, Request{ID: s, Exclude: make([]string, MaxExclude+1)})
	assert.ErrorIs(t, err, ErrBadRequest)
}

// A cursor pages through a list without repeats; each page counts only
// itself in the ledger; the last (short) page has no Next.
func TestRequestPaging(t *testing.T) {
	e, m := newUncappedEngine(t)
	ctx := context.Background()
	s := m.Profiles[0].ID
	all, err := e.Recommend(ctx, Request{ID: s, N: MaxN, DryRun: true})
	require.NoError(t, err)
	total := len(all.Results)
	require.Greater(t, total, 8, "enough for three pages")

	var got []string
	req := Request{ID: s, N: 4}
	pages := 0
	for {
		before := loads(e)
		resp, err := e.Recommend(ctx, req)
		require.NoError(t, err)
		pages++
		assertCounted(t, before, loads(e), resp.Results)
		assert.Equal(t, len(got), resp.Filtered.Request, "the earlier pages are counted as removed")
		got = append(got, ids(resp.Results)...)
		if resp.Next == "" {
			assert.Less(t, len(resp.Results), 4, "only a short page ends the list")
			break
		}
		assert.Len(t, resp.Results, 4)
		req.Cursor = resp.Next
		require.Less(t, pages, 100)
	}
	assert.Len(t, got, total, "every candidate once")
	assert.ElementsMatch(t, ids(all.Results), got)
	assert.Len(t, uniqStrings(got), len(got), "no repeats")

	// A damaged cursor, or another requester's, is a bad request naming it.
	first, err := e.Recommend(ctx, Request{ID: s, N: 2, DryRun: true})
	require.NoError(t, err)
	require.NotEmpty(t, first.Next)
	for name, c := range map[string]string{
		"flipped":  first.Next[:len(first.Next)-2] + flip(first.Next[len(first.Next)-2:]),
		"cut":      first.Next[:len(first.Next)/2],
		"garbage":  "%%%not base64",
		"long":     strings.Repeat("A", 10_000),
		"appended": first.Next + "AA",
	} {
		_, err := e.Recommend(ctx, Request{ID: s, Cursor: c})
		require.ErrorIs(t, err, ErrBadRequest, name)
		assert.Less(t, len(err.Error()), 400, "%s: the error quotes a short prefix", name)
	}
	_, err = e.Recommend(ctx, Request{ID: m.Profiles[1].ID, Cursor: first.Next})
	require.ErrorIs(t, err, ErrBadRequest)
	assert.Contains(t, err.Error(), "another requester")
}

func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

func uniqStrings(xs []string) map[string]bool {
	out := map[string]bool{}
	for _, x := range xs {
		out[x] = true
	}
	return out
}

// The pages of one list stop at MaxN in all.
func TestCursorBound(t *testing.T) {
	c := cursor{requester: 7, shown: make([]uint32, maxCursorShown-2)}
	for i := range c.shown {
		c.shown[i] = uint32(i * 1000)
	}
	back, err := decodeCursor(c.encode())
	require.NoError(t, err)
	assert.Equal(t, c, back)
	long := cursor{requester: 7, shown: make([]uint32, maxCursorShown+1)}
	_, err = decodeCursor(long.encode())
	require.ErrorIs(t, err, ErrBadRequest)
}

// RecommendBatch answers as Recommend would, in order, with each
// request's own errors; it shares one state, and runs with writes beside.
func TestRecommendBatch(t *testing.T) {
	m := tinyMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	var reqs []Request
	for i := range 30 {
		reqs = append(reqs, Request{ID: m.Profiles[i].ID, N: 5, DryRun: true, Explain: i%3 == 0})
	}
	reqs[4] = Request{ID: "nobody"}
	reqs[9].N = -1
	reqs = append(reqs, Request{ID: m.Profiles[m.NumSeekers].ID, N: 5, DryRun: true})
	out, err := e.RecommendBatch(ctx, reqs)
	require.NoError(t, err)
	require.Len(t, out, len(reqs))
	for i, r := range reqs {
		one, err1 := e.Recommend(ctx, r)
		if err1 != nil {
			assert.Equal(t, err1.Error(), out[i].Err.Error(), "request %d", i)
			assert.Nil(t, out[i].Response)
			continue
		}
		require.NoError(t, out[i].Err, "request %d", i)
		assert.Equal(t, ids(one.Results), ids(out[i].Response.Results), "request %d", i)
		assert.Equal(t, one.Filtered, out[i].Response.Filtered, "request %d", i)
	}
	assert.ErrorIs(t, out[4].Err, ErrUnknownRequester)
	assert.ErrorIs(t, out[9].Err, ErrBadRequest)

	// Counted batches beside upserts and events.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := m.Profiles[m.NumSeekers+i%m.NumJobs]
			p.Workplace = market.Workplace(1 + i%3)
			assert.NoError(t, e.Upsert(ctx, p))
		}
	})
	for range 5 {
		counted := slices.Clone(reqs[:3])
		for i := range counted {
			counted[i].DryRun = false
			counted[i].Filters = Filters{Workplaces: []market.Workplace{market.WorkplaceRemote}, Unstated: true}
		}
		out, err := e.RecommendBatch(ctx, counted)
		require.NoError(t, err)
		for _, r := range out {
			require.NoError(t, r.Err)
		}
	}
	close(stop)
	wg.Wait()

	// A cancelled context: every unanswered request carries its error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	out, err = e.RecommendBatch(cctx, reqs)
	require.ErrorIs(t, err, context.Canceled)
	for _, r := range out {
		assert.True(t, errors.Is(r.Err, context.Canceled))
	}
	out, err = e.RecommendBatch(ctx, nil)
	assert.NoError(t, err)
	assert.Empty(t, out)
}

// A Request travels as JSON (the server's body): filters by name, zero
// filters left out.
func TestRequestJSON(t *testing.T) {
	b, err := json.Marshal(Request{ID: "s1"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"s1"}`, string(b))
	in := Request{ID: "s1", N: 5, Exclude: []string{"j1"}, Cursor: "abc", Filters: Filters{
		SalaryMin: 20000, MinEducation: market.EducationBachelor, Industries: []string{"金融"},
		Workplaces: []market.Workplace{market.WorkplaceRemote, market.WorkplaceHybrid},
	}}
	b, err = json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"s1","n":5,"exclude":["j1"],"cursor":"abc","filters":{"salary_min":20000,
		"min_education":"bachelor","industries":["金融"],"workplaces":["remote","hybrid"]}}`, string(b))
	var out Request
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)
	require.Error(t, json.Unmarshal([]byte(`{"id":"s1","filters":{"workplaces":["moon"]}}`), &out))
}

// FuzzDecodeCursor: any string is either a cursor that encodes back to
// itself or an ErrBadRequest, never a panic.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(cursor{requester: 3, shown: []uint32{1, 2, 300000}}.encode())
	f.Add(cursor{}.encode())
	f.Add("")
	f.Add("%%%")
	f.Add(strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("%q: %v is not ErrBadRequest", s, err)
			}
			return
		}
		if len(c.shown) > maxCursorShown {
			t.Fatalf("%q: %d shown", s, len(c.shown))
		}
		if back := c.encode(); back != s {
			// Two base64 strings can decode to the same bytes only if
			// one is not canonical; RawURLEncoding rejects those.
			t.Fatalf("%q decodes to %+v, which encodes as %q", s, c, back)
		}
	})
}
