package twoway

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/twowayrec/twoway/market"
)

// Shared serving state.
//
// By default an Engine keeps its serving state in its own process. A host
// that runs several application servers behind a load balancer sets these
// stores in the Config of every server (one Redis, say, through the
// redisstore module), so that whichever server answers a request sees what
// the others recorded and served: a chat recorded on server A hides the
// pair on server B's lists, the exposure ledger counts every server's
// impressions, and an event delivered to both servers counts once. Every
// store is keyed by the participants' string IDs (market.Profile.ID), never
// by the Engine's dense indices, which differ between processes.
//
// Each store has an in-memory implementation (MemoryPairs, MemoryExposure,
// MemoryEventIDs) and a conformance kit (CheckPairStore, CheckExposureStore,
// CheckEventIDStore) that another implementation must pass.

// Pair is a directed pair of participants by string ID.
type Pair struct {
	From, To string
}

// PairStore is a shared set of directed pairs of participants: the pairs a
// requester must not be shown again (Config.Seen: the targets each actor
// contacted) or that are blocked (Config.Blocked: a rejection, stored in
// both directions by the Engine).
//
// AddPairs adds pairs; adding a pair already present changes nothing, and
// pairs with an empty From or To are an error naming the pair (nothing of
// the call is stored then). Targets returns the To of every stored pair
// whose From is from, each once, sorted; a From never added has none (nil,
// no error). A pair added by one call is seen by every later Targets call,
// from any process sharing the store. The caller owns the returned slice.
// Implementations are safe for concurrent use; their errors are their own
// (network, timeouts), and MemoryPairs never fails on valid input.
type PairStore interface {
	AddPairs(ctx context.Context, pairs []Pair) error
	Targets(ctx context.Context, from string) ([]string, error)
}

// ExposureStore is a shared exposure ledger: per candidate (string ID), the
// expected contacts the Engines have steered to it, as exponentially
// decaying loads (see exposure.Ledger):
//
//	L(now) = Σ_i x_i · 2^(−(now − t_i)/H)
//
// over the amounts x_i served at t_i, with H = HalfLife(). An amount
// served at a time before the candidate's newest one is added already
// decayed; a read at a time before the newest one sees the load there,
// undecayed.
//
// Serve records that candidates were shown to requester at at, expected[i]
// being the probability that requester contacts candidates[i]: the load of
// candidates[i] grows by expected[i] (a NaN, infinite or negative amount
// counts 0) unless the same requester was counted for it within
// RepeatWindow() before at; a candidate repeated within one call counts
// once. It returns how many candidates it counted, and an error wrapping
// ErrBadRequest, counting nothing, when the slices' lengths differ, an ID
// is empty or at is outside [market.MinTime, market.MaxTime)
// (market.CheckTime): [CheckServe]'s checks. Loads writes
// to loads[i] the load of candidates[i] at now (0 for one never served),
// and returns an error when the lengths differ.
//
// Implementations are safe for concurrent use: concurrent Serve calls all
// count. Errors are the store's own; MemoryExposure never fails on valid
// input.
type ExposureStore interface {
	Serve(ctx context.Context, requester string, at time.Time, candidates []string, expected []float64) (int, error)
	Loads(ctx context.Context, now time.Time, candidates []string, loads []float64) error
	// HalfLife is H, which must equal the Engine's Exposure.HalfLife.
	HalfLife() time.Duration
	// RepeatWindow must equal the Engine's Exposure.RepeatWindow.
	RepeatWindow() time.Duration
}

// EventIDStore is a shared memory of recorded event IDs (market.Event.ID),
// so that an event delivered to several Engines counts once.
//
// Claim sets fresh[i] to whether ids[i] had not been claimed within the
// store's retention before (from any process, or earlier in the same
// call), and claims it; it returns an error when the lengths differ or an
// ID is empty. Of concurrent claims of one ID exactly one is fresh.
// Implementations are safe for concurrent use.
type EventIDStore interface {
	Claim(ctx context.Context, ids []string, at time.Time, fresh []bool) error
}

// MemoryPairs is the in-memory PairStore. The zero value is ready to use.
type MemoryPairs struct {
	mu    sync.RWMutex
	pairs map[string]map[string]struct{}
}

var _ PairStore = (*MemoryPairs)(nil)

func checkPairs(pairs []Pair) error {
	for i, p := range pairs {
		if p.From == "" || p.To == "" {
			return fmt.Errorf("%w: pair %d (%q → %q): empty ID", ErrBadRequest, i, p.From, p.To)
		}
	}
	return nil
}

// AddPairs implements PairStore.
func (m *MemoryPairs) AddPairs(_ context.Context, pairs []Pair) error {
	if err := checkPairs(pairs); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pairs == nil {
		m.pairs = map[string]map[string]struct{}{}
	}
	for _, p := range pairs {
		to := m.pairs[p.From]
		if to == nil {
			to = map[string]struct{}{}
			m.pairs[p.From] = to
		}
		to[p.To] = struct{}{}
	}
	return nil
}

// Targets implements PairStore.
func (m *MemoryPairs) Targets(_ context.Context, from string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	to := m.pairs[from]
	if len(to) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(to))
	for t := range to {
		out = append(out, t)
	}
	slices.Sort(out)
	return out, nil
}

// MemoryExposure is the in-memory ExposureStore. Create it with
// NewMemoryExposure.
type MemoryExposure struct {
	halfLife, window time.Duration

	mu      sync.Mutex
	entries map[string]ledgerEntry
	repeats map[Pair]int64 // (requester, candidate) → Unix nanoseconds counted
	adds    int            // repeats added since the last sweep
}

