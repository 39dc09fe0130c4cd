package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/twowayrec/twoway"
)

// errConfig is wrapped by every error about the server's configuration.
var errConfig = errors.New("server: invalid config")

// Config configures the server. Secrets (Token, RedisPassword) have no JSON
// tag and no flag: they come from the environment (see ParseConfig), so they
// never appear in a config file or in the process list.
type Config struct {
	// Addr is the listen address. Empty: "127.0.0.1:8080".
	Addr string `json:"addr"`
	// AdminAddr is the admin listener's address (net/http/pprof and
	// /metrics), for the command (run); Open and Handler do not use it.
	// Empty or "off": no admin listener. The command's default is
	// "127.0.0.1:6060", on loopback.
	AdminAddr string `json:"admin_addr"`
	// Token is the bearer token that the mutating and administrative
	// endpoints require. Required: an empty token is an error.
	Token string `json:"-"`

	// RedisAddr is the host:port of the Redis that keeps the real-time
	// features, or a comma-separated list of a Redis Cluster's nodes (two
	// or more: a cluster client, which finds the rest of the cluster from
	// them; RedisDB must be 0). Empty: in memory (one process only).
	RedisAddr string `json:"redis_addr"`
	// RedisPassword authenticates to Redis. Empty: no AUTH.
	RedisPassword string `json:"-"`
	// RedisDB selects the Redis database. Zero: database 0.
	RedisDB int `json:"redis_db"`
	// Namespace prefixes the Redis keys. Empty: "tw:act".
	Namespace string `json:"namespace"`
	// RedisTimeout bounds dialling, reading and writing Redis. Zero: 2s
	// (generous: on a loaded machine Redis answers can take hundreds of
	// milliseconds; a refused connection fails at once whatever the timeout).
	RedisTimeout time.Duration `json:"redis_timeout"`
	// RedisCooldown is how long the server stops asking Redis after a
	// failure (see redisstore.Config.Cooldown). Zero: one second.
	RedisCooldown time.Duration `json:"redis_cooldown"`

	// Journal keeps the market's writes (profile upserts, removals, events)
	// in a shared journal in Redis (redisstore.Journal, one stream), so
	// that several servers on one Redis apply the same writes in the same
	// order and give the same lists (twoway.Config.Journal). A write is
	// acknowledged once it is in the journal; with Redis down it is refused
	// (503). Requires RedisAddr. Zero (false): each server's writes are its
	// own (the shared counters, pairs, ledger and event IDs still are
	// shared).
	Journal bool `json:"journal"`
	// JournalSync is how often the server applies the journal's new
	// entries in the background; it also applies them before every
	// recommendation and explanation. Zero: one second.
	JournalSync time.Duration `json:"journal_sync"`
	// JournalTrim trims the journal after each snapshot the server saves,
	// through the journal offset of the snapshot it saved before that one
	// (so the newest two snapshots can still start a server). Set it on
	// the one process that fits and publishes snapshots, never on several:
	// a server behind the trim can no longer catch up (its /healthz says
	// degraded; restart it from a newer snapshot). Requires Journal.
	JournalTrim bool `json:"journal_trim"`
	// FixedClock, when set, is the Engine's "now" for the whole run: a
	// test aid, so that several server processes and a reference agree on
	// the time (the exposure ledger and the activity features decay with
	// it). Zero: the system clock (or the demo's).
	FixedClock time.Time `json:"fixed_clock,omitzero"`

	// SnapshotPath is the file the Engine's snapshot is loaded from at
	// start (when it exists) and saved to after each refit and at
	// shutdown. Empty: no snapshot.
	SnapshotPath string `json:"snapshot_path"`
	// IndexPath keeps the Engine's inverted index on disk there
	// (twoway.RecallConfig.IndexPath). Empty: the Engine's default.
	IndexPath string `json:"index_path"`

	// MaxBodyBytes caps a request body. Zero: 1 MiB.
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// ShutdownTimeout bounds the wait for in-flight requests at shutdown.
	// Zero: 10s.
	ShutdownTimeout time.Duration `json:"shutdown_timeout"`
	// HealthTimeout bounds the Engine's self-check (twoway.Engine.Ping) in
	// GET /healthz: a probe that has not finished by then makes the answer
	// 503 "stalled". Zero: 2s.
	HealthTimeout time.Duration `json:"health_timeout"`
	// GenerationCheck is how often the server checks the generation marker
	// in Redis, to notice that Redis lost its data (a FLUSHALL, a restart
	// without persistence) and rebuild the counters from the Engine's log;
	// every GET /healthz checks it too. Zero: 5s. Unused without Redis.
	GenerationCheck time.Duration `json:"generation_check"`

	// NoUI turns the web UI off (its routes, and the catalogue of profiles
	// and pairs it keeps in memory). Zero (false): the UI is served at /ui/.
	NoUI bool `json:"no_ui"`
	// Demo, when set, loads a demonstration market at start (see
	// DemoConfig): real postings, synthetic seekers and behaviour, fitted.
	// Nil: the Engine starts with the snapshot, or empty.
	Demo *DemoConfig `json:"demo,omitempty"`

	// Engine configures the twoway Engine. Its Realtime field is set by the
	// server when RedisAddr is set; without RedisAddr it may name a store
	// of the embedding program's own (nil: in memory).
	Engine twoway.Config `json:"engine"`
	// Logger receives the server's log. Nil: silent.
	Logger *slog.Logger `json:"-"`
}

