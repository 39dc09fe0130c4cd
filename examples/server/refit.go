package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/twowayrec/twoway"
)

// keptJobs is how many finished refit jobs GET /v1/refit/{id} can still
// answer for.
const keptJobs = 32

// maxRefitWait bounds the wait parameter of POST /v1/refit.
const maxRefitWait = 5 * time.Minute

// The states of a refit job.
const (
	jobRunning   = "running"
	jobDone      = "done"
	jobFailed    = "failed"
	jobCancelled = "cancelled"
)

// outcomeSnapshotFailed is the twoway_server_refits_total outcome of a
// job that is done but whose snapshot was not saved.
const outcomeSnapshotFailed = "snapshot_failed"

// refitJob is one asynchronous refit: a Fit, then the snapshot save.
type refitJob struct {
	ID string `json:"id"`
	// Status is running, done (the new models are served), failed (the
	// Fit failed: the models served before are still served) or cancelled
	// (the server stopped).
	Status   string     `json:"status"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	// Stage is the Fit's current stage while it runs; Stages every stage
	// reported so far, with its duration once done.
	Stage string `json:"stage,omitempty"`
	// Step, Fraction and Remaining say how far the running stage is
	// (twoway.Progress): the step inside it, the share of it done and the
	// Engine's estimate of its time left, in seconds.
	Step             string     `json:"step,omitempty"`
	Fraction         float64    `json:"fraction"`
	RemainingSeconds float64    `json:"remaining_seconds,omitempty"`
	Stages           []fitStage `json:"stages"`
	FitSeconds       float64    `json:"fit_seconds,omitempty"`
	Snapshot         string     `json:"snapshot,omitempty"`
	SaveSeconds      float64    `json:"save_seconds,omitempty"`
	// SnapshotError, on a done job, says why the snapshot was not saved:
	// the new models are served, but a restart would load the previous
	// snapshot (the next save, POST /v1/snapshot or the shutdown's, may
	// still write them).
	SnapshotError string `json:"snapshot_error,omitempty"`
	Error         string `json:"error,omitempty"`

	code int           // the HTTP status that reports a failed job (engineError's)
	done chan struct{} // closed when the job ends
}

// refitter runs refit jobs one at a time, in the background, so that a
// large Fit is never cut by a client's or a load balancer's timeout.
type refitter struct {
	s      *Server
	ctx    context.Context // cancelled by stop
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	next    int
	running *refitJob
	jobs    []*refitJob // the newest keptJobs, oldest first
}

func newRefitter(s *Server) *refitter {
	ctx, cancel := context.WithCancel(context.Background())
	return &refitter{s: s, ctx: ctx, cancel: cancel, next: 1}
}

// start starts a refit job, or returns the one already running (and false).
func (r *refitter) start() (job *refitJob, started bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running != nil {
		return r.snapshotLocked(r.running), false
	}
	if r.ctx.Err() != nil {
		return nil, false
	}
	j := &refitJob{ID: strconv.Itoa(r.next), Status: jobRunning, Started: time.Now(), Stages: []fitStage{}, done: make(chan struct{})}
	r.next++
	r.running = j
	r.jobs = append(r.jobs, j)
	if len(r.jobs) > keptJobs {
		r.jobs = r.jobs[len(r.jobs)-keptJobs:]
	}
	r.wg.Add(1)
	go r.run(j)
	return r.snapshotLocked(j), true
}

// run fits, saves the snapshot and records the outcome in j.
func (r *refitter) run(j *refitJob) {
	defer r.wg.Done()
	log := r.s.cfg.Logger.With("job", j.ID)
	log.Info("refit started")
	start := time.Now()
	err := r.s.engine.Fit(r.ctx)
	fitTook := time.Since(start)
	var saveTook time.Duration
	var saveErr error
	if err == nil && r.s.cfg.SnapshotPath != "" {
		t := time.Now()
		saveErr = r.s.Save()
		saveTook = time.Since(t)
	}
	r.s.refitDone()

	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	j.Finished, j.Stage, j.Step, j.RemainingSeconds, j.FitSeconds = &now, "", "", 0, fitTook.Seconds()
	outcome := ""
	switch {
	case err == nil && saveErr != nil:
		j.Status, j.SnapshotError, outcome = jobDone, saveErr.Error(), outcomeSnapshotFailed
		log.Error("refit done, but the snapshot was not saved: the new models are served, a restart would load the previous snapshot",
			"fit", fitTook, "err", saveErr)
	case err == nil:
		j.Status = jobDone
		if r.s.cfg.SnapshotPath != "" {
			j.Snapshot, j.SaveSeconds = r.s.cfg.SnapshotPath, saveTook.Seconds()
		}
		log.Info("refit done", "fit", fitTook, "save", saveTook)
	case r.ctx.Err() != nil:
		j.Status, j.Error, j.code = jobCancelled, err.Error(), http.StatusServiceUnavailable
		log.Warn("refit cancelled (the server is stopping)", "err", err)
	default:
		// A Fit the market's state refuses (an empty side: the client's
		// doing, answered 409 as elsewhere) is no failure of the server's.
		e := engineError(err)
		j.Status, j.Error, j.code = jobFailed, err.Error(), e.Status
		if e.Status < http.StatusInternalServerError {
			log.Warn("refit refused: the market cannot be fitted yet", "status", e.Status, "err", err)
		} else {
			log.Error("refit failed", "err", err)
		}
	}
	if outcome == "" {
		outcome = j.Status
	}
	r.s.http.refits.WithLabelValues(outcome).Inc()
	r.running = nil
	close(j.done)
}

// progress records one Fit stage in the running job (a Fit not started by
// a job, such as the demo's first, is only logged) and logs it.
func (r *refitter) progress(p twoway.Progress) {
	r.mu.Lock()
	j := r.running
	if j != nil {
		j.Step, j.Fraction, j.RemainingSeconds = p.Step, p.Fraction, p.Remaining.Seconds()
	}
	if p.Step != "" {
		// A step inside a stage: the job shows it; the Engine's own logger
		// logs the steps every ten seconds.
		r.mu.Unlock()
		return
	}
	if j != nil {
		el := p.Elapsed.Seconds()
		if !p.Done {
			j.Stage = p.Stage
			j.Stages = append(j.Stages, fitStage{Stage: p.Stage, Start: el})
		} else {
			for i := len(j.Stages) - 1; i >= 0; i-- {
				if st := &j.Stages[i]; st.Stage == p.Stage && !st.Done {
					st.Done, st.Seconds = true, el-st.Start
					break
				}
			}
		}
	}
	r.mu.Unlock()
	attrs := []any{"stage", p.Stage, "elapsed", p.Elapsed.Round(time.Millisecond)}
	if j != nil {
		attrs = append(attrs, "job", j.ID)
	}
	// The Engine logs each stage's end itself (Config.Logger); the server
	// logs the starts, so that a long stage shows in the log as it begins.
	if !p.Done {
		r.s.cfg.Logger.Info("fit stage started", attrs...)
	} else {
		r.s.cfg.Logger.Debug("fit stage done", attrs...)
	}
}

// job returns a copy of the job with id, or false.
func (r *refitter) job(id string) (*refitJob, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		if j.ID == id {
			return r.snapshotLocked(j), true
		}
	}
	return nil, false
}

// list returns copies of the kept jobs, newest first.
func (r *refitter) list() []*refitJob {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*refitJob, 0, len(r.jobs))
	for i := len(r.jobs) - 1; i >= 0; i-- {
		out = append(out, r.snapshotLocked(r.jobs[i]))
	}
	return out
}

func (r *refitter) snapshotLocked(j *refitJob) *refitJob {
	c := *j
	c.Stages = append([]fitStage{}, j.Stages...)
	return &c
}

// wait waits until the job with id ends, d passes or ctx is done, and
// returns the job as it then is.
func (r *refitter) wait(ctx context.Context, id string, d time.Duration) *refitJob {
	r.mu.Lock()
	var done chan struct{}
	for _, j := range r.jobs {
		if j.ID == id {
			done = j.done
		}
	}
	r.mu.Unlock()
	if done != nil && d > 0 {
		t := time.NewTimer(d)
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	j, _ := r.job(id)
	return j
}

// stop cancels the running job and waits for it to end.
func (r *refitter) stop() {
	r.cancel()
	r.wg.Wait()
}

// refit: POST /v1/refit[?wait=<duration>]. Starts a refit job and answers
// 202 with its ID and status (GET /v1/refit/{id} follows it). With wait
// (at most 5m), it waits that long for the job: 200 when it is done (with
// snapshot_error when the new models are served but the snapshot was not
// saved), 202 when it still runs; a failed job is the status engineError
// gives its error (409 for an empty market, 500 for the server's own
// failure), a cancelled one 503. While a job runs, another POST is 409
// with the running job.
func (s *Server) refit(w http.ResponseWriter, r *http.Request) {
	var wait time.Duration
	for key, vs := range r.URL.Query() {
		if key != "wait" || len(vs) != 1 {
			s.fail(w, errorf(http.StatusBadRequest, "query parameter %q: want only wait, once", key))
			return
		}
		d, err := time.ParseDuration(vs[0])
		if err != nil || d < 0 || d > maxRefitWait {
			s.fail(w, errorf(http.StatusBadRequest, "query parameter wait=%q: want a duration from 0s to %v", vs[0], maxRefitWait))
			return
		}
		wait = d
	}
	job, started := s.refits.start()
	switch {
	case job == nil:
		s.fail(w, errorf(http.StatusServiceUnavailable, "the server is stopping"))
		return
	case !started:
		w.Header().Set("Location", "/v1/refit/"+job.ID)
		s.writeJSON(w, http.StatusConflict, refitConflict{Error: "a refit is already running: GET /v1/refit/" + job.ID, Job: job})
		return
	}
	w.Header().Set("Location", "/v1/refit/"+job.ID)
	if wait > 0 {
		job = s.refits.wait(r.Context(), job.ID, wait)
	}
	s.writeJSON(w, jobStatus(job), job)
}

type refitConflict struct {
	Error string    `json:"error"`
	Job   *refitJob `json:"job"`
}

// jobStatus is the HTTP status that reports j.
func jobStatus(j *refitJob) int {
	switch {
	case j.Status == jobDone:
		return http.StatusOK
	case j.Status == jobRunning:
		return http.StatusAccepted
	case j.code != 0:
		return j.code
	default:
		return http.StatusInternalServerError
	}
}

// refitStatus: GET /v1/refit/{id}. 200 with the job (whatever its state: the
// status field says it), 404 for an unknown (or long-forgotten) ID.
func (s *Server) refitStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	j, ok := s.refits.job(id)
	if !ok {
		s.fail(w, errorf(http.StatusNotFound, "no refit job %q (the server keeps the last %d)", id, keptJobs))
		return
	}
	s.writeJSON(w, http.StatusOK, j)
}

// progressLogger returns the Engine's OnProgress for the server: the
// refitter's, then the embedding program's own.
func (s *Server) onProgress(own func(twoway.Progress)) func(twoway.Progress) {
	return func(p twoway.Progress) {
		s.refits.progress(p)
		if own != nil {
			own(p)
		}
	}
}

// engineLogger is the Engine's logger: the embedding program's when it set
// one, else the server's, marked as the Engine's.
func engineLogger(own, server *slog.Logger) *slog.Logger {
	if own != nil {
		return own
	}
	return server.With("component", "engine")
}
