package factor

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/twowayrec/twoway/market"
)

// Embedder turns profiles into dense vectors (embeddings): the plug for a
// host's own text encoder or an LLM embedding service.
//
// Embed returns one vector per profile, in order. The contract every
// implementation keeps (and [EmbedAll] relies on):
//
//   - With a nil error, len(vectors) == len(profiles). vectors[i] is
//     profiles[i]'s embedding, or nil when the embedder has nothing to say
//     about it (no text); a nil vector is not an error.
//   - Every non-nil vector of every call has the same length (the
//     embedder's dimension) and finite values. Vectors need not be
//     normalised: users compare them by cosine.
//   - On failure Embed returns a non-nil error, and may return partial
//     results: vectors[i] non-nil means profiles[i] was embedded. An error
//     about one profile is, or wraps, a *ProfileError naming it (several
//     may be joined with errors.Join); any other error is about the whole
//     batch. Errors never panic.
//   - Embed honours ctx: when ctx is done it returns promptly with an error
//     that wraps ctx.Err().
//   - Embed does not modify profiles and keeps no reference to profiles or
//     to the returned slices after it returns; the caller owns them.
//   - Embed is safe for concurrent use. For the same profile it should
//     return the same vector (callers store vectors at Fit and serve from
//     them; an embedder that drifts makes two Fits disagree).
//
// A caller treats any failure as "no embedding" for the profiles
// concerned and falls back to its other evidence: an embedding is a
// feature, never a precondition. [EmbedAll] implements that policy with
// batches and a per-batch timeout.
type Embedder interface {
	Embed(ctx context.Context, profiles []market.Profile) ([][]float32, error)
}

// EmbedderFunc adapts an ordinary function to the Embedder interface. The
// function must keep the Embedder contract itself.
type EmbedderFunc func(ctx context.Context, profiles []market.Profile) ([][]float32, error)

// Embed calls f(ctx, profiles).
func (f EmbedderFunc) Embed(ctx context.Context, profiles []market.Profile) ([][]float32, error) {
	return f(ctx, profiles)
}

// ProfileError reports that one profile of a batch could not be embedded:
// its position in the batch given to Embed (or, from [EmbedAll], in the
// whole list), its ID and why.
type ProfileError struct {
	Index int
	ID    string
	Err   error
}

// Error names the profile by ID and position, and says why.
func (e *ProfileError) Error() string {
	return fmt.Sprintf("factor: embedding profile %q (position %d): %v", market.Shorten(e.ID), e.Index, e.Err)
}

// Unwrap returns the reason.
func (e *ProfileError) Unwrap() error { return e.Err }

// HashConfig configures a [HashEmbedder].
type HashConfig struct {
	// Dim is the vectors' length. Zero: 256.
	Dim int `json:"dim"`
	// Seed changes the hash functions. Zero is a valid seed.
	Seed uint64 `json:"seed"`
	// Text also hashes the words of the free text, at half weight. Zero
	// (false): title, skills, tags and industry only.
	Text bool `json:"text"`
}

// HashEmbedder is the reference [Embedder]: the hashing trick (Weinberger
// et al. 2009) over a profile's tokens, deterministic and free of any
// model. Each token t adds ±w to position h(t) mod Dim, the sign from
// another bit of the hash, and the vector is scaled to unit length:
//
//	v = Σ_t w_t·sign(t)·e_{h(t) mod Dim} / ‖·‖
//
// Tokens are the skills, the tags and the industry (each whole, lower
// case, weight 1), the title's words (weight 1; a run of Han characters
// gives its character bigrams, any other run of letters and digits one
// lower-case word), and with Text the text's words (weight ½). Two
// profiles sharing skills and title words get a positive cosine; a
// profile without tokens gets no vector (nil). It is safe for concurrent
// use.
type HashEmbedder struct {
	cfg HashConfig
}

// NewHashEmbedder validates cfg (an error wrapping [ErrConfig] names the
// field) and returns the embedder.
func NewHashEmbedder(cfg HashConfig) (*HashEmbedder, error) {
	if cfg.Dim < 0 || cfg.Dim > 1<<16 {
		return nil, fmt.Errorf("%w: HashConfig.Dim = %d: want 0 (256) to 65536", ErrConfig, cfg.Dim)
	}
	if cfg.Dim == 0 {
		cfg.Dim = 256
	}
	return &HashEmbedder{cfg: cfg}, nil
}

// Dim returns the vectors' length.
func (h *HashEmbedder) Dim() int { return h.cfg.Dim }

