package rank

import (
	"fmt"
	"slices"
	"sync"

	"github.com/twowayrec/twoway/sparse"
)

// Feature is one named feature value, e.g. {"city=杭州", 1} or
// {"salary_gap", 0.3}.
type Feature struct {
	Name  string
	Value float64
}

// Hasher maps feature names to indices by feature hashing (the "hashing
// trick"): index = FNV-1a-64(name) mod Dim, so it needs no dictionary and
// never grows. Collisions add features together; with Signed, a second
// hash bit gives each name a ±1 sign so that collisions cancel in
// expectation (Weinberger et al., 2009). A Hasher is an immutable value,
// safe for concurrent use; its methods do not allocate.
type Hasher struct {
	dim    uint64
	signed bool
}

// NewHasher returns a hasher onto dim indices (1 to MaxDim).
func NewHasher(dim int, signed bool) (Hasher, error) {
	if dim <= 0 || dim > MaxDim {
		return Hasher{}, fmt.Errorf("rank: NewHasher: dim %d: want 1 to %d", dim, MaxDim)
	}
	return Hasher{dim: uint64(dim), signed: signed}, nil
}

// Dim returns the number of indices.
func (h Hasher) Dim() int { return int(h.dim) }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(hash uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		hash ^= uint64(s[i])
		hash *= fnvPrime
	}
	return hash
}

func (h Hasher) place(hash uint64) (uint32, float64) {
	// Finalise (a 64-bit mix) so that the low bits used by the modulus
	// and the sign bit are well spread.
	hash ^= hash >> 33
	hash *= 0xff51afd7ed558ccd
	hash ^= hash >> 33
	sign := 1.0
	if h.signed && hash>>63 == 1 {
		sign = -1
	}
	return uint32(hash % h.dim), sign
}

// Index returns the index and sign (+1, or ±1 when Signed) of name.
func (h Hasher) Index(name string) (uint32, float64) {
	return h.place(fnvString(fnvOffset, name))
}

// Add adds feature name with value x to b. It panics on a zero Hasher.
func (h Hasher) Add(b *sparse.Builder, name string, x float64) {
	i, s := h.Index(name)
	b.Add(i, s*x)
}

// AddField adds the categorical feature field=value with value x to b
// without building the string "field=value" (it hashes the same bytes).
func (h Hasher) AddField(b *sparse.Builder, field, value string, x float64) {
	hash := fnvString(fnvOffset, field)
	hash = fnvString(hash, "=")
	i, s := h.place(fnvString(hash, value))
	b.Add(i, s*x)
}

// Encode returns the vector of feats, reusing dst's storage and b as
// scratch (b is reset first).
func (h Hasher) Encode(dst sparse.Vector, b *sparse.Builder, feats ...Feature) sparse.Vector {
	b.Reset()
	for _, f := range feats {
		h.Add(b, f.Name, f.Value)
	}
	return b.Vector(dst)
}

// Dictionary maps feature names to dense indices 0, 1, 2, … in the order
// they are first seen, exactly (no collisions), up to a fixed capacity. It
// is safe for concurrent use. Use Add while building training data and
// Lookup at serving time, where an unseen name has no weight anyway.
type Dictionary struct {
	mu    sync.RWMutex
	index map[string]uint32
	names []string
	limit int
}

// NewDictionary returns an empty dictionary holding at most limit names
// (1 to MaxDim); the models trained on it use Dim = limit or Len().
func NewDictionary(limit int) (*Dictionary, error) {
	if limit <= 0 || limit > MaxDim {
		return nil, fmt.Errorf("rank: NewDictionary: limit %d: want 1 to %d", limit, MaxDim)
	}
	return &Dictionary{index: make(map[string]uint32), limit: limit}, nil
}

// Len returns the number of names.
func (d *Dictionary) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.names)
}

// Lookup returns the index of name and whether it is known.
func (d *Dictionary) Lookup(name string) (uint32, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	i, ok := d.index[name]
	return i, ok
}

// Index returns the index of name, adding it if it is new. It returns an
// error naming the feature when the dictionary is full.
func (d *Dictionary) Index(name string) (uint32, error) {
	if i, ok := d.Lookup(name); ok {
		return i, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if i, ok := d.index[name]; ok {
		return i, nil
	}
	if len(d.names) >= d.limit {
		return 0, fmt.Errorf("rank: dictionary full (%d names): cannot add feature %q", d.limit, name)
	}
	i := uint32(len(d.names))
	d.index[name] = i
	d.names = append(d.names, name)
	return i, nil
}

// Name returns the name at index i and whether it exists.
func (d *Dictionary) Name(i uint32) (string, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if int(i) < len(d.names) {
		return d.names[i], true
	}
	return "", false
}

// Names returns every name in index order.
func (d *Dictionary) Names() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.names)
}

// Encode returns the vector of feats, adding new names (grow = true, for
// training) or dropping unknown ones (grow = false, for serving). It
// reuses dst and b (reset first).
func (d *Dictionary) Encode(dst sparse.Vector, b *sparse.Builder, grow bool, feats ...Feature) (sparse.Vector, error) {
	b.Reset()
	for _, f := range feats {
		if grow {
			i, err := d.Index(f.Name)
			if err != nil {
				return dst, err
			}
			b.Add(i, f.Value)
		} else if i, ok := d.Lookup(f.Name); ok {
			b.Add(i, f.Value)
		}
	}
	return b.Vector(dst), nil
}
