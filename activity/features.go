package activity

import (
	"fmt"
	"math"
	"time"
)

// Features are one participant's behaviour features at one time. The
// counter fields and recency come from the real-time counters
// ([Tracker.Features]); the log-only fields need the whole ordered log and are
// filled by [Tracker.Batch] (zero otherwise).
type Features struct {
	// NumWindows is how many entries of Counts and WindowDays are in use.
	NumWindows int
	// WindowDays[w] is the length of window w in days.
	WindowDays [MaxWindows]float64
	// Counts[w][c] is counter c over window w (see the package doc for the
	// interpolation of the oldest bucket).
	Counts [MaxWindows][NumCounters]float64

	// Active reports whether the participant has ever acted (any action but
	// Impression) before now.
	Active bool
	// DaysSinceActive is the time from the participant's last action to now,
	// in days. For a participant who never acted it is DaysSinceRegistered
	// if Registered, else the longest window in days.
	DaysSinceActive float64
	// Registered reports whether the registration time is known (see
	// [Tracker.Register]).
	Registered bool
	// DaysSinceRegistered is the time from registration to now in days
	// (0 if unknown or in the future).
	DaysSinceRegistered float64

	// Log-only features, over the participant's own actions (all but
	// Impression) in the longest window.

	// Sessions is the number of sessions: runs of actions with no gap
	// longer than Config.SessionGap (a session may cross midnight).
	Sessions float64
	// SessionMinutes is the mean session length in minutes (first to last
	// action), 0 without sessions.
	SessionMinutes float64
	// ActionsPerSession is the mean number of actions per session.
	ActionsPerSession float64
	// HourEntropy is the Shannon entropy, in bits, of the actions'
	// distribution over the 168 hours of the week (in Config.Location):
	// 0 for one hour slot, log2(168) ≈ 7.39 at most.
	HourEntropy float64
	// AnsweredContacts counts the contacts received in the longest window
	// that the participant answered (a Reply to the contact's actor at or
	// after the contact, before now).
	AnsweredContacts float64
	// AnswerHours is the mean time from a received contact to its first
	// answer, in hours, over AnsweredContacts (0 if none).
	AnswerHours float64
}

// Longest returns the index of the longest window.
func (f *Features) Longest() int { return f.NumWindows - 1 }

// Check returns an error wrapping ErrCorrupt unless f is usable by
// [Features.Vector]: NumWindows in [1, MaxWindows], finite non-negative
// window lengths, counts and other fields (recencies, sessions, entropy,
// answer times; all ≥ 0 as the Tracker computes them). The zero Features
// fails it.
func (f *Features) Check() error {
	if f.NumWindows < 1 || f.NumWindows > MaxWindows {
		return fmt.Errorf("%w: NumWindows %d, want 1 to %d", ErrCorrupt, f.NumWindows, MaxWindows)
	}
	for w := range f.NumWindows {
		if d := f.WindowDays[w]; !(d >= 0) || math.IsInf(d, 0) {
			return fmt.Errorf("%w: WindowDays[%d] is %v", ErrCorrupt, w, d)
		}
		for c, x := range f.Counts[w] {
			if !(x >= 0) || math.IsInf(x, 0) {
				return fmt.Errorf("%w: Counts[%d][%d] is %v", ErrCorrupt, w, c, x)
			}
		}
	}
	for i, x := range [...]float64{f.DaysSinceActive, f.DaysSinceRegistered, f.Sessions, f.SessionMinutes,
		f.ActionsPerSession, f.HourEntropy, f.AnsweredContacts, f.AnswerHours} {
		if !(x >= 0) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: scalar feature %d is %v", ErrCorrupt, i, x)
		}
	}
	return nil
}

// Count returns counter c over window w.
func (f *Features) Count(w int, c Counter) float64 { return f.Counts[w][c] }

// ViewToContact returns Contacts/Views over window w, 0 without views.
func (f *Features) ViewToContact(w int) float64 {
	return ratio(f.Counts[w][Contacts], f.Counts[w][Views])
}

// ViewToFavourite returns Favourites/Views over window w, 0 without views.
func (f *Features) ViewToFavourite(w int) float64 {
	return ratio(f.Counts[w][Favourites], f.Counts[w][Views])
}

// WorkHoursShare returns the share of the actions in the longest window
// that fell in working hours, 0 without actions.
func (f *Features) WorkHoursShare() float64 {
	l := f.Longest()
	return ratio(f.Counts[l][WorkHourActions], f.Counts[l][Actions])
}

// Trend compares the activity in the shortest window with the participant's
// own baseline (the longest window), as a log ratio of daily rates with one
// action of smoothing:
//
//	Trend = ln((1 + a_s·L/S) / (1 + a_L))
//
// where a_s, a_L are the actions in the shortest and longest windows and S,
// L their lengths. It is 0 for steady activity, positive for a burst and
// negative for a lull.
func (f *Features) Trend() float64 {
	l := f.Longest()
	s := f.Counts[0][Actions] * f.WindowDays[l] / f.WindowDays[0]
	return ln1p(s) - ln1p(f.Counts[l][Actions])
}

