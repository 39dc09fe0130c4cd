package recall

import (
	"math"
	"slices"

	"github.com/kelindar/bitmap"
	"github.com/twowayrec/twoway/market"
)

// The posting cache is the Index's in-memory, read-optimised copy of the
// inverted index that bleve keeps: for each side, analysed field and term,
// the sorted list of the documents holding the term with their impact,
// plus a column of the compatibility fields of every document. Recall
// scores from it term at a time into a dense accumulator, which costs a
// few nanoseconds per posting; bleve's searchers cost about a hundred times
// more per matching document on queries as broad as a profile's, and bleve
// cannot take the caller's filter bitmap. Bleve stays the index of record:
// it analyses, persists and reopens, and the cache is refilled from its
// term dictionaries when an on-disk index is opened.

// textFields are the analysed fields that postings are kept for.
var textFields = [...]string{fieldTitle, fieldSkills, fieldTags, fieldText}

// Field numbers in a listKey: positions in textFields.
const (
	fTitle uint8 = iota
	fSkills
	fTags
	fText
)

// listKey names one posting list.
type listKey struct {
	side  market.Side
	field uint8
	term  string
}

// posting is one document of a posting list. Impact is bleve's own
// term-frequency weight, sqrt(freq) / sqrt(field length).
type posting struct {
	doc    uint32
	impact float32
}

// column holds a document's compatibility fields, by index.
type column struct {
	side     market.Side // 0: no document
	edu      market.Education
	salKnown bool
	city     uint32 // interned; 0 when empty
	industry uint32
	expMin   float64
	salMin   float64
	salMax   float64
}

// postingCache is guarded by Index.mu.
type postingCache struct {
	ids   map[listKey]int32
	keys  []listKey
	lists [][]posting
	fwd   [][]int32 // by document: the lists it is in
	col   []column  // by document
	docs  [3]int    // documents per side (indexed by market.Side)
	names map[string]uint32
}

func newPostingCache() *postingCache {
	return &postingCache{ids: map[listKey]int32{}, names: map[string]uint32{}}
}

// intern returns the number of s, 0 for "".
func (c *postingCache) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	if n, ok := c.names[s]; ok {
		return n
	}
	n := uint32(len(c.names) + 1)
	c.names[s] = n
	return n
}

// name returns the number of s without interning it (0 when unknown).
func (c *postingCache) name(s string) uint32 { return c.names[s] }

// list returns the id of the list of k, creating it when create is set
// (-1 when absent and not created).
func (c *postingCache) list(k listKey, create bool) int32 {
	if id, ok := c.ids[k]; ok {
		return id
	}
	if !create {
		return -1
	}
	id := int32(len(c.lists))
	c.ids[k] = id
	c.keys = append(c.keys, k)
	c.lists = append(c.lists, nil)
	return id
}

func (c *postingCache) grow(ix uint32) {
	if n := int(ix) + 1; n > len(c.col) {
		c.col = slices.Grow(c.col, n-len(c.col))[:n]
		c.fwd = slices.Grow(c.fwd, n-len(c.fwd))[:n]
	}
}

// docEntry is one document's analysed content: per field, each term with
// its frequency, and the field's length in tokens.
type docEntry struct {
	doc            uint32
	col            column
	city, industry string
	terms          [len(textFields)]map[string]int
	lens           [len(textFields)]int
}

// impact is bleve's term weight: sqrt(freq) times the norm that bleve
// stores, float32(1/sqrt(length)).
func impact(freq, length int) float32 {
	if freq <= 0 || length <= 0 {
		return 0
	}
	norm := float32(1 / math.Sqrt(float64(length)))
	return float32(math.Sqrt(float64(freq)) * float64(norm))
}

// remove takes documents out of the cache: one by one with binary search
// for a few, in one filtering pass over the touched lists for many.
func (c *postingCache) remove(docs []uint32) {
	var gone bitmap.Bitmap
	touched := map[int32]struct{}{}
	for _, d := range docs {
		if int(d) >= len(c.col) || c.col[d].side == 0 {
			continue
		}
		gone.Set(d)
		for _, id := range c.fwd[d] {
			touched[id] = struct{}{}
		}
		c.docs[c.col[d].side]--
	}
	if gone.Count() == 0 {
		return
	}
	few := gone.Count() <= 16
	for id := range touched {
		l := c.lists[id]
		if few {
			gone.Range(func(d uint32) {
				if i, ok := slices.BinarySearchFunc(l, d, cmpDoc); ok {
					l = slices.Delete(l, i, i+1)
				}
			})
		} else {
			l = slices.DeleteFunc(l, func(p posting) bool { return gone.Contains(p.doc) })
		}
		c.lists[id] = l
	}
	gone.Range(func(d uint32) {
		c.fwd[d] = nil
		c.col[d] = column{}
	})
}

func cmpDoc(p posting, d uint32) int {
	switch {
	case p.doc < d:
		return -1
	case p.doc > d:
		return 1
	}
	return 0
}

// add puts documents that are not in the cache into it.
func (c *postingCache) add(es []docEntry) {
	fresh := map[int32][]posting{}
	for i := range es {
		e := &es[i]
		c.grow(e.doc)
		e.col.city, e.col.industry = c.intern(e.city), c.intern(e.industry)
		c.col[e.doc] = e.col
		c.docs[e.col.side]++
		n := 0
		for f := range textFields {
			n += len(e.terms[f])
		}
		var ids []int32 // kept as the document's forward list: sized once
		if n > 0 {
			ids = make([]int32, 0, n)
		}
		for f := range textFields {
			for term, freq := range e.terms[f] {
				id := c.list(listKey{e.col.side, uint8(f), term}, true)
				ids = append(ids, id)
				fresh[id] = append(fresh[id], posting{e.doc, impact(freq, e.lens[f])})
			}
		}
		slices.Sort(ids)
		c.fwd[e.doc] = ids
	}
	for id, ps := range fresh {
		c.insert(id, ps)
	}
}

// insert merges postings of new documents into list id, keeping it
// sorted by document.
func (c *postingCache) insert(id int32, ps []posting) {
	slices.SortFunc(ps, func(a, b posting) int { return cmpDoc(a, b.doc) })
	l := c.lists[id]
	switch {
	case len(l) == 0 || l[len(l)-1].doc < ps[0].doc:
		l = append(l, ps...)
	case len(ps) <= 16:
		for _, p := range ps {
			i, _ := slices.BinarySearchFunc(l, p.doc, cmpDoc)
			l = slices.Insert(l, i, p)
		}
	default:
		out := make([]posting, 0, len(l)+len(ps))
		i, j := 0, 0
		for i < len(l) && j < len(ps) {
			if l[i].doc < ps[j].doc {
				out = append(out, l[i])
				i++
			} else {
				out = append(out, ps[j])
				j++
			}
		}
		out = append(append(out, l[i:]...), ps[j:]...)
		l = out
	}
	c.lists[id] = l
}
