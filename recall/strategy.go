package recall

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// Hot recalls the targets most attended to recently: the column sums of
// the [Interest] matrix (with its time decay, so "recently" is its
// HalfLife) plus the overlay.
//
// # Incremental
//
// Record changes a target's popularity at once, but the order Hot walks
// is computed by Refresh: call it after each Fit and as often as the host
// likes (it sorts every target, O(n log n)).
type Hot struct {
	x     *Interest // nil: an empty source
	order atomic.Pointer[[]Candidate]
}

// NewHot returns a Hot recaller over x with an empty order; call Refresh.
// A nil x is an empty source: Refresh keeps the order empty and Recall
// returns no candidates, as for the zero Hot.
func NewHot(x *Interest) *Hot {
	h := &Hot{x: x}
	h.order.Store(&[]Candidate{})
	return h
}

// Refresh recomputes the order from the current popularity.
func (h *Hot) Refresh() {
	if h.x == nil {
		return
	}
	m := h.x.base.Load()
	h.x.mu.RLock()
	n := max(len(m.colSum), len(h.x.pop))
	order := make([]Candidate, 0, n)
	for i := range n {
		var p float64
		if i < len(m.colSum) {
			p = m.colSum[i]
		}
		if i < len(h.x.pop) {
			p += h.x.pop[i]
		}
		if p > 0 {
			order = append(order, Candidate{Index: uint32(i), Score: p})
		}
	}
	h.x.mu.RUnlock()
	sortCandidates(order)
	h.order.Store(&order)
}

// Recall implements Recaller: the K most popular allowed targets, scored
// by popularity at the last Refresh.
func (h *Hot) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	order := h.order.Load()
	if order == nil { // the zero Hot, not built by NewHot: empty
		return dst, nil
	}
	left := req.K // counted down, never len(dst)+K: K may be math.MaxInt
	for _, c := range *order {
		if left <= 0 {
			break
		}
		if c.Index != req.Requester && req.Allowed.Contains(c.Index) {
			dst = append(dst, c)
			left--
		}
	}
	return dst, nil
}

// FreshConfig configures [Fresh].
type FreshConfig struct {
	// MaxAge drops participants registered longer ago than this. Zero: no
	// limit.
	MaxAge time.Duration `json:"max_age"`
	// Clock gives "now" for MaxAge. Nil: time.Now.
	Clock func() time.Time `json:"-"`
}

// Fresh recalls the newest participants of the other side (new postings
// for a seeker, new seekers for a recruiter) in registration order, newest
// first. Its score is the registration time in Unix seconds. It reads the
// [Population], so an Upsert counts at once.
type Fresh struct {
	p   *Population
	cfg FreshConfig
}

// NewFresh returns a Fresh recaller over p. It returns an error wrapping
// [ErrConfig] naming the field of an invalid cfg, or for a nil p.
func NewFresh(p *Population, cfg FreshConfig) (*Fresh, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: NewFresh: the *Population is nil", ErrConfig)
	}
	if cfg.MaxAge < 0 {
		return nil, fmt.Errorf("%w: FreshConfig.MaxAge %v is negative", ErrConfig, cfg.MaxAge)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Fresh{p: p, cfg: cfg}, nil
}

// Recall implements Recaller.
func (f *Fresh) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if req.K <= 0 {
		return dst, nil
	}
	oldest := int64(-1 << 63)
	if f.cfg.MaxAge > 0 {
		oldest = f.cfg.Clock().Add(-f.cfg.MaxAge).UnixNano()
	}
	n0 := len(dst)
	left := req.K // counted down, never n0+K: K may be math.MaxInt
	f.p.newest(req.Side.Other(), func(ix uint32, reg int64) bool {
		if reg < oldest {
			return false
		}
		if ix != req.Requester && req.Allowed.Contains(ix) {
			dst = append(dst, Candidate{Index: ix, Score: float64(reg) / 1e9})
			left--
		}
		return left > 0
	})
	// Registration times closer than float64 resolution of Unix seconds
	// tie: restore the Recaller order (score, then index).
	sortCandidates(dst[n0:])
	return dst, nil
}

// ColdStart serves requesters without history: when the requester has
// attended to nothing (in the [Interest] matrix or its overlay) it merges
// its content and hot recallers (snake merge, content first); otherwise it
// returns nothing, leaving the requester to the collaborative recallers.
type ColdStart struct {
	x     *Interest
	merge *Merger
}

// NewColdStart returns a cold-start recaller. content is typically the
// inverted [Index], hot a [Hot]; either may be nil, or an interface
// holding a nil pointer (both nil: it returns no candidates). x is required: a nil x is an error wrapping [ErrConfig].
func NewColdStart(x *Interest, content, hot Recaller) (*ColdStart, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: NewColdStart: the *Interest is nil", ErrConfig)
	}
	var src []Source
	if !isNil(content) {
		src = append(src, Source{Name: "content", Recaller: content})
	}
	if !isNil(hot) {
		src = append(src, Source{Name: "hot", Recaller: hot})
	}
	m, err := NewMerger(MergeConfig{Method: Snake, Sources: src})
	if err != nil {
		return nil, err
	}
	return &ColdStart{x: x, merge: m}, nil
}

// Recall implements Recaller.
func (c *ColdStart) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if c.x.hasHistory(req.Requester) {
		return dst, nil
	}
	return c.merge.Recall(ctx, req, dst)
}
