package recall

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/market"
)

// Image encoding, version 1 (varints; strings are a uvarint length and the
// bytes; floats bit-exact):
//
//	version   uvarint 1
//	analyzer  string: the bleve analyzer the postings were cut with
//	names     count, then the cities and industries, sorted (number k+1
//	          is the k-th)
//	documents count, then per document in index order: index, side byte,
//	          education byte, salary known bool, city and industry
//	          numbers, experience minimum, salary minimum and maximum
//	lists     count, then per non-empty posting list, sorted by side,
//	          field and term: side byte, field
//	          byte, term, count, then per posting in document order: the
//	          document's index minus the previous one's, impact (float32
//	          bits, uvarint)
//
// The image is the posting cache exactly as requests read it, so an Index
// that installs it recalls bit for bit as the encoded one did, without
// analysing a profile again.
const imageVersion = 1

// backfillBatch is how many documents one bleve batch of the backfill
// indexes: small enough that an Upsert waits for one batch at most a few
// hundred milliseconds.
const backfillBatch = 512

// AppendImage appends the Index's posting cache to dst: what
// [Index.DecodeImage] and [Index.Install] restore in another Index without
// analysing the profiles again (the slow part of indexing them). The query
// fields are not encoded: they are the profiles' own, given to DecodeImage.
func (x *Index) AppendImage(dst []byte) ([]byte, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	c := x.cache
	w := binio.Writer{B: dst}
	w.Uvarint(imageVersion)
	w.String(x.cfg.Analyzer)
	// Names and lists are written sorted, so that the image does not
	// depend on the order the profiles were indexed in (the cache numbers
	// them as it meets them).
	names := make([]string, 0, len(c.names))
	for s := range c.names {
		names = append(names, s)
	}
	slices.Sort(names)
	renumber := make([]uint32, len(c.names)+1) // the cache's number → the image's
	for k, s := range names {
		renumber[c.names[s]] = uint32(k + 1)
	}
	w.Strings(names)
	n := 0
	for d := range c.col {
		if c.col[d].side != 0 {
			n++
		}
	}
	w.Uvarint(uint64(n))
	for d, col := range c.col {
		if col.side == 0 {
			continue
		}
		w.Uvarint(uint64(d))
		w.Byte(byte(col.side))
		w.Byte(byte(col.edu))
		w.Bool(col.salKnown)
		w.Uvarint(uint64(renumber[col.city]))
		w.Uvarint(uint64(renumber[col.industry]))
		w.Float64(col.expMin)
		w.Float64(col.salMin)
		w.Float64(col.salMax)
	}
	lists := make([]int32, 0, len(c.lists))
	for id, l := range c.lists {
		if len(l) > 0 {
			lists = append(lists, int32(id))
		}
	}
	slices.SortFunc(lists, func(a, b int32) int {
		ka, kb := c.keys[a], c.keys[b]
		return cmp.Or(cmp.Compare(ka.side, kb.side), cmp.Compare(ka.field, kb.field), cmp.Compare(ka.term, kb.term))
	})
	w.Uvarint(uint64(len(lists)))
	for _, id := range lists {
		l, k := c.lists[id], c.keys[id]
		w.Byte(byte(k.side))
		w.Byte(k.field)
		w.String(k.term)
		w.Uvarint(uint64(len(l)))
		prev := uint32(0)
		for _, p := range l {
			w.Uvarint(uint64(p.doc - prev))
			w.Uvarint(uint64(math.Float32bits(p.impact)))
			prev = p.doc
		}
	}
	return w.B, nil
}

// An IndexImage is a posting cache decoded by [Index.DecodeImage], checked
// against the profiles it was made from, ready for [Index.Install].
type IndexImage struct {
	cache    *postingCache
	ixs      []uint32
	profiles []market.Profile
	indexed  []*indexed
}

