package rank

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

var magicStandardized = [8]byte{'T', 'W', 'R', 'A', 'N', 'K', 'S', 'T'}

// WriteTo writes s in the package's versioned binary format (magic,
// version, kind, then per feature its name, mean, 1/σ and weight, then the
// intercept, prior and shrinkage constant, and a CRC-32). It implements
// io.WriterTo.
func (s *Standardized) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w)
	e.header(magicStandardized)
	e.str(s.kind)
	e.u32(uint32(len(s.names)))
	for j, name := range s.names {
		e.str(name)
		e.f64(s.mean[j])
		e.f64(s.scale[j])
		e.f64(s.w[j])
	}
	e.f64(s.bias)
	e.f64(s.prior)
	e.f64(s.minHistory)
	return e.finish()
}

func (e *encoder) str(v string) {
	e.u32(uint32(len(v)))
	e.write([]byte(v))
}

// str reads what encoder.str wrote, at most limit bytes.
func (d *decoder) str(what string, limit int) string {
	size := d.u32()
	if d.err == nil && int64(size) > int64(limit) {
		d.fail("%s of %d bytes, at most %d", what, size, limit)
	}
	if d.err != nil {
		return ""
	}
	buf := make([]byte, size)
	d.read(buf)
	return string(buf)
}

// ReadFrom replaces s with a model read from r and implements
// io.ReaderFrom. It reads the binary format of [Standardized.WriteTo],
// exactly the bytes of one model, and also the JSON form that packages
// urgency and exposure wrote before this type existed (their format
// version 1: an object with format "twoway/<kind>"), which it reads to
// the end of r (at most 64 MiB). A truncated, damaged, foreign or
// inconsistent stream gives an error wrapping [ErrCorrupt] (or
// [ErrVersion]) and leaves s unchanged; it never panics. Call it only on a
// Standardized nobody else uses yet; [ReadStandardized] is the convenient
// form.
func (s *Standardized) ReadFrom(r io.Reader) (int64, error) {
	var head [8]byte
	k, err := io.ReadFull(r, head[:])
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: truncated after %d bytes", ErrCorrupt, k)
		}
		return int64(k), err
	}
	if i := bytes.IndexFunc(head[:], func(c rune) bool { return !strings.ContainsRune(" \t\r\n", c) }); i >= 0 && head[i] == '{' {
		n, m, err := readStandardizedJSON(io.MultiReader(bytes.NewReader(head[:]), r))
		if err != nil {
			return n, err
		}
		*s = *m
		return n, nil
	}
	d := newDecoder(io.MultiReader(bytes.NewReader(head[:]), r))
	d.header(magicStandardized)
	kind := d.str("the kind", maxKindLen)
	dim := d.u32()
	if d.err == nil && (kind == "" || dim == 0 || dim > maxStandardizedDim) {
		d.fail("kind %q with %d features", kind, dim)
	}
	var names []string
	var mean, scale, w []float64
	for j := 0; d.err == nil && j < int(dim); j++ {
		names = append(names, d.str("a feature name", maxNameLen))
		mean = append(mean, d.finite("a mean"))
		scale = append(scale, d.finite("a scale"))
		w = append(w, d.finite("a weight"))
	}
	bias := d.finite("the intercept")
	prior := d.finite("the prior")
	minHistory := d.finite("the shrinkage constant")
	n, err := d.finish()
	if err != nil {
		return n, err
	}
	m, err := checkedStandardized(kind, names, mean, scale, w, bias, prior, minHistory)
	if err != nil {
		return n, err
	}
	*s = *m
	return n, nil
}

// standardizedJSON is the JSON form packages urgency and exposure wrote
// (their format version 1).
type standardizedJSON struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Names      []string  `json:"names"`
	Mean       []float64 `json:"mean"`
	Scale      []float64 `json:"scale"`
	Weights    []float64 `json:"weights"`
	Bias       float64   `json:"bias"`
	Prior      float64   `json:"prior"`
	MinHistory float64   `json:"min_history"`
}

// readStandardizedJSON reads the JSON form to the end of r.
func readStandardizedJSON(r io.Reader) (int64, *Standardized, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64<<20))
	n := int64(len(b))
	if err != nil {
		return n, nil, err
	}
	var j standardizedJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return n, nil, fmt.Errorf("%w: JSON form: %v", ErrCorrupt, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return n, nil, fmt.Errorf("%w: JSON form: data after the model", ErrCorrupt)
	}
	kind, ok := strings.CutPrefix(j.Format, "twoway/")
	switch {
	case !ok:
		return n, nil, fmt.Errorf("%w: JSON form: format %q, want \"twoway/<kind>\"", ErrCorrupt, j.Format)
	case j.Version != 1:
		return n, nil, fmt.Errorf("%w: JSON form: version %d, only version 1 exists", ErrCorrupt, j.Version)
	case len(j.Mean) != len(j.Names) || len(j.Scale) != len(j.Names) || len(j.Weights) != len(j.Names):
		return n, nil, fmt.Errorf("%w: JSON form: %d names, %d means, %d scales, %d weights", ErrCorrupt, len(j.Names), len(j.Mean), len(j.Scale), len(j.Weights))
	}
	m, err := checkedStandardized(kind, j.Names, j.Mean, j.Scale, j.Weights, j.Bias, j.Prior, j.MinHistory)
	return n, m, err
}

// checkedStandardized returns the model of the decoded values or an error
// wrapping ErrCorrupt when they are inconsistent.
func checkedStandardized(kind string, names []string, mean, scale, w []float64, bias, prior, minHistory float64) (*Standardized, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	switch {
	case kind == "" || len(kind) > maxKindLen:
		return nil, bad("kind of %d bytes", len(kind))
	case len(names) == 0 || len(names) > maxStandardizedDim:
		return nil, bad("%d features", len(names))
	case !finite(bias) || !(prior > 0 && prior < 1) || !(minHistory >= 0) || math.IsInf(minHistory, 0):
		return nil, bad("bias %v, prior %v, min_history %v", bias, prior, minHistory)
	}
	for i, name := range names {
		if len(name) > maxNameLen {
			return nil, bad("feature %d: name of %d bytes", i, len(name))
		}
		if !finite(mean[i]) || !finite(scale[i]) || !finite(w[i]) {
			return nil, bad("feature %d (%s): non-finite value", i, name)
		}
	}
	m := newStandardized(kind, names, mean, scale, w, bias, prior, minHistory)
	if !finite(m.biasRaw) {
		return nil, bad("weights overflow when folded with the standardisation")
	}
	for _, v := range m.wRaw {
		if !finite(v) {
			return nil, bad("weights overflow when folded with the standardisation")
		}
	}
	return m, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// ReadStandardized reads a model written by [Standardized.WriteTo] (or
// the older JSON form, see [Standardized.ReadFrom]).
func ReadStandardized(r io.Reader) (*Standardized, error) {
	s := &Standardized{}
	if _, err := s.ReadFrom(r); err != nil {
		return nil, err
	}
	return s, nil
}
