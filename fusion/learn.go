package fusion

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

// ErrNoOutcomes: Learn needs outcomes of both kinds (mutual and not).
var ErrNoOutcomes = errors.New("fusion: no outcomes of both kinds to learn from")

// ErrCorrupt is wrapped by the errors of ReadLearned for a damaged or
// foreign stream.
var ErrCorrupt = errors.New("fusion: corrupt learned ranker")

// Outcome is one training row of the learned ranker: what the policy would
// have known of a requester and a candidate, and whether the pair went on to
// a mutual chat (both sides contacted each other).
type Outcome struct {
	Requester Requester
	Candidate Candidate
	Freshness float64
	Mutual    bool
}

// Learned ranks candidates by the probability of a mutual chat, a logistic
// regression (package rank) over [Features]. It is immutable and safe for
// concurrent use; set it as Config.Learned.
type Learned struct {
	m *rank.Model
	n int
}

// Learn fits a Learned ranker on outcomes with rank's batch trainer. A zero
// cfg.L2 means 1e-3. It returns ErrNoOutcomes without outcomes of both kinds.
func Learn(ctx context.Context, cfg rank.Config, outcomes []Outcome) (*Learned, error) {
	var d rank.Dataset
	var pos, neg int
	var x sparse.Vector
	for i := range outcomes {
		o := &outcomes[i]
		x = Features(x, o.Requester, &o.Candidate, o.Freshness)
		y := 0.0
		if o.Mutual {
			y, pos = 1, pos+1
		} else {
			neg++
		}
		if err := d.Add(x, y, 1); err != nil {
			return nil, fmt.Errorf("fusion: outcome %d: %w", i, err)
		}
	}
	if pos == 0 || neg == 0 {
		return nil, fmt.Errorf("%w (%d mutual, %d not)", ErrNoOutcomes, pos, neg)
	}
	if cfg.L2 == 0 {
		cfg.L2 = 1e-3
	}
	cfg.Dim = NumFeatures
	m, err := rank.Fit(ctx, cfg, &d)
	if err != nil {
		return nil, fmt.Errorf("fusion: learned ranker: %w", err)
	}
	return &Learned{m: m, n: len(outcomes)}, nil
}

// Score returns the probability of a mutual chat for a feature vector from
// Features: σ(b + w·x), in [0,1] and increasing in the linear score b + w·x.
func (l *Learned) Score(x sparse.Vector) float64 { return l.m.Predict(x) }

// Model returns the fitted logistic regression.
func (l *Learned) Model() *rank.Model { return l.m }

// Outcomes returns how many outcomes it was fitted on.
func (l *Learned) Outcomes() int { return l.n }

// WriteTo writes the learned ranker: its logistic model in rank's binary
// format, then the number of outcomes it learned from.
func (l *Learned) WriteTo(w io.Writer) (int64, error) {
	n, err := l.m.WriteTo(w)
	if err != nil {
		return n, err
	}
	var b [binary.MaxVarintLen64]byte
	k, err := w.Write(b[:binary.PutUvarint(b[:], uint64(l.n))])
	return n + int64(k), err
}

// ReadLearned reads a ranker written by [Learned.WriteTo]. A damaged or
// foreign stream, or a model of another dimension than [Features] gives,
// is an error wrapping ErrCorrupt.
func ReadLearned(r io.Reader) (*Learned, error) {
	m, err := rank.ReadModel(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if m.Dim() > NumFeatures {
		return nil, fmt.Errorf("%w: model of %d features, the ranker has %d", ErrCorrupt, m.Dim(), NumFeatures)
	}
	n, err := binary.ReadUvarint(byteReader{r: r})
	if err != nil || n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: outcome count", ErrCorrupt)
	}
	return &Learned{m: m, n: int(n)}, nil
}

// byteReader reads one byte at a time, so that ReadLearned never reads past
// its stream.
type byteReader struct{ r io.Reader }

func (b byteReader) ReadByte() (byte, error) {
	var p [1]byte
	_, err := io.ReadFull(b.r, p[:])
	return p[0], err
}
