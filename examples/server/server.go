package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/redisstore"
)

// Server is the HTTP service over one twoway Engine. Several Servers (in
// several processes) may share one Redis: an event recorded through one
// changes the real-time features all of them read.
type Server struct {
	cfg     Config
	engine  *twoway.Engine
	rdb     redis.UniversalClient // nil without Redis; a cluster client for several addresses
	store   *redisstore.Store     // nil without Redis
	guard   *counterGuard         // nil without Redis
	journal *journalSyncer        // nil without cfg.Journal
	handler http.Handler

	registry *prometheus.Registry // GET /metrics
	observer *observer            // the Engine's measurements
	http     *httpMetrics         // the server's own
	refits   *refitter            // POST /v1/refit's jobs
	ui       *catalogue           // the web UI's view of the market (nil: -ui=false)
	demo     *demoJSON            // the demo market loaded at start (nil: none)

	tokenSum [sha256.Size]byte // of cfg.Token

	saveMu    sync.Mutex    // one snapshot write at a time
	lastSaved twoway.Offset // under saveMu: the journal offset of the last snapshot saved (-journal-trim)
}

// Open builds the Server for cfg: it connects the Redis client, builds the
// Engine and, when cfg.SnapshotPath names an existing file, loads the
// snapshot (refitting if it was fitted); a snapshot that cannot be loaded
// is an error naming the file, and so is a snapshot directory that does
// not exist or cannot be written (checked first, so that a server that
// could never save, after a refit or at shutdown, does not start). With Redis, it then checks the generation
// marker (see counterGuard: a Redis that does not hold this deployment's
// counters gets them rebuilt from the log, in the background) and starts
// checking it every cfg.GenerationCheck; a Redis that does not answer does
// not stop the start.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	if cfg.SnapshotPath != "" {
		if err := checkSnapshotDir(cfg.SnapshotPath); err != nil {
			return nil, err
		}
	}
	s := &Server{cfg: cfg, tokenSum: sha256.Sum256([]byte(cfg.Token)), registry: newRegistry()}
	s.observer = newObserver(s.registry)
	s.http = newHTTPMetrics(s.registry)
	s.refits = newRefitter(s)
	ecfg := cfg.Engine
	if ecfg.Observer != nil {
		ecfg.Observer = observers{s.observer, ecfg.Observer}
	} else {
		ecfg.Observer = s.observer
	}
	ecfg.OnProgress = s.onProgress(ecfg.OnProgress)
	ecfg.Logger = engineLogger(ecfg.Logger, cfg.Logger)
	if !cfg.NoUI {
		s.ui = newCatalogue(ecfg.HideViewed)
	}
	var demo *demoMarket
	if cfg.Demo != nil {
		var err error
		if demo, err = buildDemo(*cfg.Demo); err != nil {
			return nil, err
		}
		if ecfg.Clock == nil {
			ecfg.Clock = demoClock(*cfg.Demo, demo.End)
		}
		s.demo = &demoJSON{Real: demo.Real, Source: demo.Source, Postings: demo.Postings, Seekers: demo.Seekers, Events: len(demo.Events)}
	}
	if cfg.RedisAddr != "" {
		bucket := ecfg.Activity.Bucket
		if bucket == 0 {
			bucket = 24 * time.Hour
		}
		buckets := ecfg.Activity.Buckets()
		if buckets == 0 {
			return nil, fmt.Errorf("%w: Engine.Activity: invalid windows", errConfig)
		}
		if addrs := cfg.redisAddrs(); len(addrs) > 1 {
			s.rdb = redis.NewClusterClient(&redis.ClusterOptions{
				Addrs:        addrs,
				Password:     cfg.RedisPassword,
				DialTimeout:  cfg.RedisTimeout,
				ReadTimeout:  cfg.RedisTimeout,
				WriteTimeout: cfg.RedisTimeout,
				MaxRetries:   -1, // as below; a MOVED redirection is followed all the same
			})
		} else {
			s.rdb = redis.NewClient(&redis.Options{
				Addr:         cfg.RedisAddr,
				Password:     cfg.RedisPassword,
				DB:           cfg.RedisDB,
				DialTimeout:  cfg.RedisTimeout,
				ReadTimeout:  cfg.RedisTimeout,
				WriteTimeout: cfg.RedisTimeout,
				MaxRetries:   -1, // the store's cooldown decides when to try again
			})
		}
		halfLife := ecfg.Exposure.HalfLife
		if halfLife == 0 {
			halfLife = exposure.DefaultHalfLife
		}
		window := ecfg.Exposure.RepeatWindow
		if window == 0 {
			window = halfLife
		}
		store, err := redisstore.New(s.rdb, redisstore.Config{
			Namespace: cfg.Namespace, Bucket: bucket, Buckets: buckets, Cooldown: cfg.RedisCooldown,
			HalfLife: halfLife, RepeatWindow: window, Retention: ecfg.EventIDRetention,
		})
		if err != nil {
			s.rdb.Close()
			return nil, err
		}
		s.store = store
		ecfg.Realtime = store
		if err := sharedState(store, &ecfg); err != nil {
			s.rdb.Close()
			return nil, err
		}
		if cfg.Journal {
			ecfg.Journal = store.Journal()
		}
	}
	eng, err := twoway.New(ecfg)
	if err != nil {
		s.closeRedis()
		return nil, err
	}
	s.engine = eng
	s.registry.MustRegister(newStatsCollector(s))
	if cfg.SnapshotPath != "" {
		if err := s.load(ctx); err != nil {
			eng.Close()
			s.closeRedis()
			return nil, err
		}
	}
	if demo != nil {
		if err := s.loadDemo(ctx, demo); err != nil {
			eng.Close()
			s.closeRedis()
			return nil, err
		}
	}
	if s.store != nil {
		s.guard = newCounterGuard(s.store, eng, cfg)
		s.guard.start()
	}
	if cfg.Journal {
		s.journal = newJournalSyncer(eng, cfg)
		s.journal.start()
	}
	s.handler = s.routes()
	return s, nil
}

