package market

import (
	"errors"
	"fmt"
)

// Reasons a record fails validation. A *FieldError wraps one of them, so
// errors.Is(err, ErrNaN) answers "was a number NaN?".
var (
	ErrEmptyID       = errors.New("market: empty ID")
	ErrInvalidUTF8   = errors.New("market: invalid UTF-8")
	ErrUnknownSide   = errors.New("market: unknown side")
	ErrUnknownAction = errors.New("market: unknown action")
	ErrNaN           = errors.New("market: not a number")
	ErrNegative      = errors.New("market: negative value")
	ErrInverted      = errors.New("market: minimum above maximum")
	ErrZeroTime      = errors.New("market: zero time")
	ErrSameSide      = errors.New("market: actor and target on the same side")
	ErrSelf          = errors.New("market: actor and target are the same participant")
	ErrUnknownID     = errors.New("market: unknown ID")
	ErrOutOfRange    = errors.New("market: value out of range")
)

// FieldError reports an invalid field of one record. Record is the kind of
// record ("profile" or "event"), ID identifies it (the profile ID, or
// "actor→target" for an event), Field is the Go field path ("Salary.Min").
type FieldError struct {
	Record string
	ID     string
	Field  string
	Value  string // the offending value, quoted for printing; may be empty
	Err    error  // one of the Err… sentinels of this package
}

func (e *FieldError) Error() string {
	reason := "invalid"
	if e.Err != nil {
		reason = trimPrefix(e.Err.Error())
	}
	if e.Value != "" {
		return fmt.Sprintf("market: %s %q: field %s: %s: %s", e.Record, e.ID, e.Field, reason, e.Value)
	}
	return fmt.Sprintf("market: %s %q: field %s: %s", e.Record, e.ID, e.Field, reason)
}

// Unwrap returns the reason, so that errors.Is matches the sentinels.
func (e *FieldError) Unwrap() error { return e.Err }

func trimPrefix(s string) string {
	const p = "market: "
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