type ledgerEntry struct {
	load float64
	at   int64 // Unix nanoseconds of the newest amount
}

var _ ExposureStore = (*MemoryExposure)(nil)

// NewMemoryExposure returns an empty ledger with half-life halfLife and
// repeat window window, or an error when either is not positive.
func NewMemoryExposure(halfLife, window time.Duration) (*MemoryExposure, error) {
	if halfLife <= 0 || window <= 0 {
		return nil, fmt.Errorf("%w: exposure store: half-life %v and repeat window %v must be positive", ErrConfig, halfLife, window)
	}
	return &MemoryExposure{halfLife: halfLife, window: window, entries: map[string]ledgerEntry{}, repeats: map[Pair]int64{}}, nil
}

// HalfLife implements ExposureStore.
func (m *MemoryExposure) HalfLife() time.Duration { return m.halfLife }

// RepeatWindow implements ExposureStore.
func (m *MemoryExposure) RepeatWindow() time.Duration { return m.window }

// Decay returns 2^(−dt/halfLife): the factor by which a ledger load
// decays over dt (dt in nanoseconds).
func Decay(dt int64, halfLife time.Duration) float64 {
	return math.Exp2(-float64(dt) / float64(halfLife))
}

// CheckServe reports whether the arguments of an [ExposureStore]'s Serve
// are ones a store can count, with an error wrapping ErrBadRequest that
// names the bad one: a non-empty requester, a time within market's range
// (market.CheckTime), as many expected contacts as candidates, and no
// empty candidate ID. [MemoryExposure] calls it first, and so should
// other stores, so that every store refuses the same calls (the
// CheckExposureStore kit tests it).
func CheckServe(requester string, at time.Time, candidates []string, expected []float64) error {
	if requester == "" {
		return fmt.Errorf("%w: exposure store: empty requester ID", ErrBadRequest)
	}
	if err := market.CheckTime(at); err != nil {
		return fmt.Errorf("%w: exposure store: requester %q: time %v: %w", ErrBadRequest, requester, at, err)
	}
	if len(candidates) != len(expected) {
		return fmt.Errorf("%w: exposure store: %d candidates, %d expected contacts", ErrBadRequest, len(candidates), len(expected))
	}
	for i, c := range candidates {
		if c == "" {
			return fmt.Errorf("%w: exposure store: candidate %d: empty ID", ErrBadRequest, i)
		}
	}
	return nil
}

// Serve implements ExposureStore.
func (m *MemoryExposure) Serve(_ context.Context, requester string, at time.Time, candidates []string, expected []float64) (int, error) {
	if err := CheckServe(requester, at, candidates, expected); err != nil {
		return 0, err
	}
	t := at.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for i, c := range candidates {
		k := Pair{requester, c}
		if last, ok := m.repeats[k]; ok && t-last < int64(m.window) && t >= last {
			continue
		}
		m.repeats[k] = t
		n++
		x := expected[i]
		if !(x > 0) || math.IsInf(x, 0) {
			x = 0
		}
		e, ok := m.entries[c]
		switch {
		case !ok:
			e = ledgerEntry{load: x, at: t}
		case t >= e.at:
			e = ledgerEntry{load: e.load*Decay(t-e.at, m.halfLife) + x, at: t}
		default:
			e.load += x * Decay(e.at-t, m.halfLife)
		}
		m.entries[c] = e
	}
	if m.adds += n; m.adds >= max(1024, len(m.repeats)) {
		for k, last := range m.repeats {
			if t-last >= int64(m.window) {
				delete(m.repeats, k)
			}
		}
		m.adds = 0
	}
	return n, nil
}

// Loads implements ExposureStore.
func (m *MemoryExposure) Loads(_ context.Context, now time.Time, candidates []string, loads []float64) error {
	if len(candidates) != len(loads) {
		return fmt.Errorf("%w: exposure store: %d candidates, %d loads", ErrBadRequest, len(candidates), len(loads))
	}
	t := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range candidates {
		e, ok := m.entries[c]
		switch {
		case !ok:
			loads[i] = 0
		case t <= e.at:
			loads[i] = e.load
		default:
			loads[i] = e.load * Decay(t-e.at, m.halfLife)
		}
	}
	return nil
}

// MemoryEventIDs is the in-memory EventIDStore. Create it with
// NewMemoryEventIDs.
type MemoryEventIDs struct {
	mu  sync.Mutex
	ids *eventIDs
}

var _ EventIDStore = (*MemoryEventIDs)(nil)

// NewMemoryEventIDs returns an empty memory of event IDs that remembers
// each for retention, or an error when retention is not positive.
func NewMemoryEventIDs(retention time.Duration) (*MemoryEventIDs, error) {
	if retention <= 0 {
		return nil, fmt.Errorf("%w: event ID store: retention %v must be positive", ErrConfig, retention)
	}
	return &MemoryEventIDs{ids: newEventIDs(retention)}, nil
}

func checkClaim(ids []string, fresh []bool) error {
	if len(ids) != len(fresh) {
		return fmt.Errorf("%w: event ID store: %d IDs, %d results", ErrBadRequest, len(ids), len(fresh))
	}
	for i, id := range ids {
		if id == "" {
			return fmt.Errorf("%w: event ID store: ID %d is empty", ErrBadRequest, i)
		}
	}
	return nil
}

// Claim implements EventIDStore.
func (m *MemoryEventIDs) Claim(_ context.Context, ids []string, at time.Time, fresh []bool) error {
	if err := checkClaim(ids, fresh); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, id := range ids {
		fresh[i] = m.ids.claim(id, at.UnixNano())
	}
	return nil
}
