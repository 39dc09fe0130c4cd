package twoway

import (
	"time"

	"github.com/twowayrec/twoway/market"
)

// eventIDs remembers the IDs of the events recorded within a retention
// window, so that an event delivered twice is counted once. Entries older
// than the window are swept as the set grows (amortised), so memory is
// bounded by the events of about two windows. Engine.idMu guards it.
type eventIDs struct {
	window int64 // nanoseconds
	at     map[string]int64
	adds   int
	limit  int
}

func newEventIDs(window time.Duration) *eventIDs {
	return &eventIDs{window: int64(window), at: map[string]int64{}, limit: 4096}
}

// claim marks id as recorded at t and reports whether it was new (not
// recorded within the window before).
func (s *eventIDs) claim(id string, t int64) bool {
	if last, ok := s.at[id]; ok && (t-last < s.window && last-t < s.window) {
		return false
	}
	s.at[id] = t
	if s.adds++; s.adds >= s.limit {
		for k, last := range s.at {
			if t-last >= s.window {
				delete(s.at, k)
			}
		}
		s.adds, s.limit = 0, max(4096, len(s.at))
	}
	return true
}

// UnknownPolicy says what Record does with an event that names a profile
// the Engine does not know (yet): normal when profiles and events arrive
// on different streams.
type UnknownPolicy string

const (
	// RejectUnknown rejects the whole batch with a *BatchError naming the
	// event and field (market.ErrUnknownID). The default.
	RejectUnknown UnknownPolicy = "reject"
	// SkipUnknown drops such events and records the rest; the drops are
	// counted (Stats.Skipped, EventStats.Skipped).
	SkipUnknown UnknownPolicy = "skip"
	// ParkUnknown keeps such events (up to Config.ParkLimit; beyond it they
	// are skipped) and records them as soon as Upsert brings their
	// profiles (Stats.Parked, EventStats.Parked).
	ParkUnknown UnknownPolicy = "park"
)

// unknownEvent reports whether err is only about an unknown participant.
func unknownEvent(err error) bool {
	fe, ok := err.(*market.FieldError)
	return ok && fe.Err == market.ErrUnknownID
}

// has reports whether id was recorded within the window around t, without
// claiming it.
func (s *eventIDs) has(id string, t int64) bool {
	last, ok := s.at[id]
	return ok && t-last < s.window && last-t < s.window
}
