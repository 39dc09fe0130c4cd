package twoway

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twowayrec/twoway/market"
)

// CheckPairStore checks that s behaves as the PairStore contract says, in
// the spirit of testing/fstest.TestFS: a host testing its own store
// (Redis, …) calls it on a fresh, empty store and fails its test on a
// non-nil error, which describes the first violation found. It uses IDs
// starting with "check-".
func CheckPairStore(ctx context.Context, s PairStore) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("twoway: CheckPairStore: "+format, args...)
	}
	targets := func(from string) ([]string, error) {
		got, err := s.Targets(ctx, from)
		if err != nil {
			return nil, fail("Targets(%q): %w", from, err)
		}
		return got, nil
	}
	got, err := targets("check-nobody")
	if err != nil {
		return err
	}
	if len(got) != 0 {
		return fail("Targets of an ID never added: %q, want none", got)
	}
	add := []Pair{{"check-a", "check-x"}, {"check-a", "check-y"}, {"check-a", "check-x"}, {"check-b", "check-a"}}
	if err := s.AddPairs(ctx, add); err != nil {
		return fail("AddPairs(%v): %w", add, err)
	}
	if err := s.AddPairs(ctx, []Pair{{"check-a", "check-{z}"}}); err != nil {
		return fail("AddPairs of an ID with braces: %w", err)
	}
	if got, err = targets("check-a"); err != nil {
		return err
	}
	if want := []string{"check-x", "check-y", "check-{z}"}; !slices.Equal(got, want) {
		return fail("Targets(check-a) = %q, want %q (each once, sorted)", got, want)
	}
	if got, err = targets("check-b"); err != nil {
		return err
	}
	if want := []string{"check-a"}; !slices.Equal(got, want) {
		return fail("Targets(check-b) = %q, want %q (pairs are directed)", got, want)
	}
	if got, err = targets("check-x"); err != nil {
		return err
	}
	if len(got) != 0 {
		return fail("Targets(check-x) = %q, want none (pairs are directed)", got)
	}
	// The caller owns the result.
	if got, err = targets("check-a"); err != nil {
		return err
	}
	got[0] = "check-changed"
	if again, err := targets("check-a"); err != nil {
		return err
	} else if again[0] != "check-x" {
		return fail("Targets returned a slice the store keeps: after the caller changed it, Targets(check-a)[0] = %q", again[0])
	}
	// An empty ID is an error and stores nothing of the call.
	if err := s.AddPairs(ctx, []Pair{{"check-c", "check-x"}, {"check-c", ""}}); err == nil {
		return fail("AddPairs with an empty To: no error")
	}
	if err := s.AddPairs(ctx, []Pair{{"", "check-x"}}); err == nil {
		return fail("AddPairs with an empty From: no error")
	}
	if got, err = targets("check-c"); err != nil {
		return err
	}
	if len(got) != 0 {
		return fail("a rejected AddPairs stored %q", got)
	}
	// Concurrent adds are all stored.
	const goroutines, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				p := Pair{"check-many", "check-t" + strconv.Itoa(g*each+i)}
				if err := s.AddPairs(ctx, []Pair{p}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fail("concurrent AddPairs: %w", err)
	}
	if got, err = targets("check-many"); err != nil {
		return err
	}
	if len(got) != goroutines*each {
		return fail("after %d concurrent adds of distinct pairs: %d targets", goroutines*each, len(got))
	}
	return nil
}

