package text

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/twowayrec/twoway/sparse"
)

// Scheme selects how a [Weighting] turns term counts into weights.
type Scheme uint8

const (
	// TFIDF weighs a term by its count times its smoothed inverse
	// document frequency:
	//
	//	w(t, d) = tf(t, d) · (ln((1 + N) / (1 + df(t))) + 1)
	//
	// with tf replaced by 1 + ln(tf) when WeightingConfig.SublinearTF is
	// set.
	TFIDF Scheme = iota
	// BM25 weighs a term with Okapi BM25's saturating term frequency and
	// document-length normalisation:
	//
	//	w(t, d) = idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|d|/avg|d|))
	//	idf(t)  = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
	BM25
)

// String returns "tfidf" or "bm25".
func (s Scheme) String() string {
	switch s {
	case TFIDF:
		return "tfidf"
	case BM25:
		return "bm25"
	}
	return fmt.Sprintf("Scheme(%d)", uint8(s))
}

// WeightingConfig configures [FitWeighting]. The zero value is TF-IDF over
// every term, with L2-normalised vectors.
type WeightingConfig struct {
	// Scheme is TFIDF (the zero value) or BM25.
	Scheme Scheme `json:"scheme"`
	// MinDF drops terms found in fewer documents. Zero means 1 (keep all).
	MinDF int `json:"min_df,omitempty"`
	// MaxDF drops terms found in more than this fraction of the documents
	// (0 < MaxDF <= 1). Zero means 1 (keep all).
	MaxDF float64 `json:"max_df,omitempty"`
	// MaxTerms keeps only the terms with the highest document frequency
	// (ties by term). Zero means no limit.
	MaxTerms int `json:"max_terms,omitempty"`
	// SublinearTF uses 1 + ln(tf) in TF-IDF. False (the zero value): raw tf.
	SublinearTF bool `json:"sublinear_tf,omitempty"`
	// K1 is BM25's term-frequency saturation. Zero means 1.2.
	K1 float64 `json:"k1,omitempty"`
	// B is BM25's length normalisation, in [0, 1]. Zero means 0.75; to
	// switch length normalisation off set NoLengthNorm.
	B float64 `json:"b,omitempty"`
	// NoLengthNorm sets BM25's b to 0. False (the zero value): B applies.
	NoLengthNorm bool `json:"no_length_norm,omitempty"`
	// Unnormalized leaves vectors as weighted. False (the zero value):
	// vectors are scaled to unit Euclidean length, so that their dot
	// product is their cosine.
	Unnormalized bool `json:"unnormalized,omitempty"`
}

// Weighting is a fitted term weighting: a term dictionary with document
// frequencies. It is immutable and safe for concurrent use.
//
// # Index space
//
// Term i of the dictionary has index i in the vectors; terms are sorted in
// byte order, so indices are stable for a given corpus and configuration.
// [Weighting.Term] names an index, [Weighting.Index] finds a term.
type Weighting struct {
	cfg    WeightingConfig
	terms  []string
	index  map[string]uint32
	df     []int
	idf    []float64
	docs   int
	avgLen float64
}

// FitWeighting counts document frequencies over docs (each a list of
// terms, as a [Tokenizer] returns them) and returns the fitted weighting.
func FitWeighting(docs [][]string, cfg WeightingConfig) (*Weighting, error) {
	switch {
	case cfg.Scheme > BM25:
		return nil, &ConfigError{Field: "WeightingConfig.Scheme", Value: cfg.Scheme, Reason: "unknown scheme"}
	case cfg.MinDF < 0:
		return nil, &ConfigError{Field: "WeightingConfig.MinDF", Value: cfg.MinDF, Reason: "must be >= 0"}
	case !(cfg.MaxDF >= 0 && cfg.MaxDF <= 1):
		return nil, &ConfigError{Field: "WeightingConfig.MaxDF", Value: cfg.MaxDF, Reason: "must be in [0, 1]"}
	case cfg.MaxTerms < 0:
		return nil, &ConfigError{Field: "WeightingConfig.MaxTerms", Value: cfg.MaxTerms, Reason: "must be >= 0"}
	case !(cfg.K1 >= 0) || math.IsInf(cfg.K1, 0):
		return nil, &ConfigError{Field: "WeightingConfig.K1", Value: cfg.K1, Reason: "must be finite and >= 0"}
	case !(cfg.B >= 0 && cfg.B <= 1):
		return nil, &ConfigError{Field: "WeightingConfig.B", Value: cfg.B, Reason: "must be in [0, 1]"}
	}
	if cfg.MinDF == 0 {
		cfg.MinDF = 1
	}
	if cfg.MaxDF == 0 {
		cfg.MaxDF = 1
	}
	if cfg.K1 == 0 {
		cfg.K1 = 1.2
	}
	if cfg.B == 0 {
		cfg.B = 0.75
	}
	if cfg.NoLengthNorm {
		cfg.B = 0
	}
	df := map[string]int{}
	total := 0
	seen := map[string]struct{}{}
	for _, d := range docs {
		total += len(d)
		clear(seen)
		for _, t := range d {
			if _, ok := seen[t]; !ok {
				seen[t] = struct{}{}
				df[t]++
			}
		}
	}
	n := len(docs)
	type termDF struct {
		t  string
		df int
	}
	var kept []termDF
	for t, c := range df {
		if c >= cfg.MinDF && float64(c) <= cfg.MaxDF*float64(n) {
			kept = append(kept, termDF{t, c})
		}
	}
	if cfg.MaxTerms > 0 && len(kept) > cfg.MaxTerms {
		slices.SortFunc(kept, func(a, b termDF) int { return cmp.Or(cmp.Compare(b.df, a.df), cmp.Compare(a.t, b.t)) })
		kept = kept[:cfg.MaxTerms]
	}
	slices.SortFunc(kept, func(a, b termDF) int { return cmp.Compare(a.t, b.t) })
	w := &Weighting{cfg: cfg, index: make(map[string]uint32, len(kept)), docs: n}
	for i, k := range kept {
		w.terms = append(w.terms, k.t)
		w.index[k.t] = uint32(i)
		w.df = append(w.df, k.df)
		var idf float64
		if cfg.Scheme == BM25 {
			idf = math.Log(1 + (float64(n)-float64(k.df)+0.5)/(float64(k.df)+0.5))
		} else {
			idf = math.Log(float64(1+n)/float64(1+k.df)) + 1
		}
		w.idf = append(w.idf, idf)
	}
	if n > 0 {
		w.avgLen = float64(total) / float64(n)
	}
	return w, nil
}

