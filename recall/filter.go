package recall

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/twowayrec/twoway/market"
)

// Population holds the bitmaps that hard filters are built from: who is on
// which side, who is active, who is in which city, and when each
// participant registered (for [Fresh]). The Engine keeps it current with
// Upsert and Remove as profiles change. The zero Population is empty and
// ready to use; it is safe for concurrent use.
type Population struct {
	mu     sync.RWMutex
	side   [3]bitmap.Bitmap // indexed by market.Side; [0] unused
	active bitmap.Bitmap
	city   map[string]bitmap.Bitmap
	member []member // by index; zero when unknown
	// fresh holds known participants sorted newest first (ties by index),
	// for Fresh recall; pending holds those added since, unsorted, merged
	// into fresh on the next Fresh request (so that a bulk load is
	// O(n log n), not O(n²)).
	fresh   []freshEntry
	pending []freshEntry
	count   int
}

type member struct {
	side       market.Side
	city       string
	registered int64 // unix nanoseconds
	facets     facets
}

// checkIndex returns a *market.FieldError naming profile prof when its
// participant index ix is above MaxIndex.
func checkIndex(ix uint32, prof *market.Profile) error {
	if ix <= MaxIndex {
		return nil
	}
	return &market.FieldError{Record: "profile", ID: prof.ID, Field: "index", Value: fmt.Sprintf("%d (at most %d)", ix, MaxIndex), Err: market.ErrOutOfRange}
}

type freshEntry struct {
	registered int64
	ix         uint32
}

func compareFresh(a, b freshEntry) int {
	if c := cmp.Compare(b.registered, a.registered); c != 0 {
		return c
	}
	return cmp.Compare(a.ix, b.ix)
}

