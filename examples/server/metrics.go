package main

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
)

// The Prometheus series the server exports on GET /metrics (and on the
// admin listener). Every name starts with twoway_; those of the Engine come
// from its Observer and its Stats, those of the server from its handlers.
//
// The registry is the Server's own (prometheus.NewRegistry), never the
// global default, so that several Servers in one process (the tests) keep
// apart.

// Buckets of the request-stage latency histograms, in seconds: a
// recommendation takes 1–5 ms on a large market, a stage a fraction.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}

// Buckets of the candidate-count histograms (recall sizes, pools, results).
var sizeBuckets = []float64{0, 1, 5, 10, 25, 50, 100, 200, 400, 800, 1600}

// Buckets of the Fit-stage histograms, in seconds: a stage takes from a
// millisecond (swap) to minutes (match, on a large market).
var fitBuckets = []float64{.001, .01, .1, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// filterNames are the label values of twoway_request_filtered_total, the
// fields of twoway.Filtered that remove candidates, in the order a request
// applies them (the structured filters, Request.Filters, one each).
var filterNames = []string{"seen", "blocked", "city", "request", "salary", "experience", "education", "industry", "workplace",
	"excluded", "threshold", "company"}

// removed returns what each filter of f removed, in filterNames' order.
func removed(f twoway.Filtered) []int {
	return []int{f.Seen, f.Blocked, f.City, f.Request, f.Facets.Salary, f.Facets.Experience, f.Facets.Education,
		f.Facets.Industry, f.Facets.Workplace, f.Excluded, f.Threshold, f.Company}
}

// observer is the Server's twoway.Observer: it turns the Engine's
// measurements into Prometheus series, and keeps the stages of the Fit in
// progress and of the last finished one for the UI's Engine page.
type observer struct {
	requests  *prometheus.CounterVec   // side, fitted, dry_run
	latency   *prometheus.HistogramVec // side, stage
	recalled  *prometheus.HistogramVec // side, source
	pool      *prometheus.HistogramVec // side
	results   *prometheus.HistogramVec // side
	filtered  *prometheus.CounterVec   // side, filter
	events    *prometheus.CounterVec   // outcome: recorded, rejected
	batches   *prometheus.CounterVec   // outcome: ok, rejected, store_error
	recordDur prometheus.Histogram
	fitStage  *prometheus.HistogramVec // stage
	fitFrac   *prometheus.GaugeVec     // stage: the share of the running stage done
	fitTotal  prometheus.Histogram
	fits      prometheus.Counter

	mu      sync.Mutex
	current *fitRecord // the Fit in progress (nil: none)
	last    *fitRecord // the last Fit that reached its final stage
}

// fitRecord is the stages of one Fit, as Progress reported them.
type fitRecord struct {
	Stages   []fitStage `json:"stages"`
	Finished bool       `json:"finished"`
	Seconds  float64    `json:"seconds"` // Elapsed at the last report
	At       time.Time  `json:"at"`      // wall time of the first report
}

// fitStage is one stage of a Fit: when it started and how long it took
// (Seconds 0 and Done false while it runs).
type fitStage struct {
	Stage   string  `json:"stage"`
	Start   float64 `json:"start"` // seconds since the Fit started
	Seconds float64 `json:"seconds"`
	Done    bool    `json:"done"`
}

// finalStage is the last stage a Fit reports (twoway.Progress).
const finalStage = "swap"

func newObserver(reg prometheus.Registerer) *observer {
	side := []string{"side"}
	o := &observer{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twoway_requests_total", Help: "Recommend calls that returned without an error, by the requester's side, whether the Engine was fitted and whether it was a dry run.",
		}, []string{"side", "fitted", "dry_run"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "twoway_request_duration_seconds", Help: "Latency of each stage of a Recommend call (recall, score, rank) and of the whole call (total).", Buckets: latencyBuckets,
		}, []string{"side", "stage"}),
		recalled: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "twoway_request_recalled_candidates", Help: "Candidates each recaller returned for one request (source: index, fresh, collaborative).", Buckets: sizeBuckets,
		}, []string{"side", "source"}),
		pool: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "twoway_request_pool_candidates", Help: "Candidates scored in one request, after fusion's select.", Buckets: sizeBuckets,
		}, side),
		results: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "twoway_request_results", Help: "Recommendations returned by one request.", Buckets: sizeBuckets,
		}, side),
		filtered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twoway_request_filtered_total", Help: "Candidates removed by each filter (seen, blocked, city, request, the structured filters salary, experience, education, industry, workplace, and excluded: hard filters over the other side's active participants; threshold, company: recalled candidates).",
		}, []string{"side", "filter"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twoway_events_total", Help: "Events given to Record: recorded (in batches that passed validation) and rejected (in batches refused whole).",
		}, []string{"outcome"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twoway_event_batches_total", Help: "Record calls by outcome: ok, rejected (validation failed, nothing stored), store_error (logged, but the real-time store failed).",
		}, []string{"outcome"}),
		recordDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "twoway_record_duration_seconds", Help: "Latency of one Record call.", Buckets: latencyBuckets,
		}),
		fitStage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "twoway_fit_stage_duration_seconds", Help: "Duration of each stage of a Fit.", Buckets: fitBuckets,
		}, []string{"stage"}),
		fitFrac: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "twoway_fit_stage_progress_ratio", Help: "Share of the running Fit stage done (twoway.Progress.Fraction), by stage; 1 once it ends.",
		}, []string{"stage"}),
		fitTotal: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "twoway_fit_duration_seconds", Help: "Duration of a whole Fit, to the end of its last stage.", Buckets: fitBuckets,
		}),
		fits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "twoway_fits_total", Help: "Fits that reached their last stage.",
		}),
	}
	reg.MustRegister(o.requests, o.latency, o.recalled, o.pool, o.results, o.filtered,
		o.events, o.batches, o.recordDur, o.fitStage, o.fitFrac, o.fitTotal, o.fits)
	return o
}

