package twoway

import (
	"time"

	"github.com/twowayrec/twoway/market"
)

// Observer receives the Engine's measurements, for a host's metrics (the
// server example exports them to Prometheus). Each method is called on the
// goroutine of the call it reports, after the call's work, and must return
// quickly; an Observer shared by several Engines or goroutines must be
// safe for concurrent use.
type Observer interface {
	// Request reports one Recommend that returned without an error.
	Request(RequestStats)
	// Events reports one Record call.
	Events(EventStats)
	// Fit reports a Fit's progress, as Config.OnProgress does: each
	// stage's start and end (Step ""), and the steps inside the long
	// stages (Step set, Done false).
	Fit(Progress)
}

// RequestStats is what one Recommend did.
type RequestStats struct {
	Side market.Side // the requester's
	// Recalled counts the candidates each recaller returned ("index",
	// "fresh", and the collaborative merge, "collaborative"); Pool is the
	// candidates scored after fusion's select.
	Recalled map[string]int
	Pool     int
	Filtered Filtered // what each filter removed (as in the Response)
	Results  int
	Fitted   bool
	DryRun   bool
	// StoreErr: a shared store (Config.Seen, Blocked, Ledger) failed and
	// the request was answered from this process's state.
	StoreErr bool
	// Recall, Score and Rank are the latencies of the request's stages;
	// Total the whole call.
	Recall, Score, Rank, Total time.Duration
}

// EventStats is what one Record call did.
type EventStats struct {
	Events     int           // events in the batch
	Rejected   bool          // the batch failed validation (nothing stored)
	Duplicates int           // events acknowledged as already recorded (Event.ID)
	Skipped    int           // events skipped for naming an unknown profile (Config.Unknown)
	Parked     int           // events parked until their profiles arrive
	StoreErr   bool          // the real-time store failed for some events
	Duration   time.Duration // the whole call
}

// Stats describes the Engine's state, for monitoring (/healthz, metrics).
type Stats struct {
	Seekers, Recruiters int       // active profiles per side
	Removed             int       // removed profiles
	Events              int       // events in the Engine's own log (0 with Config.Events)
	Fitted              bool      // a Fit has run (or been loaded)
	FitAt               time.Time // the reference time of the last Fit; zero before
	FitTook             time.Duration
	// ModelVersion numbers the Fits behind the models served: 0 before the
	// first, and one more at each Fit. Save and Load carry it, and Reload
	// takes the snapshot's, so the servers of one fitter report the
	// fitter's number for the models they serve.
	ModelVersion uint64
	// Ledger is the number of participants with an exposure ledger entry;
	// LedgerLoad the total of their loads in expected contacts, per side.
	Ledger     int
	LedgerLoad [3]float64
	// Pending is the number of events recorded since the last Fit (the
	// interest matrix's overlay).
	Pending int
	// Parked events wait for their profiles (Config.Unknown ParkUnknown);
	// Skipped and Duplicates count since New the events dropped for naming
	// an unknown profile and those acknowledged as already recorded.
	Parked, Skipped, Duplicates int
	// EmbedCalls counts the calls of Config.Embedder's embeddings since New
	// (one per Fit and per Upsert after a Fit), EmbedProfiles the profiles
	// they asked for and EmbedFailed those left without an embedding by
	// an error or a timeout (they fall back to the other features).
	EmbedCalls, EmbedProfiles, EmbedFailed int64
	// Factors reports whether the state has latent factors, FactorBytes
	// their memory, Embeddings whether it has host embeddings.
	Factors     bool
	FactorBytes int
	Embeddings  bool
}

// ModelInfo describes the fitted models an Engine serves.
type ModelInfo struct {
	Fitted  bool          // a Fit has run (or been loaded)
	FitAt   time.Time     // the reference time of the last Fit; zero before
	FitTook time.Duration // how long that Fit took
	Version uint64        // as Stats.ModelVersion
}

// Model returns what Stats says of the models, in constant time and
// without a lock: the figures a health check polls. It reads the state
// published by the last Fit, Load or Reload.
func (e *Engine) Model() ModelInfo { return e.state.Load().model() }

func (st *state) model() ModelInfo {
	return ModelInfo{Fitted: st.fitted, FitAt: st.at, FitTook: st.took, Version: st.version}
}

// Stats returns the Engine's current state. It walks the profiles and the
// ledger: call it for monitoring, not per request.
func (e *Engine) Stats() Stats {
	st := e.state.Load()
	var s Stats
	e.mu.RLock()
	for i, p := range e.profiles {
		switch {
		case p.ID == "":
		case e.removed[i]:
			s.Removed++
		case p.Inactive:
		case p.Side == market.Seeker:
			s.Seekers++
		case p.Side == market.Recruiter:
			s.Recruiters++
		}
	}
	s.Events = len(e.log)
	sides := make([]market.Side, len(e.profiles))
	for i, p := range e.profiles {
		sides[i] = p.Side
	}
	e.mu.RUnlock()
	m := st.model() // of the same state as the rest
	s.Fitted, s.FitAt, s.FitTook, s.ModelVersion = m.Fitted, m.FitAt, m.FitTook, m.Version
	now := e.cfg.Clock()
	l := e.control.Ledger()
	for i := range l.Len() {
		if v := l.Load(uint32(i), now); v > 0 {
			s.Ledger++
			if i < len(sides) {
				s.LedgerLoad[sides[i]] += v
			}
		}
	}
	s.Pending = st.matrix.Pending()
	s.EmbedCalls, s.EmbedProfiles, s.EmbedFailed = e.embeds.calls.Load(), e.embeds.profiles.Load(), e.embeds.failed.Load()
	if f := st.factors; f != nil {
		s.Factors, s.Embeddings = f.rec != nil, f.emb != nil
		if f.rec != nil {
			s.FactorBytes = f.rec.Bytes()
		}
	}
	e.idMu.Lock()
	s.Parked, s.Skipped, s.Duplicates = len(e.parked), e.skipped, e.dupes
	e.idMu.Unlock()
	return s
}

// observer is a no-op Observer, for Config.Observer nil.
type observer struct{}

func (observer) Request(RequestStats) {}
func (observer) Events(EventStats)    {}
func (observer) Fit(Progress)         {}
