package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/redisstore/redistest"
)

var (
	loadRequests = flag.Int("load.requests", 200, "requests of the load run (TestLoad)")
	loadClients  = flag.Int("load.clients", 2, "client goroutines of the load run")
	loadEvents   = flag.Int("load.events", 5000, "events of the simulated market's history (synth.Small has 20,000)")
)

// TestLoad is the load run: a fitted server on a simulated market (synth.Small
// with its days moved to end now: 300 seekers, 100 jobs, load.events events),
// real-time features in a real redis-server, and load.clients goroutines
// sending load.requests requests over loopback HTTP, half recommendations
// (either side, n=10, with the token, so counted in the exposure ledger)
// and half single events.
// It reports requests per second and the median and p99 latency, and fails
// on any error. The measured run:
//
//	go test -run TestLoad -count=1 -v -load.requests=10000 -load.events=20000 .
func TestLoad(t *testing.T) {
	rs := redistest.Start(t)
	now := time.Now().UTC()
	scfg := synth.Small()
	days := scfg.Days
	if days == 0 {
		days = 30
	}
	scfg.Events = *loadEvents
	scfg.Start = now.Truncate(24*time.Hour).AddDate(0, 0, -days)
	m, err := synth.Generate(scfg)
	require.NoError(t, err)

	srv, err := Open(t.Context(), Config{Token: testToken, RedisAddr: rs.Addr, Namespace: "load", MaxBodyBytes: 64 << 20})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	defer func() { hs.Close(); require.NoError(t, srv.Close()) }()
	c := newClient(t, hs.URL)

	setup := time.Now()
	c.upsert(m.Profiles...)
	for evs := range slices.Chunk(m.Events, 5000) {
		status, out := c.record(evs...)
		require.Equal(t, http.StatusOK, status, "%+v", out)
	}
	fit := c.refit()
	t.Logf("setup (simulated market): %d profiles, %d events loaded over HTTP into Redis and fitted in %v (fit %.2fs)",
		len(m.Profiles), len(m.Events), time.Since(setup).Round(time.Millisecond), fit.FitSeconds)

	var seekers, jobs []string
	for _, p := range m.Profiles {
		if p.Side == market.Seeker {
			seekers = append(seekers, p.ID)
		} else {
			jobs = append(jobs, p.ID)
		}
	}

	type sample struct {
		recommend bool
		took      time.Duration
	}
	var mu sync.Mutex
	var samples []sample
	var failures []string
	per := *loadRequests / *loadClients
	tr := &http.Transport{MaxIdleConnsPerHost: *loadClients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	start := time.Now()
	var wg sync.WaitGroup
	for g := range *loadClients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			local := make([]sample, 0, per)
			for range per {
				var req *http.Request
				rec := rng.IntN(2) == 0
				if rec {
					id := seekers[rng.IntN(len(seekers))]
					if rng.IntN(3) == 0 {
						id = jobs[rng.IntN(len(jobs))]
					}
					req, _ = http.NewRequest("GET", hs.URL+"/v1/recommendations/"+id+"?n=10", nil)
					req.Header.Set("Authorization", "Bearer "+testToken) // counted in the ledger, as the backend's reads are
				} else {
					ev := market.Event{Actor: seekers[rng.IntN(len(seekers))], Target: jobs[rng.IntN(len(jobs))],
						Action: []market.Action{market.View, market.View, market.Favourite, market.Chat, market.Apply}[rng.IntN(5)], Time: time.Now()}
					if rng.IntN(3) == 0 {
						ev.Actor, ev.Target, ev.Action = ev.Target, ev.Actor, market.Reply
					}
					body, _ := json.Marshal(eventsRequest{Events: []market.Event{ev}})
					req, _ = http.NewRequest("POST", hs.URL+"/v1/events", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+testToken)
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := hc.Do(req)
				took := time.Since(t0)
				if err == nil {
					var buf bytes.Buffer
					_, err = buf.ReadFrom(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, buf.String())
					}
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
				}
				local = append(local, sample{rec, took})
			}
			mu.Lock()
			samples = append(samples, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	quantile := func(xs []time.Duration, q float64) time.Duration {
		if len(xs) == 0 {
			return 0
		}
		slices.SortFunc(xs, cmp.Compare)
		return xs[min(len(xs)-1, int(q*float64(len(xs))))]
	}
	var all, recs, evs []time.Duration
	for _, s := range samples {
		all = append(all, s.took)
		if s.recommend {
			recs = append(recs, s.took)
		} else {
			evs = append(evs, s.took)
		}
	}
	t.Logf("load run (simulated market, loopback, %d clients, shared machine): %d requests in %v = %.0f requests/s, errors %d",
		*loadClients, len(samples), elapsed.Round(time.Millisecond), float64(len(samples))/elapsed.Seconds(), len(failures))
	for _, row := range []struct {
		name string
		xs   []time.Duration
	}{{"all", all}, {"recommend", recs}, {"record", evs}} {
		t.Logf("  %-9s n=%5d  median %8v  p99 %8v  max %8v", row.name, len(row.xs),
			quantile(row.xs, 0.5).Round(time.Microsecond), quantile(row.xs, 0.99).Round(time.Microsecond), quantile(row.xs, 1).Round(time.Microsecond))
	}
	require.Empty(t, failures, "every request must succeed")
	require.Len(t, samples, per**loadClients)

	met := c.scrape()
	require.Equal(t, 1.0, metricValue(met, "twoway_server_realtime_up"))
	require.Zero(t, metricValue(met, "twoway_server_realtime_failures_total"))
}