// ReplyRate returns Replies/ContactsReceived over the longest window,
// capped at 1, 0 without contacts received: the real-time estimate of the
// answer rate.
func (f *Features) ReplyRate() float64 {
	l := f.Longest()
	return min(1, ratio(f.Counts[l][Replies], f.Counts[l][ContactsReceived]))
}

// AnsweredShare returns AnsweredContacts/ContactsReceived over the longest
// window (log-only), 0 without contacts received.
func (f *Features) AnsweredShare() float64 {
	l := f.Longest()
	return min(1, ratio(f.AnsweredContacts, f.Counts[l][ContactsReceived]))
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// numDerived is the number of entries Vector appends after the counts.
const numDerived = 16

// MaxVectorLen is the longest vector [Features.Vector] appends (with
// MaxWindows windows).
const MaxVectorLen = MaxWindows*NumCounters + numDerived

// VectorLen returns the length of the vector [Features.Vector] appends.
func (f *Features) VectorLen() int {
	return min(max(f.NumWindows, 0), MaxWindows)*NumCounters + numDerived
}

// Vector appends the features to dst as numbers fit for a linear model and
// returns the extended slice: for every window and counter ln(1+count);
// then the ratios and shares, Trend, Active and Registered as 0/1,
// ln(1+days) for the recencies, and the log-only features (ln(1+x) for
// counts and durations). [Tracker.VectorNames] names the entries. It does
// not allocate when dst has room. A NumWindows outside [1, MaxWindows]
// (Features failing [Features.Check]) is clamped to that range rather
// than panicking; without windows the window-dependent entries are 0.
func (f *Features) Vector(dst []float64) []float64 {
	if f.NumWindows < 1 || f.NumWindows > MaxWindows {
		return f.vectorClamped(dst)
	}
	for w := range f.NumWindows {
		for c := range NumCounters {
			dst = append(dst, ln1p(f.Counts[w][c]))
		}
	}
	l := f.Longest()
	return append(dst,
		f.ViewToContact(l),
		f.ViewToFavourite(l),
		f.Trend(),
		f.WorkHoursShare(),
		f.ReplyRate(),
		bit(f.Active),
		ln1p(f.DaysSinceActive),
		bit(f.Registered),
		ln1p(f.DaysSinceRegistered),
		ln1p(f.Sessions),
		ln1p(f.SessionMinutes),
		ln1p(f.ActionsPerSession),
		f.HourEntropy,
		f.AnsweredShare(),
		ln1p(f.AnswerHours),
		ln1p(f.AnsweredContacts),
	)
}

// vectorClamped is Vector for a NumWindows outside [1, MaxWindows].
func (f *Features) vectorClamped(dst []float64) []float64 {
	g := *f
	if g.NumWindows > MaxWindows {
		g.NumWindows = MaxWindows
		return g.Vector(dst)
	}
	// No window: derive from one empty window, then drop its counts.
	g.NumWindows, g.Counts[0], g.WindowDays[0] = 1, [NumCounters]float64{}, 1
	n := len(dst)
	v := g.Vector(dst)
	return append(v[:n], v[n+NumCounters:]...)
}

// ln1p is ln(1+x) for x ≥ 0 (0 for x = 0, the common case), computed
// without calling math.Log: with 1+x = m·2^e, m in [√½, √2),
//
//	ln(1+x) = e·ln 2 + 2·atanh(s),  s = (m−1)/(m+1), |s| < 0.172
//
// and atanh by its odd series to s¹¹: error below 1e-11·ln(1+x) + 1e-15
// (1+x rounds away the last digits of a tiny x), a few nanoseconds. Vector calls it for every count, so it is the hot spot of
// scoring. NaN and negative x give NaN; +Inf gives +Inf.
func ln1p(x float64) float64 {
	if x == 0 {
		return 0
	}
	if !(x > 0) || x > 1e300 {
		return math.Log1p(x)
	}
	y := 1 + x
	bits := math.Float64bits(y)
	e := int(bits>>52) - 1023
	m := math.Float64frombits(bits&(1<<52-1) | 1023<<52) // in [1, 2)
	if m > math.Sqrt2 {
		m /= 2
		e++
	}
	s := (m - 1) / (m + 1)
	s2 := s * s
	p := 1 + s2*(1.0/3+s2*(1.0/5+s2*(1.0/7+s2*(1.0/9+s2*(1.0/11)))))
	return float64(e)*math.Ln2 + 2*s*p
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// vectorNames returns the names of Vector's entries for these windows.
func vectorNames(windows []time.Duration) []string {
	var names []string
	for _, w := range windows {
		label := windowLabel(w)
		for c := range NumCounters {
			names = append(names, Counter(c).String()+"_"+label)
		}
	}
	return append(names,
		"view_to_contact", "view_to_favourite", "trend", "work_hours_share", "reply_rate",
		"active", "log_days_since_active", "registered", "log_days_since_registered",
		"log_sessions", "log_session_minutes", "log_actions_per_session", "hour_entropy",
		"answered_share", "log_answer_hours", "log_answered_contacts")
}

func windowLabel(w time.Duration) string {
	switch {
	case w%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", w/(24*time.Hour))
	case w%time.Hour == 0:
		return fmt.Sprintf("%dh", w/time.Hour)
	}
	return fmt.Sprintf("%ds", w/time.Second)
}
