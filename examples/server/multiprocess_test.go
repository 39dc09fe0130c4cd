package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/redisstore"
	"github.com/twowayrec/twoway/redisstore/redistest"
)

// Issue 19, "Must show": several servers that agree. A Redis Cluster of 3
// masters on loopback, 3 server processes (this package's binary, built
// into a temporary directory) with -journal on the cluster, all started
// from one fitted snapshot, and a client that sends profiles, events (each
// to a random server, 10% delivered twice, with IDs) and recommendation
// requests round-robin. A reference, one in-process Server without a
// journal in its own namespace of the cluster, takes the same stream.
// Checked: identical top-10 lists for at least 99% of requests, every
// shared counter equal to the reference's, every event once in every
// process's log, the ledger global; and one server killed with SIGKILL
// mid-run loses no acknowledged event (each is in the journal and in the
// others' state), and comes back from the old snapshot by replaying the
// journal.
//
// Bounded: about 2,400 events and 500 compared lists; a watchdog fails the
// test with a goroutine dump (and stops the processes) after 6 minutes.
func TestSeveralServersOneMarket(t *testing.T) {
	cluster := redistest.StartCluster(t, 3) // skips without redis-server, except in CI
	wd := startWatchdog(t, 6*time.Minute)
	defer wd.stop()
	ctx := context.Background()
	dir := t.TempDir()
	bin := buildServer(t, dir)

	m, err := synth.Generate(synth.Config{Seed: 19, Seekers: 120, Jobs: 40, Events: 6000, Days: 10})
	require.NoError(t, err)
	now := m.Events[len(m.Events)-1].Time.Add(time.Hour)
	addrs := strings.Join(cluster.Addrs, ",")
	split := len(m.Events) * 3 / 5

	// The fitter: profiles and the first 60% of the events, one Fit, one
	// snapshot, on the journal and the shared stores of namespace "tw".
	snap := filepath.Join(dir, "fit.snap")
	fitter, err := Open(ctx, Config{Token: testToken, RedisAddr: addrs, Namespace: "tw", Journal: true,
		SnapshotPath: snap, FixedClock: now, NoUI: true})
	require.NoError(t, err)
	waitCounters(t, fitter)
	require.NoError(t, fitter.Engine().Upsert(ctx, m.Profiles...))
	for i := 0; i < split; i += 500 {
		require.NoError(t, fitter.Engine().Record(ctx, withIDs(m.Events[i:min(i+500, split)], i)...))
	}
	require.NoError(t, fitter.Engine().Fit(ctx))
	require.NoError(t, fitter.Close()) // saves the snapshot
	snapBytes, err := os.ReadFile(snap)
	require.NoError(t, err)

	// The reference: one process, no journal, its own namespace; its
	// counters are rebuilt from the snapshot's log at start.
	refSnap := filepath.Join(dir, "ref.snap")
	require.NoError(t, os.WriteFile(refSnap, snapBytes, 0o600))
	ref, refc := startServer(t, Config{RedisAddr: addrs, Namespace: "ref", SnapshotPath: refSnap, FixedClock: now, NoUI: true})
	waitCounters(t, ref)

	procs := make([]*serverProc, 3)
	for i := range procs {
		procs[i] = startProc(t, bin, dir, fmt.Sprintf("s%d", i), snapBytes, addrs, now)
		wd.watch(procs[i])
	}
	refHTTP := &httpClient{base: refc.base}

	// The stream: the remaining events, newcomers and a removal, requests.
	rng := rand.New(rand.NewPCG(19, 1))
	var requesters []string
	for _, p := range m.Profiles {
		requesters = append(requesters, p.ID)
	}
	live := []int{0, 1, 2}
	rr := 0
	same, compared := 0, 0
	var diffs []string
	compare := func(id string, dry bool) {
		i := live[rr%len(live)]
		rr++
		q := "?n=10"
		if dry {
			q += "&dry_run=true"
		}
		want, werr := refHTTP.top(id, q)
		got, gerr := procs[i].http.top(id, q)
		require.NoError(t, gerr, "server %d, requester %s", i, id)
		require.NoError(t, werr, "reference, requester %s", id)
		compared++
		if slices.Equal(want, got) {
			same++
		} else if len(diffs) < 5 {
			diffs = append(diffs, fmt.Sprintf("%s on server %d: %v, reference %v", id, i, got, want))
		}
	}
	send := func(i int, evs ...market.Event) error {
		status, body, err := procs[i].http.post("/v1/events", eventsRequest{Events: evs})
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("status %d: %s", status, body)
		}
		return nil
	}
	record := func(ev market.Event) (int, error) {
		// The reference takes every delivery, as the servers do.
		status, body, err := refHTTP.post("/v1/events", eventsRequest{Events: []market.Event{ev}})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "reference: %s", body)
		i := live[rng.IntN(len(live))]
		return i, send(i, ev)
	}
	ackedBy := map[int][]string{} // server → IDs of events it acknowledged
	killed := false
	rest := withIDs(m.Events[split:], split)
	delivered, twice := 0, 0
	for k, ev := range rest {
		i, err := record(ev)
		require.NoError(t, err, "event %s to server %d", ev.ID, i)
		ackedBy[i] = append(ackedBy[i], ev.ID)
		delivered++
		if rng.Float64() < 0.1 {
			twice++
			i, err := record(ev)
			require.NoError(t, err, "redelivery of %s to server %d", ev.ID, i)
			delivered++
		}
		switch {
		case k%15 == 0:
			compare(requesters[rng.IntN(len(requesters))], false)
		case k == 400:
			p := market.Profile{ID: "newcomer-1", Side: market.Seeker, Title: "数据分析师", City: m.Profiles[0].City,
				Skills: []string{"SQL", "Python"}, Registered: now.Add(-2 * time.Hour)}
			status, body, err := refHTTP.put("/v1/profiles", profilesRequest{Profiles: []market.Profile{p}})
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, status, "%s", body)
			status, body, err = procs[live[rng.IntN(len(live))]].http.put("/v1/profiles", profilesRequest{Profiles: []market.Profile{p}})
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, status, "%s", body)
			requesters = append(requesters, p.ID)
		case k == 700:
			id := m.Profiles[len(m.Profiles)-1].ID
			status, body, err := refHTTP.del("/v1/profiles/" + id)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, status, "%s", body)
			status, body, err = procs[live[rng.IntN(len(live))]].http.del("/v1/profiles/" + id)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, status, "%s", body)
			requesters = slices.DeleteFunc(requesters, func(r string) bool { return r == id })
		}
		if k == len(rest)/2 && !killed {
			// Kill server 1 while an event is in flight to it: it may be in
			// the journal or not; unacknowledged, it is retried on another
			// server, as a message queue redelivers.
			killed = true
			next := rest[k+1]
			errc := make(chan error, 1)
			go func() { errc <- send(1, next) }()
			time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
			procs[1].kill(t)
			inflight := <-errc
			if inflight == nil {
				ackedBy[1] = append(ackedBy[1], next.ID)
			}
			live = []int{0, 2}
			t.Logf("killed server 1 after %d of its events were acknowledged (the one in flight: %v; retried on another server next)",
				len(ackedBy[1]), cmpOr(inflight, "acknowledged"))
		}
	}
	// Server 1 comes back from the old snapshot and replays the journal.
	procs[1] = startProc(t, bin, dir, "s1-again", snapBytes, addrs, now)
	wd.watch(procs[1])
	live = []int{0, 1, 2}
	for range 30 {
		compare(requesters[rng.IntN(len(requesters))], false)
	}
	// Every requester on every server, dry runs (the lists are not counted
	// again, so the ledgers stay comparable).
	for _, id := range requesters {
		for range 3 {
			compare(id, true)
		}
	}
	share := float64(same) / float64(compared)
	t.Logf("identical top-10 lists: %d of %d requests (%.2f%%); %d deliveries of %d events (%d twice)",
		same, compared, 100*share, delivered, len(rest), twice)
	for _, d := range diffs {
		t.Logf("differs: %s", d)
	}
	assert.GreaterOrEqual(t, share, 0.99)

	// Every process applied the whole journal and holds every event once.
	for i, p := range procs {
		p.http.waitOffset(t, procs[0].http)
		assert.Equal(t, ref.Engine().Stats().Events, int(p.http.gauge(t, "twoway_events_logged")), "server %d: events in its log", i)
	}
	assert.Equal(t, split+len(rest), ref.Engine().Stats().Events, "the reference counted every event once")

	// No acknowledged event is lost: each is in the journal.
	inJournal := journalEventIDs(t, cluster, "tw")
	for i, ids := range ackedBy {
		for _, id := range ids {
			require.True(t, inJournal[id], "event %s acknowledged by server %d is not in the journal", id, i)
		}
	}
	require.NotEmpty(t, ackedBy[1], "server 1 acknowledged events before it was killed")

	// Every shared counter equals the reference's; the ledger is global.
	rdb := cluster.Client(t)
	tw, err := redisstore.New(rdb, redisstore.Config{Namespace: "tw"})
	require.NoError(t, err)
	rs, err := redisstore.New(rdb, redisstore.Config{Namespace: "ref"})
	require.NoError(t, err)
	const nb = 40
	first := now.Unix()/86400 - nb + 1
	ids := append(slices.Clone(requesters), m.Profiles[len(m.Profiles)-1].ID)
	counted := 0
	for _, id := range ids {
		a, b := make([]uint32, activity.NumCounters*nb), make([]uint32, activity.NumCounters*nb)
		la, err := tw.ReadID(ctx, id, first, a)
		require.NoError(t, err)
		lb, err := rs.ReadID(ctx, id, first, b)
		require.NoError(t, err)
		require.Equal(t, b, a, "counters of %s", id)
		require.Equal(t, lb, la, "last activity of %s", id)
		for _, x := range a {
			counted += int(x)
		}
	}
	require.Positive(t, counted)
	loadsTW, loadsRef := make([]float64, len(ids)), make([]float64, len(ids))
	require.NoError(t, tw.Ledger().Loads(ctx, now, ids, loadsTW))
	require.NoError(t, rs.Ledger().Loads(ctx, now, ids, loadsRef))
	served := 0.0
	for i := range ids {
		assert.InDelta(t, loadsRef[i], loadsTW[i], 1e-9, "ledger of %s", ids[i])
		served += loadsTW[i]
	}
	require.Positive(t, served, "the servers' lists were counted in the shared ledger")
	t.Logf("counter units compared: %d; ledger load: %.3f expected contacts; journal: %d events acknowledged by the killed server",
		counted, served, len(ackedBy[1]))
}