// CheckExposureStore checks that s behaves as the ExposureStore contract
// says. Call it on a fresh, empty store whose half-life and repeat window
// are at least a minute; a non-nil error describes the first violation
// found. It uses IDs starting with "check-" and times in the year 2030.
func CheckExposureStore(ctx context.Context, s ExposureStore) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("twoway: CheckExposureStore: "+format, args...)
	}
	h, w := s.HalfLife(), s.RepeatWindow()
	if h < time.Minute || w < time.Minute {
		return fail("half-life %v and repeat window %v: the kit needs at least a minute each", h, w)
	}
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	loads := func(now time.Time, ids ...string) ([]float64, error) {
		out := make([]float64, len(ids))
		for i := range out {
			out[i] = -1 // Loads must overwrite everything
		}
		if err := s.Loads(ctx, now, ids, out); err != nil {
			return nil, fail("Loads(%v, %q): %w", now, ids, err)
		}
		return out, nil
	}
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-9*max(1, math.Abs(want)) }
	serve := func(req string, at time.Time, cands []string, x []float64, want int) error {
		n, err := s.Serve(ctx, req, at, cands, x)
		if err != nil {
			return fail("Serve(%q, %v, %q, %v): %w", req, at, cands, x, err)
		}
		if n != want {
			return fail("Serve(%q, %v, %q, %v) counted %d, want %d", req, at, cands, x, n, want)
		}
		return nil
	}

	got, err := loads(t0, "check-nobody")
	if err != nil {
		return err
	}
	if got[0] != 0 {
		return fail("load of a candidate never served: %v, want 0", got[0])
	}
	// Amounts add; NaN, infinite and negative amounts count 0.
	if err := serve("check-r1", t0, []string{"check-a", "check-b", "check-c"}, []float64{0.5, 0.25, math.NaN()}, 3); err != nil {
		return err
	}
	if err := serve("check-r2", t0, []string{"check-a", "check-c", "check-a"}, []float64{0.25, math.Inf(1), 0.5}, 2); err != nil {
		return err
	}
	if got, err = loads(t0, "check-a", "check-b", "check-c"); err != nil {
		return err
	}
	if !near(got[0], 0.75) || !near(got[1], 0.25) || got[2] != 0 {
		return fail("loads after two lists: %v, want [0.75 0.25 0]", got)
	}
	// A repeat within the window adds nothing; after it, it counts again.
	if err := serve("check-r1", t0.Add(w/2), []string{"check-a"}, []float64{1}, 0); err != nil {
		return err
	}
	if err := serve("check-r1", t0.Add(w), []string{"check-b"}, []float64{1}, 1); err != nil {
		return err
	}
	// Decay: one half-life later half the load.
	if got, err = loads(t0.Add(h), "check-a"); err != nil {
		return err
	}
	wantA := 0.75 * 0.5
	if !near(got[0], wantA) {
		return fail("load of check-a one half-life later: %v, want %v", got[0], wantA)
	}
	// Reading before the newest amount sees the load there, undecayed.
	if got, err = loads(t0.Add(-h), "check-a"); err != nil {
		return err
	}
	if !near(got[0], 0.75) {
		return fail("load of check-a read before its newest amount: %v, want 0.75", got[0])
	}
	// An amount older than the newest is added already decayed.
	if err := serve("check-r3", t0.Add(-h), []string{"check-a"}, []float64{1}, 1); err != nil {
		return err
	}
	if got, err = loads(t0, "check-a"); err != nil {
		return err
	}
	if !near(got[0], 1.25) {
		return fail("load of check-a after an amount one half-life old: %v, want 1.25", got[0])
	}
	// Bad calls are errors wrapping ErrBadRequest (CheckServe's) and count
	// nothing.
	bad := func(what string, err error) error {
		if !errors.Is(err, ErrBadRequest) {
			return fail("Serve with %s: error %v, want one wrapping ErrBadRequest (see CheckServe)", what, err)
		}
		return nil
	}
	for _, c := range []struct {
		what       string
		requester  string
		candidates []string
		expected   []float64
	}{
		{"1 candidate and 0 amounts", "check-r4", []string{"check-d"}, nil},
		{"an empty candidate ID", "check-r4", []string{"check-d", ""}, []float64{1, 1}},
		{"an empty requester ID", "", []string{"check-d"}, []float64{1}},
	} {
		_, err := s.Serve(ctx, c.requester, t0, c.candidates, c.expected)
		if err := bad(c.what, err); err != nil {
			return err
		}
	}
	for _, at := range []time.Time{{}, market.MaxTime} {
		_, err := s.Serve(ctx, "check-r4", at, []string{"check-d"}, []float64{1})
		if err := bad(fmt.Sprintf("a time outside market's range (%v)", at), err); err != nil {
			return err
		}
	}
	if err := s.Loads(ctx, t0, []string{"check-d"}, nil); err == nil {
		return fail("Loads with 1 candidate and 0 loads: no error")
	}
	if got, err = loads(t0, "check-d"); err != nil {
		return err
	}
	if got[0] != 0 {
		return fail("a rejected Serve counted: load %v", got[0])
	}
	// Concurrent lists of distinct requesters all count.
	const goroutines, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				req := "check-q" + strconv.Itoa(g*each+i)
				if _, err := s.Serve(ctx, req, t0, []string{"check-hot"}, []float64{1}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fail("concurrent Serve: %w", err)
	}
	if got, err = loads(t0, "check-hot"); err != nil {
		return err
	}
	if !near(got[0], goroutines*each) {
		return fail("after %d concurrent lists: load %v", goroutines*each, got[0])
	}
	return nil
}

// CheckEventIDStore checks that s behaves as the EventIDStore contract
// says. Call it on a fresh, empty store whose retention is at least a
// minute; a non-nil error describes the first violation found. It uses IDs
// starting with "check-".
func CheckEventIDStore(ctx context.Context, s EventIDStore) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("twoway: CheckEventIDStore: "+format, args...)
	}
	t0 := time.Now()
	claim := func(ids ...string) ([]bool, error) {
		fresh := make([]bool, len(ids))
		if err := s.Claim(ctx, ids, t0, fresh); err != nil {
			return nil, fail("Claim(%q): %w", ids, err)
		}
		return fresh, nil
	}
	got, err := claim("check-1", "check-2", "check-1")
	if err != nil {
		return err
	}
	if want := []bool{true, true, false}; !slices.Equal(got, want) {
		return fail("first claims of [1 2 1]: %v, want %v", got, want)
	}
	if got, err = claim("check-2", "check-3"); err != nil {
		return err
	}
	if want := []bool{false, true}; !slices.Equal(got, want) {
		return fail("claims of [2 3] after [1 2]: %v, want %v", got, want)
	}
	if err := s.Claim(ctx, []string{"check-4"}, t0, nil); err == nil {
		return fail("Claim with 1 ID and 0 results: no error")
	}
	if err := s.Claim(ctx, []string{"check-5", ""}, t0, make([]bool, 2)); err == nil {
		return fail("Claim with an empty ID: no error")
	}
	// Of concurrent claims of one ID exactly one is fresh.
	const goroutines = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, errs := 0, []error(nil)
	for range goroutines {
		wg.Go(func() {
			fresh := make([]bool, 1)
			err := s.Claim(ctx, []string{"check-race"}, t0, fresh)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if fresh[0] {
				wins++
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return fail("concurrent Claim: %w", errs[0])
	}
	if wins != 1 {
		return fail("%d of %d concurrent claims of one ID were fresh, want 1", wins, goroutines)
	}
	return nil
}
