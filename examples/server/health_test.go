package main

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/activity"
)

// gatedStore is a real-time store whose Read blocks while the gate is
// closed (until the test opens it, or the caller's context ends): a store
// that hangs, as a Redis without timeouts behind a dead link would.
type gatedStore struct {
	activity.Store

	mu      sync.Mutex
	closed  chan struct{} // nil: open
	blocked chan struct{} // receives when a Read starts waiting
}

func newGatedStore() *gatedStore {
	return &gatedStore{Store: activity.NewMemory(activity.Config{}.Buckets()), blocked: make(chan struct{}, 1)}
}

func (g *gatedStore) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed == nil {
		g.closed = make(chan struct{})
	}
}

func (g *gatedStore) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed != nil {
		close(g.closed)
		g.closed = nil
	}
}

func (g *gatedStore) Read(ctx context.Context, user uint32, first int64, dst []uint32) (int64, error) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed != nil {
		select {
		case g.blocked <- struct{}{}:
		default:
		}
		select {
		case <-closed:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return g.Store.Read(ctx, user, first, dst)
}

// /healthz does not say ok while the Engine cannot serve: with its
// real-time store hanging, the Engine's self-check cannot finish, and
// /healthz answers 503 "stalled" by HealthTimeout (without starting a
// second probe while the stuck one is out); when the store answers again,
// 200. Health checks back to back never see a false "stalled".
func TestHealthReportsAStalledEngine(t *testing.T) {
	store := newGatedStore()
	const deadline = 300 * time.Millisecond
	_, c := startServer(t, Config{HealthTimeout: deadline, Engine: twoway.Config{Realtime: store}})
	t.Cleanup(store.open) // never leave a probe blocked
	now := time.Now()
	c.upsert(tinyMarket(now, 4)...)

	var h healthResponse
	for range 50 { // back to back: the previous probe has just finished
		require.Equal(t, http.StatusOK, c.do("GET", "/healthz", nil, &h), "%+v", h)
	}
	assert.Equal(t, "ok", h.Status)
	assert.Equal(t, "ok", h.Engine)

	store.close()
	start := time.Now()
	require.Equal(t, http.StatusServiceUnavailable, c.do("GET", "/healthz", nil, &h))
	took := time.Since(start)
	select {
	case <-store.blocked:
	default:
		t.Fatalf("the self-check never reached the real-time store: %+v", h)
	}
	assert.Equal(t, "stalled", h.Status)
	assert.Contains(t, h.Engine, "stalled")
	assert.GreaterOrEqual(t, took, deadline, "the probe was given its deadline")
	assert.Less(t, took, deadline+2*time.Second, "the answer comes by the deadline")
	t.Logf("stalled: answered in %v: %s", took.Round(time.Millisecond), h.Engine)

	start = time.Now()
	require.Equal(t, http.StatusServiceUnavailable, c.do("GET", "/healthz", nil, &h), "still stuck")
	assert.Contains(t, h.Engine, "earlier probe", "no second probe is queued behind the stuck one")
	assert.Less(t, time.Since(start), deadline+2*time.Second, "the answer comes by the deadline")

	store.open()
	require.Eventually(t, func() bool {
		return c.do("GET", "/healthz", nil, &h) == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond, "health recovers with the store")
	assert.Equal(t, "ok", h.Status)
	assert.Equal(t, "ok", h.Engine)
}
