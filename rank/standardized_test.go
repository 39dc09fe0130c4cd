package rank

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"github.com/twowayrec/twoway/sparse"
)

// standardizedData draws n rows of four features on very different scales
// (the third is constant) with labels from a logistic model, and a
// history per row in 0…9.
func standardizedData(n int, seed uint64) StandardizedData {
	rng := rand.New(rand.NewPCG(seed, 3))
	d := StandardizedData{Kind: "test", Names: []string{"count", "rate", "constant", "log_days"}}
	for range n {
		x := []float64{float64(rng.IntN(200)), rng.Float64(), 7, 3 + rng.NormFloat64()}
		z := -1 + 0.01*x[0] - 2*x[1] + 0.5*(x[3]-3)
		d.Rows = append(d.Rows, x)
		d.Labels = append(d.Labels, rng.Float64() < Sigmoid(z))
		d.History = append(d.History, float64(rng.IntN(10)))
	}
	return d
}

// TestFitStandardizedIsFitOnStandardisedRows checks FitStandardized
// against Fit on rows standardised independently (gonum's population mean
// and standard deviation), and the folded scoring against the unfolded
// formula.
func TestFitStandardizedIsFitOnStandardisedRows(t *testing.T) {
	d := standardizedData(600, 1)
	cfg := StandardizedConfig{L2: 1e-2}
	s, err := FitStandardized(context.Background(), cfg, d)
	require.NoError(t, err)

	dim := len(d.Names)
	mu, sd := make([]float64, dim), make([]float64, dim)
	col := make([]float64, len(d.Rows))
	for j := range dim {
		for i, r := range d.Rows {
			col[i] = r[j]
		}
		mu[j], sd[j] = stat.PopMeanStdDev(col, nil)
	}
	var ds Dataset
	for i, r := range d.Rows {
		var b sparse.Builder
		for j, x := range r {
			if sd[j] > 1e-12 {
				b.Add(uint32(j), (x-mu[j])/sd[j])
			}
		}
		y := 0.0
		if d.Labels[i] {
			y = 1
		}
		require.NoError(t, ds.Add(b.Vector(sparse.Vector{}), y, 1))
	}
	ref, err := Fit(context.Background(), Config{L2: cfg.L2, Dim: dim}, &ds)
	require.NoError(t, err)

	want := map[string]float64{}
	for j, name := range d.Names {
		want[name] = ref.Weight(uint32(j))
	}
	for _, c := range s.Coefficients() {
		assert.InDelta(t, want[c.Name], c.Weight, 1e-6, c.Name)
	}
	assert.Zero(t, want["constant"], "a constant column has no weight")
	cs := s.Coefficients()
	for k := 1; k < len(cs); k++ {
		assert.GreaterOrEqual(t, math.Abs(cs[k-1].Weight), math.Abs(cs[k].Weight), "largest magnitude first")
	}
	for i, r := range d.Rows[:50] {
		z := ref.Bias()
		for j, x := range r {
			if sd[j] > 1e-12 {
				z += ref.Weight(uint32(j)) * (x - mu[j]) / sd[j]
			}
		}
		assert.InDelta(t, Sigmoid(z), s.Raw(r), 1e-6, "row %d", i)
	}
	assert.Equal(t, "test", s.Kind())
	assert.Equal(t, d.Names, s.Names())
	assert.Equal(t, dim, s.Dim())
	assert.Panics(t, func() { s.Raw([]float64{1}) })
	assert.Panics(t, func() { s.Predict(nil, 0) })
}

func TestStandardizedPrior(t *testing.T) {
	d := standardizedData(600, 2)
	rate := func(keep func(i int) bool) float64 {
		var n, pos float64
		for i, y := range d.Labels {
			if keep(i) {
				n++
				if y {
					pos++
				}
			}
		}
		return pos / n
	}

	// Learned: the positive rate among rows with History < MinHistory.
	s, err := FitStandardized(context.Background(), StandardizedConfig{MinHistory: 3}, d)
	require.NoError(t, err)
	assert.InDelta(t, rate(func(i int) bool { return d.History[i] < 3 }), s.Prior(), 1e-15)
	assert.Equal(t, 3.0, s.MinHistory())
	// Shrinkage: weight n/(n+MinHistory) on the raw score.
	x := d.Rows[0]
	raw := s.Raw(x)
	for _, n := range []float64{0, 1, 3, 100} {
		w := n / (n + 3)
		assert.InDelta(t, w*raw+(1-w)*s.Prior(), s.Predict(x, n), 1e-15, "n=%v", n)
	}

	// Fewer than 30 rows below MinHistory (none with MinHistory 0): the
	// overall rate, and no shrinkage.
	s, err = FitStandardized(context.Background(), StandardizedConfig{}, d)
	require.NoError(t, err)
	assert.InDelta(t, rate(func(int) bool { return true }), s.Prior(), 1e-15)
	assert.Equal(t, s.Raw(x), s.Predict(x, 0))
	d2 := d
	d2.History = nil // every row has no history: all below MinHistory
	s, err = FitStandardized(context.Background(), StandardizedConfig{MinHistory: 1}, d2)
	require.NoError(t, err)
	assert.InDelta(t, rate(func(int) bool { return true }), s.Prior(), 1e-15)

	// All low-history rows negative: clamped to 0.001.
	d3 := d
	d3.Labels = append([]bool(nil), d.Labels...)
	for i := range d3.Labels {
		if d3.History[i] < 5 {
			d3.Labels[i] = false
		}
	}
	s, err = FitStandardized(context.Background(), StandardizedConfig{MinHistory: 5}, d3)
	require.NoError(t, err)
	assert.Equal(t, 1e-3, s.Prior())

	// A given prior is kept.
	s, err = FitStandardized(context.Background(), StandardizedConfig{Prior: 0.25, MinHistory: 5}, d)
	require.NoError(t, err)
	assert.Equal(t, 0.25, s.Prior())
	assert.InDelta(t, 0.25, s.Predict(x, 0), 1e-15, "no evidence: the prior")
}

