package activity

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/twowayrec/twoway/internal/binio"
)

// ErrCorrupt is wrapped by the errors of this package's decoders
// ([Features.UnmarshalBinary], [Table.UnmarshalBinary]).
var ErrCorrupt = errors.New("activity: corrupt data")

const (
	featuresFormat = 1
	tableFormat    = 1
)

// AppendBinary appends f to b (encoding.BinaryAppender), every number
// bit-exact; windows beyond NumWindows are not written (they are zero).
func (f *Features) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(featuresFormat)
	w.Int(f.NumWindows)
	for i := range min(max(f.NumWindows, 0), MaxWindows) {
		w.Float64(f.WindowDays[i])
		for _, c := range f.Counts[i] {
			w.Float64(c)
		}
	}
	w.Bool(f.Active)
	w.Float64(f.DaysSinceActive)
	w.Bool(f.Registered)
	for _, x := range [...]float64{f.DaysSinceRegistered, f.Sessions, f.SessionMinutes, f.ActionsPerSession,
		f.HourEntropy, f.AnsweredContacts, f.AnswerHours} {
		w.Float64(x)
	}
	return w.B, nil
}

// UnmarshalBinary sets f to the Features that AppendBinary encoded in
// data, or returns an error wrapping ErrCorrupt (f is then unchanged).
func (f *Features) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != featuresFormat {
		r.Fail("features format %d (this build reads %d)", v, featuresFormat)
	}
	var g Features
	g.NumWindows = r.Int(0, MaxWindows)
	for i := range g.NumWindows {
		g.WindowDays[i] = r.Float64()
		for c := range g.Counts[i] {
			g.Counts[i][c] = r.Float64()
		}
	}
	g.Active = r.Bool()
	g.DaysSinceActive = r.Float64()
	g.Registered = r.Bool()
	for _, x := range [...]*float64{&g.DaysSinceRegistered, &g.Sessions, &g.SessionMinutes, &g.ActionsPerSession,
		&g.HourEntropy, &g.AnsweredContacts, &g.AnswerHours} {
		*x = r.Float64()
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	*f = g
	return nil
}

// AppendBinary appends the table to b (encoding.BinaryAppender): its
// default and every entry, bit-exact.
func (t *Table) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(tableFormat)
	w.Float64(t.def)
	t.mu.RLock()
	w.Uvarint(uint64(len(t.vals)))
	for i := range t.vals {
		w.Float64(math.Float64frombits(t.vals[i].Load()))
	}
	t.mu.RUnlock()
	return w.B, nil
}

// UnmarshalBinary replaces the table's default and entries with those that
// AppendBinary encoded in data, or returns an error wrapping ErrCorrupt
// (the table is then unchanged).
func (t *Table) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != tableFormat {
		r.Fail("table format %d (this build reads %d)", v, tableFormat)
	}
	def := r.Float64()
	n := r.Count(8)
	vals := make([]atomic.Uint64, n)
	for i := range vals {
		vals[i].Store(math.Float64bits(r.Float64()))
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	t.mu.Lock()
	t.def, t.vals = def, vals
	t.mu.Unlock()
	return nil
}