func cmpOr(err error, ok string) string {
	if err == nil {
		return ok
	}
	return err.Error()
}

// withIDs returns copies of evs with IDs "ev-<offset+k>".
func withIDs(evs []market.Event, offset int) []market.Event {
	out := slices.Clone(evs)
	for k := range out {
		out[k].ID = fmt.Sprintf("ev-%d", offset+k)
	}
	return out
}

// waitCounters waits until srv's counter guard has checked the generation
// marker and finished any rebuild.
func waitCounters(t *testing.T, srv *Server) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st := srv.guard.status()
		if !st.rebuilding && strings.HasPrefix(st.detail, "ok") {
			return
		}
		require.True(t, time.Now().Before(deadline), "counters not ready: %s", st.detail)
		time.Sleep(20 * time.Millisecond)
	}
}

// buildServer builds this package's command into dir.
func buildServer(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "server")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// serverProc is one server process of the test.
type serverProc struct {
	name string
	cmd  *exec.Cmd
	http *httpClient
	logs *bytes.Buffer
	mu   sync.Mutex
	done chan struct{}
}

// startProc starts the server binary with its own copy of the snapshot,
// -journal on the cluster and the fixed clock, on a free loopback port it
// reads from the log, and waits for /healthz.
func startProc(t *testing.T, bin, dir, name string, snap []byte, addrs string, now time.Time) *serverProc {
	t.Helper()
	path := filepath.Join(dir, name+".snap")
	require.NoError(t, os.WriteFile(path, snap, 0o600))
	p := &serverProc{name: name, logs: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "-addr", "127.0.0.1:0", "-admin-addr", "off", "-ui=false",
		"-redis-addr", addrs, "-namespace", "tw", "-journal", "-journal-sync", "200ms",
		"-snapshot", path, "-fixed-clock", now.Format(time.RFC3339Nano))
	p.cmd.Env = append(os.Environ(), "TWOWAY_TOKEN="+testToken)
	stderr, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	addr := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			if _, a, ok := strings.Cut(line, "msg=serving addr="); ok {
				addr <- strings.Fields(a)[0]
			}
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			waitDone := make(chan struct{})
			go func() { <-p.done; _ = p.cmd.Wait(); close(waitDone) }()
			select {
			case <-waitDone:
			case <-time.After(20 * time.Second):
				_ = p.cmd.Process.Kill()
				<-waitDone
			}
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", p.name, p.log())
		}
	})
	select {
	case a := <-addr:
		p.http = &httpClient{base: "http://" + a}
	case <-p.done:
		_ = p.cmd.Wait()
		t.Fatalf("%s exited before serving:\n%s", name, p.log())
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not start serving within 2 minutes:\n%s", name, p.log())
	}
	// Healthy once its first requests have warmed it (the Chinese
	// segmenter's dictionary loads on first use): /healthz may answer
	// "stalled" for the first seconds.
	started := time.Now()
	for {
		var h healthResponse
		status, body, err := p.http.get("/healthz")
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(body, &h), "%s", body)
		if status == http.StatusOK {
			require.NotEmpty(t, h.JournalOffset, "%s healthz reports the journal offset", name)
			t.Logf("%s healthy %v after it started serving", name, time.Since(started).Round(time.Millisecond))
			return p
		}
		require.Less(t, time.Since(started), time.Minute, "%s healthz: %s", name, body)
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *serverProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// kill ends the process with SIGKILL: no shutdown, no snapshot.
func (p *serverProc) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Kill())
	<-p.done // the log pipe closed with the process
	_ = p.cmd.Wait()
}