// refitDone is called after each refit (and the demo's first Fit): the
// market page's figures are rebuilt then, at the cadence of the models.
func (s *Server) refitDone() {
	if s.ui != nil {
		s.ui.rebuild()
	}
}

func (s *Server) closeRedis() {
	if s.rdb != nil {
		s.rdb.Close()
	}
}

// checkSnapshotDir checks that Save can write path: its directory exists
// and a file can be created in it (the way Save creates its temporary
// file, removed at once).
func checkSnapshotDir(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("server: snapshot %s: its directory: %w (create it, or choose another -snapshot)", path, err)
	case !fi.IsDir():
		return fmt.Errorf("server: snapshot %s: %s is not a directory", path, dir)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".check*")
	if err != nil {
		return fmt.Errorf("server: snapshot %s: its directory is not writable: %w (the snapshot is saved after each refit and at shutdown)", path, err)
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

// load reads the snapshot file when it exists.
func (s *Server) load(ctx context.Context) error {
	f, err := os.Open(s.cfg.SnapshotPath)
	if errors.Is(err, os.ErrNotExist) {
		s.cfg.Logger.Info("no snapshot yet", "path", s.cfg.SnapshotPath)
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: snapshot: %w", err)
	}
	defer f.Close()
	start := time.Now()
	if err := loadSnapshot(ctx, s.engine, f); err != nil {
		return fmt.Errorf("server: snapshot %s: %w (move it away to start with an empty Engine)", s.cfg.SnapshotPath, err)
	}
	s.cfg.Logger.Info("snapshot loaded", "path", s.cfg.SnapshotPath, "elapsed", time.Since(start))
	return nil
}

// loadSnapshot loads r into eng. A corrupt snapshot is the library's
// twoway.ErrCorruptSnapshot; should the library panic on one all the same
// (a bug), the start still ends with an error rather than a stack trace.
func loadSnapshot(ctx context.Context, eng *twoway.Engine, r io.Reader) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: loading panicked: %v", twoway.ErrCorruptSnapshot, p)
		}
	}()
	return eng.Load(ctx, r)
}

