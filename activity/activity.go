package activity

import (
	"errors"
	"fmt"
	"time"

	"github.com/twowayrec/twoway/market"
)

// Event is a behaviour event between two participants, by their global
// dense indices (see market.Dict): Actor did Action to Target at Time.
type Event struct {
	Actor  uint32        `json:"actor"`
	Target uint32        `json:"target"`
	Action market.Action `json:"action"`
	Time   time.Time     `json:"time"`
	// ID, when set and the Tracker's store is a [OnceStore], makes the
	// event count once however often it is recorded (within the store's
	// retention): several processes may then record one event safely.
	// Empty: every Record counts.
	ID string `json:"id,omitempty"`
}

// Counter names one real-time counter kept per participant and bucket.
type Counter uint8

// The counters. "Made" counters count the participant's own actions;
// "Received" counters count actions others did to the participant.
const (
	// Actions counts every action made except Impression.
	Actions Counter = iota
	// Views counts View actions made.
	Views
	// Favourites counts Favourite actions made.
	Favourites
	// Contacts counts contacts made: Chat or Apply (market.Action.Contact).
	Contacts
	// Replies counts Reply actions made: answers to contacts received.
	Replies
	// WorkHourActions counts the Actions that fell in working hours
	// (Config.WorkStart–WorkEnd, Monday to Friday, in Config.Location).
	WorkHourActions
	// ViewsReceived counts View actions received.
	ViewsReceived
	// FavouritesReceived counts Favourite actions received.
	FavouritesReceived
	// ContactsReceived counts Chat or Apply actions received.
	ContactsReceived
	// RepliesReceived counts Reply actions received: the participant's own
	// contacts that were answered.
	RepliesReceived
	// ImpressionsReceived counts Impression events whose target is the
	// participant (it was shown to someone).
	ImpressionsReceived

	// NumCounters is the number of counters.
	NumCounters = int(ImpressionsReceived) + 1
)

var counterNames = [NumCounters]string{
	"actions", "views", "favourites", "contacts", "replies", "work_hour_actions",
	"views_received", "favourites_received", "contacts_received", "replies_received", "impressions_received",
}

// String returns the counter's snake-case name, or "Counter(n)".
func (c Counter) String() string {
	if int(c) < NumCounters {
		return counterNames[c]
	}
	return fmt.Sprintf("Counter(%d)", uint8(c))
}

// CounterSet is a set of counters, bit c standing for Counter c.
type CounterSet uint16

// Has reports whether c is in s.
func (s CounterSet) Has(c Counter) bool { return s&(1<<c) != 0 }

// With returns s with c added.
func (s CounterSet) With(c Counter) CounterSet { return s | 1<<c }

// MaxWindows is the largest number of windows a Config may ask for.
const MaxWindows = 4

// Config configures a [Tracker]. The zero value is valid and gives one-day
// buckets, windows of 1, 7 and 30 days, 30-minute sessions and working hours
// 09:00–18:00 UTC, Monday to Friday.
type Config struct {
	// Bucket is the width of a counting bucket. Zero means 24h. Buckets are
	// aligned on Unix time (for 24h: UTC midnight).
	Bucket time.Duration `json:"bucket"`
	// Windows are the window lengths, ascending, each a positive multiple of
	// Bucket, at most MaxWindows of them, the longest under MaxBuckets
	// buckets. Empty means 1, 7 and 30 days. The
	// last (longest) window is the baseline and the span of the log-only
	// features.
	Windows []time.Duration `json:"windows"`
	// SessionGap is the longest pause inside one session (behaviour unit):
	// a longer gap between two of a participant's actions starts a new
	// session. Zero means 30 minutes.
	SessionGap time.Duration `json:"session_gap"`
	// WorkStart and WorkEnd bound working hours, [WorkStart, WorkEnd) in
	// whole hours of the local day, Monday to Friday. Both zero means 9 and
	// 18.
	WorkStart int `json:"work_start"`
	WorkEnd   int `json:"work_end"`
	// Location is the time zone of working hours and of the hour-of-week
	// distribution. Nil means UTC.
	Location *time.Location `json:"-"`
	// Clock returns the current time for [Tracker.FeaturesNow]. Nil means
	// time.Now.
	Clock func() time.Time `json:"-"`
	// Store keeps the real-time counters. Nil means a new [Memory] sized for
	// the windows. A host store must keep at least Buckets() buckets per
	// participant.
	Store Store `json:"-"`
}

// MaxIndex is the largest participant index the dense tables of this
// package (the Memory store, registration times, Table, Batch) accept; it
// is the bound shared with recall.MaxIndex, allocate.MaxIndex and
// exposure.MaxIndex (not imported, to keep this package's dependencies
// small).
const MaxIndex = 1<<28 - 1

// MaxBuckets is the most buckets per participant a Config may need
// ([Config.Buckets]: the longest window in buckets, plus one): the counters
// are dense, so a one-second Bucket under a 30-day window would make the
// first Record allocate gigabytes. New refuses a Config needing more.
const MaxBuckets = 4096

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("activity: invalid config")

func configError(field string, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, args...))
}

// withDefaults fills the zero fields and validates the result.
func (c Config) withDefaults() (Config, error) {
	if c.Bucket == 0 {
		c.Bucket = 24 * time.Hour
	}
	if c.Bucket < time.Second || c.Bucket%time.Second != 0 {
		return c, configError("Bucket", "%v is not a positive whole number of seconds", c.Bucket)
	}
	if len(c.Windows) == 0 {
		c.Windows = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
	} else {
		c.Windows = append([]time.Duration(nil), c.Windows...)
	}
	if len(c.Windows) > MaxWindows {
		return c, configError("Windows", "%d windows, at most %d", len(c.Windows), MaxWindows)
	}
	for i, w := range c.Windows {
		if w <= 0 || w%c.Bucket != 0 {
			return c, configError(fmt.Sprintf("Windows[%d]", i), "%v is not a positive multiple of Bucket %v", w, c.Bucket)
		}
		if i > 0 && w <= c.Windows[i-1] {
			return c, configError(fmt.Sprintf("Windows[%d]", i), "%v not longer than the window before it", w)
		}
	}
	if n := c.Windows[len(c.Windows)-1] / c.Bucket; n >= MaxBuckets {
		return c, configError("Windows/Bucket", "longest window %v is %d buckets of %v, at most %d (a wider Bucket or a shorter window)",
			c.Windows[len(c.Windows)-1], n, c.Bucket, MaxBuckets-1)
	}
	if c.SessionGap == 0 {
		c.SessionGap = 30 * time.Minute
	}
	if c.SessionGap < 0 {
		return c, configError("SessionGap", "negative %v", c.SessionGap)
	}
	if c.WorkStart == 0 && c.WorkEnd == 0 {
		c.WorkStart, c.WorkEnd = 9, 18
	}
	if c.WorkStart < 0 || c.WorkStart > 24 {
		return c, configError("WorkStart", "%d outside 0–24", c.WorkStart)
	}
	if c.WorkEnd < c.WorkStart || c.WorkEnd > 24 {
		return c, configError("WorkEnd", "%d outside WorkStart–24", c.WorkEnd)
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c, nil
}

// Buckets returns how many buckets per participant a Store needs for these
// windows: the longest window in buckets, plus one for the partial oldest
// bucket. It returns 0 for an invalid Config.
func (c Config) Buckets() int {
	d, err := c.withDefaults()
	if err != nil {
		return 0
	}
	return int(d.Windows[len(d.Windows)-1]/d.Bucket) + 1
}