func TestFitStandardizedErrors(t *testing.T) {
	good := standardizedData(100, 3)
	with := func(edit func(d *StandardizedData)) StandardizedData {
		d := good
		d.Rows = append([][]float64(nil), good.Rows...)
		d.Labels = append([]bool(nil), good.Labels...)
		edit(&d)
		return d
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		cfg  StandardizedConfig
		d    StandardizedData
		is   error
		row  int // the RowError's row; -1 for none
		msg  string
	}{
		{"L2", nil, StandardizedConfig{L2: -1}, good, nil, -1, "StandardizedConfig.L2"},
		{"Prior", nil, StandardizedConfig{Prior: 1}, good, nil, -1, "StandardizedConfig.Prior"},
		{"MinHistory", nil, StandardizedConfig{MinHistory: math.Inf(1)}, good, nil, -1, "StandardizedConfig.MinHistory"},
		{"kind", nil, StandardizedConfig{}, with(func(d *StandardizedData) { d.Kind = "" }), nil, -1, "Kind"},
		{"names", nil, StandardizedConfig{}, with(func(d *StandardizedData) { d.Names = nil }), nil, -1, "Names"},
		{"long name", nil, StandardizedConfig{}, with(func(d *StandardizedData) { d.Names = []string{strings.Repeat("x", maxNameLen+1), "b", "c", "d"} }), nil, -1, "Names[0]"},
		{"labels", nil, StandardizedConfig{}, with(func(d *StandardizedData) { d.Labels = d.Labels[1:] }), nil, -1, "99 labels"},
		{"one class", nil, StandardizedConfig{}, with(func(d *StandardizedData) { d.Labels = make([]bool, len(d.Rows)) }), ErrEmpty, -1, "both labels"},
		{"no rows", nil, StandardizedConfig{}, with(func(d *StandardizedData) { d.Rows, d.Labels, d.History = nil, nil, nil }), ErrEmpty, -1, "0 rows"},
		{"NaN", nil, StandardizedConfig{}, with(func(d *StandardizedData) { d.Rows[7] = []float64{1, math.NaN(), 7, 3} }), nil, 7, "feature 1 (rate) is NaN"},
		{"short row", nil, StandardizedConfig{}, with(func(d *StandardizedData) { d.Rows[9] = []float64{1} }), nil, 9, "1 features but 4 names"},
		{"cancelled", cancelled, StandardizedConfig{}, good, context.Canceled, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			s, err := FitStandardized(ctx, tc.cfg, tc.d)
			require.Error(t, err)
			assert.Nil(t, s)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			var re *RowError
			if tc.row >= 0 {
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tc.row, re.Row)
				assert.ErrorContains(t, err, fmt.Sprintf("rank: row %d: ", tc.row))
			} else {
				assert.False(t, errors.As(err, &re))
			}
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestStandardizedRoundTrip(t *testing.T) {
	d := standardizedData(300, 4)
	s, err := FitStandardized(context.Background(), StandardizedConfig{L2: 1e-2, MinHistory: 2}, d)
	require.NoError(t, err)
	var buf bytes.Buffer
	n, err := s.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	good := bytes.Clone(buf.Bytes())

	// Two models and a trailer in one stream: ReadFrom stops at each end.
	_, err = s.WriteTo(&buf)
	require.NoError(t, err)
	buf.WriteString("trailer")
	for range 2 {
		var got Standardized
		rn, err := got.ReadFrom(&buf)
		require.NoError(t, err)
		assert.Equal(t, n, rn)
		assert.Equal(t, s.Kind(), got.Kind())
		assert.Equal(t, s.Names(), got.Names())
		assert.Equal(t, s.Coefficients(), got.Coefficients())
		assert.Equal(t, s.Prior(), got.Prior())
		assert.Equal(t, s.MinHistory(), got.MinHistory())
		for i, r := range d.Rows {
			assert.Equal(t, s.Predict(r, d.History[i]), got.Predict(r, d.History[i]), "row %d", i)
		}
	}
	rest, _ := io.ReadAll(&buf)
	assert.Equal(t, "trailer", string(rest))

	// Every truncation and every flipped bit is an error, never a panic.
	for k := range len(good) {
		_, err := ReadStandardized(bytes.NewReader(good[:k]))
		assert.ErrorIs(t, err, ErrCorrupt, "truncated to %d bytes", k)
	}
	for k := range len(good) {
		for bit := range 8 {
			b := bytes.Clone(good)
			b[k] ^= 1 << bit
			_, err := ReadStandardized(bytes.NewReader(b))
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("byte %d bit %d flipped: error %v", k, bit, err)
			}
		}
	}
	b := bytes.Clone(good)
	b[8] = formatVersion + 1
	_, err = ReadStandardized(bytes.NewReader(b))
	assert.ErrorIs(t, err, ErrVersion)
	var untouched Standardized
	_, err = untouched.ReadFrom(bytes.NewReader(good[:20]))
	require.Error(t, err)
	assert.Equal(t, Standardized{}, untouched, "a failed read leaves the receiver unchanged")
}

// TestStandardizedJSONForm reads the JSON form that packages urgency and
// exposure wrote before this type existed.
func TestStandardizedJSONForm(t *testing.T) {
	const old = ` {"format":"twoway/urgency","version":1,"names":["a","b"],"mean":[1,0],"scale":[0.5,0],"weights":[2,3],"bias":-1,"prior":0.2,"min_history":5}` + "\n"
	s, err := ReadStandardized(strings.NewReader(old))
	require.NoError(t, err)
	assert.Equal(t, "urgency", s.Kind())
	assert.Equal(t, []string{"a", "b"}, s.Names())
	assert.Equal(t, []Coefficient{{"b", 3}, {"a", 2}}, s.Coefficients())
	// raw = σ(−1 + 2·(x_a − 1)·0.5); b is constant (scale 0).
	assert.InDelta(t, Sigmoid(-1+2*(3-1)*0.5), s.Raw([]float64{3, 100}), 1e-15)
	assert.InDelta(t, 0.5*Sigmoid(-1+2*(3-1)*0.5)+0.5*0.2, s.Predict([]float64{3, 100}, 5), 1e-15)
	var n Standardized
	rn, err := n.ReadFrom(strings.NewReader(old))
	require.NoError(t, err)
	assert.Equal(t, int64(len(old)), rn)

	for _, bad := range []string{
		``, `{`, `[]`, `{"format":"twoway/urgency"}`,
		`{"format":"other","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0}`,
		`{"format":"twoway/","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0}`,
		`{"format":"twoway/x","version":2,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0}`,
		`{"format":"twoway/x","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0,"min_history":0}`,
		`{"format":"twoway/x","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":-1}`,
		`{"format":"twoway/x","version":1,"names":["a","b"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0}`,
		`{"format":"twoway/x","version":1,"names":["a"],"mean":[1e308],"scale":[1e308],"weights":[1e308],"bias":0,"prior":0.5,"min_history":0}`,
		`{"format":"twoway/x","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0,"extra":1}`,
		`{"format":"twoway/x","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0} {}`,
	} {
		_, err := ReadStandardized(strings.NewReader(bad))
		assert.ErrorIs(t, err, ErrCorrupt, bad)
	}
}

func FuzzReadStandardized(f *testing.F) {
	s, err := FitStandardized(context.Background(), StandardizedConfig{MinHistory: 2}, standardizedData(50, 5))
	require.NoError(f, err)
	var buf bytes.Buffer
	_, err = s.WriteTo(&buf)
	require.NoError(f, err)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"twoway/urgency","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadStandardized(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		x := make([]float64, s.Dim())
		if p := s.Predict(x, 1); !(p >= 0 && p <= 1) {
			t.Fatalf("prediction %v outside [0,1]", p)
		}
		var w bytes.Buffer
		if _, err := s.WriteTo(&w); err != nil {
			t.Fatal(err)
		}
		first := bytes.Clone(w.Bytes())
		again, err := ReadStandardized(&w)
		if err != nil {
			t.Fatalf("re-reading a written model: %v", err)
		}
		var w2 bytes.Buffer
		if _, err := again.WriteTo(&w2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, w2.Bytes()) {
			t.Fatal("write, read, write is not stable")
		}
	})
}
