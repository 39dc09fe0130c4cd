package match

import (
	"fmt"
	"math"
	"slices"

	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
)

// Catalog encoding, version 1 (varints; strings are a uvarint length and
// the bytes; floats 8 bytes little-endian, bit-exact):
//
//	version  uvarint 1
//	strings  count, then each string: every skill, tag, expanded tag and
//	         city of the stored contents, once
//	items    count, then per participant with content, in index order:
//	         index, side byte, vector (count, index deltas, values),
//	         skills, tags, expanded (count, string numbers each), city
//	         (0: none, else its string number + 1), experience min and
//	         max, education byte, salary min, max, months, negotiable
//
// The contents are what was Set; decoding Sets them again, in index
// order, so the decoded Catalog answers exactly as the encoded one did.
const catalogVersion = 1

// AppendBinary appends the stored contents to dst (see UnmarshalBinary).
// The configuration (feature names and kinds) is not encoded: it comes
// from the Catalog that decodes.
func (c *Catalog) AppendBinary(dst []byte) ([]byte, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	num := map[string]uint64{}
	var table []string
	ref := func(s string) uint64 {
		if n, ok := num[s]; ok {
			return n
		}
		n := uint64(len(table))
		num[s] = n
		table = append(table, s)
		return n
	}
	var body binio.Writer
	n := 0
	for ix := range c.items {
		ct := &c.items[ix].c
		if !ct.Side.Valid() {
			continue
		}
		n++
		body.Uvarint(uint64(ix))
		body.Byte(byte(ct.Side))
		body.Uvarint(uint64(len(ct.Vector.Idx)))
		prev := uint32(0)
		for k, i := range ct.Vector.Idx {
			body.Uvarint(uint64(i - prev))
			body.Float64(ct.Vector.Val[k])
			prev = i
		}
		for _, set := range [][]string{ct.Skills, ct.Tags, ct.Expanded} {
			body.Uvarint(uint64(len(set)))
			for _, s := range set {
				body.Uvarint(ref(s))
			}
		}
		if ct.City == "" {
			body.Uvarint(0)
		} else {
			body.Uvarint(ref(ct.City) + 1)
		}
		body.Float64(ct.Experience.Min)
		body.Float64(ct.Experience.Max)
		body.Byte(byte(ct.Education))
		body.Float64(ct.Salary.Min)
		body.Float64(ct.Salary.Max)
		body.Int(ct.Salary.Months)
		body.Bool(ct.Salary.Negotiable)
	}
	w := binio.Writer{B: dst}
	w.Uvarint(catalogVersion)
	w.Strings(table)
	w.Uvarint(uint64(n))
	w.B = append(w.B, body.B...)
	return w.B, nil
}

// UnmarshalBinary replaces c's contents by those that AppendBinary
// encoded. Damaged or foreign data is an error wrapping ErrContent that
// says where, and leaves c as it was.
func (c *Catalog) UnmarshalBinary(data []byte) error {
	fail := func(err error) error { return fmt.Errorf("%w: catalog: %w", ErrContent, err) }
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != catalogVersion {
		return fail(r.Fail("version %d, want %d", v, catalogVersion))
	}
	table := r.Strings()
	n := r.Count(3)
	if r.Err() != nil {
		return fail(r.Err())
	}
	str := func() string {
		k := r.Uvarint()
		if r.Err() == nil && k >= uint64(len(table)) {
			r.Fail("string number %d of %d", k, len(table))
			return ""
		}
		if r.Err() != nil {
			return ""
		}
		return table[k]
	}
	strs := func() []string {
		m := r.Count(1)
		if m == 0 || r.Err() != nil {
			return nil
		}
		out := make([]string, m)
		for i := range out {
			out[i] = str()
		}
		return out
	}
	finite := func(field string, ix uint64, x float64) {
		if r.Err() == nil && (math.IsNaN(x) || math.IsInf(x, 0)) {
			r.Fail("participant %d: field %s is %v", ix, field, x)
		}
	}
	fresh := NewCatalog(c.cfg)
	last := int64(-1)
	for range n {
		ix := r.Uvarint()
		if r.Err() == nil && ix > MaxIndex {
			r.Fail("participant %d above MaxIndex %d", ix, MaxIndex)
		}
		if r.Err() == nil && int64(ix) <= last {
			r.Fail("participant %d after %d", ix, last)
		}
		last = int64(ix)
		var ct Content
		ct.Side = market.Side(r.Byte())
		m := r.Count(9)
		if r.Err() != nil {
			return fail(r.Err())
		}
		ct.Vector = sparse.Vector{Idx: make([]uint32, m), Val: make([]float64, m)}
		prev := uint64(0)
		for k := range m {
			d := r.Uvarint()
			if r.Err() == nil && (k > 0 && d == 0 || prev+d > math.MaxUint32) {
				r.Fail("participant %d: vector index out of order", ix)
			}
			prev += d
			ct.Vector.Idx[k] = uint32(prev)
			ct.Vector.Val[k] = r.Float64()
		}
		ct.Skills, ct.Tags, ct.Expanded = strs(), strs(), strs()
		if k := r.Uvarint(); k > 0 && r.Err() == nil {
			if k > uint64(len(table)) {
				r.Fail("participant %d: city string %d of %d", ix, k-1, len(table))
			} else {
				ct.City = table[k-1]
			}
		}
		ct.Experience.Min, ct.Experience.Max = r.Float64(), r.Float64()
		finite("Experience", ix, ct.Experience.Min)
		finite("Experience", ix, ct.Experience.Max)
		ct.Education = market.Education(r.Byte())
		ct.Salary.Min, ct.Salary.Max = r.Float64(), r.Float64()
		finite("Salary", ix, ct.Salary.Min)
		finite("Salary", ix, ct.Salary.Max)
		ct.Salary.Months = r.Int(0, math.MaxInt32)
		ct.Salary.Negotiable = r.Bool()
		if r.Err() != nil {
			return fail(r.Err())
		}
		if err := fresh.Set(uint32(ix), ct); err != nil {
			return err
		}
	}
	if err := r.Done(); err != nil {
		return fail(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items, c.terms, c.words, c.dim = fresh.items, fresh.terms, fresh.words, fresh.dim
	return nil
}

// equalContent reports whether a and b hold the same content (for tests
// and checks; vectors compared bit for bit).
func equalContent(a, b Content) bool {
	return a.Side == b.Side && slices.Equal(a.Vector.Idx, b.Vector.Idx) &&
		slices.EqualFunc(a.Vector.Val, b.Vector.Val, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }) &&
		slices.Equal(a.Skills, b.Skills) && slices.Equal(a.Tags, b.Tags) && slices.Equal(a.Expanded, b.Expanded) &&
		a.City == b.City && a.Experience == b.Experience && a.Education == b.Education && a.Salary == b.Salary
}
