package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/examples/server/internal/input"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// maxN bounds how many recommendations one request may ask for.
const maxN = 500

// The routes (those with IDs in their paths are input's, which its fuzz
// test routes through).
const (
	routeHealth      = "GET /healthz"
	routeMetrics     = "GET /metrics"
	routeRecommend   = input.RouteRecommend
	routeExplain     = input.RouteExplain
	routeUpsert      = "PUT /v1/profiles"
	routeRemove      = input.RouteRemove
	routeRecord      = "POST /v1/events"
	routeRefit       = "POST /v1/refit"
	routeRefitStatus = "GET /v1/refit/{id}"
	routeSnapshotNow = "POST /v1/snapshot"
	routeReload      = "POST /v1/reload"
)

// routes builds the API. Reads (recommendations, explanations, health,
// metrics) are open, but a recommendation is counted in the exposure
// ledger only for a caller with the token; everything that changes the
// Engine needs the token.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(routeHealth, s.queryless(s.health))
	mux.Handle(routeMetrics, metricsHandler(s.registry, s.cfg.Logger))
	mux.HandleFunc(routeRecommend, s.recommend)
	mux.HandleFunc(routeExplain, s.explain)
	mux.Handle(routeUpsert, s.admin(s.queryless(s.upsert)))
	mux.Handle(routeRemove, s.admin(s.queryless(s.remove)))
	mux.Handle(routeRecord, s.admin(s.queryless(s.record)))
	mux.Handle(routeRefit, s.admin(s.refit))
	mux.HandleFunc(routeRefitStatus, s.queryless(s.refitStatus))
	if s.ui != nil {
		s.uiRoutes(mux)
	}
	mux.Handle(routeSnapshotNow, s.admin(s.queryless(s.snapshot)))
	mux.Handle(routeReload, s.admin(s.queryless(s.reload)))
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

// bearer reports whether r carries the right bearer token (authorized)
// and whether it carries an Authorization header at all (presented). The
// scheme is matched case-insensitively ("bearer", "BEARER": RFC 7235
// §2.1). The comparison is of SHA-256 digests with
// subtle.ConstantTimeCompare, so its time depends neither on where the
// tokens differ nor on their lengths.
func (s *Server) bearer(r *http.Request) (authorized, presented bool) {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	ok = ok && strings.EqualFold(scheme, "Bearer")
	token = strings.TrimLeft(token, " ")
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], s.tokenSum[:]) == 1 && ok, auth != ""
}

