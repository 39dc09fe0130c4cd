package redisstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twowayrec/twoway"
)

// Pairs is a twoway.PairStore in Redis: one set per From, in From's slot.
// It is safe for concurrent use.
type Pairs struct {
	*breaker
	rdb  redis.UniversalClient
	ns   string
	kind string
}

var _ twoway.PairStore = (*Pairs)(nil)

// NewPairs returns a PairStore on rdb (which the caller owns and closes)
// for the pairs of one kind ("seen" for twoway.Config.Seen, "blocked" for
// Config.Blocked; a letter, digit, '-' or '_' each, at most 32, and not
// "c", "led" or "rep", which other keys use). It does no I/O.
func NewPairs(rdb redis.UniversalClient, kind string, cfg Config) (*Pairs, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil redis client", ErrConfig)
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	if kind == "" || len(kind) > 32 || !onlyWordChars(kind) {
		return nil, fmt.Errorf("%w: pairs kind %q: want 1 to 32 letters, digits, '-' or '_'", ErrConfig, kind)
	}
	if kind == "c" || kind == "led" || kind == "rep" {
		return nil, fmt.Errorf("%w: pairs kind %q is taken by the counters or the ledger", ErrConfig, kind)
	}
	return &Pairs{breaker: newBreaker(rdb, cfg), rdb: rdb, ns: cfg.Namespace, kind: kind}, nil
}

