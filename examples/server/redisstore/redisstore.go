// Package redisstore keeps twoway's real-time behaviour counters in Redis:
// an [activity.Store] that several server processes share, so an event
// recorded through one of them changes what all of them see at once (the
// patent keeps its real-time feature store in Redis for the same reason).
//
// # Keys
//
// Every key starts with Config.Namespace and carries the participant in a
// Redis Cluster hash tag, so that all of one participant's keys live in one
// slot:
//
//	{ns}:{u<user>}:b:<bucket>   hash: counter number → count; expires
//	{ns}:{u<user>}:last         string: last-activity time, Unix seconds
//
// A bucket's hash expires Config.Buckets+1 buckets after its last write, so
// Redis forgets counts no window can read any more; the last-activity time
// never expires (one small key per participant).
//
// # Atomicity
//
// Add is one Lua script (HINCRBY per counter, EXPIRE, raise the last-activity
// time), Read another (GET and one HMGET per bucket), so a reader sees all of
// one Add or none of it, in one round trip each.
//
// # Outages
//
// When Redis cannot be reached, the Store fails fast: after a failed call it
// answers every call with an error wrapping [ErrUnavailable] for
// Config.Cooldown, then tries Redis again. A request that reads the features
// of hundreds of candidates thus costs one timeout, not hundreds, and the
// Store recovers by itself when Redis is back. [Store.Ping] always asks Redis
// and is what a health check calls.
//
// # Generations
//
// Redis may lose the counters without any error showing: a FLUSHALL, or a
// restart of a Redis without persistence, leaves an empty database that
// answers every call. A generation marker tells such a loss apart from a
// quiet market: one key, written once when the counters start, that every
// user of the namespace checks now and then ([Store.Generation]). When it
// is missing, the data went with it; the first process to write a new
// marker ([Store.NewGeneration], SET NX: one winner) rebuilds the counters
// from its behaviour log and holds a lease key while it does
// ([Store.Rebuilding]), so that the others can tell:
//
//	{ns}:{gen}              string: the generation, a random token; no expiry
//	{ns}:{gen}:rebuilding   string: the generation being rebuilt; expires
//
// Both keys share the hash tag {gen}, so that one MGET or script reads them
// in a Redis Cluster too.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twowayrec/twoway/activity"
)

// ErrUnavailable is wrapped by the errors of calls the Store refused
// without asking Redis because Redis failed less than Config.Cooldown ago.
var ErrUnavailable = errors.New("redisstore: redis unavailable")

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("redisstore: invalid config")

// Config configures a Store.
type Config struct {
	// Namespace prefixes every key. Empty: "tw:act".
	Namespace string `json:"namespace"`
	// Bucket is the width of a counting bucket, as in activity.Config.
	// Zero: 24h.
	Bucket time.Duration `json:"bucket"`
	// Buckets is how many buckets per participant the Store must keep
	// (activity.Config.Buckets()). Zero: 31, for the default windows.
	Buckets int `json:"buckets"`
	// Cooldown is how long the Store fails fast after Redis failed.
	// Zero: one second.
	Cooldown time.Duration `json:"cooldown"`
	// Clock gives "now" for the cooldown. Nil: time.Now.
	Clock func() time.Time `json:"-"`
}

func (c *Config) fill() error {
	if c.Namespace == "" {
		c.Namespace = "tw:act"
	}
	if c.Bucket == 0 {
		c.Bucket = 24 * time.Hour
	}
	if c.Buckets == 0 {
		c.Buckets = 31
	}
	if c.Cooldown == 0 {
		c.Cooldown = time.Second
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	switch {
	case c.Bucket < time.Second:
		return fmt.Errorf("%w: Bucket %v is shorter than a second", ErrConfig, c.Bucket)
	case c.Buckets < 1:
		return fmt.Errorf("%w: Buckets %d: need at least 1", ErrConfig, c.Buckets)
	case c.Cooldown < 0:
		return fmt.Errorf("%w: Cooldown %v is negative", ErrConfig, c.Cooldown)
	}
	return nil
}

// Store is an activity.Store in Redis. It is safe for concurrent use.
type Store struct {
	rdb redis.UniversalClient
	cfg Config
	ttl time.Duration

	mu      sync.Mutex
	downTil time.Time // fail fast until then
	lastErr error     // the failure that opened the cooldown
}

var _ activity.Store = (*Store)(nil)

// New returns a Store on the client rdb (which the caller owns and closes).
// It does no I/O.
func New(rdb redis.UniversalClient, cfg Config) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil redis client", ErrConfig)
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	return &Store{rdb: rdb, cfg: cfg, ttl: time.Duration(cfg.Buckets+1) * cfg.Bucket}, nil
}

// Config returns the Store's configuration with defaults filled in.
func (s *Store) Config() Config { return s.cfg }

// The counters are hash fields "0" … "10".
var counterFields = func() []any {
	f := make([]any, activity.NumCounters)
	for c := range f {
		f[c] = strconv.Itoa(c)
	}
	return f
}()

