package exposure

import (
	"errors"
	"fmt"
	"io"

	"github.com/twowayrec/twoway/rank"
)

// ErrCorrupt is wrapped by the errors of ReadModel for a truncated,
// damaged or foreign stream.
var ErrCorrupt = errors.New("exposure: corrupt model data")

// WriteTo writes m in the binary format of rank.Standardized.WriteTo;
// [ReadModel] reads it back into a model that scores identically.
func (m *Model) WriteTo(w io.Writer) (int64, error) { return m.s.WriteTo(w) }

// ReadModel reads a model written by [Model.WriteTo], or the JSON form
// (format "twoway/exposure", version 1) that this package wrote before the
// model moved to rank.Standardized. A stream that is not one, is damaged,
// holds inconsistent values or holds another kind of model (package
// urgency's) is an error wrapping ErrCorrupt, never a panic.
func ReadModel(r io.Reader) (*Model, error) {
	s, err := rank.ReadStandardized(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if s.Kind() != kind {
		return nil, fmt.Errorf("%w: a %q model, want %q", ErrCorrupt, s.Kind(), kind)
	}
	return &Model{s}, nil
}