// Upsert adds participant ix with profile p, or replaces what was known of
// it. It returns a *market.FieldError when p's side is invalid or ix is
// above [MaxIndex], and an error for a nil p; nothing is changed then.
func (p *Population) Upsert(ix uint32, prof *market.Profile) error {
	if prof == nil {
		return fmt.Errorf("recall: Population.Upsert: nil profile for participant %d", ix)
	}
	if err := checkIndex(ix, prof); err != nil {
		return err
	}
	if !prof.Side.Valid() {
		return &market.FieldError{Record: "profile", ID: prof.ID, Field: "Side", Value: prof.Side.String(), Err: market.ErrUnknownSide}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removeLocked(ix)
	if int(ix) >= len(p.member) {
		p.member = slices.Grow(p.member, int(ix)+1-len(p.member))[:int(ix)+1]
	}
	m := member{side: prof.Side, city: prof.City, registered: prof.Registered.UnixNano(), facets: facetsOf(prof)}
	p.member[ix] = m
	p.side[m.side].Set(ix)
	if !prof.Inactive {
		p.active.Set(ix)
	}
	if m.city != "" {
		if p.city == nil {
			p.city = make(map[string]bitmap.Bitmap)
		}
		b := p.city[m.city]
		b.Set(ix)
		p.city[m.city] = b
	}
	p.pending = append(p.pending, freshEntry{m.registered, ix})
	p.count++
	return nil
}

// Remove forgets participant ix (a deleted profile). Removing an unknown
// index does nothing.
func (p *Population) Remove(ix uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removeLocked(ix)
}

func (p *Population) removeLocked(ix uint32) {
	if int(ix) >= len(p.member) || p.member[ix].side == 0 {
		return
	}
	m := p.member[ix]
	p.side[m.side].Remove(ix)
	p.active.Remove(ix)
	if m.city != "" {
		b := p.city[m.city]
		b.Remove(ix)
		p.city[m.city] = b
	}
	e := freshEntry{m.registered, ix}
	if at, ok := slices.BinarySearchFunc(p.fresh, e, compareFresh); ok {
		p.fresh = slices.Delete(p.fresh, at, at+1)
	} else if at := slices.Index(p.pending, e); at >= 0 {
		p.pending = slices.Delete(p.pending, at, at+1)
	}
	p.member[ix] = member{}
	p.count--
}

// Side returns the side of participant ix, 0 when unknown.
func (p *Population) Side(ix uint32) market.Side {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if int(ix) >= len(p.member) {
		return 0
	}
	return p.member[ix].side
}

// Registered returns when participant ix registered (zero when unknown).
func (p *Population) Registered(ix uint32) time.Time {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if int(ix) >= len(p.member) || p.member[ix].side == 0 {
		return time.Time{}
	}
	return time.Unix(0, p.member[ix].registered)
}

// Active returns the active participants of side s into dst (reusing its
// storage); nil for an invalid side. The result is the caller's.
func (p *Population) Active(dst bitmap.Bitmap, s market.Side) bitmap.Bitmap {
	if !s.Valid() {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	dst = p.side[s].Clone(&dst)
	dst.And(p.active)
	return dst
}

// Len returns the number of known participants.
func (p *Population) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.count
}

// Filter describes the hard filters of one request. The zero Filter keeps
// only the requester's other side minus the requester, active or not.
type Filter struct {
	// Requester is excluded from the result.
	Requester uint32 `json:"requester"`
	// Side is the requester's side: only the other side is kept. Required.
	Side market.Side `json:"side"`
	// ActiveOnly drops inactive profiles (filled jobs, seekers who stopped).
	ActiveOnly bool `json:"active_only"`
	// Cities, when not empty, keeps only participants in one of these
	// cities. Empty: any city.
	Cities []string `json:"cities,omitempty"`
	// Seen holds participants the requester has already seen or contacted;
	// they are dropped. Nil: none.
	Seen bitmap.Bitmap `json:"-"`
	// Blocked holds participants blocked in either direction; dropped.
	Blocked bitmap.Bitmap `json:"-"`
	// Exclude is the host's exclusion set (e.g. over-exposed participants
	// from package exposure); dropped. Nil: none.
	Exclude bitmap.Bitmap `json:"-"`
}

// Mask computes the allowed set of f into dst (reusing its storage) and
// returns it:
//
//	allowed = side(f.Side.Other()) ∩ [active] ∩ [⋃ city(c)] \ (Seen ∪ Blocked ∪ Exclude ∪ {Requester})
//
// It returns an error only for an invalid f.Side. The result is a fresh
// bitmap the caller owns; later Upserts do not change it.
func (p *Population) Mask(dst bitmap.Bitmap, f Filter) (bitmap.Bitmap, error) {
	if !f.Side.Valid() {
		return dst, fmt.Errorf("%w: Filter.Side %v", ErrConfig, f.Side)
	}
	p.mu.RLock()
	dst = p.side[f.Side.Other()].Clone(&dst)
	if f.ActiveOnly {
		dst.And(p.active)
	}
	if len(f.Cities) > 0 {
		var inCity bitmap.Bitmap
		for _, c := range f.Cities {
			if b := p.city[c]; len(b) > 0 { // (bitmap v1.5.3's Or panics on an empty argument)
				inCity.Or(b)
			}
		}
		dst.And(inCity)
	}
	p.mu.RUnlock()
	for _, b := range [...]bitmap.Bitmap{f.Seen, f.Blocked, f.Exclude} {
		if len(b) > 0 {
			dst.AndNot(b)
		}
	}
	dst.Remove(f.Requester)
	return dst, nil
}

// newest calls yield with participants of side s in registration order,
// newest first, until yield returns false.
func (p *Population) newest(s market.Side, yield func(ix uint32, registered int64) bool) {
	p.mu.RLock()
	if len(p.pending) > 0 {
		p.mu.RUnlock()
		p.mu.Lock()
		if len(p.pending) > 0 {
			slices.SortFunc(p.pending, compareFresh)
			merged := make([]freshEntry, 0, len(p.fresh)+len(p.pending))
			i, j := 0, 0
			for i < len(p.fresh) || j < len(p.pending) {
				if j == len(p.pending) || (i < len(p.fresh) && compareFresh(p.fresh[i], p.pending[j]) < 0) {
					merged = append(merged, p.fresh[i])
					i++
				} else {
					merged = append(merged, p.pending[j])
					j++
				}
			}
			p.fresh, p.pending = merged, p.pending[:0]
		}
		p.mu.Unlock()
		p.mu.RLock()
	}
	defer p.mu.RUnlock()
	for _, e := range p.fresh {
		if p.member[e.ix].side == s && !yield(e.ix, e.registered) {
			return
		}
	}
}
