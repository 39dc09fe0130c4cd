// Package redisstore keeps twoway's shared serving state in Redis (a
// single server or a Redis Cluster), so that several application servers
// embedding a twoway.Engine serve one market: an event recorded through one
// of them changes what all of them see at once (the patent keeps its
// real-time feature store in Redis for the same reason). It is a Go module
// of its own, so that the library's go.mod stays free of the Redis client.
//
//	Store      activity.Store          Config.Realtime: behaviour counters
//	Pairs      twoway.PairStore        Config.Seen, Config.Blocked
//	Ledger     twoway.ExposureStore    Config.Ledger: the exposure ledger
//	EventIDs   twoway.EventIDStore     Config.EventIDs: recorded event IDs
//	Journal    twoway.Journal          Config.Journal: the market's writes, in order
//
// Each passes its interface's conformance kit against a real redis-server
// (the package's tests start one; package redistest does it).
//
// # Keys
//
// Every key starts with Config.Namespace and carries the participant in a
// Redis Cluster hash tag, so that all of one participant's keys live in one
// slot:
//
//	{ns}:{u<user>}:b:<bucket>         hash: counter number → count; expires
//	{ns}:{u<user>}:last               string: last-activity time, Unix seconds
//	{ns}:{<id>}:c:b:<bucket>, :c:last the same by string ID (AddID, ReadID: what an Engine uses)
//	{ns}:{<id>}:c:once:<event id>     string: the event was counted for <id> (AddIDOnce); expires after Config.Retention
//	{ns}:{<id>}:<kind>                set: the To of the pairs From <id> (Pairs; kind "seen", "blocked")
//	{ns}:{<id>}:led                   hash: l (load), t (newest amount, Unix ms); expires (Ledger)
//	{ns}:{<id>}:rep:<requester>       string: when requester was last counted for <id>; expires (Ledger)
//	{ns}:ev:{<event id>}              string: a claimed event ID; expires after Config.Retention (EventIDs)
//	{ns}:{journal}                    stream: the journal's entries, field d; never trimmed by the Journal
//
// Inside a participant's hash tag, <id> is its ID with '%', '{' and '}'
// percent-encoded (%25, %7B, %7D), so that no ID ends the tag early or
// collides with another's keys; other IDs appear as they are. (Before
// this encoding, an ID holding one of them had keys that the encoding
// leaves behind, unread.)
//
// The journal is one stream, so in a Redis Cluster it lives in one slot
// on one master (see Journal); every other key is spread over the
// cluster by its participant's hash tag.
//
// An Engine counts by string ID (the Store implements activity.IDStore),
// so processes that gave a participant different dense indices share its
// counters; Add and Read by dense index remain for activity.Store's other
// users.
//
// A bucket's hash expires Config.Buckets+1 buckets after its last write, so
// Redis forgets counts no window can read any more; the last-activity time
// never expires (one small key per participant).
//
// # Atomicity
//
// Add is one Lua script (HINCRBY per counter, EXPIRE, raise the last-activity
// time), Read another (GET and one HMGET per bucket), so a reader sees all of
// one Add or none of it, in one round trip each. The Ledger's Serve is one
// script per candidate (its repeat key and ledger hash share the
// candidate's slot), pipelined; an event ID is claimed by SET NX.
//
// # Outages
//
// When Redis cannot be reached, a store fails fast: after a failed call it
// answers every call with an error wrapping [ErrUnavailable] for
// Config.Cooldown, then tries Redis again. (Each store value has its own
// cooldown; the Engine degrades to its own state meanwhile, see
// twoway.Config.Seen.) A request that reads the features
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
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/exposure"
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
	// HalfLife and RepeatWindow are the Ledger's (they must equal the
	// Engine's Exposure.HalfLife and Exposure.RepeatWindow). Zero:
	// exposure.DefaultHalfLife, and RepeatWindow = HalfLife (the Engine's
	// defaults).
	HalfLife     time.Duration `json:"half_life"`
	RepeatWindow time.Duration `json:"repeat_window"`
	// Retention is how long EventIDs remembers an event ID, and AddOnce
	// the events it counted (the Engine's Config.EventIDRetention). Zero:
	// 7 days.
	Retention time.Duration `json:"retention"`
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
	if c.HalfLife == 0 {
		c.HalfLife = exposure.DefaultHalfLife
	}
	if c.RepeatWindow == 0 {
		c.RepeatWindow = c.HalfLife
	}
	if c.Retention == 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	switch {
	case c.Bucket < time.Second:
		return fmt.Errorf("%w: Bucket %v is shorter than a second", ErrConfig, c.Bucket)
	case c.Buckets < 1:
		return fmt.Errorf("%w: Buckets %d: need at least 1", ErrConfig, c.Buckets)
	case c.Cooldown < 0:
		return fmt.Errorf("%w: Cooldown %v is negative", ErrConfig, c.Cooldown)
	case c.HalfLife < time.Millisecond:
		return fmt.Errorf("%w: HalfLife %v is shorter than a millisecond", ErrConfig, c.HalfLife)
	case c.RepeatWindow < time.Millisecond:
		return fmt.Errorf("%w: RepeatWindow %v is shorter than a millisecond", ErrConfig, c.RepeatWindow)
	case c.Retention < time.Millisecond:
		return fmt.Errorf("%w: Retention %v is shorter than a millisecond", ErrConfig, c.Retention)
	}
	return nil
}

// Store is an activity.Store in Redis. It is safe for concurrent use.
type Store struct {
	*breaker
	rdb redis.UniversalClient
	cfg Config
	ttl time.Duration
}