// Embed implements Embedder. A profile with invalid UTF-8 in a field it
// reads gets a *ProfileError (wrapping a *market.FieldError) and no
// vector; the others are embedded.
func (h *HashEmbedder) Embed(ctx context.Context, profiles []market.Profile) ([][]float32, error) {
	out := make([][]float32, len(profiles))
	var errs []error
	for i := range profiles {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return out, fmt.Errorf("factor: hash embedder: %w", err)
			}
		}
		v, err := h.embed(&profiles[i])
		if err != nil {
			errs = append(errs, &ProfileError{Index: i, ID: profiles[i].ID, Err: err})
			continue
		}
		out[i] = v
	}
	return out, errors.Join(errs...)
}

func (h *HashEmbedder) embed(p *market.Profile) ([]float32, error) {
	for _, f := range [...]struct{ name, v string }{{"Title", p.Title}, {"Industry", p.Industry}, {"Text", p.Text}} {
		if !utf8.ValidString(f.v) {
			return nil, &market.FieldError{Record: "profile", ID: p.ID, Field: f.name, Err: market.ErrInvalidUTF8}
		}
	}
	for _, l := range [...]struct {
		name string
		v    []string
	}{{"Skills", p.Skills}, {"Tags", p.Tags}} {
		for _, s := range l.v {
			if !utf8.ValidString(s) {
				return nil, &market.FieldError{Record: "profile", ID: p.ID, Field: l.name, Err: market.ErrInvalidUTF8}
			}
		}
	}
	v := make([]float64, h.cfg.Dim)
	n := 0
	add := func(kind byte, tok string, w float64) {
		if tok == "" {
			return
		}
		f := fnv.New64a()
		f.Write([]byte{kind})
		f.Write([]byte(tok))
		x := mix(f.Sum64() ^ h.cfg.Seed)
		if x>>63 != 0 {
			w = -w
		}
		v[(x&(1<<62-1))%uint64(h.cfg.Dim)] += w
		n++
	}
	for _, s := range p.Skills {
		add('s', strings.ToLower(strings.TrimSpace(s)), 1)
	}
	for _, s := range p.Tags {
		add('t', strings.ToLower(strings.TrimSpace(s)), 1)
	}
	add('i', strings.ToLower(strings.TrimSpace(p.Industry)), 1)
	words(p.Title, func(w string) { add('w', w, 1) })
	if h.cfg.Text {
		words(p.Text, func(w string) { add('w', w, 0.5) })
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	if n == 0 || norm == 0 {
		return nil, nil
	}
	norm = math.Sqrt(norm)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out, nil
}

// words calls f with the words of s: each maximal run of Han characters
// gives its character bigrams (the character itself when alone), any
// other run of letters and digits one lower-case word.
func words(s string, f func(string)) {
	var run []rune
	han := false
	flush := func() {
		switch {
		case len(run) == 0:
		case han && len(run) == 1:
			f(string(run))
		case han:
			for i := 0; i+1 < len(run); i++ {
				f(string(run[i : i+2]))
			}
		default:
			f(strings.ToLower(string(run)))
		}
		run = run[:0]
	}
	for _, r := range s {
		isHan := unicode.Is(unicode.Han, r)
		switch {
		case isHan:
			if !han {
				flush()
			}
			han = true
			run = append(run, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if han {
				flush()
			}
			han = false
			run = append(run, r)
		default:
			flush()
		}
	}
	flush()
}

// EmbedConfig configures [EmbedAll].
type EmbedConfig struct {
	// Batch is the number of profiles per Embed call. Zero: 64.
	Batch int `json:"batch"`
	// Timeout bounds each Embed call. Zero: no bound beyond ctx.
	Timeout time.Duration `json:"timeout"`
	// MaxErrors is how many errors Embeddings.Err keeps (the count of
	// failures is always exact). Zero: 10.
	MaxErrors int `json:"max_errors"`
}

// Embeddings is the result of [EmbedAll].
type Embeddings struct {
	// Table holds profiles[i]'s vector at row i; absent for a profile that
	// failed or that the embedder had nothing for. Never nil.
	Table *Table
	// Embedded, Empty and Failed count the profiles with a vector, those
	// the embedder returned nil (or the zero vector) for without error, and those without a
	// vector because of an error or timeout.
	Embedded, Empty, Failed int
	// Err joins the first MaxErrors errors (each naming its profile or
	// batch); nil when Failed is 0.
	Err error
}

// EmbedAll embeds profiles with e in batches, each under cfg.Timeout, and
// collects the vectors, scaled to unit length, into a Table by position:
// vectors are compared by cosine, which a unit vector's dot product is, so
// vector recall over the table ranks by cosine too, and no vector is long
// enough for a float32 dot product to overflow. A zero vector has no
// direction and counts as Empty. It implements the
// fallback policy of the [Embedder] contract: a batch that errors or times
// out loses only its failed profiles (those the partial result lacks), a
// vector of the wrong length or with a non-finite value is dropped with a
// *ProfileError, and EmbedAll goes on with the next batch. It returns an
// error only for a bad cfg or when ctx itself is done (then no
// Embeddings): every other failure is counted in Embeddings.Failed and
// reported in Embeddings.Err, for the caller's metrics.
func EmbedAll(ctx context.Context, e Embedder, profiles []market.Profile, cfg EmbedConfig) (Embeddings, error) {
	switch {
	case cfg.Batch < 0:
		return Embeddings{}, fmt.Errorf("%w: EmbedConfig.Batch = %d: want >= 0", ErrConfig, cfg.Batch)
	case cfg.Timeout < 0:
		return Embeddings{}, fmt.Errorf("%w: EmbedConfig.Timeout = %v: want >= 0", ErrConfig, cfg.Timeout)
	case cfg.MaxErrors < 0:
		return Embeddings{}, fmt.Errorf("%w: EmbedConfig.MaxErrors = %d: want >= 0", ErrConfig, cfg.MaxErrors)
	}
	if cfg.Batch == 0 {
		cfg.Batch = 64
	}
	if cfg.MaxErrors == 0 {
		cfg.MaxErrors = 10
	}
	rows := make([][]float32, len(profiles))
	var res Embeddings
	var errs []error
	note := func(err error) {
		if len(errs) < cfg.MaxErrors {
			errs = append(errs, err)
		}
	}
	dim := 0
	for lo := 0; lo < len(profiles); lo += cfg.Batch {
		if err := ctx.Err(); err != nil {
			return Embeddings{}, err
		}
		hi := min(lo+cfg.Batch, len(profiles))
		batch := profiles[lo:hi]
		bctx, cancel := ctx, context.CancelFunc(func() {})
		if cfg.Timeout > 0 {
			bctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		}
		vecs, err := e.Embed(bctx, batch)
		cancel()
		if err := ctx.Err(); err != nil {
			return Embeddings{}, err
		}
		if err != nil {
			note(fmt.Errorf("factor: embedding profiles %d to %d: %w", lo, hi-1, shiftIndex(err, lo)))
		}
		failed := err != nil
		if err == nil && len(vecs) != len(batch) {
			note(fmt.Errorf("factor: embedding profiles %d to %d: %d vectors for %d profiles", lo, hi-1, len(vecs), len(batch)))
			vecs, failed = nil, true
		}
		for i := range batch {
			var v []float32
			if i < len(vecs) {
				v = vecs[i]
			}
			switch {
			case v == nil && failed:
				res.Failed++
				continue
			case len(v) == 0:
				res.Empty++
				continue
			}
			if dim == 0 {
				dim = len(v)
			}
			if bad := badVector(v, dim); bad != "" {
				note(&ProfileError{Index: lo + i, ID: batch[i].ID, Err: errors.New(bad)})
				res.Failed++
				continue
			}
			if !toUnit(v) {
				res.Empty++ // the zero vector: no direction to compare
				continue
			}
			rows[lo+i] = v
			res.Embedded++
		}
	}
	t, err := NewTable(rows)
	if err != nil { // not reachable: every row was checked
		return Embeddings{}, err
	}
	res.Table = t
	res.Err = errors.Join(errs...)
	return res, nil
}

// toUnit scales v in place to unit Euclidean length (the norm summed in
// float64, so that no finite float32 vector overflows) and reports whether
// it could: false for the zero vector.
func toUnit(v []float32) bool {
	big := 0.0
	for _, x := range v {
		big = max(big, math.Abs(float64(x)))
	}
	if big == 0 {
		return false
	}
	ss := 0.0
	for _, x := range v {
		r := float64(x) / big
		ss += r * r
	}
	inv := 1 / (big * math.Sqrt(ss))
	for d, x := range v {
		v[d] = float32(float64(x) * inv)
	}
	return true
}

// badVector describes what is wrong with v, or returns "".
func badVector(v []float32, dim int) string {
	if len(v) != dim {
		return fmt.Sprintf("vector of length %d, want %d", len(v), dim)
	}
	for d, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Sprintf("vector[%d] is %v", d, x)
		}
	}
	return ""
}

// shiftIndex moves the Index of every *ProfileError in err from the
// batch's positions to the whole list's.
func shiftIndex(err error, lo int) error {
	var pe *ProfileError
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, shiftIndex(e, lo))
		}
		return errors.Join(out...)
	}
	if errors.As(err, &pe) && pe == err {
		return &ProfileError{Index: pe.Index + lo, ID: pe.ID, Err: pe.Err}
	}
	return err
}
