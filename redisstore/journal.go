package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
	"github.com/twowayrec/twoway"
)

// Journal is a twoway.Journal in one Redis stream, {ns}:{journal}: Append
// is XADD with an ID Redis assigns (milliseconds-sequence, increasing, so
// the entry's twoway.Offset is {ms, seq}), Read is XRANGE from just after
// the offset with COUNT. Redis applies both to the stream one at a time,
// so an entry is readable as soon as XADD returns and every later one has
// a greater ID. It is safe for concurrent use.
//
// In a Redis Cluster the stream is one key, so it lives in one slot, on
// one master: every write of the market goes through that master (a
// journal entry is small, and an XADD costs about as much as the
// counters' own calls), and that master's failover is the journal's. The
// journal is only as durable as Redis keeps it: run the master with AOF
// (appendonly yes, appendfsync everysec or always) and a replica when an
// acknowledged write must survive a Redis restart.
//
// The stream grows until the host trims it with Trim (a
// twoway.JournalTrimmer): an Engine loaded from a snapshot replays it from
// the snapshot's offset, so trim through the offset of the oldest snapshot
// a server may still start from (twoway.Engine.JournalOffset at its Save).
// Trim records how far it trimmed in a second key, {ns}:{journal}:trimmed
// (the same slot), which Read checks in the same transaction, so that a
// reader behind the trim gets twoway.ErrJournalTrimmed instead of a gap.
// Trim the stream only with Trim: an XTRIM by hand leaves no mark.
type Journal struct {
	*breaker
	rdb  redis.UniversalClient
	key  string
	mark string // the trim mark: the ID of the last entry trimmed
}

var _ twoway.JournalTrimmer = (*Journal)(nil)

// journalField is the stream entry's one field: the entry's bytes.
const journalField = "d"

// NewJournal returns a Journal on rdb (which the caller owns and closes)
// in Config.Namespace. It does no I/O.
func NewJournal(rdb redis.UniversalClient, cfg Config) (*Journal, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil redis client", ErrConfig)
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	key := cfg.Namespace + ":{journal}"
	return &Journal{breaker: newBreaker(rdb, cfg), rdb: rdb, key: key, mark: key + ":trimmed"}, nil
}

// Journal returns a Journal on s's client and namespace that shares s's
// cooldown (see Store.Pairs).
func (s *Store) Journal() *Journal {
	j, _ := NewJournal(s.rdb, s.cfg) // s.cfg was valid for New
	j.breaker = s.breaker
	return j
}

// Key returns the stream's key.
func (j *Journal) Key() string { return j.key }

// Append implements twoway.Journal: one XADD.
func (j *Journal) Append(ctx context.Context, data []byte) (twoway.Offset, error) {
	if len(data) == 0 {
		return twoway.Offset{}, fmt.Errorf("redisstore: journal: empty entry")
	}
	if err := j.gate(); err != nil {
		return twoway.Offset{}, err
	}
	id, err := j.rdb.XAdd(ctx, &redis.XAddArgs{Stream: j.key, ID: "*", Values: []any{journalField, data}}).Result()
	if err = j.observe(ctx, err, "journal append"); err != nil {
		return twoway.Offset{}, err
	}
	off, err := twoway.ParseOffset(id)
	if err != nil {
		return twoway.Offset{}, fmt.Errorf("redisstore: journal append: Redis returned the entry ID %q: %w", id, err)
	}
	return off, nil
}

// Read implements twoway.Journal: one XRANGE from just after after.
func (j *Journal) Read(ctx context.Context, after twoway.Offset, limit int) ([]twoway.JournalEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("redisstore: journal read: limit %d is not positive", limit)
	}
	if err := j.gate(); err != nil {
		return nil, err
	}
	start := "-"
	if !after.IsZero() {
		start = "(" + after.String()
	}
	// The trim mark and the entries in one MULTI: a Trim cannot fall
	// between them.
	var mark *redis.StringCmd
	var rng *redis.XMessageSliceCmd
	_, err := j.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		mark = p.Get(ctx, j.mark)
		rng = p.XRangeN(ctx, j.key, start, "+", int64(limit))
		return nil
	})
	if errors.Is(err, redis.Nil) {
		err = rng.Err() // no trim mark: never trimmed
	}
	if err = j.observe(ctx, err, "journal read"); err != nil {
		return nil, err
	}
	if m, err := mark.Result(); err == nil {
		trimmed, perr := twoway.ParseOffset(m)
		if perr != nil {
			return nil, fmt.Errorf("redisstore: journal read: trim mark %s holds %q: %w", j.mark, m, perr)
		}
		if after.Compare(trimmed) < 0 {
			return nil, fmt.Errorf("redisstore: journal read after %v: %w (through %v)", after, twoway.ErrJournalTrimmed, trimmed)
		}
	}
	msgs := rng.Val()
	out := make([]twoway.JournalEntry, 0, len(msgs))
	for _, m := range msgs {
		off, err := twoway.ParseOffset(m.ID)
		if err != nil {
			return nil, fmt.Errorf("redisstore: journal read: entry ID %q: %w", m.ID, err)
		}
		// An entry without the field (written by another program) reads as
		// empty data, which an Engine reports as undecodable and skips.
		var data []byte
		if s, ok := m.Values[journalField].(string); ok {
			data = []byte(s)
		}
		out = append(out, twoway.JournalEntry{Offset: off, Data: data})
	}
	return out, nil
}

// trimScript drops the stream's entries (KEYS[1]) at or before the ID
// ARGV[1]-ARGV[2] (XTRIM MINID ARGV[3], the next ID) and raises the trim
// mark (KEYS[2]) to it; a trim at or below the mark is a no-op.
var trimScript = redis.NewScript(`
local ms, seq = tonumber(ARGV[1]), tonumber(ARGV[2])
local cur = redis.call('GET', KEYS[2])
if cur then
  local cms, cseq = string.match(cur, '^(%d+)-(%d+)$')
  cms, cseq = tonumber(cms), tonumber(cseq)
  if cms > ms or (cms == ms and cseq >= seq) then
    return 0
  end
end
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[3])
redis.call('SET', KEYS[2], ARGV[1] .. '-' .. ARGV[2])
return 1
`)

// Trim implements twoway.JournalTrimmer: one script that trims the stream
// (XTRIM MINID, exact) and raises the trim mark, atomically.
func (j *Journal) Trim(ctx context.Context, through twoway.Offset) error {
	if through.IsZero() {
		return nil
	}
	if through.Hi >= 1<<53 || through.Lo >= 1<<53 {
		// The script compares IDs as Lua numbers (doubles).
		return fmt.Errorf("redisstore: journal trim: offset %v is beyond what a stream ID holds here", through)
	}
	if err := j.gate(); err != nil {
		return err
	}
	next := twoway.Offset{Hi: through.Hi, Lo: through.Lo + 1}
	err := trimScript.Run(ctx, j.rdb, []string{j.key, j.mark},
		strconv.FormatUint(through.Hi, 10), strconv.FormatUint(through.Lo, 10), next.String()).Err()
	return j.observe(ctx, err, "journal trim")
}
