package market

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// The span of time the library accepts, in every time field of a record
// (an event's Time, a profile's Registered): from MinTime inclusive to
// MaxTime exclusive. Inside it a time survives the int64 nanoseconds the
// Engine stores and snapshots (Go's UnixNano is undefined outside
// 1678–2262); outside it is ErrTimeRange.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// CheckTime returns ErrZeroTime for the zero time, ErrTimeRange for a time
// outside [MinTime, MaxTime), and nil otherwise.
func CheckTime(t time.Time) error {
	switch {
	case t.IsZero():
		return ErrZeroTime
	case t.Before(MinTime) || !t.Before(MaxTime):
		return ErrTimeRange
	}
	return nil
}

// MaxIDLen is the longest ID, in bytes, of a profile or an event
// participant (an ID travels in URL paths, Redis keys and snapshots).
const MaxIDLen = 256

// CheckID returns ErrEmptyID, ErrInvalidUTF8 or ErrIDTooLong for a bad ID,
// and nil otherwise.
func CheckID(id string) error {
	switch {
	case id == "":
		return ErrEmptyID
	case len(id) > MaxIDLen:
		return ErrIDTooLong
	case !utf8.ValidString(id):
		return ErrInvalidUTF8
	}
	return nil
}

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
	ErrTimeRange     = errors.New("market: time outside the supported range (1970-01-01 to 2200-01-01 UTC)")
	ErrIDTooLong     = errors.New("market: ID longer than 256 bytes")
	ErrEmpty         = errors.New("market: empty value")
	ErrSideChange    = errors.New("market: a profile cannot change side")
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

// Error quotes at most [MaxQuoted] bytes of the ID and of the value (a
// 5 KB résumé is not repeated in a log line); the fields keep them whole.
func (e *FieldError) Error() string {
	reason := "invalid"
	if e.Err != nil {
		reason = trimPrefix(e.Err.Error())
	}
	if e.Value != "" {
		return fmt.Sprintf("market: %s %q: field %s: %s: %s", e.Record, Shorten(e.ID), e.Field, reason, Shorten(e.Value))
	}
	return fmt.Sprintf("market: %s %q: field %s: %s", e.Record, Shorten(e.ID), e.Field, reason)
}

// MaxQuoted is how many bytes of a value error messages quote.
const MaxQuoted = 80

// Shorten returns s when it is at most MaxQuoted bytes long, else its
// first MaxQuoted bytes (cut at a rune boundary) followed by "…" and the
// full length, for quoting a value in an error message.
func Shorten(s string) string {
	if len(s) <= MaxQuoted {
		return s
	}
	cut := MaxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
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