// Request implements twoway.Observer.
func (o *observer) Request(s twoway.RequestStats) {
	side := s.Side.String()
	o.requests.WithLabelValues(side, strconv.FormatBool(s.Fitted), strconv.FormatBool(s.DryRun)).Inc()
	for _, st := range []struct {
		name string
		d    time.Duration
	}{{"recall", s.Recall}, {"score", s.Score}, {"rank", s.Rank}, {"total", s.Total}} {
		o.latency.WithLabelValues(side, st.name).Observe(st.d.Seconds())
	}
	for _, src := range slices.Sorted(maps.Keys(s.Recalled)) {
		o.recalled.WithLabelValues(side, src).Observe(float64(s.Recalled[src]))
	}
	o.pool.WithLabelValues(side).Observe(float64(s.Pool))
	o.results.WithLabelValues(side).Observe(float64(s.Results))
	for i, n := range removed(s.Filtered) {
		if n > 0 {
			o.filtered.WithLabelValues(side, filterNames[i]).Add(float64(n))
		}
	}
}

// Events implements twoway.Observer.
func (o *observer) Events(s twoway.EventStats) {
	o.recordDur.Observe(s.Duration.Seconds())
	switch {
	case s.Rejected:
		o.events.WithLabelValues("rejected").Add(float64(s.Events))
		o.batches.WithLabelValues("rejected").Inc()
	case s.StoreErr:
		o.events.WithLabelValues("recorded").Add(float64(s.Events))
		o.batches.WithLabelValues("store_error").Inc()
	default:
		o.events.WithLabelValues("recorded").Add(float64(s.Events))
		o.batches.WithLabelValues("ok").Inc()
	}
}