// Config returns the configuration with defaults filled in.
func (w *Weighting) Config() WeightingConfig { return w.cfg }

// Len returns the number of terms, the dimension of the vectors.
func (w *Weighting) Len() int { return len(w.terms) }

// Docs returns the number of documents fitted.
func (w *Weighting) Docs() int { return w.docs }

// Term returns the term at index i. It panics if i >= Len().
func (w *Weighting) Term(i uint32) string { return w.terms[i] }

// Index returns the index of term and whether the dictionary holds it.
func (w *Weighting) Index(term string) (uint32, bool) {
	i, ok := w.index[term]
	return i, ok
}

// DF returns the document frequency of the term at index i.
func (w *Weighting) DF(i uint32) int { return w.df[i] }

// IDF returns the inverse document frequency of the term at index i.
func (w *Weighting) IDF(i uint32) float64 { return w.idf[i] }

// Vectorize writes the weighted vector of a document (its terms, as a
// [Tokenizer] returns them) into dst, reusing dst's storage, and returns
// it. Terms outside the dictionary are ignored (they still count in the
// document's length for BM25). When dst has capacity for the document's
// distinct terms, Vectorize does not allocate.
func (w *Weighting) Vectorize(dst sparse.Vector, terms []string) sparse.Vector {
	idx := dst.Idx[:0]
	for _, t := range terms {
		if i, ok := w.index[t]; ok {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	val := dst.Val[:0]
	n := 0
	var sq float64
	for r := 0; r < len(idx); {
		j := r + 1
		for j < len(idx) && idx[j] == idx[r] {
			j++
		}
		x := w.weight(idx[r], float64(j-r), float64(len(terms)))
		idx[n] = idx[r]
		val = append(val, x)
		sq += x * x
		n++
		r = j
	}
	idx = idx[:n]
	if !w.cfg.Unnormalized && sq > 0 {
		f := 1 / math.Sqrt(sq)
		for i := range val {
			val[i] *= f
		}
	}
	return sparse.Vector{Idx: idx, Val: val}
}

// weight is the weight of term i occurring tf times in a document of dl
// terms.
func (w *Weighting) weight(i uint32, tf, dl float64) float64 {
	if w.cfg.Scheme == BM25 {
		norm := 1.0
		if w.avgLen > 0 {
			norm = 1 - w.cfg.B + w.cfg.B*dl/w.avgLen
		}
		return w.idf[i] * tf * (w.cfg.K1 + 1) / (tf + w.cfg.K1*norm)
	}
	if w.cfg.SublinearTF {
		tf = 1 + math.Log(tf)
	}
	return tf * w.idf[i]
}

// Keywords returns up to k terms of a document with the highest weights,
// best first (ties by term): the document's TF-IDF or BM25 keywords. A k
// of 0 or less gives none (an empty slice).
func (w *Weighting) Keywords(terms []string, k int) []string {
	if k <= 0 {
		return []string{}
	}
	v := w.Vectorize(sparse.Vector{}, terms)
	order := make([]int, v.Len())
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(v.Val[b], v.Val[a]), cmp.Compare(w.terms[v.Idx[a]], w.terms[v.Idx[b]]))
	})
	out := make([]string, 0, min(k, len(order)))
	for _, o := range order[:min(k, len(order))] {
		out = append(out, w.terms[v.Idx[o]])
	}
	return out
}