// DecodeImage decodes what AppendImage wrote for the profiles ps
// (participant ixs[k] is ps[k]; every document of the image must be one of
// them, on the same side, with the same compatibility fields, and every
// profile must be in the image). It changes nothing in x. Damaged data, an
// image of other profiles or of another analyzer is an error wrapping
// ErrCorrupt.
func (x *Index) DecodeImage(data []byte, ixs []uint32, ps []market.Profile) (*IndexImage, error) {
	if len(ixs) != len(ps) {
		return nil, fmt.Errorf("%w: index image: %d indices for %d profiles", ErrCorrupt, len(ixs), len(ps))
	}
	fail := func(err error) (*IndexImage, error) { return nil, fmt.Errorf("%w: index image: %w", ErrCorrupt, err) }
	img := &IndexImage{cache: newPostingCache(), ixs: ixs, profiles: ps, indexed: make([]*indexed, len(ps))}
	want := make(map[uint32]int, len(ixs))
	for k, ix := range ixs {
		if _, dup := want[ix]; dup {
			return fail(fmt.Errorf("participant %d given twice", ix))
		}
		want[ix] = k
		img.indexed[k] = newIndexed(&ps[k])
	}
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != imageVersion {
		return fail(r.Fail("version %d, want %d", v, imageVersion))
	}
	if a := r.String(); r.Err() == nil && a != x.cfg.Analyzer {
		return fail(r.Fail("analysed with %q, this index uses %q", a, x.cfg.Analyzer))
	}
	c := img.cache
	names := append([]string{""}, r.Strings()...) // names[n] is number n's
	for _, s := range names[1:] {
		if _, dup := c.names[s]; dup || s == "" {
			return fail(r.Fail("name %q twice or empty", s))
		}
		c.names[s] = uint32(len(c.names) + 1)
	}
	nd := r.Count(8)
	if r.Err() != nil {
		return fail(r.Err())
	}
	if nd != len(ixs) {
		return fail(fmt.Errorf("%d documents for %d profiles", nd, len(ixs)))
	}
	last := int64(-1)
	for range nd {
		d := r.Uvarint()
		if r.Err() == nil && (int64(d) <= last || d > MaxIndex) {
			r.Fail("document %d after %d (at most %d)", d, last, MaxIndex)
		}
		last = int64(d)
		col := column{side: market.Side(r.Byte()), edu: market.Education(r.Byte()), salKnown: r.Bool(),
			city: r.Uint32(), industry: r.Uint32(), expMin: r.Float64(), salMin: r.Float64(), salMax: r.Float64()}
		if r.Err() != nil {
			return fail(r.Err())
		}
		k, ok := want[uint32(d)]
		if !ok {
			return fail(fmt.Errorf("document %d is not a live profile", d))
		}
		// The document must be the profile's: the same column as indexing
		// it now would give.
		fresh := newEntry(uint32(d), img.indexed[k]).col
		fresh.city, fresh.industry = col.city, col.industry
		if !sameColumn(col, fresh) || int(col.city) >= len(names) || int(col.industry) >= len(names) ||
			names[col.city] != ps[k].City || names[col.industry] != ps[k].Industry {
			return fail(fmt.Errorf("document %d does not match profile %q", d, market.Shorten(ps[k].ID)))
		}
		c.grow(uint32(d))
		c.col[d] = col
		c.docs[col.side]++
	}
	nl := r.Count(4)
	if r.Err() != nil {
		return fail(r.Err())
	}
	for range nl {
		k := listKey{side: market.Side(r.Byte()), field: r.Byte(), term: r.String()}
		np := r.Count(2)
		if r.Err() != nil {
			return fail(r.Err())
		}
		if !k.side.Valid() || int(k.field) >= len(textFields) || k.term == "" || np == 0 {
			return fail(r.Fail("list (%d, %d, %q) of %d postings", k.side, k.field, k.term, np))
		}
		if _, dup := c.ids[k]; dup {
			return fail(r.Fail("list (%v, %s, %q) twice", k.side, textFields[k.field], k.term))
		}
		id := c.list(k, true)
		l := make([]posting, np)
		doc := uint64(0)
		for i := range l {
			delta := r.Uvarint()
			bits := r.Uvarint()
			if r.Err() != nil {
				return fail(r.Err())
			}
			doc += delta
			imp := math.Float32frombits(uint32(bits))
			if i > 0 && delta == 0 || doc >= uint64(len(c.col)) || c.col[doc].side != k.side || bits > math.MaxUint32 ||
				!(imp > 0) || math.IsInf(float64(imp), 0) {
				return fail(r.Fail("list (%v, %s, %q): posting %d (document %d, impact %v)", k.side, textFields[k.field], k.term, i, doc, imp))
			}
			l[i] = posting{doc: uint32(doc), impact: imp}
			c.fwd[doc] = append(c.fwd[doc], id)
		}
		c.lists[id] = l
	}
	if err := r.Done(); err != nil {
		return fail(err)
	}
	return img, nil
}