func (c *Config) fill() error {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.RedisTimeout == 0 {
		c.RedisTimeout = 2 * time.Second
	}
	if c.RedisCooldown == 0 {
		c.RedisCooldown = time.Second
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.HealthTimeout == 0 {
		c.HealthTimeout = 2 * time.Second
	}
	if c.GenerationCheck == 0 {
		c.GenerationCheck = 5 * time.Second
	}
	if c.JournalSync == 0 {
		c.JournalSync = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.Token == "":
		return fmt.Errorf("%w: Token is empty (set TWOWAY_TOKEN)", errConfig)
	case len(c.Token) < 16:
		return fmt.Errorf("%w: Token is shorter than 16 bytes", errConfig)
	case c.RedisTimeout < 0:
		return fmt.Errorf("%w: RedisTimeout %v is negative", errConfig, c.RedisTimeout)
	case c.RedisCooldown < 0:
		return fmt.Errorf("%w: RedisCooldown %v is negative", errConfig, c.RedisCooldown)
	case c.MaxBodyBytes < 0:
		return fmt.Errorf("%w: MaxBodyBytes %d is negative", errConfig, c.MaxBodyBytes)
	case c.ShutdownTimeout < 0:
		return fmt.Errorf("%w: ShutdownTimeout %v is negative", errConfig, c.ShutdownTimeout)
	case c.RedisDB < 0:
		return fmt.Errorf("%w: RedisDB %d is negative", errConfig, c.RedisDB)
	case c.HealthTimeout < 0:
		return fmt.Errorf("%w: HealthTimeout %v is negative", errConfig, c.HealthTimeout)
	case c.GenerationCheck < 0:
		return fmt.Errorf("%w: GenerationCheck %v is negative", errConfig, c.GenerationCheck)
	case c.JournalSync < 0:
		return fmt.Errorf("%w: JournalSync %v is negative", errConfig, c.JournalSync)
	case c.JournalTrim && !c.Journal:
		return fmt.Errorf("%w: JournalTrim needs Journal", errConfig)
	case c.Journal && c.RedisAddr == "":
		return fmt.Errorf("%w: Journal needs RedisAddr (the journal is shared through Redis)", errConfig)
	case len(c.redisAddrs()) > 1 && c.RedisDB != 0:
		return fmt.Errorf("%w: RedisDB %d with a Redis Cluster (%s): a cluster has database 0 only", errConfig, c.RedisDB, c.RedisAddr)
	}
	for _, a := range c.redisAddrs() {
		if a == "" {
			return fmt.Errorf("%w: RedisAddr %q: an empty address in the list", errConfig, c.RedisAddr)
		}
	}
	if c.Engine.Realtime != nil && c.RedisAddr != "" {
		return fmt.Errorf("%w: Engine.Realtime and RedisAddr are both set; the server builds the Redis store itself", errConfig)
	}
	if c.IndexPath != "" {
		c.Engine.Recall.IndexPath = c.IndexPath
	}
	if c.Demo != nil && c.SnapshotPath != "" {
		return fmt.Errorf("%w: Demo and SnapshotPath are both set: a demo starts from its own market (drop -snapshot)", errConfig)
	}
	if !c.FixedClock.IsZero() {
		at := c.FixedClock
		c.Engine.Clock = func() time.Time { return at }
	}
	if c.Demo != nil && c.RedisAddr != "" {
		return fmt.Errorf("%w: Demo and RedisAddr are both set: a demo loads its history anew at every start, so Redis would count it again (drop -redis-addr)", errConfig)
	}
	if c.Demo != nil && (c.Demo.Seekers < 0 || c.Demo.Events < 0) {
		return fmt.Errorf("%w: Demo: negative Seekers or Events", errConfig)
	}
	return nil
}

// redisAddrs splits RedisAddr at its commas (nil when empty).
func (c *Config) redisAddrs() []string {
	if c.RedisAddr == "" {
		return nil
	}
	addrs := strings.Split(c.RedisAddr, ",")
	for i := range addrs {
		addrs[i] = strings.TrimSpace(addrs[i])
	}
	return addrs
}

// ParseConfig reads the configuration from the command line and the
// environment. The environment gives the defaults (TWOWAY_ADDR, REDIS_ADDR,
// REDIS_DB, TWOWAY_NAMESPACE, TWOWAY_SNAPSHOT, TWOWAY_INDEX) and the
// secrets (TWOWAY_TOKEN, REDIS_PASSWORD); flags override the non-secret
// ones. getenv is os.Getenv in main, a map in tests.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", getenv("TWOWAY_ADDR"), "listen address (env TWOWAY_ADDR; default 127.0.0.1:8080)")
	admin := getenv("TWOWAY_ADMIN_ADDR")
	if admin == "" {
		admin = "127.0.0.1:6060"
	}
	fs.StringVar(&c.AdminAddr, "admin-addr", admin, "admin listener for pprof and metrics (env TWOWAY_ADMIN_ADDR; off: none)")
	fs.StringVar(&c.RedisAddr, "redis-addr", getenv("REDIS_ADDR"), "Redis host:port for the real-time features, or a comma-separated list of Redis Cluster nodes (env REDIS_ADDR; empty: in memory)")
	db := 0
	if v := getenv("REDIS_DB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("%w: REDIS_DB %q: %v", errConfig, v, err)
		}
		db = n
	}
	fs.IntVar(&c.RedisDB, "redis-db", db, "Redis database number (env REDIS_DB)")
	fs.StringVar(&c.Namespace, "namespace", getenv("TWOWAY_NAMESPACE"), "Redis key prefix (env TWOWAY_NAMESPACE; default tw:act)")
	fs.DurationVar(&c.RedisTimeout, "redis-timeout", 0, "Redis dial/read/write timeout (default 2s)")
	fs.DurationVar(&c.RedisCooldown, "redis-cooldown", 0, "pause after a Redis failure before asking again (default 1s)")
	fs.StringVar(&c.SnapshotPath, "snapshot", getenv("TWOWAY_SNAPSHOT"), "snapshot file, loaded at start and saved after refits and at shutdown (env TWOWAY_SNAPSHOT)")
	fs.StringVar(&c.IndexPath, "index", getenv("TWOWAY_INDEX"), "directory of the on-disk inverted index (env TWOWAY_INDEX)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body", 0, "largest request body in bytes (default 1 MiB)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 0, "wait for in-flight requests at shutdown (default 10s)")
	fs.DurationVar(&c.HealthTimeout, "health-timeout", 0, "deadline of the Engine's self-check in /healthz (default 2s)")
	fs.DurationVar(&c.GenerationCheck, "generation-check", 0, "how often to check that Redis still holds the counters (default 5s)")
	fs.BoolVar(&c.Journal, "journal", false, "share the market's writes through a journal in Redis, so that several servers give the same lists (needs -redis-addr)")
	fs.BoolVar(&c.JournalTrim, "journal-trim", false, "after each snapshot saved, trim the journal through the previous snapshot's offset (on the one process that publishes snapshots; needs -journal)")
	fs.DurationVar(&c.JournalSync, "journal-sync", 0, "how often to apply the journal's new entries in the background (default 1s; they are also applied before each recommendation)")
	fixedClock := fs.String("fixed-clock", "", "test aid: the Engine's now, fixed for the whole run (RFC 3339), so that several processes agree on the time")
	ui := fs.Bool("ui", true, "serve the web UI at /ui/")
	demo := fs.Bool("demo", false, "load a demonstration market at start: real postings (../shared/data/jobs-zh, or -demo-data) as jobs, synthetic seekers and behaviour; without the postings, the quick start's market")
	var d DemoConfig
	fs.StringVar(&d.Postings, "demo-data", "", "directory of real postings for -demo (default: jobs-zh of $TWOWAY_DATA or of shared/data in or above the working directory)")
	fs.IntVar(&d.MaxPostings, "demo-postings", 0, "postings -demo uses, taken evenly over the files (default 3000; -1: all)")
	fs.IntVar(&d.Seekers, "demo-seekers", 0, "synthetic seekers of -demo (default 1500)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.NoUI = !*ui
	if *fixedClock != "" {
		at, err := time.Parse(time.RFC3339Nano, *fixedClock)
		if err != nil {
			return c, fmt.Errorf("%w: -fixed-clock %q: %v", errConfig, *fixedClock, err)
		}
		c.FixedClock = at
	}
	if *demo {
		c.Demo = &d
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected arguments %q", errConfig, fs.Args())
	}
	c.Token = getenv("TWOWAY_TOKEN")
	c.RedisPassword = getenv("REDIS_PASSWORD")
	return c, nil
}