// unauthorized answers 401 for a request without the right token.
func (s *Server) unauthorized(w http.ResponseWriter, presented bool, why string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="twoway"`)
	msg := "wrong bearer token"
	if !presented {
		msg = "missing bearer token (Authorization: Bearer <token>)"
	}
	if why != "" {
		msg += ": " + why
	}
	s.fail(w, errorf(http.StatusUnauthorized, "%s", msg))
}

// admin requires the bearer token before h sees the request (and its body).
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, presented := s.bearer(r); !ok {
			s.unauthorized(w, presented, "")
			return
		}
		h(w, r)
	})
}

// readJSON decodes the request body into dst: JSON media type, at most
// MaxBodyBytes, then input.DecodeJSON's checks. A body that does not
// arrive within the server's read timeout is a 408.
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
		return bodyReadError(err)
	}
	if e := input.DecodeJSON(body, dst); e != nil {
		return inputError(e)
	}
	return nil
}

// bodyReadError answers a request whose body could not be read: 408 when
// the connection's read deadline (http.Server.ReadTimeout) passed, else
// 400. The message never carries the connection's addresses (a
// *net.OpError's text does).
func bodyReadError(err error) *apiError {
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return errorf(http.StatusRequestTimeout, "the request body did not arrive within the server's read timeout (%v for the whole request): send it faster, or in smaller batches", readTimeout)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return errorf(http.StatusBadRequest, "reading the request body: %v", err)
}

// inputError turns refused input into an answer.
func inputError(e *input.Error) *apiError {
	out := &apiError{Status: e.Status, Message: e.Message, Record: e.Record, Field: e.Field}
	if e.Index >= 0 {
		i := e.Index
		out.Index = &i
	}
	return out
}

// pathID returns the path value name as a profile ID, checked
// (input.CheckPathID).
func pathID(r *http.Request, name string) (string, *apiError) {
	id, err := input.PathID(r, name)
	if err != nil {
		return "", inputError(err)
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
// only the server's own failures are 5xx. A bad record of a batch names
// its position, ID and field; it is 400 when a field breaks a rule of form
// that the URL paths share (an ID of more than market.MaxIDLen bytes, empty
// or not UTF-8) or a time outside [market.MinTime, market.MaxTime), and
// 422 when a well-formed record is refused (an unknown participant, both
// on one side, a side change, a minimum above its maximum, …).
func engineError(err error) *apiError {
	var batch *twoway.BatchError
	var field *market.FieldError
	switch {
	case errors.As(err, &field):
		e := errorf(fieldStatus(field), "%v", err)
		if errors.As(err, &batch) {
			e.Index = &batch.Index
		}
		e.Record, e.Field = field.ID, field.Field
		return e
	case errors.As(err, &batch):
		e := errorf(http.StatusUnprocessableEntity, "%v", err)
		e.Index = &batch.Index
		return e
	case errors.Is(err, twoway.ErrUnknownRequester):
		return errorf(http.StatusNotFound, "%v", err)
	case errors.Is(err, twoway.ErrWrongSide), errors.Is(err, twoway.ErrInactive),
		errors.Is(err, twoway.ErrEmptyMarket):
		return errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, twoway.ErrNotFitted):
		return errorf(http.StatusConflict, "%v: POST /v1/refit first", err)
	case errors.Is(err, match.ErrUnknownAggregator), errors.Is(err, twoway.ErrBadRequest):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, twoway.ErrJournal):
		return errorf(http.StatusServiceUnavailable, "%v (nothing was stored; retry)", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, "request cancelled: %v", err)
	default:
		return errorf(http.StatusInternalServerError, "%v", err)
	}
}

// fieldStatus is the status of a record refused for one of its fields
// (see engineError).
func fieldStatus(f *market.FieldError) int {
	for _, form := range []error{market.ErrIDTooLong, market.ErrEmptyID, market.ErrInvalidUTF8,
		market.ErrTimeRange, market.ErrZeroTime, input.ErrUnroutableID} {
		if errors.Is(f.Err, form) {
			return http.StatusBadRequest
		}
	}
	return http.StatusUnprocessableEntity
}

// health answers GET /healthz: 200 {"status": "ok"} when the Engine
// answers its self-check (twoway.Engine.Ping) within HealthTimeout, the
// real-time store answers, and the counters in it are complete; 503 with
// the reason otherwise. The status is the worst of: "stalled" (the Engine
// did not finish its probe: requests may hang), "degraded" (Redis is
// unavailable: recommendations are served without real-time features) and
// "rebuilding" (Redis lost its data and the counters are being replayed
// from the log). With -journal, "degraded" also when the journal could
// not be read at the last Sync (this process's lists may miss the latest
// writes of the others), and the answer carries the offset of the last
// journal entry the process applied (journal_offset). The Engine's probe
// and Redis's ping run side by side.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ectx, cancel := context.WithTimeout(r.Context(), s.cfg.HealthTimeout)
	defer cancel()
	pinged := make(chan error, 1)
	go func() { pinged <- pingEngine(ectx, s.engine) }() // returns by ectx's deadline

	resp := healthResponse{Status: "ok", Engine: "ok", Realtime: "memory"}
	if fitted, at, version := s.model(); fitted {
		resp.ModelVersion, resp.ModelFitAt = version, at.UTC().Format(time.RFC3339)
	}
	if s.cfg.Engine.Realtime != nil {
		resp.Realtime = "the embedding program's store"
	}
	redisDown, rebuilding := false, false
	if s.store != nil {
		rctx, rcancel := context.WithTimeout(r.Context(), s.cfg.RedisTimeout)
		err := s.store.Ping(rctx)
		if err == nil {
			s.guard.check(rctx)
		}
		rcancel()
		if err != nil {
			redisDown = true
			resp.Realtime = "redis " + s.cfg.RedisAddr + " unavailable: " + err.Error() +
				"; recommendations are served without real-time features and events are kept but not counted"
		} else {
			resp.Realtime = "redis " + s.cfg.RedisAddr + " ok"
		}
		st := s.guard.status()
		resp.Counters, rebuilding = st.detail, st.rebuilding
	}
	journalDown := false
	if s.journal != nil {
		resp.JournalOffset, journalDown, resp.Journal = s.journal.status()
	}
	if err := <-pinged; err != nil {
		resp.Engine = "stalled: " + err.Error() + " (the self-check did not finish within " +
			s.cfg.HealthTimeout.String() + "; requests to this process may hang)"
		resp.Status = "stalled"
	}
	switch {
	case resp.Status != "ok":
	case redisDown, journalDown:
		resp.Status = "degraded"
	case rebuilding:
		resp.Status = "rebuilding"
	}
	status := http.StatusOK
	if resp.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	s.writeJSON(w, status, resp)
}

// pingEngine calls eng.Ping until it succeeds or ctx is done. Ping answers
// ErrStalled at once while an earlier probe has not returned; that probe
// may be stuck, or may just not have cleared its flag yet (twoway's Ping
// signals its caller before it does), so a refusal that came before the
// deadline is asked again a moment later instead of being reported: a
// health check says "stalled" only when no probe finished in its time.
func pingEngine(ctx context.Context, eng *twoway.Engine) error {
	for {
		err := eng.Ping(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

type healthResponse struct {
	Status   string `json:"status"` // "ok", "stalled", "degraded" or "rebuilding"
	Engine   string `json:"engine"`
	Realtime string `json:"realtime"`
	// Counters says whether Redis holds the counters of the Engine's log
	// (its generation marker), with Redis only.
	Counters string `json:"counters,omitempty"`
	// Journal is "ok" or why the shared journal could not be read, and
	// JournalOffset the offset of the last entry this process applied
	// ("0-0" before any), with -journal only.
	Journal       string `json:"journal,omitempty"`
	JournalOffset string `json:"journal_offset,omitempty"`
	// ModelVersion numbers the Fits behind the models this process serves
	// (twoway.Stats.ModelVersion: 0 before the first; a server that
	// reloaded the fitter's snapshot reports the fitter's number), and
	// ModelFitAt is that Fit's reference time (RFC 3339; absent before).
	ModelVersion uint64 `json:"model_version"`
	ModelFitAt   string `json:"model_fit_at,omitempty"`
}

// recommend: GET /v1/recommendations/{id}?side=&n=&explain=&city=&aggregator=&dry_run=
//
// Only a caller with the bearer token (the host's backend, which shows the
// list to its user) has the results counted in the exposure ledger: without
// the token a read is a dry run, and asking for dry_run=false without it is
// 401. A wrong token is 401 too (a misconfigured backend would otherwise
// never count), and HEAD is always a dry run.
func (s *Server) recommend(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	req, dry, aerr := parseRecommendQuery(id, r.URL.RawQuery)
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	authorized, presented := s.bearer(r)
	switch {
	case presented && !authorized:
		s.unauthorized(w, true, "")
		return
	case r.Method == http.MethodHead:
		req.DryRun = true
	case !authorized && dry != nil && !*dry:
		s.unauthorized(w, false, "only the token's holder may have results counted as shown (dry_run=false); without it every read is a dry run")
		return
	case !authorized:
		req.DryRun = true
	case dry != nil:
		req.DryRun = *dry
	}
	s.journal.syncFor(r.Context())
	resp, err := s.engine.Recommend(r.Context(), req)
	if err != nil {
		s.fail(w, engineError(err))
		return
	}
	out := toRecommendations(resp)
	out.Counted = !req.DryRun
	if err := s.realtimeErr(); err != nil {
		out.Degraded = "real-time features unavailable (" + err.Error() + "): urgency and activity are unknown"
		w.Header().Set("Twoway-Degraded", "realtime")
	}
	s.writeJSON(w, http.StatusOK, out)
}

// parseRecommendQuery reads the query of a recommendation request for id
// (input.ParseQuery). dry is the dry_run parameter when given (nil
// otherwise).
func parseRecommendQuery(id, rawQuery string) (req twoway.Request, dry *bool, _ *apiError) {
	q, err := input.ParseQuery(rawQuery, maxN, func(name string) error {
		_, err := match.AggregatorByName(name)
		return err
	})
	if err != nil {
		return req, nil, inputError(err)
	}
	return twoway.Request{ID: id, Side: q.Side, N: q.N, Explain: q.Explain, Aggregator: q.Aggregator, Cities: q.Cities, Language: q.Language,
		Filters: q.Filters, Exclude: q.Exclude, Cursor: q.Cursor}, q.DryRun, nil
}

// explain: GET /v1/explanations/{requester}/{candidate}. It takes no
// query parameters: any is a 400, as an unknown one is elsewhere.
func (s *Server) explain(w http.ResponseWriter, r *http.Request) {
	a, aerr := pathID(r, "requester")
	if aerr == nil {
		aerr = noQuery(r)
	}
	if aerr == nil {
		var b string
		b, aerr = pathID(r, "candidate")
		if aerr == nil {
			s.journal.syncFor(r.Context())
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

// queryless wraps the handler of an endpoint that takes no query
// parameters: a request with any is a 400 (noQuery), as an unknown
// parameter is on the endpoints that take some, instead of being ignored.
func (s *Server) queryless(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if aerr := noQuery(r); aerr != nil {
			s.fail(w, aerr)
			return
		}
		h(w, r)
	}
}

// noQuery refuses a query on an endpoint that takes none.
func noQuery(r *http.Request) *apiError {
	if r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errorf(http.StatusBadRequest, "bad query: %v", err)
	}
	if keys := slices.Sorted(maps.Keys(q)); len(keys) > 0 {
		return errorf(http.StatusBadRequest, "query parameter %q: unknown parameter (%s takes none)", market.Shorten(keys[0]), r.Pattern)
	}
	return nil
}

type profilesRequest = input.Profiles

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
	// A profile whose ID no URL path can carry could never be read or
	// deleted: refuse it here, as the Engine refuses IDs over its cap (the
	// Engine's own validation names the other bad IDs).
	for i := range req.Profiles {
		if id := req.Profiles[i].ID; market.CheckID(id) == nil && !input.Routable(id) {
			s.fail(w, engineError(&twoway.BatchError{Index: i, Err: &market.FieldError{
				Record: "profile", ID: id, Field: "ID", Value: id, Err: input.ErrUnroutableID}}))
			return
		}
	}
	if err := s.engine.Upsert(r.Context(), req.Profiles...); err != nil {
		s.fail(w, engineError(err))
		return
	}
	s.ui.upsert(req.Profiles...)
	s.writeJSON(w, http.StatusOK, map[string]int{"upserted": len(req.Profiles)})
}

// remove: DELETE /v1/profiles/{id}. 404 when the Engine has no profile
// with the ID (removing a removed one again is a 200).
func (s *Server) remove(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		s.fail(w, aerr)
		return
	}
	if err := s.engine.Remove(r.Context(), id); err != nil {
		e := engineError(err)
		if errors.Is(err, market.ErrUnknownID) {
			// The Engine's error speaks of a batch (Remove takes several
			// IDs); this endpoint removes one.
			e = errorf(http.StatusNotFound, "no profile %q: nothing was removed", market.Shorten(id))
			e.Record = id
		}
		s.fail(w, e)
		return
	}
	s.ui.remove(id)
	s.writeJSON(w, http.StatusOK, map[string]string{"removed": id})
}

type eventsRequest = input.Events

type eventsResponse struct {
	// Recorded is the number of events of the batch recorded: all but the
	// Duplicates. An event whose ID an earlier request recorded (a retry)
	// is acknowledged as recorded, as at its first delivery, and counted
	// once by the Engine.
	Recorded int `json:"recorded"`
	// Duplicates are the events whose ID an earlier event of the same
	// batch carries: the Engine records the first and drops them, as it
	// drops a retried event.
	Duplicates []duplicateEvent `json:"duplicates,omitempty"`
	// Degraded says what went wrong with the real-time counters: the
	// events are in the Engine's log (and the next snapshot) but their
	// counters are missing.
	Degraded string `json:"degraded,omitempty"`
}

// duplicateEvent is an event of a batch that repeats the ID of an earlier
// one of the batch.
type duplicateEvent struct {
	Index int    `json:"index"` // its position in the batch
	First int    `json:"first"` // the position of the event with the ID that was recorded
	ID    string `json:"id"`
	// Differs: it is not the same event as the first (another actor,
	// target, action or time), so what it says was not recorded.
	Differs bool `json:"differs,omitempty"`
}

// batchDuplicates returns the events of evs that repeat the ID of an
// earlier one, and the others (those the Engine records).
func batchDuplicates(evs []market.Event) (dups []duplicateEvent, kept []market.Event) {
	first := map[string]int{}
	kept = evs
	for i := range evs {
		ev := &evs[i]
		if ev.ID == "" {
			continue
		}
		j, seen := first[ev.ID]
		if !seen {
			first[ev.ID] = i
			continue
		}
		f := &evs[j]
		dups = append(dups, duplicateEvent{Index: i, First: j, ID: ev.ID,
			Differs: ev.Actor != f.Actor || ev.Target != f.Target || ev.Action != f.Action || !ev.Time.Equal(f.Time)})
	}
	if len(dups) > 0 {
		kept = make([]market.Event, 0, len(evs)-len(dups))
		for i, d := 0, 0; i < len(evs); i++ {
			if d < len(dups) && dups[d].Index == i {
				d++
				continue
			}
			kept = append(kept, evs[i])
		}
	}
	return dups, kept
}

// record: POST /v1/events {"events": [...]}. 200 when everything is
// counted; 202 when the events are logged but the real-time store failed
// (do not resend them: they would be counted twice). An event repeating
// the ID of an earlier one of the batch is not recorded again: the answer
// lists it under "duplicates".
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
	s.recordEvents(w, r, req.Events)
}

// recordEvents records evs and answers: 200 when everything is counted;
// 202 when the events are logged but the real-time store failed. The
// whole batch goes to the Engine (which validates every event, and keeps
// the first of each ID); the answer counts the events it recorded.
func (s *Server) recordEvents(w http.ResponseWriter, r *http.Request, evs []market.Event) {
	dups, kept := batchDuplicates(evs)
	err := s.engine.Record(r.Context(), evs...)
	var batch *twoway.BatchError
	switch {
	case err == nil:
		s.ui.record(kept...)
		s.writeJSON(w, http.StatusOK, eventsResponse{Recorded: len(kept), Duplicates: dups})
	case errors.As(err, &batch):
		s.fail(w, engineError(err))
	case r.Context().Err() != nil, errors.Is(err, twoway.ErrJournal):
		s.fail(w, engineError(err))
	default:
		// Validated and logged; only the real-time counters failed.
		s.ui.record(kept...)
		s.http.realtimeFailures.Inc()
		w.Header().Set("Twoway-Degraded", "realtime")
		s.writeJSON(w, http.StatusAccepted, eventsResponse{
			Recorded: len(kept), Duplicates: dups,
			Degraded: "events logged, but the real-time store failed, so their counters are missing: " + err.Error(),
		})
	}
}

// reload: POST /v1/reload swaps a fitted snapshot's models into the
// running Engine (twoway.Engine.Reload): the request's body when it has
// one (the snapshot's bytes), else the snapshot file (-snapshot). It
// answers the model version and the journal offset now served; a corrupt
// or unfitted snapshot is 400, one of another market and a server without
// -journal are 409, and in each case the server serves on as before.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	var src io.Reader = http.MaxBytesReader(w, r.Body, maxSnapshotUpload)
	if r.ContentLength == 0 {
		if s.cfg.SnapshotPath == "" {
			s.fail(w, errorf(http.StatusBadRequest, "no snapshot in the body and no snapshot path configured (-snapshot or TWOWAY_SNAPSHOT)"))
			return
		}
		f, err := os.Open(s.cfg.SnapshotPath)
		if err != nil {
			s.fail(w, errorf(http.StatusConflict, "snapshot file: %v", err))
			return
		}
		defer f.Close()
		src = f // a file: the snapshot's body is read at once
	}
	if err := s.engine.Reload(r.Context(), src); err != nil {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, twoway.ErrCorruptSnapshot), errors.Is(err, twoway.ErrBadRequest):
			status = http.StatusBadRequest
		case errors.Is(err, twoway.ErrOtherMarket), errors.Is(err, twoway.ErrConfig), errors.Is(err, twoway.ErrJournalTrimmed):
			status = http.StatusConflict
		}
		s.fail(w, errorf(status, "reload: %v", err))
		return
	}
	s.refitDone()
	_, _, version := s.model()
	s.writeJSON(w, http.StatusOK, reloadResponse{ModelVersion: version, JournalOffset: s.engine.JournalOffset().String()})
}

// maxSnapshotUpload bounds POST /v1/reload's body.
const maxSnapshotUpload = 16 << 30

type reloadResponse struct {
	ModelVersion  uint64 `json:"model_version"`
	JournalOffset string `json:"journal_offset"`
}

// model returns whether the Engine serves fitted models, their Fit's
// time and their version (Engine.Model: constant time, no lock).
func (s *Server) model() (bool, time.Time, uint64) {
	m := s.engine.Model()
	return m.Fitted, m.FitAt, m.Version
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