func sameColumn(a, b column) bool {
	same := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }
	return a.side == b.side && a.edu == b.edu && a.salKnown == b.salKnown && a.city == b.city && a.industry == b.industry &&
		same(a.expMin, b.expMin) && same(a.salMin, b.salMin) && same(a.salMax, b.salMax)
}

// Install replaces the Index's cache and query fields by img's, at once:
// requests recall from it as soon as Install returns. Bleve, the index of
// record, is filled with img's profiles in the background, a few hundred
// at a time; an Upsert or Remove of one of them in the meantime takes
// precedence (it is not overwritten by the backfill). [Index.Backfilled]
// waits for the backfill; [Index.Close] finishes an on-disk index's
// backfill before closing and stops an in-memory one's. Documents that
// bleve held before (a reopened on-disk index) and img does not are
// removed from it, so it ends holding exactly img's profiles and what was
// upserted since.
func (x *Index) Install(img *IndexImage) {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	profiles := make([]*indexed, 0, len(img.ixs))
	for k, ix := range img.ixs {
		if int(ix) >= len(profiles) {
			profiles = slices.Grow(profiles, int(ix)+1-len(profiles))[:int(ix)+1]
		}
		profiles[ix] = img.indexed[k]
	}
	x.mu.Lock()
	stale := make([]uint32, 0)
	for d, col := range x.cache.col {
		if col.side != 0 && (d >= len(profiles) || profiles[d] == nil) {
			stale = append(stale, uint32(d))
		}
	}
	x.cache, x.profiles = img.cache, profiles
	x.mu.Unlock()
	if x.pending == nil {
		x.pending = make(map[uint32]*market.Profile, len(img.ixs))
	}
	for k, ix := range img.ixs {
		x.pending[ix] = &img.profiles[k]
		x.order = append(x.order, ix)
	}
	if x.stale == nil {
		x.stale = make(map[uint32]bool, len(stale))
	}
	for _, d := range stale {
		x.stale[d] = true
	}
	if x.filled == nil {
		x.filled = make(chan struct{})
		go x.backfill()
	}
}

// backfill indexes the pending profiles into bleve, a batch at a time,
// until none is left or the Index closes.
func (x *Index) backfill() {
	for {
		x.wmu.Lock()
		if x.closing && x.cfg.Path == "" || len(x.pending) == 0 && len(x.stale) == 0 || x.fillErr != nil {
			x.pending, x.order, x.stale = nil, nil, nil
			close(x.filled)
			x.filled = nil
			x.wmu.Unlock()
			return
		}
		b := x.idx.NewBatch()
		for d := range x.stale {
			b.Delete(docID(d))
		}
		clear(x.stale)
		n := 0
		for n < backfillBatch && len(x.order) > 0 {
			ix := x.order[0]
			x.order = x.order[1:]
			p, ok := x.pending[ix]
			if !ok {
				continue // upserted or removed since: that wrote bleve
			}
			delete(x.pending, ix)
			if err := b.Index(docID(ix), document(p)); err != nil {
				x.fillErr = fmt.Errorf("recall: index backfill: profile %q: %w", market.Shorten(p.ID), err)
				break
			}
			n++
		}
		if x.fillErr == nil {
			if err := x.idx.Batch(b); err != nil {
				x.fillErr = fmt.Errorf("recall: index backfill: %w", err)
			}
		}
		x.wmu.Unlock()
	}
}

// Backfilled waits until bleve holds every profile of the last
// [Index.Install] (at once when there was none, or when it is done), and
// returns the backfill's error, if one stopped it, or ctx's.
func (x *Index) Backfilled(ctx context.Context) error {
	x.wmu.Lock()
	done := x.filled
	x.wmu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	x.wmu.Lock()
	defer x.wmu.Unlock()
	return x.fillErr
}

// unpend drops participants from the backfill (x.wmu held): a write of
// theirs reaches bleve first.
func (x *Index) unpend(ixs ...uint32) {
	for _, ix := range ixs {
		delete(x.pending, ix)
		delete(x.stale, ix)
	}
}
