package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// maxIDLen bounds a profile ID in a URL path.
const maxIDLen = 256

// maxN bounds how many recommendations one request may ask for.
const maxN = 500

// routes builds the API. Reads (recommendations, explanations, health,
// metrics) are open; everything that changes the Engine needs the token.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("GET /metrics", s.metricsHandler)
	mux.HandleFunc("GET /v1/recommendations/{id}", s.recommend)
	mux.HandleFunc("GET /v1/explanations/{requester}/{candidate}", s.explain)
	mux.Handle("PUT /v1/profiles", s.admin(s.upsert))
	mux.Handle("DELETE /v1/profiles/{id}", s.admin(s.remove))
	mux.Handle("POST /v1/events", s.admin(s.record))
	mux.Handle("POST /v1/refit", s.admin(s.refit))
	mux.Handle("POST /v1/snapshot", s.admin(s.snapshot))
	return s.observe(mux)
}

// apiError is an error answer: a status and a JSON body.
type apiError struct {
	Status  int    `json:"-"`
	Message string `json:"error"`
	// For a bad record of a batch: its position, ID and field.
	Index  *int   `json:"index,omitempty"`
	Record string `json:"record,omitempty"`
	Field  string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// admin requires the bearer token before h sees the request (and its body).
// The comparison is of SHA-256 digests with subtle.ConstantTimeCompare, so
// its time depends neither on where the tokens differ nor on their lengths.
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	want := sha256.Sum256([]byte(s.cfg.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="twoway"`)
			msg := "wrong bearer token"
			if auth == "" {
				msg = "missing bearer token (Authorization: Bearer <token>)"
			}
			s.fail(w, errorf(http.StatusUnauthorized, "%s", msg))
			return
		}
		h(w, r)
	})
}

// readJSON decodes the request body into dst: JSON media type, at most
// MaxBodyBytes, valid UTF-8, one value with only known fields.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, dst any) *apiError {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errorf(http.StatusUnsupportedMediaType, "Content-Type %q: want application/json", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", tooBig.Limit)
		}
		return errorf(http.StatusBadRequest, "reading the request body: %v", err)
	}
	if !utf8.Valid(body) {
		return errorf(http.StatusBadRequest, "request body is not valid UTF-8 (first bad byte at offset %d)", firstInvalid(body))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return errorf(http.StatusBadRequest, "bad JSON: empty body")
		case errors.As(err, &syn):
			return errorf(http.StatusBadRequest, "bad JSON at offset %d: %v", syn.Offset, err)
		case errors.As(err, &typ):
			return errorf(http.StatusBadRequest, "bad JSON: field %q: want %s, got JSON %s", typ.Field, typ.Type, typ.Value)
		default:
			return errorf(http.StatusBadRequest, "bad JSON: %v", err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "bad JSON: data after the first value")
	}
	return nil
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// pathID returns the path value name as a profile ID, checked.
func pathID(r *http.Request, name string) (string, *apiError) {
	id := r.PathValue(name)
	switch {
	case id == "":
		return "", errorf(http.StatusBadRequest, "empty %s", name)
	case len(id) > maxIDLen:
		return "", errorf(http.StatusBadRequest, "%s longer than %d bytes", name, maxIDLen)
	case !utf8.ValidString(id):
		return "", errorf(http.StatusBadRequest, "%s is not valid UTF-8", name)
	}
	return id, nil
}

// writeJSON encodes v first, so that an encoding failure (a server bug) is
// a clean 500 rather than half a body.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.cfg.Logger.Error("encoding a response", "err", err)
		status = http.StatusInternalServerError
		b, _ = json.Marshal(apiError{Message: "internal error encoding the response"})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (s *Server) fail(w http.ResponseWriter, e *apiError) {
	if e.Status >= 500 {
		s.cfg.Logger.Error("request failed", "status", e.Status, "err", e.Message)
	}
	s.writeJSON(w, e.Status, e)
}

// engineError maps an Engine error to an answer: bad input is 4xx, and
// only the server's own failures are 5xx.
func engineError(err error) *apiError {
	var batch *twoway.BatchError
	var field *market.FieldError
	switch {
	case errors.As(err, &batch):
		e := errorf(http.StatusUnprocessableEntity, "%v", err)
		e.Index = &batch.Index
		if errors.As(err, &field) {
			e.Record, e.Field = field.ID, field.Field
		}
		return e
	case errors.Is(err, twoway.ErrUnknownRequester):
		return errorf(http.StatusNotFound, "%v", err)
	case errors.Is(err, twoway.ErrWrongSide), errors.Is(err, twoway.ErrInactive),
		errors.Is(err, twoway.ErrEmptyMarket):
		return errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, twoway.ErrNotFitted):
		return errorf(http.StatusConflict, "%v: POST /v1/refit first", err)
	case errors.Is(err, match.ErrUnknownAggregator):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, "request cancelled: %v", err)
	default:
		return errorf(http.StatusInternalServerError, "%v", err)
	}
}

// health answers 200 when the real-time store answers, 503 (degraded) when
// it does not: the server still serves, without real-time features.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	resp := healthResponse{Status: "ok", Realtime: "memory"}
	status := http.StatusOK
	if s.store != nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RedisTimeout)
		defer cancel()
		if err := s.store.Ping(ctx); err != nil {
			resp.Status = "degraded"
			resp.Realtime = "redis " + s.cfg.RedisAddr + " unavailable: " + err.Error() +
				"; recommendations are served without real-time features and events are kept but not counted"
			status = http.StatusServiceUnavailable
		} else {
			resp.Realtime = "redis " + s.cfg.RedisAddr + " ok"
		}
	}
	s.writeJSON(w, status, resp)
}

type healthResponse struct {
	Status   string `json:"status"` // "ok" or "degraded"
	Realtime string `json:"realtime"`
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) {
	snap := s.metrics.snapshot()
	if err := s.realtimeErr(); err != nil {
		snap.Realtime = "unavailable"
	} else {
		snap.Realtime = "ok"
	}
	s.writeJSON(w, http.StatusOK, snap)
}

// recommend: GET /v1/recommendations/{id}?side=&n=&explain=&city=&aggregator=&dry_run=
func (s *Server) recommend(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	req := twoway.Request{ID: id}
	q := r.URL.Query()
	for key, vals := range q {
		v := vals[len(vals)-1]
		if !utf8.ValidString(v) {
			s.fail(w, errorf(http.StatusBadRequest, "query parameter %s is not valid UTF-8", key))
			return
		}
		var err error
		switch key {
		case "side":
			err = req.Side.UnmarshalText([]byte(v))
		case "n":
			req.N, err = strconv.Atoi(v)
			if err == nil && (req.N < 1 || req.N > maxN) {
				err = fmt.Errorf("want 1 to %d", maxN)
			}
		case "explain":
			req.Explain, err = strconv.ParseBool(v)
		case "dry_run":
			req.DryRun, err = strconv.ParseBool(v)
		case "aggregator":
			req.Aggregator = v
			_, err = match.AggregatorByName(v)
		case "city":
			for _, c := range vals {
				if !utf8.ValidString(c) {
					err = errors.New("not valid UTF-8")
				}
			}
			req.Cities = vals
		default:
			err = errors.New("unknown parameter (want side, n, explain, dry_run, aggregator, city)")
		}
		if err != nil {
			s.fail(w, errorf(http.StatusBadRequest, "query parameter %s=%q: %v", key, v, err))
			return
		}
	}
	resp, err := s.engine.Recommend(r.Context(), req)
	if err != nil {
		s.fail(w, engineError(err))
		return
	}
	out := toRecommendations(resp)
	if err := s.realtimeErr(); err != nil {
		out.Degraded = "real-time features unavailable (" + err.Error() + "): urgency and activity are unknown"
		w.Header().Set("Twoway-Degraded", "realtime")
	}
	s.writeJSON(w, http.StatusOK, out)
}

// explain: GET /v1/explanations/{requester}/{candidate}
func (s *Server) explain(w http.ResponseWriter, r *http.Request) {
	a, aerr := pathID(r, "requester")
	if aerr == nil {
		var b string
		b, aerr = pathID(r, "candidate")
		if aerr == nil {
			x, err := s.engine.Explain(r.Context(), a, b)
			if err != nil {
				s.fail(w, engineError(err))
				return
			}
			s.writeJSON(w, http.StatusOK, toExplanation(x, a, b))
			return
		}
	}
	s.fail(w, aerr)
}

type profilesRequest struct {
	Profiles []market.Profile `json:"profiles"`
}

// upsert: PUT /v1/profiles {"profiles": [...]}
func (s *Server) upsert(w http.ResponseWriter, r *http.Request) {
	var req profilesRequest
	if aerr := s.readJSON(w, r, &req); aerr != nil {
		s.fail(w, aerr)
		return
	}
	if len(req.Profiles) == 0 {
		s.fail(w, errorf(http.StatusBadRequest, "no profiles"))
		return
	}
	if err := s.engine.Upsert(r.Context(), req.Profiles...); err != nil {
		s.fail(w, engineError(err))
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]int{"upserted": len(req.Profiles)})
}

// remove: DELETE /v1/profiles/{id}
func (s *Server) remove(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	if err := s.engine.Remove(r.Context(), id); err != nil {
		e := engineError(err)
		if errors.Is(err, market.ErrUnknownID) {
			e.Status = http.StatusNotFound
		}
		s.fail(w, e)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]string{"removed": id})
}

type eventsRequest struct {
	Events []market.Event `json:"events"`
}

type eventsResponse struct {
	Recorded int `json:"recorded"`
	// Degraded says what went wrong with the real-time counters: the
	// events are in the Engine's log (and the next snapshot) but their
	// counters are missing.
	Degraded string `json:"degraded,omitempty"`
}

// record: POST /v1/events {"events": [...]}. 200 when everything is
// counted; 202 when the events are logged but the real-time store failed
// (do not resend them: they would be counted twice).
func (s *Server) record(w http.ResponseWriter, r *http.Request) {
	var req eventsRequest
	if aerr := s.readJSON(w, r, &req); aerr != nil {
		s.fail(w, aerr)
		return
	}
	if len(req.Events) == 0 {
		s.fail(w, errorf(http.StatusBadRequest, "no events"))
		return
	}
	err := s.engine.Record(r.Context(), req.Events...)
	var batch *twoway.BatchError
	switch {
	case err == nil:
		s.metrics.events.Add(int64(len(req.Events)))
		s.writeJSON(w, http.StatusOK, eventsResponse{Recorded: len(req.Events)})
	case errors.As(err, &batch):
		s.fail(w, engineError(err))
	case r.Context().Err() != nil:
		s.fail(w, engineError(err))
	default:
		// Validated and logged; only the real-time counters failed.
		s.metrics.events.Add(int64(len(req.Events)))
		s.metrics.realtimeFailures.Add(1)
		w.Header().Set("Twoway-Degraded", "realtime")
		s.writeJSON(w, http.StatusAccepted, eventsResponse{
			Recorded: len(req.Events),
			Degraded: "events logged, but the real-time store failed, so their counters are missing: " + err.Error(),
		})
	}
}

type refitResponse struct {
	FitSeconds  float64 `json:"fit_seconds"`
	Snapshot    string  `json:"snapshot,omitempty"`
	SaveSeconds float64 `json:"save_seconds,omitempty"`
}

// refit: POST /v1/refit. Fits synchronously, then saves the snapshot.
func (s *Server) refit(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if err := s.engine.Fit(r.Context()); err != nil {
		s.fail(w, engineError(err))
		return
	}
	resp := refitResponse{FitSeconds: time.Since(start).Seconds()}
	s.metrics.refits.Add(1)
	s.metrics.lastFitNanos.Store(int64(time.Since(start)))
	if s.cfg.SnapshotPath != "" {
		start = time.Now()
		if err := s.Save(); err != nil {
			s.fail(w, errorf(http.StatusInternalServerError, "fitted, but %v", err))
			return
		}
		resp.Snapshot, resp.SaveSeconds = s.cfg.SnapshotPath, time.Since(start).Seconds()
	}
	s.writeJSON(w, http.StatusOK, resp)
}

// snapshot: POST /v1/snapshot saves the snapshot now.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SnapshotPath == "" {
		s.fail(w, errorf(http.StatusConflict, "no snapshot path configured (-snapshot or TWOWAY_SNAPSHOT)"))
		return
	}
	if err := s.Save(); err != nil {
		s.fail(w, errorf(http.StatusInternalServerError, "%v", err))
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]string{"saved": s.cfg.SnapshotPath})
}