var (
	_ activity.Store       = (*Store)(nil)
	_ activity.IDStore     = (*Store)(nil)
	_ activity.OnceStore   = (*Store)(nil)
	_ activity.IDOnceStore = (*Store)(nil)
)

// New returns a Store on the client rdb (which the caller owns and closes).
// It does no I/O.
func New(rdb redis.UniversalClient, cfg Config) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil redis client", ErrConfig)
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	return &Store{breaker: newBreaker(rdb, cfg), rdb: rdb, cfg: cfg, ttl: time.Duration(cfg.Buckets+1) * cfg.Bucket}, nil
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

// addOnceScript is addScript behind a marker: KEYS[3] is set (SET NX,
// expiring after ARGV[1] milliseconds) and the counters added only when it
// was not set already; ARGV[2…] are addScript's ARGV. It returns 1 when it
// added, 0 when the key was there.
var addOnceScript = redis.NewScript(`
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
for i = 4, #ARGV do
  redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
end
if #ARGV >= 4 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local at = tonumber(ARGV[3])
if at > 0 then
  local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
  if at > cur then
    redis.call('SET', KEYS[2], ARGV[3])
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

// idKey is the prefix of the counter keys of participant id (by string
// ID), apart from those of any dense index.
func (s *Store) idKey(id string) string { return idKey(s.cfg.Namespace, id) + ":c" }

// Add implements activity.Store with one Lua script: atomic, one round trip.
func (s *Store) Add(ctx context.Context, user uint32, bucket int64, set activity.CounterSet, at int64) error {
	return s.add(ctx, s.userKey(user), bucket, set, at)
}

// AddID implements activity.IDStore: Add under participant id's string ID,
// in id's Redis Cluster slot. An Engine given this Store as its Realtime
// counts by ID.
func (s *Store) AddID(ctx context.Context, id string, bucket int64, set activity.CounterSet, at int64) error {
	if id == "" {
		return errors.New("redisstore: add: empty participant ID")
	}
	return s.add(ctx, s.idKey(id), bucket, set, at)
}

func (s *Store) add(ctx context.Context, uk string, bucket int64, set activity.CounterSet, at int64) error {
	if err := s.gate(); err != nil {
		return err
	}
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

// AddOnce implements activity.OnceStore: Add unless key was added for
// user within Config.Retention, checked and added in one Lua script (the
// marker {ns}:{u<user>}:once:<key> shares the user's slot).
func (s *Store) AddOnce(ctx context.Context, user uint32, bucket int64, set activity.CounterSet, at int64, key string) (bool, error) {
	return s.addOnce(ctx, s.userKey(user), bucket, set, at, key)
}

// AddIDOnce implements activity.IDOnceStore: AddOnce under participant
// id's string ID ({ns}:{<id>}:c:once:<key>). An Engine with a journal
// (twoway.Config.Journal) records events with IDs through it, so that a
// write retried on another server after the first failed halfway is
// counted exactly once.
func (s *Store) AddIDOnce(ctx context.Context, id string, bucket int64, set activity.CounterSet, at int64, key string) (bool, error) {
	if id == "" {
		return false, errors.New("redisstore: add: empty participant ID")
	}
	return s.addOnce(ctx, s.idKey(id), bucket, set, at, key)
}

func (s *Store) addOnce(ctx context.Context, uk string, bucket int64, set activity.CounterSet, at int64, key string) (bool, error) {
	if key == "" {
		return false, errors.New("redisstore: add once: empty key")
	}
	if err := s.gate(); err != nil {
		return false, err
	}
	args := make([]any, 3, 3+activity.NumCounters)
	args[0] = s.cfg.Retention.Milliseconds()
	args[1] = s.ttl.Milliseconds()
	args[2] = at
	for c := range activity.NumCounters {
		if set.Has(activity.Counter(c)) {
			args = append(args, counterFields[c])
		}
	}
	n, err := addOnceScript.Run(ctx, s.rdb, []string{bucketKey(uk, bucket), uk + ":last", uk + ":once:" + key}, args...).Int()
	if err = s.observe(ctx, err, "add once"); err != nil {
		return false, err
	}
	return n == 1, nil
}

// Read implements activity.Store with one Lua script: atomic, one round
// trip.
func (s *Store) Read(ctx context.Context, user uint32, first int64, dst []uint32) (int64, error) {
	return s.read(ctx, s.userKey(user), strconv.FormatUint(uint64(user), 10), first, dst)
}

// ReadID implements activity.IDStore: Read under participant id's string
// ID.
func (s *Store) ReadID(ctx context.Context, id string, first int64, dst []uint32) (int64, error) {
	if id == "" {
		return 0, errors.New("redisstore: read: empty participant ID")
	}
	return s.read(ctx, s.idKey(id), strconv.Quote(id), first, dst)
}

func (s *Store) read(ctx context.Context, uk, who string, first int64, dst []uint32) (int64, error) {
	if len(dst)%activity.NumCounters != 0 {
		panic(fmt.Sprintf("redisstore: Read: len(dst) = %d is not a multiple of %d", len(dst), activity.NumCounters))
	}
	if err := s.gate(); err != nil {
		return 0, err
	}
	n := len(dst) / activity.NumCounters
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
				return 0, fmt.Errorf("redisstore: read: participant %s bucket %d counter %s: %d out of range", who, first+int64(i), activity.Counter(c), v)
			}
			dst[c*n+i] = uint32(v)
		}
	}
	return vals[0], nil
}