// httpClient is a client that returns errors instead of failing the test
// (a killed server's connection errors are expected).
type httpClient struct {
	base string
}

var testHTTP = &http.Client{Timeout: 30 * time.Second}

func (c *httpClient) send(method, path string, v any) (int, []byte, error) {
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := testHTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c *httpClient) get(path string) (int, []byte, error) { return c.send("GET", path, nil) }
func (c *httpClient) post(path string, v any) (int, []byte, error) {
	return c.send("POST", path, v)
}
func (c *httpClient) put(path string, v any) (int, []byte, error) { return c.send("PUT", path, v) }
func (c *httpClient) del(path string) (int, []byte, error)        { return c.send("DELETE", path, nil) }

// top returns the IDs of id's recommendations, in order.
func (c *httpClient) top(id, query string) ([]string, error) {
	status, body, err := c.get("/v1/recommendations/" + id + query)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", status, body)
	}
	var out recommendationsJSON
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, err
	}
	ids := make([]string, len(out.Results))
	for i, r := range out.Results {
		ids[i] = r.ID
	}
	return ids, nil
}

// offset returns the journal offset /healthz reports.
func (c *httpClient) offset(t *testing.T) twoway.Offset {
	t.Helper()
	_, body, err := c.get("/healthz")
	require.NoError(t, err)
	var h healthResponse
	require.NoError(t, json.Unmarshal(body, &h), "%s", body)
	off, err := twoway.ParseOffset(h.JournalOffset)
	require.NoError(t, err)
	return off
}

