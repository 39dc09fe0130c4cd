// Package recalltest checks that a [recall.Recaller] keeps its contract,
// in the spirit of testing/fstest: every implementation in package recall
// passes [Run], and so should a host's own (a search-cluster recaller, a
// RecallerFunc).
//
// # What Run checks
//
// For each request given (which should have results, so that the checks
// bite):
//
//   - results are at most K, unique, never the requester, all in Allowed;
//   - ordered by score descending then index ascending, scores finite;
//   - the same request twice gives the same slice (determinism), also when
//     called from several goroutines at once (run with -race);
//   - the caller's dst prefix is kept and not modified;
//   - filtering happens before truncation: removing some of the results
//     from Allowed brings the next ones in, so K come back when K exist,
//     and the survivors keep their scores and order;
//   - K <= 0 and an empty Allowed give no result; a cancelled context gives
//     its error.
package recalltest

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/twowayrec/twoway/recall"
)

// Options relax checks that do not apply to every recaller.
type Options struct {
	// ListScores marks a recaller whose scores depend on the whole list it
	// returns (a merger: positions, normalisation by the top score), so
	// that narrowing Allowed may change the survivors' scores and order.
	// The survivors are then not compared; every other check still runs.
	ListScores bool
}

// Run checks r against the Recaller contract on each request, as
// subtests of t, with no check relaxed. Requests must have K > 0 and a
// non-empty Allowed.
func Run(t *testing.T, r recall.Recaller, reqs ...recall.Request) {
	t.Helper()
	RunWith(t, r, Options{}, reqs...)
}

// RunWith is Run with some checks relaxed by opt.
func RunWith(t *testing.T, r recall.Recaller, opt Options, reqs ...recall.Request) {
	t.Helper()
	if len(reqs) == 0 {
		t.Fatal("recalltest: no requests")
	}
	nonEmpty := 0
	for i, req := range reqs {
		t.Run(fmt.Sprintf("request%d", i), func(t *testing.T) {
			if got := check(t, r, req, opt); got > 0 {
				nonEmpty++
			}
		})
	}
	if nonEmpty == 0 {
		t.Errorf("recalltest: every request returned nothing; give requests that have results")
	}
}

func call(t *testing.T, r recall.Recaller, req recall.Request, dst []recall.Candidate) []recall.Candidate {
	t.Helper()
	out, err := r.Recall(context.Background(), req, dst)
	if err != nil {
		t.Fatalf("Recall: %v", err)
	}
	return out
}

// check runs every check on one request and returns the number of results.
func check(t *testing.T, r recall.Recaller, req recall.Request, opt Options) int {
	t.Helper()
	if req.K <= 0 || req.Allowed.Count() == 0 {
		t.Fatalf("recalltest: request needs K > 0 and a non-empty Allowed")
	}
	// dst prefix kept.
	prefix := []recall.Candidate{{Index: math.MaxUint32, Score: -7}, {Index: math.MaxUint32 - 1, Score: 3}}
	dst := slices.Clip(slices.Clone(prefix))
	got := call(t, r, req, dst)
	if len(got) < len(prefix) || !slices.EqualFunc(got[:len(prefix)], prefix, sameCandidate) || !slices.EqualFunc(dst, prefix, sameCandidate) {
		t.Fatalf("dst prefix was not kept: %v", got)
	}
	got = got[len(prefix):]
	valid(t, req, got, "first call")

	// Determinism, sequential and concurrent.
	again := call(t, r, req, nil)
	if !slices.EqualFunc(got, again, sameCandidate) {
		t.Errorf("same request, different result:\n%v\n%v", got, again)
	}
	var wg sync.WaitGroup
	results := make([][]recall.Candidate, 4)
	errs := make([]error, 4)
	for g := range results {
		wg.Go(func() {
			results[g], errs[g] = r.Recall(context.Background(), req, nil)
		})
	}
	wg.Wait()
	for g := range results {
		if errs[g] != nil {
			t.Fatalf("concurrent Recall: %v", errs[g])
		}
		if !slices.EqualFunc(got, results[g], sameCandidate) {
			t.Errorf("concurrent call %d differs:\n%v\n%v", g, got, results[g])
		}
	}

	// Filtering before truncation: ask for more, then drop every other of
	// the first K from Allowed.
	if len(got) > 0 {
		wide := req
		wide.K = 2*req.K + 2
		all := call(t, r, wide, nil)
		valid(t, wide, all, "wide call")
		narrowed := slices.Clone(req.Allowed)
		dropped := map[uint32]bool{}
		for i, c := range all[:min(len(all), req.K)] {
			if i%2 == 0 {
				narrowed.Remove(c.Index)
				dropped[c.Index] = true
			}
		}
		nreq := req
		nreq.Allowed = narrowed
		after := call(t, r, nreq, nil)
		valid(t, nreq, after, "narrowed call")
		var want []recall.Candidate
		for _, c := range all {
			if !dropped[c.Index] {
				want = append(want, c)
			}
		}
		want = want[:min(len(want), req.K)]
		if len(after) < len(want) {
			t.Errorf("filtered after truncation: %d results with %d allowed candidates known (want %d)", len(after), len(want), len(want))
		}
		for _, c := range after {
			if dropped[c.Index] {
				t.Errorf("candidate %d removed from Allowed was returned", c.Index)
			}
		}
		if !opt.ListScores && len(after) == len(want) && !slices.EqualFunc(after, want, sameCandidate) {
			t.Errorf("narrowing Allowed changed the survivors:\nwant %v\ngot  %v", want, after)
		}
	}

	// Degenerate requests.
	zero := req
	zero.K = 0
	if out := call(t, r, zero, nil); len(out) != 0 {
		t.Errorf("K = 0 returned %d candidates", len(out))
	}
	empty := req
	empty.Allowed = nil
	if out := call(t, r, empty, nil); len(out) != 0 {
		t.Errorf("empty Allowed returned %d candidates", len(out))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Recall(ctx, req, nil); err == nil {
		t.Errorf("cancelled context: no error")
	}
	return len(got)
}

// valid checks the per-result invariants.
func valid(t *testing.T, req recall.Request, got []recall.Candidate, what string) {
	t.Helper()
	if len(got) > req.K {
		t.Errorf("%s: %d results for K = %d", what, len(got), req.K)
	}
	seen := map[uint32]bool{}
	for i, c := range got {
		switch {
		case c.Index == req.Requester:
			t.Errorf("%s: the requester %d was returned", what, c.Index)
		case !req.Allowed.Contains(c.Index):
			t.Errorf("%s: candidate %d is not in Allowed", what, c.Index)
		case seen[c.Index]:
			t.Errorf("%s: candidate %d returned twice", what, c.Index)
		case math.IsNaN(c.Score) || math.IsInf(c.Score, 0):
			t.Errorf("%s: candidate %d has score %v", what, c.Index, c.Score)
		}
		seen[c.Index] = true
		if i > 0 {
			p := got[i-1]
			if c := cmp.Or(cmp.Compare(c.Score, p.Score), cmp.Compare(p.Index, c.Index)); c > 0 {
				t.Errorf("%s: results out of order at %d: %v then %v", what, i, p, got[i])
			}
		}
	}
}

func sameCandidate(a, b recall.Candidate) bool {
	return a.Index == b.Index && a.Score == b.Score && slices.Equal(a.Hits, b.Hits)
}
