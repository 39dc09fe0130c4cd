package redisstore

import (
	"context"
	"fmt"

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
// The stream is never trimmed by the Journal: an Engine loaded from a
// snapshot replays it from the snapshot's offset, so a host trims it
// (XTRIM {ns}:{journal} MINID <offset>) below the offset of the oldest
// snapshot a server may still start from (twoway.Engine.JournalOffset at
// its Save).
type Journal struct {
	*breaker
	rdb redis.UniversalClient
	key string
}

var _ twoway.Journal = (*Journal)(nil)

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
	return &Journal{breaker: newBreaker(rdb, cfg), rdb: rdb, key: cfg.Namespace + ":{journal}"}, nil
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
	msgs, err := j.rdb.XRangeN(ctx, j.key, start, "+", int64(limit)).Result()
	if err = j.observe(ctx, err, "journal read"); err != nil {
		return nil, err
	}
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
