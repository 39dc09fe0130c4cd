// Command server is a small HTTP JSON service over a twoway Engine, with
// the real-time behaviour features in Redis so that several server
// processes share one state.
//
// # Running
//
//	export TWOWAY_TOKEN=$(openssl rand -hex 24)   # bearer token for mutating endpoints
//	export REDIS_ADDR=127.0.0.1:6379 REDIS_PASSWORD=…  # omit REDIS_ADDR: in memory
//	go run . -addr 127.0.0.1:8080 -snapshot /var/lib/twoway/engine.snap
//
// The web UI (two-way matching, the market, the Engine's health, in Chinese
// and English) is at /ui/; with -demo the server starts on a demonstration
// market of real postings and simulated seekers:
//
//	TWOWAY_TOKEN=change-me-0123456789abcdef go run . -demo
//
// # Endpoints
//
//	GET    /healthz                                  200 ok; 503 stalled (the Engine's self-check did not
//	                                                 finish within -health-timeout), degraded (Redis down)
//	                                                 or rebuilding (Redis lost the counters; replaying)
//	GET    /metrics                                  Prometheus series: the Engine's (its Observer and
//	                                                 Stats) and the server's
//	GET    /v1/recommendations/{id}?n=&side=&explain=&city=&aggregator=&dry_run=
//	                                                 token optional: counted in the exposure ledger only
//	                                                 with it; without it a dry run (dry_run=false: 401);
//	                                                 HEAD is always a dry run
//	GET    /v1/explanations/{requester}/{candidate}
//	PUT    /v1/profiles        {"profiles":[…]}      token
//	DELETE /v1/profiles/{id}                         token
//	POST   /v1/events          {"events":[…]}        token; 202 when Redis failed; an event repeating
//	                                                 the ID of an earlier one of the batch is listed
//	                                                 under "duplicates", not recorded again
//	POST   /v1/refit?wait=                           token; 202 with a job that fits, then saves the
//	                                                 snapshot (wait: 200 once done, with snapshot_error
//	                                                 when the new models are served but not saved; a
//	                                                 failed job's status as below: 409 empty market)
//	GET    /v1/refit/{id}                            the job's status and stages
//	POST   /v1/snapshot                              token
//	GET    /ui/, /v1/ui/…                            the web UI and its JSON (POST /v1/ui/act: token)
//
// Only recommendations, the refit (wait) and the UI's JSON take query
// parameters; on every other endpoint but /metrics a query is a 400.
//
// The admin listener (-admin-addr, 127.0.0.1:6060 by default; off: none)
// serves net/http/pprof under /debug/pprof/ and /metrics.
//
// Only the token's holder (the host's backend, which shows the list to a
// user) has recommendations counted as shown, so that anonymous reads
// cannot spend everyone's exposure budget.
//
// Bad input is always a 4xx with a JSON {"error": …}: 400 bad JSON (a key
// given twice in one object, case-insensitively, included; inside a
// record of a batch, with its index, ID and field), bad, unknown or
// repeated query parameters, invalid UTF-8, an ID no path can carry (over
// market.MaxIDLen bytes, ".", ".." or "/") or a time outside [market.MinTime,
// market.MaxTime); 401 missing or wrong token (the scheme "Bearer" in any
// case); 404 unknown ID or path; 405 wrong method (with Allow); 408 a body
// that did not arrive within the read timeout; 409 wrong side, inactive
// requester, empty market or no fit yet; 413 body too large; 415 not
// JSON; 422 a record the Engine refuses (its index, ID and field).
//
// A -snapshot whose directory does not exist or cannot be written stops
// the start: the snapshot is saved after each refit and at shutdown.
//
// With -journal (and Redis, or a Redis Cluster: -redis-addr a,b,c),
// every write goes through a shared journal in Redis that each server
// applies in order, so that several servers give the lists one would;
// /healthz reports the journal offset the server applied (see the README,
// "Several servers, one market").
//
// With Redis, a generation marker key tells when Redis lost the counters
// (FLUSHALL, a restart without persistence); the server then rebuilds them
// from the Engine's log.
//
// On SIGINT or SIGTERM the server stops taking connections, finishes the
// requests in flight and saves the snapshot, so no acknowledged event is
// lost.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "server:", err)
		}
		os.Exit(1)
	}
}

// run parses the configuration, opens the Server and serves until ctx is
// done. ready, when set, is called with the listening addresses (admin is
// empty when the admin listener is off).
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready func(api, admin string)) error {
	cfg, err := ParseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", srv.cfg.Addr)
	if err != nil {
		return errors.Join(err, srv.Close())
	}
	var admin net.Listener
	if cfg.AdminAddr != "" && cfg.AdminAddr != "off" {
		if !isLoopback(cfg.AdminAddr) {
			cfg.Logger.Warn("the admin listener (pprof) is not on loopback: anyone who reaches it can profile the process", "addr", cfg.AdminAddr)
		}
		if admin, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
			return errors.Join(fmt.Errorf("server: admin listener: %w", err), l.Close(), srv.Close())
		}
	}
	if ready != nil {
		a := ""
		if admin != nil {
			a = admin.Addr().String()
		}
		ready(l.Addr().String(), a)
	}
	if admin == nil {
		return srv.Serve(ctx, l)
	}
	actx, stopAdmin := context.WithCancel(ctx)
	adminErr := make(chan error, 1)
	go func() { adminErr <- srv.serveAdmin(actx, admin) }()
	err = srv.Serve(ctx, l)
	stopAdmin()
	return errors.Join(err, <-adminErr)
}
