package market

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Event records that Actor did Action to Target at Time. Actor and Target
// are profile IDs on opposite sides of the market.
type Event struct {
	// ID, when set, identifies the event for de-duplication: an event
	// delivered twice (a retried request, a message queue's redelivery)
	// with the same ID is counted once. Empty: no de-duplication. At most
	// MaxIDLen bytes of valid UTF-8.
	ID     string    `json:"id,omitempty"`
	Actor  string    `json:"actor"`
	Target string    `json:"target"`
	Action Action    `json:"action"`
	Time   time.Time `json:"time"`
}

// Key returns "actor→target", the ID an event's errors carry.
func (e *Event) Key() string { return e.Actor + "→" + e.Target }

// Validate checks the event on its own: non-empty valid-UTF-8 IDs of at
// most MaxIDLen bytes, actor different from target, a valid action and a
// time in [MinTime, MaxTime). It returns a
// *FieldError or nil. Use [ValidateEventSides] to check the sides as well.
func (e *Event) Validate() error {
	key := e.Key()
	if !utf8.ValidString(key) {
		key = strconv.QuoteToASCII(key)
	}
	fe := func(field, value string, err error) error {
		return &FieldError{Record: "event", ID: key, Field: field, Value: value, Err: err}
	}
	if e.ID != "" {
		if err := CheckID(e.ID); err != nil {
			v := e.ID
			if err == ErrInvalidUTF8 {
				v = strconv.QuoteToASCII(v)
			}
			return fe("ID", v, err)
		}
	}
	for _, f := range [...]struct{ field, id string }{{"Actor", e.Actor}, {"Target", e.Target}} {
		if err := CheckID(f.id); err != nil {
			v := f.id
			if err == ErrInvalidUTF8 {
				v = strconv.QuoteToASCII(v)
			}
			return fe(f.field, v, err)
		}
	}
	switch {
	case e.Actor == e.Target:
		return fe("Target", e.Target, ErrSelf)
	case !e.Action.Valid():
		return fe("Action", strconv.Itoa(int(e.Action)), ErrUnknownAction)
	}
	if err := CheckTime(e.Time); err != nil {
		return fe("Time", timeValue(e.Time), err)
	}
	return nil
}

// ValidateEventSides validates e and checks, through side (which returns a
// participant's side and whether it is known), that both participants are
// known and on opposite sides. An unknown participant is ErrUnknownID.
func ValidateEventSides(e *Event, side func(id string) (Side, bool)) error {
	if err := e.Validate(); err != nil {
		return err
	}
	a, ok := side(e.Actor)
	if !ok {
		return &FieldError{Record: "event", ID: e.Key(), Field: "Actor", Value: e.Actor, Err: ErrUnknownID}
	}
	t, ok := side(e.Target)
	if !ok {
		return &FieldError{Record: "event", ID: e.Key(), Field: "Target", Value: e.Target, Err: ErrUnknownID}
	}
	if a == t {
		return &FieldError{Record: "event", ID: e.Key(), Field: "Target", Value: t.String(), Err: ErrSameSide}
	}
	return nil
}
