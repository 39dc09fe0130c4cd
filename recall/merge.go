package recall

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
)

// MergeMethod says how a [Merger] combines several recall lists.
type MergeMethod uint8

const (
	// Sequential takes the first list (up to its quota), then the second,
	// and so on. Score: 1/(1+position).
	Sequential MergeMethod = iota
	// Snake takes round-robin: the first of each list in source order, then
	// the second of each, and so on, each list up to its quota. Score:
	// 1/(1+position).
	Snake
	// Weighted sums, over the lists that hold the candidate, the source
	// weight times the candidate's score divided by the list's top score
	// (so each list's best counts 1). A list whose top score is not
	// positive counts 1/(1+rank) instead.
	Weighted
	// RRF is reciprocal-rank fusion: Σ weight / (RRFK + rank + 1), rank
	// 0-based.
	RRF
)

var mergeNames = [...]string{"sequential", "snake", "weighted", "rrf"}

// String returns the method's name.
func (m MergeMethod) String() string {
	if int(m) < len(mergeNames) {
		return mergeNames[m]
	}
	return fmt.Sprintf("MergeMethod(%d)", uint8(m))
}

// MarshalText implements encoding.TextMarshaler.
func (m MergeMethod) MarshalText() ([]byte, error) {
	if int(m) >= len(mergeNames) {
		return nil, fmt.Errorf("%w: merge method %d", ErrConfig, uint8(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *MergeMethod) UnmarshalText(b []byte) error {
	for i, n := range mergeNames {
		if n == string(b) {
			*m = MergeMethod(i)
			return nil
		}
	}
	return fmt.Errorf("%w: unknown merge method %q", ErrConfig, b)
}

// Source is one recall list to merge.
type Source struct {
	// Name identifies the source in each candidate's Hits. Required, unique.
	Name string `json:"name"`
	// Recaller produces the list; only a Merger's sources need it.
	Recaller Recaller `json:"-"`
	// Quota caps how many of this source's top candidates take part. Zero:
	// no cap of its own (a [Merger] asks the source for the merged K;
	// [Merge] takes the whole list).
	Quota int `json:"quota"`
	// Weight multiplies this source's contribution (Weighted, RRF). Zero: 1.
	Weight float64 `json:"weight"`
}

// MergeConfig configures a [Merger].
type MergeConfig struct {
	// Method is the merge method. Zero: Sequential.
	Method MergeMethod `json:"method"`
	// RRFK is the rank offset of RRF. Zero: 60.
	RRFK float64 `json:"rrf_k"`
	// Sources are merged in this order (the order also breaks ties and
	// orders each candidate's Hits).
	Sources []Source `json:"sources"`
}

func (c *MergeConfig) resolve(needRecaller bool) error {
	if int(c.Method) >= len(mergeNames) {
		return fmt.Errorf("%w: MergeConfig.Method %d", ErrConfig, uint8(c.Method))
	}
	if c.RRFK < 0 || math.IsNaN(c.RRFK) || math.IsInf(c.RRFK, 0) {
		return fmt.Errorf("%w: MergeConfig.RRFK %v must be finite and not negative", ErrConfig, c.RRFK)
	}
	if c.RRFK == 0 {
		c.RRFK = 60
	}
	seen := map[string]bool{}
	c.Sources = append([]Source(nil), c.Sources...)
	for i := range c.Sources {
		s := &c.Sources[i]
		switch {
		case s.Name == "":
			return fmt.Errorf("%w: MergeConfig.Sources[%d].Name is empty", ErrConfig, i)
		case seen[s.Name]:
			return fmt.Errorf("%w: MergeConfig.Sources[%d].Name %q is repeated", ErrConfig, i, s.Name)
		case needRecaller && isNil(s.Recaller):
			return fmt.Errorf("%w: MergeConfig.Sources[%d].Recaller is nil", ErrConfig, i)
		case s.Quota < 0:
			return fmt.Errorf("%w: MergeConfig.Sources[%d].Quota %d is negative", ErrConfig, i, s.Quota)
		case s.Weight < 0 || math.IsNaN(s.Weight) || math.IsInf(s.Weight, 0):
			return fmt.Errorf("%w: MergeConfig.Sources[%d].Weight %v must be finite and not negative", ErrConfig, i, s.Weight)
		}
		seen[s.Name] = true
		if s.Weight == 0 {
			s.Weight = 1
		}
	}
	return nil
}

// isNil reports whether r is nil or an interface holding a nil pointer, map,
// slice, func or channel (a typed nil: var idx *Index; Recaller(idx)), on
// which Recall would panic or misbehave.
func isNil(r Recaller) bool {
	if r == nil {
		return true
	}
	switch v := reflect.ValueOf(r); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// Merger is a Recaller that asks each of its sources and merges their
// lists with one [MergeMethod], per-source quotas and de-duplication:
// a candidate found by several sources appears once and carries one Hit
// per source. Sources are asked one after the other.
type Merger struct{ cfg MergeConfig }

// NewMerger validates cfg and returns a Merger.
func NewMerger(cfg MergeConfig) (*Merger, error) {
	if err := cfg.resolve(true); err != nil {
		return nil, err
	}
	return &Merger{cfg: cfg}, nil
}

// Recall implements Recaller: each source is asked for its quota (or K)
// candidates under the same request, and the lists are merged. The first
// source error is returned, naming the source.
func (m *Merger) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	if req.K <= 0 {
		return dst, ctx.Err()
	}
	lists := make([][]Candidate, len(m.cfg.Sources))
	for i, s := range m.cfg.Sources {
		sub := req
		if s.Quota > 0 {
			sub.K = s.Quota
		}
		l, err := s.Recaller.Recall(ctx, sub, nil)
		if err != nil {
			return dst, fmt.Errorf("recall: source %s: %w", s.Name, err)
		}
		lists[i] = l
	}
	return merge(dst, m.cfg, lists, req.K), nil
}

// Merge merges lists (lists[i] found by cfg.Sources[i], each in Recaller
// order) into at most k candidates appended to dst, with cfg's method,
// quotas and weights; Recaller fields of the sources are ignored. It
// returns an error naming the field for an invalid cfg or when the number
// of lists differs from the number of sources.
//
// Merge only reads lists: neither the outer slice nor any list or
// candidate is modified, and the result shares no memory with them. Its
// memory follows the lists' total length, never k: a k larger than the
// number of distinct candidates (up to math.MaxInt) asks for all of them.
func Merge(dst []Candidate, cfg MergeConfig, lists [][]Candidate, k int) ([]Candidate, error) {
	if err := cfg.resolve(false); err != nil {
		return dst, err
	}
	if len(lists) != len(cfg.Sources) {
		return dst, fmt.Errorf("%w: %d lists for %d MergeConfig.Sources", ErrConfig, len(lists), len(cfg.Sources))
	}
	// merge truncates lists[i] to its quota: a copy of the outer slice,
	// not the caller's (the lists' contents are only read).
	return merge(dst, cfg, slices.Clone(lists), k), nil
}

// merge merges lists into at most k candidates appended to dst. It
// truncates the elements of lists (the slice headers) to their quotas and
// only reads what they hold; nothing it allocates is sized by k.
func merge(dst []Candidate, cfg MergeConfig, lists [][]Candidate, k int) []Candidate {
	if k <= 0 {
		return dst
	}
	for i, s := range cfg.Sources {
		if q := s.Quota; q > 0 && len(lists[i]) > q {
			lists[i] = lists[i][:q]
		}
	}
	// at maps a candidate to its position in out. A first pass places
	// every candidate and counts its hits, so that all hits share one
	// allocation; the table and slices are sized once, for the lists'
	// total.
	size := 0
	for _, l := range lists {
		size += len(l)
	}
	at := make(map[uint32]int, size)
	out := make([]Candidate, 0, size)
	nhits := make([]int, 0, size)
	for _, l := range lists {
		for _, c := range l {
			p, ok := at[c.Index]
			if !ok {
				p = len(out)
				at[c.Index] = p
				out = append(out, Candidate{Index: c.Index})
				nhits = append(nhits, 0)
			}
			nhits[p]++
		}
	}
	backing := make([]Hit, size) // one hit per listed candidate
	for p, off := 0, 0; p < len(out); p++ {
		out[p].Hits = backing[off : off : off+nhits[p]]
		off += nhits[p]
	}
	hit := func(src, rank int, c Candidate) int {
		p := at[c.Index]
		out[p].Hits = append(out[p].Hits, Hit{Source: cfg.Sources[src].Name, Rank: rank, Score: c.Score})
		return p
	}
	switch cfg.Method {
	case Sequential, Snake:
		// Positions are given in visiting order; every list is visited in
		// full so that each kept candidate lists all its sources.
		order := make([]int, 0, min(k, len(out))) // positions in out, in merged order
		visit := func(src, rank int) {
			p := at[lists[src][rank].Index]
			first := len(out[p].Hits) == 0
			hit(src, rank, lists[src][rank])
			if first && len(order) < k {
				order = append(order, p)
			}
		}
		if cfg.Method == Sequential {
			for s := range lists {
				for r := range lists[s] {
					visit(s, r)
				}
			}
		} else {
			longest := 0
			for _, l := range lists {
				longest = max(longest, len(l))
			}
			for r := range longest {
				for s := range lists {
					if r < len(lists[s]) {
						visit(s, r)
					}
				}
			}
		}
		// Hits must be in source order.
		for pos, p := range order {
			c := out[p]
			sortHits(c.Hits, cfg.Sources)
			c.Score = 1 / float64(1+pos)
			dst = append(dst, c)
		}
		return dst
	}
	for s, l := range lists {
		top := 0.0
		if len(l) > 0 {
			top = l[0].Score
		}
		for r, c := range l {
			p := hit(s, r, c)
			w := cfg.Sources[s].Weight
			var v float64
			switch {
			case cfg.Method == RRF:
				v = w / (cfg.RRFK + float64(r) + 1)
			case top > 0 && !math.IsNaN(c.Score):
				v = w * c.Score / top
			default:
				v = w / float64(1+r)
			}
			out[p].Score += v
		}
	}
	out = slices.DeleteFunc(out, func(c Candidate) bool { return math.IsNaN(c.Score) })
	return appendBest(dst, out, k)
}

// sortHits orders hits by the position of their source in sources (hits
// are appended in visiting order, which Snake interleaves).
func sortHits(h []Hit, sources []Source) {
	pos := func(name string) int {
		for i, s := range sources {
			if s.Name == name {
				return i
			}
		}
		return len(sources)
	}
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && pos(h[j].Source) < pos(h[j-1].Source); j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}
