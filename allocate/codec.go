package allocate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/twowayrec/twoway/internal/binio"
)

// ErrCorrupt is wrapped by the errors of the decoders
// ([Potentials.UnmarshalBinary], [Potentials.ReadFrom]) for input that is
// not potentials of a version this build reads.
var ErrCorrupt = errors.New("allocate: corrupt data")

const (
	potentialsMagic   = "twoway.allocate\x00"
	potentialsVersion = 1
	// maxBody bounds the body a decoder reads: 16 bytes per index up to
	// MaxIndex, and the header.
	maxBody = 16*(MaxIndex+1) + 1<<10
)

// AppendBinary appends p to b (encoding.BinaryAppender) in a versioned,
// CRC-checked frame: the surplus, the temperature, the stats and, for every
// index up to the last participant, its mass and potential, bit-exact.
func (p *Potentials) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: make([]byte, 0, 64+16*len(p.mass))}
	w.Byte(byte(p.surplus))
	w.Float64(p.temp())
	w.Int(p.stats.Sweeps)
	w.Float64(p.stats.Residual)
	w.Bool(p.stats.Converged)
	w.Varint(p.stats.Updates)
	w.Varint(p.stats.PairTerms)
	w.Uvarint(uint64(len(p.mass)))
	for x, n := range p.mass {
		w.Float64(n)
		if n > 0 {
			w.Float64(p.u[x])
		}
	}
	return binio.AppendFrame(b, potentialsMagic, potentialsVersion, w.B), nil
}

// UnmarshalBinary sets p to the potentials that AppendBinary encoded in
// data, or returns an error wrapping ErrCorrupt (p is then unchanged).
// Potentials are immutable once shared: decode into a new value.
func (p *Potentials) UnmarshalBinary(data []byte) error {
	r := bytes.NewReader(data)
	n, err := p.ReadFrom(r)
	if err == nil && n != int64(len(data)) {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, int64(len(data))-n)
	}
	return err
}

// WriteTo writes p's frame (see AppendBinary) to w.
func (p *Potentials) WriteTo(w io.Writer) (int64, error) {
	b, _ := p.AppendBinary(nil)
	n, err := w.Write(b)
	return int64(n), err
}

// ReadFrom reads one frame that WriteTo wrote and sets p to its potentials.
// Damaged or foreign input is an error wrapping ErrCorrupt, never a panic;
// r's own failures are returned as they are. On error p is unchanged.
func (p *Potentials) ReadFrom(rd io.Reader) (int64, error) {
	_, body, n, err := binio.ReadFrame(rd, potentialsMagic, potentialsVersion, maxBody)
	if err != nil {
		if errors.Is(err, binio.ErrCorrupt) {
			return n, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return n, err
	}
	r := binio.NewReader(body)
	var q Potentials
	q.surplus = Surplus(r.Byte())
	if r.Err() == nil && q.surplus > Sum {
		r.Fail("surplus %d", q.surplus)
	}
	q.beta = r.Float64()
	if r.Err() == nil && !(q.beta > 0 && q.beta <= math.MaxFloat64) {
		r.Fail("temperature %v", q.beta)
	}
	q.stats.Sweeps = r.Int(0, math.MaxInt32)
	q.stats.Residual = r.Float64()
	if r.Err() == nil && !(q.stats.Residual >= 0) {
		r.Fail("residual %v", q.stats.Residual)
	}
	q.stats.Converged = r.Bool()
	q.stats.Updates = r.Varint()
	q.stats.PairTerms = r.Varint()
	if r.Err() == nil && (q.stats.Updates < 0 || q.stats.PairTerms < 0) {
		r.Fail("negative counts")
	}
	count := r.Count(8)
	if r.Err() == nil && count > MaxIndex+1 {
		r.Fail("%d indices, at most %d", count, MaxIndex+1)
	}
	if r.Err() == nil {
		q.mass, q.u = make([]float64, count), make([]float64, count)
	}
	for x := range q.mass {
		m := r.Float64()
		if r.Err() != nil {
			break
		}
		if !(m >= 0 && m <= math.MaxFloat64) {
			r.Fail("mass %v of participant %d", m, x)
			break
		}
		q.mass[x] = m
		if m > 0 {
			u := r.Float64()
			if r.Err() == nil && (math.IsNaN(u) || math.IsInf(u, 0)) {
				r.Fail("potential %v of participant %d", u, x)
			}
			q.u[x] = u
		}
	}
	if r.Err() == nil && count > 0 && q.mass[count-1] == 0 {
		r.Fail("trailing absent participants")
	}
	if err := r.Done(); err != nil {
		return n, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	*p = q
	return n, nil
}