// Save writes the Engine's snapshot to cfg.SnapshotPath atomically (a
// temporary file in the same directory, synced, then renamed over the old
// one). Without a SnapshotPath it does nothing.
func (s *Server) Save() error {
	if s.cfg.SnapshotPath == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	// The offset before the Save is at or before the snapshot's own, so
	// trimming through it never trims what a server loading the snapshot
	// replays.
	at := s.engine.JournalOffset()
	dir := filepath.Dir(s.cfg.SnapshotPath)
	tmp, err := os.CreateTemp(dir, filepath.Base(s.cfg.SnapshotPath)+".tmp*")
	if err != nil {
		return fmt.Errorf("server: save snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := s.engine.Save(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("server: save snapshot: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("server: save snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("server: save snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.cfg.SnapshotPath); err != nil {
		return fmt.Errorf("server: save snapshot: %w", err)
	}
	if s.cfg.JournalTrim {
		if tr, ok := s.engine.Config().Journal.(twoway.JournalTrimmer); ok && !s.lastSaved.IsZero() {
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RedisTimeout)
			err := tr.Trim(ctx, s.lastSaved)
			cancel()
			if err != nil {
				return fmt.Errorf("server: snapshot saved, but the journal was not trimmed through %v: %w", s.lastSaved, err)
			}
			s.cfg.Logger.Info("journal trimmed", "through", s.lastSaved.String())
		}
		s.lastSaved = at
	}
	return nil
}

// Handler returns the HTTP API (see the README for the endpoints).
func (s *Server) Handler() http.Handler { return s.handler }

// Engine returns the Engine the Server serves.
func (s *Server) Engine() *twoway.Engine { return s.engine }

// Close saves the snapshot, closes the Engine and the Redis client. Call it after the
// HTTP server has stopped taking requests, so that every event it
// acknowledged is in the snapshot.
func (s *Server) Close() error {
	if s.journal != nil {
		s.journal.stop()
	}
	if s.guard != nil {
		s.guard.stop()
	}
	s.refits.stop() // a refit in progress is cancelled: it would not finish before the save anyway
	err := s.Save()
	err = errors.Join(err, s.engine.Close())
	if s.rdb != nil {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// realtimeErr reports whether the real-time store is in its outage cooldown,
// without a round trip.
func (s *Server) realtimeErr() error {
	if s.store == nil {
		return nil
	}
	return s.store.Err()
}

// readTimeout bounds the reading of a whole request, body included
// (http.Server.ReadTimeout): a body trickled slower is answered 408.
const readTimeout = 30 * time.Second

// Serve serves the API on l until ctx is done, then shuts down gracefully:
// it stops accepting connections, waits up to cfg.ShutdownTimeout for the
// requests in flight, and closes the Server (saving the snapshot).
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       readTimeout,
		WriteTimeout:      maxRefitWait + time.Minute, // POST /v1/refit?wait= may wait that long
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	s.cfg.Logger.Info("serving", "addr", l.Addr().String())
	select {
	case err := <-errc:
		return errors.Join(err, s.Close())
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	err = errors.Join(err, s.Close())
	s.cfg.Logger.Info("stopped", "err", err)
	return err
}

// sharedState puts the rest of the Engine's serving state in Redis beside
// the counters (seen and blocked pairs, the exposure ledger, event IDs),
// sharing the counters' cooldown, so that several servers on one Redis
// serve one market.
func sharedState(store *redisstore.Store, ecfg *twoway.Config) error {
	seen, err := store.Pairs("seen")
	if err != nil {
		return err
	}
	blocked, err := store.Pairs("blocked")
	if err != nil {
		return err
	}
	ecfg.Seen, ecfg.Blocked, ecfg.Ledger, ecfg.EventIDs = seen, blocked, store.Ledger(), store.EventIDs()
	return nil
}