// Fit implements twoway.Observer. A report whose Elapsed is smaller than
// the previous one's starts a new Fit (Fits run one at a time per Engine).
func (o *observer) Fit(p twoway.Progress) {
	o.fitFrac.WithLabelValues(p.Stage).Set(p.Fraction)
	if p.Step != "" {
		return // a step inside a stage: only the gauge moves
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	el := p.Elapsed.Seconds()
	if o.current == nil || el < o.current.Seconds || o.current.Finished {
		o.current = &fitRecord{At: time.Now().Add(-p.Elapsed)}
	}
	f := o.current
	f.Seconds = el
	if !p.Done {
		f.Stages = append(f.Stages, fitStage{Stage: p.Stage, Start: el})
		return
	}
	for i := len(f.Stages) - 1; i >= 0; i-- {
		if st := &f.Stages[i]; st.Stage == p.Stage && !st.Done {
			st.Done, st.Seconds = true, el-st.Start
			o.fitStage.WithLabelValues(p.Stage).Observe(st.Seconds)
			break
		}
	}
	if p.Stage == finalStage {
		f.Finished = true
		o.fitTotal.Observe(el)
		o.fits.Inc()
		o.last = f
	}
}

// fits returns copies of the Fit in progress (nil when none) and of the
// last finished one (nil before the first).
func (o *observer) fitRecords() (current, last *fitRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	cp := func(f *fitRecord) *fitRecord {
		if f == nil {
			return nil
		}
		c := *f
		c.Stages = slices.Clone(f.Stages)
		return &c
	}
	if o.current != nil && !o.current.Finished {
		current = cp(o.current)
	}
	return current, cp(o.last)
}

// observers fans an Observer's calls out to several (the server's and the
// embedding program's own Config.Engine.Observer).
type observers []twoway.Observer

func (os observers) Request(s twoway.RequestStats) {
	for _, o := range os {
		o.Request(s)
	}
}

func (os observers) Events(s twoway.EventStats) {
	for _, o := range os {
		o.Events(s)
	}
}

func (os observers) Fit(p twoway.Progress) {
	for _, o := range os {
		o.Fit(p)
	}
}

// statsCollector exports the Engine's gauges (twoway.Engine.Stats) at each
// scrape: Stats walks the profiles and the ledger, so it is read when
// Prometheus asks, not per request.
type statsCollector struct {
	engine *twoway.Engine

	profiles, removed, logged, pending  *prometheus.Desc
	fitted, fitAt, fitTook              *prometheus.Desc
	ledger, ledgerLoad                  *prometheus.Desc
	realtimeUp, counterRebuilds, uptime *prometheus.Desc
	srv                                 *Server
	start                               time.Time
}

func newStatsCollector(s *Server) *statsCollector {
	return &statsCollector{
		engine:          s.engine,
		srv:             s,
		start:           time.Now(),
		profiles:        prometheus.NewDesc("twoway_profiles", "Active profiles per side.", []string{"side"}, nil),
		removed:         prometheus.NewDesc("twoway_profiles_removed", "Removed profiles.", nil, nil),
		logged:          prometheus.NewDesc("twoway_events_logged", "Events in the Engine's own log.", nil, nil),
		pending:         prometheus.NewDesc("twoway_events_pending", "Events recorded since the last Fit (the interest matrix's overlay).", nil, nil),
		fitted:          prometheus.NewDesc("twoway_fitted", "1 when a Fit has run or been loaded.", nil, nil),
		fitAt:           prometheus.NewDesc("twoway_last_fit_timestamp_seconds", "Reference time of the last Fit (Unix seconds); absent before the first.", nil, nil),
		fitTook:         prometheus.NewDesc("twoway_last_fit_seconds", "Duration of the last Fit.", nil, nil),
		ledger:          prometheus.NewDesc("twoway_ledger_participants", "Participants with an exposure-ledger entry.", nil, nil),
		ledgerLoad:      prometheus.NewDesc("twoway_ledger_load", "Total exposure-ledger load of each side's participants, in expected contacts.", []string{"side"}, nil),
		realtimeUp:      prometheus.NewDesc("twoway_server_realtime_up", "1 when the real-time store answers (always 1 in memory).", nil, nil),
		counterRebuilds: prometheus.NewDesc("twoway_server_counter_rebuilds_total", "Rebuilds of the real-time counters this process finished after Redis lost them (or started empty).", nil, nil),
		uptime:          prometheus.NewDesc("twoway_server_uptime_seconds", "Seconds since the server opened.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.profiles, c.removed, c.logged, c.pending, c.fitted, c.fitAt,
		c.fitTook, c.ledger, c.ledgerLoad, c.realtimeUp, c.counterRebuilds, c.uptime} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.engine.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.profiles, float64(st.Seekers), market.Seeker.String())
	gauge(c.profiles, float64(st.Recruiters), market.Recruiter.String())
	gauge(c.removed, float64(st.Removed))
	gauge(c.logged, float64(st.Events))
	gauge(c.pending, float64(st.Pending))
	gauge(c.fitted, b2f(st.Fitted))
	if !st.FitAt.IsZero() {
		gauge(c.fitAt, float64(st.FitAt.UnixNano())/1e9)
		gauge(c.fitTook, st.FitTook.Seconds())
	}
	gauge(c.ledger, float64(st.Ledger))
	for _, side := range []market.Side{market.Seeker, market.Recruiter} {
		gauge(c.ledgerLoad, st.LedgerLoad[side], side.String())
	}
	gauge(c.realtimeUp, b2f(c.srv.realtimeErr() == nil))
	var rebuilds int64
	if c.srv.guard != nil {
		rebuilds = c.srv.guard.rebuilds.Load()
	}
	ch <- prometheus.MustNewConstMetric(c.counterRebuilds, prometheus.CounterValue, float64(rebuilds))
	gauge(c.uptime, time.Since(c.start).Seconds())
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// httpMetrics are the server's own series: requests by route and status,
// their latency, and those in flight.
type httpMetrics struct {
	requests         *prometheus.CounterVec   // route, code
	duration         *prometheus.HistogramVec // route
	inFlight         prometheus.Gauge
	realtimeFailures prometheus.Counter
	refits           *prometheus.CounterVec // outcome
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twoway_http_requests_total", Help: "HTTP requests by route pattern (unmatched: no route) and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "twoway_http_request_duration_seconds", Help: "HTTP request latency by route pattern.", Buckets: latencyBuckets,
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "twoway_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		realtimeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "twoway_server_realtime_failures_total", Help: "Event batches logged whose real-time counters failed (answered 202).",
		}),
		refits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twoway_server_refits_total", Help: "Refit jobs by outcome: done, snapshot_failed (done: the new models are served, but the snapshot was not saved), failed, cancelled.",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.realtimeFailures, m.refits)
	return m
}

func (m *httpMetrics) observe(route string, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK // a handler that wrote nothing
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// newRegistry returns a registry with the Go runtime's and the process's
// collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// metricsHandler serves the registry in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func metricsHandler(reg *prometheus.Registry, logger interface{ Error(string, ...any) }) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:          promLogger{logger},
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
}

// promLogger adapts the server's slog logger to promhttp.Logger.
type promLogger struct {
	l interface{ Error(string, ...any) }
}

func (p promLogger) Println(v ...any) { p.l.Error("metrics", "err", v) }
