package main

import (
	"math"
	"net/http"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// The API's JSON shapes. Unknown numbers (NaN: no model yet, real-time
// features unavailable) are null, and participants are named by ID, never
// by the Engine's internal index.

// num returns nil for NaN and ±Inf.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

type recommendationsJSON struct {
	Requester string      `json:"requester"`
	Side      market.Side `json:"side"`
	Urgency   *float64    `json:"urgency"`
	Fitted    bool        `json:"fitted"`
	// Counted says whether the results were counted in the exposure
	// ledger as shown (false for dry runs and for callers without the
	// token).
	Counted bool                 `json:"counted"`
	Results []recommendationJSON `json:"results"`
	// Filtered says how many candidates each filter removed, so that a
	// short list explains itself.
	Filtered filteredJSON `json:"filtered"`
	// Next is the cursor of the next page (the cursor parameter); empty
	// when there is none.
	Next     string `json:"next,omitempty"`
	Degraded string `json:"degraded,omitempty"`
}

// filteredJSON is twoway.Filtered.
type filteredJSON struct {
	Eligible  int            `json:"eligible"`  // active participants of the other side
	Seen      int            `json:"seen"`      // already contacted by the requester
	Blocked   int            `json:"blocked"`   // rejected by or rejecting the requester
	City      int            `json:"city"`      // outside the city filter
	Request   int            `json:"request"`   // excluded by the request, or on an earlier page
	Facets    map[string]int `json:"facets"`    // removed by each structured filter (salary, experience, …)
	Excluded  int            `json:"excluded"`  // over the exposure hard cap
	Allowed   int            `json:"allowed"`   // left after the hard filters
	Recalled  int            `json:"recalled"`  // found by recall among the allowed
	Threshold int            `json:"threshold"` // below the match thresholds or the saturation cap
	Company   int            `json:"company"`   // over the per-company cap
}

func toFiltered(f twoway.Filtered) filteredJSON {
	return filteredJSON{
		Eligible: f.Eligible, Seen: f.Seen, Blocked: f.Blocked, City: f.City, Request: f.Request,
		Facets: map[string]int{"salary": f.Facets.Salary, "experience": f.Facets.Experience, "education": f.Facets.Education,
			"industry": f.Facets.Industry, "workplace": f.Facets.Workplace},
		Excluded: f.Excluded, Allowed: f.Allowed, Recalled: f.Recalled, Threshold: f.Threshold, Company: f.Company,
	}
}

type recommendationJSON struct {
	ID          string              `json:"id"`
	Score       *float64            `json:"score"`
	TwoWay      *float64            `json:"two_way"`
	Forward     *float64            `json:"forward"`
	Backward    *float64            `json:"backward"`
	Answer      *float64            `json:"answer"` // share of one more contact the candidate can answer now
	Urgency     *float64            `json:"urgency"`
	Saturation  *float64            `json:"saturation"`
	Activity    *float64            `json:"activity"`
	Sources     []sourceJSON        `json:"sources"`
	Parts       map[string]*float64 `json:"parts,omitempty"`
	Explanation *explanationJSON    `json:"explanation,omitempty"`
}

type sourceJSON struct {
	Name  string   `json:"name"`
	Score *float64 `json:"score"`
}

type explanationJSON struct {
	Aggregator       string        `json:"aggregator"`
	TwoWay           *float64      `json:"two_way"`
	RequesterUrgency *float64      `json:"requester_urgency"`
	CandidateUrgency *float64      `json:"candidate_urgency"`
	Forward          directionJSON `json:"forward"`  // the requester's view of the candidate
	Backward         directionJSON `json:"backward"` // the candidate's view of the requester
}

type directionJSON struct {
	From     string       `json:"from"`
	To       string       `json:"to"`
	Match    *float64     `json:"match"`
	Personal bool         `json:"personal"`
	Base     *float64     `json:"base"`
	Reasons  []reasonJSON `json:"reasons"`
	Concerns []reasonJSON `json:"concerns,omitempty"`
}

type reasonJSON struct {
	Kind         string   `json:"kind"`
	Text         string   `json:"text"`
	Contribution *float64 `json:"contribution"`
	Value        *float64 `json:"value"`
	Terms        []string `json:"terms,omitempty"`
	Expanded     []string `json:"expanded,omitempty"`
}

func toRecommendations(r *twoway.Response) recommendationsJSON {
	out := recommendationsJSON{
		Requester: r.Requester, Side: r.Side, Urgency: num(r.Urgency), Fitted: r.Fitted,
		Results:  make([]recommendationJSON, len(r.Results)),
		Filtered: toFiltered(r.Filtered),
		Next:     r.Next,
	}
	for i, rec := range r.Results {
		j := recommendationJSON{
			ID: rec.ID, Score: num(rec.Score), TwoWay: num(rec.TwoWay), Forward: num(rec.Forward),
			Backward: num(rec.Backward), Answer: num(rec.Answer), Urgency: num(rec.Urgency), Saturation: num(rec.Saturation),
			Activity: num(rec.Activity), Sources: make([]sourceJSON, len(rec.Sources)),
		}
		for k, src := range rec.Sources {
			j.Sources[k] = sourceJSON{Name: src.Name, Score: num(src.Score)}
		}
		if len(rec.Parts) > 0 {
			j.Parts = make(map[string]*float64, len(rec.Parts))
			for k, v := range rec.Parts {
				j.Parts[k] = num(v)
			}
		}
		if rec.Explanation != nil {
			x := toExplanation(rec.Explanation, r.Requester, rec.ID)
			j.Explanation = &x
		}
		out.Results[i] = j
	}
	return out
}

func toExplanation(x *match.Explanation, requester, candidate string) explanationJSON {
	return explanationJSON{
		Aggregator: x.Aggregator, TwoWay: num(x.TwoWay),
		RequesterUrgency: num(x.Pair.RequesterUrgency), CandidateUrgency: num(x.Pair.CandidateUrgency),
		Forward:  toDirection(&x.Forward, requester, candidate),
		Backward: toDirection(&x.Backward, candidate, requester),
	}
}

func toDirection(d *match.Direction, from, to string) directionJSON {
	return directionJSON{
		From: from, To: to, Match: num(d.Match), Personal: d.Personal, Base: num(d.Base),
		Reasons: toReasons(d.Reasons), Concerns: toReasons(d.Concerns),
	}
}

func toReasons(rs []match.Reason) []reasonJSON {
	if rs == nil {
		return nil
	}
	out := make([]reasonJSON, len(rs))
	for i, r := range rs {
		out[i] = reasonJSON{Kind: r.Kind.String(), Text: r.Text, Contribution: num(r.Contribution), Value: num(r.Value), Terms: r.Terms, Expanded: r.Expanded}
	}
	return out
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe counts every request by route pattern and status (a request
// no route matches as "unmatched", so the label stays bounded), answers
// the mux's own 404 and 405 in JSON (see jsonErrors), and turns a
// handler's panic into a logged 500.
func (s *Server) observe(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.http.inFlight.Inc()
		defer s.http.inFlight.Dec()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.cfg.Logger.Error("handler panic", "route", r.Pattern, "panic", p)
				if rec.status == 0 {
					s.fail(rec, errorf(http.StatusInternalServerError, "internal error"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			s.http.observe(route, rec.status, time.Since(start))
		}()
		if h, pattern := mux.Handler(r); pattern == "" {
			// No route: the mux would answer 404, or 405 with Allow, in
			// plain text (or redirect to the cleaned path).
			h.ServeHTTP(&jsonErrors{ResponseWriter: rec, s: s, r: r}, r)
			return
		}
		mux.ServeHTTP(rec, r)
	})
}

// jsonErrors is the ResponseWriter of a request no route matches: it
// replaces the mux's plain-text 404 and 405 ("404 page not found",
// "Method Not Allowed") with the API's JSON error of the same status,
// keeping the Allow header the mux set; anything else (the mux's
// redirect to a cleaned path) passes through.
type jsonErrors struct {
	http.ResponseWriter
	s        *Server
	r        *http.Request
	replaced bool
}

func (w *jsonErrors) WriteHeader(code int) {
	switch {
	case w.replaced:
		return
	case code != http.StatusNotFound && code != http.StatusMethodNotAllowed:
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	h := w.Header()
	h.Del("Content-Type")
	h.Del("X-Content-Type-Options")
	path := market.Shorten(w.r.URL.Path)
	e := errorf(code, "no endpoint %s %q (see the README for the endpoints)", market.Shorten(w.r.Method), path)
	if code == http.StatusMethodNotAllowed {
		e = errorf(code, "method %s not allowed on %q (allowed: %s)", market.Shorten(w.r.Method), path, h.Get("Allow"))
	}
	w.s.fail(w.ResponseWriter, e)
}

func (w *jsonErrors) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil // the mux's plain-text body
	}
	return w.ResponseWriter.Write(b)
}