// addScript: KEYS[1] bucket hash, KEYS[2] last-activity key; ARGV[1] TTL in
// milliseconds, ARGV[2] the activity time (0: none), ARGV[3…] counter
// fields.
var addScript = redis.NewScript(`
for i = 3, #ARGV do
  redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
end
if #ARGV >= 3 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local at = tonumber(ARGV[2])
if at > 0 then
  local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
  if at > cur then
    redis.call('SET', KEYS[2], ARGV[2])
  end
end
return 1
`)

// readScript: KEYS[1] last-activity key, KEYS[2…] bucket hashes; ARGV the
// counter fields. It returns the last-activity time, then the counters of
// each bucket in turn.
var readScript = redis.NewScript(`
local out = {tonumber(redis.call('GET', KEYS[1]) or '0')}
for i = 2, #KEYS do
  local vals = redis.call('HMGET', KEYS[i], unpack(ARGV))
  for j = 1, #vals do
    out[#out + 1] = tonumber(vals[j] or '0')
  end
end
return out
`)

func (s *Store) userKey(user uint32) string {
	return s.cfg.Namespace + ":{u" + strconv.FormatUint(uint64(user), 10) + "}"
}

func bucketKey(userKey string, bucket int64) string {
	return userKey + ":b:" + strconv.FormatInt(bucket, 10)
}

// Add implements activity.Store with one Lua script: atomic, one round trip.
func (s *Store) Add(ctx context.Context, user uint32, bucket int64, set activity.CounterSet, at int64) error {
	if err := s.gate(); err != nil {
		return err
	}
	uk := s.userKey(user)
	args := make([]any, 2, 2+activity.NumCounters)
	args[0] = s.ttl.Milliseconds()
	args[1] = at
	for c := range activity.NumCounters {
		if set.Has(activity.Counter(c)) {
			args = append(args, counterFields[c])
		}
	}
	if len(args) == 2 && at == 0 {
		return nil
	}
	err := addScript.Run(ctx, s.rdb, []string{bucketKey(uk, bucket), uk + ":last"}, args...).Err()
	return s.observe(ctx, err, "add")
}

// Read implements activity.Store with one Lua script: atomic, one round
// trip.
func (s *Store) Read(ctx context.Context, user uint32, first int64, dst []uint32) (int64, error) {
	if len(dst)%activity.NumCounters != 0 {
		panic(fmt.Sprintf("redisstore: Read: len(dst) = %d is not a multiple of %d", len(dst), activity.NumCounters))
	}
	if err := s.gate(); err != nil {
		return 0, err
	}
	n := len(dst) / activity.NumCounters
	uk := s.userKey(user)
	keys := make([]string, 1+n)
	keys[0] = uk + ":last"
	for i := range n {
		keys[1+i] = bucketKey(uk, first+int64(i))
	}
	vals, err := readScript.Run(ctx, s.rdb, keys, counterFields...).Int64Slice()
	if err = s.observe(ctx, err, "read"); err != nil {
		return 0, err
	}
	if len(vals) != 1+n*activity.NumCounters {
		return 0, fmt.Errorf("redisstore: read: got %d values, want %d", len(vals), 1+n*activity.NumCounters)
	}
	for i := range n {
		for c := range activity.NumCounters {
			v := vals[1+i*activity.NumCounters+c]
			if v < 0 || v > int64(^uint32(0)) {
				return 0, fmt.Errorf("redisstore: read: participant %d bucket %d counter %s: %d out of range", user, first+int64(i), activity.Counter(c), v)
			}
			dst[c*n+i] = uint32(v)
		}
	}
	return vals[0], nil
}

// Ping asks Redis whether it is there, whatever the cooldown, and closes
// the cooldown when it answers.
func (s *Store) Ping(ctx context.Context) error {
	err := s.rdb.Ping(ctx).Err()
	if err == nil {
		s.mu.Lock()
		s.downTil, s.lastErr = time.Time{}, nil
		s.mu.Unlock()
		return nil
	}
	return s.observe(ctx, err, "ping")
}

// Err returns the failure that opened the current cooldown, wrapping
// ErrUnavailable, or nil when the Store is not cooling down. It does not
// ask Redis.
func (s *Store) Err() error { return s.gate() }

// gate returns an error wrapping ErrUnavailable during the cooldown.
func (s *Store) gate() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil && s.cfg.Clock().Before(s.downTil) {
		return fmt.Errorf("%w (retry after %s): %w", ErrUnavailable, s.downTil.Format(time.RFC3339Nano), s.lastErr)
	}
	return nil
}

// observe opens the cooldown on a failure of Redis itself (not on the
// caller's cancelled context) and wraps err with the operation.
func (s *Store) observe(ctx context.Context, err error, op string) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	s.mu.Lock()
	s.downTil = s.cfg.Clock().Add(s.cfg.Cooldown)
	s.lastErr = err
	s.mu.Unlock()
	return fmt.Errorf("redisstore: %s: %w", op, err)
}
