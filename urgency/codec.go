package urgency

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// ErrCorrupt is wrapped by the errors of ReadModel for a truncated,
// damaged or foreign stream.
var ErrCorrupt = errors.New("urgency: corrupt model data")

const (
	codecFormat  = "twoway/urgency"
	codecVersion = 1
	maxDim       = 1 << 16
)

// modelJSON is the persisted form of a Model.
type modelJSON struct {
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

// WriteTo writes m as versioned JSON; [ReadModel] reads it back into a
// model that scores identically.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	b, err := json.Marshal(modelJSON{
		Format: codecFormat, Version: codecVersion, Names: m.names, Mean: m.mean, Scale: m.scale,
		Weights: m.w, Bias: m.bias, Prior: m.prior, MinHistory: m.minHistory,
	})
	if err != nil {
		return 0, fmt.Errorf("urgency: encoding model: %w", err)
	}
	n, err := w.Write(b)
	return int64(n), err
}

// ReadModel reads a model written by [Model.WriteTo]. A stream that is not
// one, is damaged or holds inconsistent values is an error wrapping
// ErrCorrupt, never a panic.
func ReadModel(r io.Reader) (*Model, error) {
	var j modelJSON
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	switch {
	case j.Format != codecFormat:
		return nil, bad("format %q, want %q", j.Format, codecFormat)
	case j.Version != codecVersion:
		return nil, bad("version %d, this package reads %d", j.Version, codecVersion)
	case len(j.Names) == 0 || len(j.Names) > maxDim:
		return nil, bad("%d features", len(j.Names))
	case len(j.Mean) != len(j.Names) || len(j.Scale) != len(j.Names) || len(j.Weights) != len(j.Names):
		return nil, bad("%d names, %d means, %d scales, %d weights", len(j.Names), len(j.Mean), len(j.Scale), len(j.Weights))
	case !finite(j.Bias) || !(j.Prior > 0 && j.Prior < 1) || !(j.MinHistory >= 0) || math.IsInf(j.MinHistory, 0):
		return nil, bad("bias %v, prior %v, min_history %v", j.Bias, j.Prior, j.MinHistory)
	}
	for i := range j.Names {
		if !finite(j.Mean[i]) || !finite(j.Scale[i]) || !finite(j.Weights[i]) {
			return nil, bad("feature %d (%s): non-finite value", i, j.Names[i])
		}
	}
	m := newModel(j.Names, j.Mean, j.Scale, j.Weights, j.Bias, j.Prior, j.MinHistory)
	if !finite(m.biasRaw) {
		return nil, bad("weights overflow when folded with the standardisation")
	}
	for _, w := range m.wRaw {
		if !finite(w) {
			return nil, bad("weights overflow when folded with the standardisation")
		}
	}
	return m, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