// waitOffset waits (30 s at most) until c has applied at least what other
// has.
func (c *httpClient) waitOffset(t *testing.T, other *httpClient) {
	t.Helper()
	want := other.offset(t)
	deadline := time.Now().Add(30 * time.Second)
	for c.offset(t).Compare(want) < 0 {
		require.True(t, time.Now().Before(deadline), "%s did not reach journal offset %v", c.base, want)
		time.Sleep(50 * time.Millisecond)
	}
}

// gauge reads one gauge of GET /metrics.
func (c *httpClient) gauge(t *testing.T, name string) float64 {
	t.Helper()
	cl := &client{t: t, base: c.base, http: testHTTP}
	return metricValue(cl.scrape(), name)
}

// journalEventIDs returns the IDs of the events in namespace ns's journal.
func journalEventIDs(t *testing.T, c *redistest.Cluster, ns string) map[string]bool {
	t.Helper()
	rdb := c.Client(t)
	st, err := redisstore.New(rdb, redisstore.Config{Namespace: ns})
	require.NoError(t, err)
	j := st.Journal()
	ids := map[string]bool{}
	var after twoway.Offset
	for {
		entries, err := j.Read(context.Background(), after, 500)
		require.NoError(t, err)
		if len(entries) == 0 {
			return ids
		}
		for _, e := range entries {
			var rec struct {
				Events []market.Event `json:"events"`
			}
			require.NoError(t, json.Unmarshal(e.Data, &rec))
			for _, ev := range rec.Events {
				ids[ev.ID] = true
			}
			after = e.Offset
		}
	}
}

// procWatchdog fails the test with a dump of this process's goroutines
// (and stops the server processes) when it has not ended after limit,
// rather than let it hang until the test binary's timeout.
type procWatchdog struct {
	mu    sync.Mutex
	procs []*serverProc
	stopc chan struct{}
	wg    sync.WaitGroup
}

func startWatchdog(t *testing.T, limit time.Duration) *procWatchdog {
	w := &procWatchdog{stopc: make(chan struct{})}
	name := t.Name()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		select {
		case <-w.stopc:
			return
		case <-time.After(limit):
		}
		var dump bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&dump, 2)
		w.mu.Lock()
		for _, p := range w.procs {
			if p.cmd.Process != nil {
				_ = p.cmd.Process.Kill()
			}
			fmt.Fprintf(os.Stderr, "--- log of %s:\n%s", p.name, p.log())
		}
		w.mu.Unlock()
		fmt.Fprintf(os.Stderr, "--- FAIL: %s: not done after %v; goroutines:\n%s", name, limit, dump.String())
		os.Exit(2)
	}()
	return w
}

func (w *procWatchdog) watch(p *serverProc) {
	w.mu.Lock()
	w.procs = append(w.procs, p)
	w.mu.Unlock()
}

func (w *procWatchdog) stop() {
	close(w.stopc)
	w.wg.Wait()
}