func onlyWordChars(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// idKey is the prefix of participant id's keys: its hash tag, with id
// escaped by tagID.
func idKey(ns, id string) string { return ns + ":{" + tagID(id) + "}" }

// tagEscaper escapes the characters that would end a hash tag early ('}'),
// open a confusing one ('{'), or make the escaping ambiguous ('%').
var tagEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// tagID returns id as it appears inside a hash tag: unchanged unless it
// holds '%', '{' or '}', which are percent-encoded. Unescaped, an ID such
// as "vic}:c:once:e1" made keys of its own that were another participant's
// ("vic"'s event markers), and an ID starting with '}' gave an empty tag,
// spreading one participant's keys over several cluster slots. The
// encoding is injective, so two IDs never share a tag.
func tagID(id string) string {
	if !strings.ContainsAny(id, "%{}") {
		return id
	}
	return tagEscaper.Replace(id)
}

func (p *Pairs) key(from string) string { return idKey(p.ns, from) + ":" + p.kind }

// AddPairs implements twoway.PairStore: one SADD per From, pipelined (a
// Redis Cluster client sends each to its slot's node).
func (p *Pairs) AddPairs(ctx context.Context, pairs []twoway.Pair) error {
	for i, pr := range pairs {
		if pr.From == "" || pr.To == "" {
			return fmt.Errorf("redisstore: add pairs: pair %d (%q → %q): empty ID", i, pr.From, pr.To)
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	if err := p.gate(); err != nil {
		return err
	}
	by := map[string][]any{}
	var order []string
	for _, pr := range pairs {
		if _, ok := by[pr.From]; !ok {
			order = append(order, pr.From)
		}
		by[pr.From] = append(by[pr.From], pr.To)
	}
	_, err := p.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, from := range order {
			pipe.SAdd(ctx, p.key(from), by[from]...)
		}
		return nil
	})
	return p.observe(ctx, err, "add pairs")
}

// Targets implements twoway.PairStore with one SMEMBERS.
func (p *Pairs) Targets(ctx context.Context, from string) ([]string, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	out, err := p.rdb.SMembers(ctx, p.key(from)).Result()
	if err = p.observe(ctx, err, "targets"); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	slices.Sort(out)
	return out, nil
}

// Ledger is a twoway.ExposureStore in Redis: per candidate a hash of its
// decayed load and the time of its newest amount, and per (candidate,
// requester) a key remembering when the pair was last counted, all in the
// candidate's slot. It is safe for concurrent use.
type Ledger struct {
	*breaker
	rdb              redis.UniversalClient
	ns               string
	halfLife, window time.Duration
	ttl              time.Duration // of a ledger hash: 20 half-lives (a load decays to 1e-6 of itself), at least the window
}

var _ twoway.ExposureStore = (*Ledger)(nil)

// NewLedger returns an ExposureStore on rdb (which the caller owns and
// closes) with Config.HalfLife and Config.RepeatWindow. It does no I/O.
func NewLedger(rdb redis.UniversalClient, cfg Config) (*Ledger, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil redis client", ErrConfig)
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	return &Ledger{breaker: newBreaker(rdb, cfg), rdb: rdb, ns: cfg.Namespace, halfLife: cfg.HalfLife, window: cfg.RepeatWindow,
		ttl: max(20*cfg.HalfLife, cfg.RepeatWindow)}, nil
}

// HalfLife implements twoway.ExposureStore.
func (l *Ledger) HalfLife() time.Duration { return l.halfLife }

// RepeatWindow implements twoway.ExposureStore.
func (l *Ledger) RepeatWindow() time.Duration { return l.window }

// serveScript: KEYS[1] the candidate's ledger hash, KEYS[2] the
// (candidate, requester) repeat key; ARGV[1] the time (Unix ms), ARGV[2]
// the amount, ARGV[3] the half-life (ms), ARGV[4] the repeat window (ms),
// ARGV[5] the hash's TTL (ms). It returns 1 when it counted the amount, 0
// for a repeat within the window. Numbers go back to Redis through
// string.format('%.17g'), since Redis' own conversion keeps 14 digits.
var serveScript = redis.NewScript(`
local t = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[2]) or '')
if last and t - last < tonumber(ARGV[4]) and t >= last then
  return 0
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[4])
local x = tonumber(ARGV[2])
local h = tonumber(ARGV[3])
local e = redis.call('HMGET', KEYS[1], 'l', 't')
local load, at = tonumber(e[1] or ''), tonumber(e[2] or '')
if not load or not at then
  load, at = x, t
elseif t >= at then
  load, at = load * 2 ^ (-(t - at) / h) + x, t
else
  load = load + x * 2 ^ (-(at - t) / h)
end
redis.call('HSET', KEYS[1], 'l', string.format('%.17g', load), 't', string.format('%d', at))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)

// Serve implements twoway.ExposureStore: one script per candidate,
// pipelined, so each candidate's repeat check and load update are atomic.
// A call that fails part-way (Redis went away) may have counted some of
// its candidates.
func (l *Ledger) Serve(ctx context.Context, requester string, at time.Time, candidates []string, expected []float64) (int, error) {
	if err := twoway.CheckServe(requester, at, candidates, expected); err != nil {
		return 0, fmt.Errorf("redisstore: serve: %w", err)
	}
	if len(candidates) == 0 {
		return 0, nil
	}
	if err := l.gate(); err != nil {
		return 0, err
	}
	t := strconv.FormatInt(at.UnixMilli(), 10)
	h, w, ttl := l.halfLife.Milliseconds(), l.window.Milliseconds(), l.ttl.Milliseconds()
	cmds := make([]*redis.Cmd, len(candidates))
	_, err := l.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, c := range candidates {
			x := expected[i]
			if !(x > 0) || math.IsInf(x, 0) {
				x = 0
			}
			base := idKey(l.ns, c)
			cmds[i] = serveScript.Eval(ctx, pipe, []string{base + ":led", base + ":rep:" + requester},
				t, strconv.FormatFloat(x, 'g', -1, 64), h, w, ttl)
		}
		return nil
	})
	if err = l.observe(ctx, err, "serve"); err != nil {
		return 0, err
	}
	n := 0
	for _, cmd := range cmds {
		if v, _ := cmd.Int(); v == 1 {
			n++
		}
	}
	return n, nil
}

// Loads implements twoway.ExposureStore: one HMGET per candidate,
// pipelined; the decay is computed here.
func (l *Ledger) Loads(ctx context.Context, now time.Time, candidates []string, loads []float64) error {
	if len(candidates) != len(loads) {
		return fmt.Errorf("redisstore: loads: %d candidates, %d loads", len(candidates), len(loads))
	}
	if len(candidates) == 0 {
		return nil
	}
	if err := l.gate(); err != nil {
		return err
	}
	cmds := make([]*redis.SliceCmd, len(candidates))
	_, err := l.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, c := range candidates {
			cmds[i] = pipe.HMGet(ctx, idKey(l.ns, c)+":led", "l", "t")
		}
		return nil
	})
	if err = l.observe(ctx, err, "loads"); err != nil {
		return err
	}
	t := now.UnixMilli()
	for i, cmd := range cmds {
		vals := cmd.Val()
		loads[i] = 0
		if len(vals) != 2 || vals[0] == nil || vals[1] == nil {
			continue
		}
		ls, _ := vals[0].(string)
		ts, _ := vals[1].(string)
		load, err1 := strconv.ParseFloat(ls, 64)
		at, err2 := strconv.ParseInt(ts, 10, 64)
		if err1 != nil || err2 != nil || math.IsNaN(load) || load < 0 {
			return fmt.Errorf("redisstore: loads: candidate %q: corrupt ledger entry (l=%q, t=%q)", candidates[i], ls, ts)
		}
		if t > at {
			load *= twoway.Decay(int64(time.Duration(t-at)*time.Millisecond), l.halfLife)
		}
		loads[i] = load
	}
	return nil
}

// EventIDs is a twoway.EventIDStore in Redis: one key per event ID, set
// with SET NX and expiring after Config.Retention. It is safe for
// concurrent use.
type EventIDs struct {
	*breaker
	rdb       redis.UniversalClient
	ns        string
	retention time.Duration
}

var _ twoway.EventIDStore = (*EventIDs)(nil)

// NewEventIDs returns an EventIDStore on rdb (which the caller owns and
// closes) remembering IDs for Config.Retention. It does no I/O.
func NewEventIDs(rdb redis.UniversalClient, cfg Config) (*EventIDs, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil redis client", ErrConfig)
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	return &EventIDs{breaker: newBreaker(rdb, cfg), rdb: rdb, ns: cfg.Namespace, retention: cfg.Retention}, nil
}

// Claim implements twoway.EventIDStore: one SET NX per ID, pipelined (in
// order, so a repeat within one call is not fresh). The retention runs on
// Redis' clock from the claim, not from at.
func (s *EventIDs) Claim(ctx context.Context, ids []string, at time.Time, fresh []bool) error {
	if len(ids) != len(fresh) {
		return fmt.Errorf("redisstore: claim: %d IDs, %d results", len(ids), len(fresh))
	}
	for i, id := range ids {
		if id == "" {
			return fmt.Errorf("redisstore: claim: ID %d is empty", i)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := s.gate(); err != nil {
		return err
	}
	stamp := strconv.FormatInt(at.UnixMilli(), 10)
	cmds := make([]*redis.BoolCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = pipe.SetNX(ctx, s.ns+":ev:{"+id+"}", stamp, s.retention)
		}
		return nil
	})
	if err = s.observe(ctx, err, "claim event IDs"); err != nil {
		return err
	}
	for i, cmd := range cmds {
		fresh[i] = cmd.Val()
	}
	return nil
}

// Pairs returns a PairStore of kind (see NewPairs) on s's client and
// namespace that shares s's cooldown: once Redis failed for one of them,
// every store derived from s fails fast, so a request that reads the
// counters, the pairs and the ledger costs one timeout, not one each.
func (s *Store) Pairs(kind string) (*Pairs, error) {
	p, err := NewPairs(s.rdb, kind, s.cfg)
	if err != nil {
		return nil, err
	}
	p.breaker = s.breaker
	return p, nil
}

// Ledger returns an ExposureStore on s's client and namespace, with s's
// Config.HalfLife and RepeatWindow, that shares s's cooldown (see
// Store.Pairs).
func (s *Store) Ledger() *Ledger {
	l, _ := NewLedger(s.rdb, s.cfg) // s.cfg was valid for New
	l.breaker = s.breaker
	return l
}

// EventIDs returns an EventIDStore on s's client and namespace, with s's
// Config.Retention, that shares s's cooldown (see Store.Pairs).
func (s *Store) EventIDs() *EventIDs {
	e, _ := NewEventIDs(s.rdb, s.cfg) // s.cfg was valid for New
	e.breaker = s.breaker
	return e
}
