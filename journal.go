package twoway

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/market"
)

// A shared journal of the market's writes.
//
// The shared stores of Config (Realtime, Seen, Blocked, Ledger, EventIDs)
// share what can be shared as counters and sets. The rest of an Engine's
// serving state (the interest-matrix overlay since the Fit, the behaviour
// counts behind the evidence features, online interest corrections,
// urgency's recent-attention statistics, the serving tables, the event log
// and the profiles themselves) is per process: it is replicated instead.
// With Config.Journal set, Upsert, Remove and Record do not change the
// process's state directly: they validate, append the write to the
// journal (the acknowledgement point: a write that returned nil is in the
// journal), and then apply the journal's entries in journal order up to
// and including their own. Sync applies the entries that other processes
// appended. Every process thus applies the same writes in the same order,
// and its per-process state is the one a single process would have.
//
// Applying an entry never writes the shared stores: the process that
// appended it writes the counters and the pairs (once, after its append,
// claiming the events' IDs in Config.EventIDs so that a write retried on
// another process is counted once), so another process's entry only
// updates the per-process parts.
//
// The online update of a requester's interest correction, which Recommend
// and Explain make before scoring when the requester acted since the last
// one, is a journal entry too: it is computed from the state at its place
// in the journal, so every process computes the same correction.
//
// Events parked for profiles not yet known (Config.Unknown ParkUnknown)
// stay in the process that parked them, and are appended when their
// profiles have been applied there (at the next Upsert or Sync); a
// process that stops loses its parked events, as without a journal.

// Offset is a position in a Journal: an entry's offset, or the offset
// after which to read. Offsets are ordered by (Hi, Lo); the zero Offset
// is before every entry. A Redis stream's entry ID "ms-seq" is Offset{ms,
// seq}; MemoryJournal numbers its entries Offset{0, n}.
type Offset struct {
	Hi, Lo uint64
}

// Compare returns -1, 0 or +1 as o is before, at or after p.
func (o Offset) Compare(p Offset) int {
	if c := cmp.Compare(o.Hi, p.Hi); c != 0 {
		return c
	}
	return cmp.Compare(o.Lo, p.Lo)
}

// IsZero reports whether o is the zero Offset (before every entry).
func (o Offset) IsZero() bool { return o == Offset{} }

// String returns "Hi-Lo", the form of a Redis stream ID.
func (o Offset) String() string {
	return strconv.FormatUint(o.Hi, 10) + "-" + strconv.FormatUint(o.Lo, 10)
}

// ParseOffset parses the form String returns ("Hi-Lo"; a lone number is
// Offset{Hi: n}, as Redis reads a stream ID without its sequence).
func ParseOffset(s string) (Offset, error) {
	hi, lo, found := strings.Cut(s, "-")
	h, err := strconv.ParseUint(hi, 10, 64)
	if err != nil {
		return Offset{}, fmt.Errorf("twoway: journal offset %q: %w", s, err)
	}
	var l uint64
	if found {
		if l, err = strconv.ParseUint(lo, 10, 64); err != nil {
			return Offset{}, fmt.Errorf("twoway: journal offset %q: %w", s, err)
		}
	}
	return Offset{Hi: h, Lo: l}, nil
}

// JournalEntry is one entry of a Journal: its offset and its bytes.
type JournalEntry struct {
	Offset Offset
	Data   []byte
}

// Journal is an append-only, totally ordered log of the market's writes,
// shared by every Engine of one market (Config.Journal).
//
// Append stores data as one new entry and returns its offset; when it
// returns nil the entry is stored (as durably as the store keeps data) and
// every later Read sees it. The offset is greater than the offset of every
// entry that any Read could return before Append returned, so a reader
// that has read up to some offset never misses an entry appended after.
// An error means the entry may or may not have been stored (a timeout
// after the store took it): a caller retries writes that carry IDs.
// Append does not retain data; empty data is an error.
//
// Read returns, in order, up to limit entries whose offsets are greater
// than after (the zero Offset: from the start); none (nil, no error) when
// there are none yet. limit must be positive. Entries never change once
// appended. The caller owns the returned entries.
//
// Implementations are safe for concurrent use. MemoryJournal is the
// in-memory one (one process, or tests); the redisstore module's Journal
// keeps the entries in a Redis stream. CheckJournal is the conformance kit.
type Journal interface {
	Append(ctx context.Context, data []byte) (Offset, error)
	Read(ctx context.Context, after Offset, limit int) ([]JournalEntry, error)
}

// JournalTrimmer is a Journal whose oldest entries can be dropped, so that
// it does not grow without end. An Engine loaded from a snapshot replays
// the journal from the snapshot's offset (Engine.JournalOffset at its
// Save): trim through the offset of the oldest snapshot a process may
// still start from, never past it, and never past the offset of a
// process that is still applying (a lagging server would be stranded).
//
// Trim drops every entry at or before through (entries after it are kept
// as they were); trimming through an offset at or before an earlier
// trim's is a no-op. After it, a Read after an offset before through
// fails with an error wrapping ErrJournalTrimmed (entries it should have
// returned are gone), and a Read after through or later reads as before.
// MemoryJournal and the redisstore module's Journal implement it;
// CheckJournal checks it.
type JournalTrimmer interface {
	Journal
	Trim(ctx context.Context, through Offset) error
}

// ErrJournalTrimmed is wrapped by the error of a Journal's Read after an
// offset whose following entries were trimmed, and so by Sync's: the
// process cannot catch up from where it is. Start it again from a newer
// snapshot (New, Load, Sync).
var ErrJournalTrimmed = errors.New("twoway: the journal was trimmed past this offset")

// ErrJournal is wrapped by the error of a write (Upsert, Remove, Record)
// that Config.Journal refused: it could not be read up to its end before
// the write was validated, or the append failed. Nothing of the write was
// stored, in this process or in the shared stores; the caller may retry
// it (events with IDs count once however often they are retried).
var ErrJournal = errors.New("twoway: journal unavailable, write refused")

// ErrCorruptJournalEntry is wrapped by the error Sync returns for an entry
// it could not decode (written by a newer or a foreign program). The entry
// is skipped by every process alike, so they stay in step.
var ErrCorruptJournalEntry = errors.New("twoway: undecodable journal entry")

// MemoryJournal is the in-memory Journal. The zero value is ready to use.
type MemoryJournal struct {
	mu      sync.RWMutex
	trimmed uint64   // entries dropped by Trim
	entries [][]byte // entry i has Offset{0, trimmed+i+1}
}

var _ JournalTrimmer = (*MemoryJournal)(nil)

// Append implements Journal.
func (m *MemoryJournal) Append(_ context.Context, data []byte) (Offset, error) {
	if len(data) == 0 {
		return Offset{}, fmt.Errorf("%w: journal: empty entry", ErrBadRequest)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, bytes.Clone(data))
	return Offset{Lo: m.trimmed + uint64(len(m.entries))}, nil
}

// Trim implements JournalTrimmer.
func (m *MemoryJournal) Trim(_ context.Context, through Offset) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := m.count(through); n > m.trimmed {
		m.entries = slices.Clone(m.entries[n-m.trimmed:])
		m.trimmed = n
	}
	return nil
}

// Read implements Journal.
func (m *MemoryJournal) Read(_ context.Context, after Offset, limit int) ([]JournalEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("%w: journal: read limit %d is not positive", ErrBadRequest, limit)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	start, end := m.count(after), m.trimmed+uint64(len(m.entries))
	if start < m.trimmed {
		return nil, fmt.Errorf("%w: journal: read after %v, trimmed through %v", ErrJournalTrimmed, after, Offset{Lo: m.trimmed})
	}
	var out []JournalEntry
	for i := start; i < end && len(out) < limit; i++ {
		out = append(out, JournalEntry{Offset: Offset{Lo: i + 1}, Data: bytes.Clone(m.entries[i-m.trimmed])})
	}
	return out, nil
}

// count returns how many entries were appended up to and including the
// offset o (all of them when o is beyond the last). m.mu is held.
func (m *MemoryJournal) count(o Offset) uint64 {
	end := m.trimmed + uint64(len(m.entries))
	if o.Hi != 0 {
		return end
	}
	return min(o.Lo, end)
}

// Len returns the number of entries appended, trimmed ones included.
func (m *MemoryJournal) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int(m.trimmed) + len(m.entries)
}

// journalRecord is the content of one journal entry (JSON, versioned).
type journalRecord struct {
	V        int              `json:"v"`
	Kind     string           `json:"kind"` // kindUpsert, kindRemove, kindRecord, kindInterest
	Profiles []market.Profile `json:"profiles,omitempty"`
	IDs      []string         `json:"ids,omitempty"` // Remove's IDs; the interest update's requester
	Events   []market.Event   `json:"events,omitempty"`
}

const (
	journalVersion = 1
	kindUpsert     = "upsert"
	kindRemove     = "remove"
	kindRecord     = "record"
	kindInterest   = "interest"
	journalBatch   = 256 // entries per Read
)

func decodeRecord(data []byte) (journalRecord, error) {
	var r journalRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return r, err
	}
	if r.V != journalVersion {
		return r, fmt.Errorf("version %d (this build reads %d)", r.V, journalVersion)
	}
	switch r.Kind {
	case kindUpsert, kindRemove, kindRecord, kindInterest:
	default:
		return r, fmt.Errorf("unknown kind %q", r.Kind)
	}
	if r.Kind == kindInterest && len(r.IDs) != 1 {
		return r, fmt.Errorf("interest update of %d participants (want 1)", len(r.IDs))
	}
	return r, nil
}

// JournalOffset returns the offset of the last journal entry this Engine
// has applied (the zero Offset before any, or without Config.Journal). A
// snapshot saved now records it, and an Engine that loads the snapshot
// applies the journal from there.
func (e *Engine) JournalOffset() Offset {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.journalAt
}

// Sync applies the entries of Config.Journal that this Engine has not
// applied yet (those other processes appended), up to the journal's end,
// in journal order; then it records the events parked for profiles that
// arrived (Config.Unknown ParkUnknown). A host calls it before answering
// a request, so the answer includes every write acknowledged anywhere
// before, or periodically (examples/server does both). Without a journal
// it does nothing.
//
// Applying an entry updates only this process's state; the shared stores
// were written by the process that appended it. When the journal cannot
// be read, Sync returns its error and the Engine stays as it was at the
// last applied entry (a later Sync resumes there). An entry whose writes
// the data refuses (a profile on a new side, an unknown ID: refused by
// every process alike) is skipped; an entry that cannot be decoded is
// skipped and reported (ErrCorruptJournalEntry); an entry this process
// cannot apply for a reason of its own (the on-disk index failed) stops
// Sync with that error, and the next Sync tries it again.
//
// Sync may run at the same time as every other method; entries are
// applied one goroutine at a time.
func (e *Engine) Sync(ctx context.Context) error {
	if e.cfg.Journal == nil {
		return nil
	}
	e.syncMu.Lock()
	_, upserted, err := e.syncLocked(ctx, Offset{}, false)
	e.syncMu.Unlock()
	if upserted {
		err = errors.Join(err, e.recordParked(ctx))
	}
	return err
}

// applied is what applying one journal entry did.
type applied struct {
	err    error   // the write's own error (for the process that appended it)
	events []event // a record entry's events that were applied (not duplicates)
	evs    []int   // their positions in the entry's events
}

// syncLocked applies the journal's entries after e.journalAt, up to the
// journal's end or, when until is not zero, until the entry at until has
// been applied (own: the entry at until is this goroutine's own write,
// whose result it returns). upserted reports whether a profile entry was
// applied. e.syncMu is held.
func (e *Engine) syncLocked(ctx context.Context, until Offset, own bool) (res applied, upserted bool, err error) {
	var errs []error
	for {
		at := e.JournalOffset()
		if !until.IsZero() && at.Compare(until) >= 0 {
			break
		}
		entries, err := e.cfg.Journal.Read(ctx, at, journalBatch)
		if err != nil {
			errs = append(errs, fmt.Errorf("twoway: journal: read after %v: %w", at, err))
			break
		}
		if len(entries) == 0 {
			if !until.IsZero() {
				errs = append(errs, fmt.Errorf("twoway: journal: entry %v was acknowledged but is not in the journal after %v", until, at))
			}
			break
		}
		stop := false
		for _, je := range entries {
			if je.Offset.Compare(at) <= 0 {
				errs = append(errs, fmt.Errorf("twoway: journal: entry %v read after %v: out of order", je.Offset, at))
				stop = true
				break
			}
			mine := own && je.Offset == until
			r, kind, err := e.applyEntry(ctx, je, mine)
			if err != nil {
				errs = append(errs, err)
				stop = true
				break
			}
			at = je.Offset
			if kind == kindUpsert {
				upserted = true
			}
			if mine {
				res = r
			} else if r.err != nil && !errors.Is(r.err, ErrCorruptJournalEntry) {
				e.cfg.Logger.Warn("twoway: journal entry refused", "offset", je.Offset.String(), "kind", kind, "err", r.err)
			} else if r.err != nil {
				errs = append(errs, r.err)
			}
			if !until.IsZero() && at.Compare(until) >= 0 {
				break
			}
		}
		if stop {
			break
		}
	}
	return res, upserted, errors.Join(errs...)
}

// applyEntry applies one journal entry. Its error is this process's own
// failure (the entry was not applied: e.journalAt stays); a refusal by the
// data is the entry's applied.err, and e.journalAt moves past it.
func (e *Engine) applyEntry(ctx context.Context, je JournalEntry, own bool) (applied, string, error) {
	off := je.Offset
	r, derr := decodeRecord(je.Data)
	if derr != nil {
		e.advance(off)
		return applied{err: fmt.Errorf("%w: %v: %v", ErrCorruptJournalEntry, off, derr)}, "", nil
	}
	var res applied
	switch r.Kind {
	case kindUpsert:
		res.err = e.upsert(ctx, r.Profiles, &off)
		var be *BatchError
		if res.err != nil && !errors.As(res.err, &be) {
			return res, r.Kind, fmt.Errorf("twoway: journal entry %v: %w", off, res.err)
		}
		if res.err == nil {
			e.embedUpserted(ctx, r.Profiles)
		}
	case kindRemove:
		res.err = e.remove(r.IDs, &off)
		var be *BatchError
		if res.err != nil && !errors.As(res.err, &be) {
			return res, r.Kind, fmt.Errorf("twoway: journal entry %v: %w", off, res.err)
		}
	case kindRecord:
		res = e.applyEvents(r.Events, off)
		if !own && len(res.events) > 0 {
			// The shared counters were written by the process that
			// appended the entry; read them into the serving tables.
			if err := e.refresh(ctx, e.state.Load(), touchedBy(res.events), e.cfg.Clock()); err != nil {
				e.cfg.Logger.Warn("twoway: journal: serving tables not refreshed", "offset", off.String(), "err", err)
			}
		}
	case kindInterest:
		if ix, ok := e.dict.Lookup(r.IDs[0]); ok {
			if err := e.updateInterest(ctx, e.state.Load(), ix, true); err != nil {
				res.err = err
			}
		}
	}
	e.advance(off) // a no-op when the application moved it already
	return res, r.Kind, nil
}

// advance moves e.journalAt to off unless it is there or beyond.
func (e *Engine) advance(off Offset) {
	e.mu.Lock()
	if e.journalAt.Compare(off) < 0 {
		e.journalAt = off
	}
	e.mu.Unlock()
}

// touchedBy returns the participants of events, sorted, each once.
func touchedBy(events []event) []uint32 {
	touched := make([]uint32, 0, 2*len(events))
	for _, ev := range events {
		touched = append(touched, ev.actor, ev.target)
	}
	slices.Sort(touched)
	return slices.Compact(touched)
}

// applyEvents applies a record entry's events to this process's state, in
// order: an event that names a profile this process does not know (it was
// validated by the process that appended it, so every process knows it
// unless its upsert was refused) is skipped, and one whose ID was applied
// within Config.EventIDRetention is a duplicate; the rest go into the log
// and the in-memory state, under one lock that also moves e.journalAt to
// off, so a snapshot has all of the entry or none of it.
func (e *Engine) applyEvents(evs []market.Event, off Offset) applied {
	var res applied
	e.mu.Lock()
	defer e.mu.Unlock()
	e.journalAt = off
	st := e.state.Load()
	side := func(id string) (market.Side, bool) {
		ix, ok := e.dict.Lookup(id)
		if !ok || int(ix) >= len(e.profiles) || e.profiles[ix].ID == "" {
			return 0, false
		}
		return e.profiles[ix].Side, true
	}
	var skipped, dupes int
	for k := range evs {
		ev := &evs[k]
		if err := market.ValidateEventSides(ev, side); err != nil {
			skipped++
			continue
		}
		a, _ := e.dict.Lookup(ev.Actor)
		t, _ := e.dict.Lookup(ev.Target)
		x := event{actor: a, target: t, action: ev.Action, side: e.profiles[a].Side, at: ev.Time.UnixNano()}
		if ev.ID != "" {
			e.idMu.Lock()
			fresh := e.ids.claim(ev.ID, x.at)
			e.idMu.Unlock()
			if !fresh {
				dupes++
				continue
			}
		}
		e.remember(x)
		if e.fitting {
			e.during = append(e.during, x)
		}
		st.record(x)
		res.events, res.evs = append(res.events, x), append(res.evs, k)
	}
	if skipped+dupes > 0 {
		e.idMu.Lock()
		e.skipped += skipped
		e.dupes += dupes
		e.idMu.Unlock()
	}
	return res
}

// appendApply appends rec to the journal and applies the journal up to
// and including it, returning the result of applying it. A failed append
// changes nothing in this process.
func (e *Engine) appendApply(ctx context.Context, rec journalRecord) (applied, error) {
	rec.V = journalVersion
	data, err := json.Marshal(rec)
	if err != nil {
		return applied{}, fmt.Errorf("twoway: journal: encoding the %s: %w", rec.Kind, err)
	}
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	off, err := e.cfg.Journal.Append(ctx, data)
	if err != nil {
		return applied{}, fmt.Errorf("%w: append: %w", ErrJournal, err)
	}
	res, _, err := e.syncLocked(ctx, off, true)
	if err != nil {
		// Appended (acknowledged), but not applied here yet: the next
		// Sync applies it.
		return res, fmt.Errorf("twoway: journal: entry %v appended but not yet applied in this process: %w", off, err)
	}
	return res, nil
}

// catchUp applies the journal to its end before a write validates against
// this process's state, so that profiles upserted elsewhere are known.
func (e *Engine) catchUp(ctx context.Context) error {
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	if _, _, err := e.syncLocked(ctx, Offset{}, false); err != nil {
		return fmt.Errorf("%w: catching up before the write: %w", ErrJournal, err)
	}
	return nil
}

// upsertJournal is Upsert with a journal: validate, append, apply.
func (e *Engine) upsertJournal(ctx context.Context, profiles []market.Profile) error {
	for i := range profiles {
		if err := profiles[i].Validate(); err != nil {
			return &BatchError{Index: i, Err: err}
		}
	}
	if err := e.catchUp(ctx); err != nil {
		return err
	}
	e.mu.RLock()
	err := e.checkSides(profiles)
	e.mu.RUnlock()
	if err != nil {
		return err
	}
	res, err := e.appendApply(ctx, journalRecord{Kind: kindUpsert, Profiles: profiles})
	if err != nil {
		return err
	}
	return res.err
}

// removeJournal is Remove with a journal.
func (e *Engine) removeJournal(ctx context.Context, ids []string) error {
	if err := e.catchUp(ctx); err != nil {
		return err
	}
	e.mu.RLock()
	_, err := e.removable(ids)
	e.mu.RUnlock()
	if err != nil {
		return err
	}
	res, err := e.appendApply(ctx, journalRecord{Kind: kindRemove, IDs: ids})
	if err != nil {
		return err
	}
	return res.err
}

// recordJournal is the journal half of Record, after validation: batch
// holds the valid events with known participants (evs the same events as
// given, ids their IDs). It appends those not already applied, applies
// the journal up to them, then writes the shared stores for the events
// that this call is the first to count (Config.EventIDs decides between
// processes), and refreshes their participants' serving tables.
func (e *Engine) recordJournal(ctx context.Context, evs []market.Event, stats *EventStats) error {
	// From the entry's application (the log) to its counters.
	e.countMu.RLock()
	defer e.countMu.RUnlock()
	var errs []error
	// Events already applied from the journal: duplicates here. Their
	// counters were written by the process that appended them, unless it
	// failed between its append and its claim: the claim below tells.
	var fresh, known []market.Event
	e.idMu.Lock()
	inBatch := map[string]bool{}
	for _, ev := range evs {
		if ev.ID != "" && (inBatch[ev.ID] || e.ids.has(ev.ID, ev.Time.UnixNano())) {
			known = append(known, ev)
			continue
		}
		if ev.ID != "" {
			inBatch[ev.ID] = true
		}
		fresh = append(fresh, ev)
	}
	e.dupes += len(known)
	e.idMu.Unlock()
	stats.Duplicates += len(known)

	var count []market.Event // the events whose shared counters this call writes
	if len(fresh) > 0 {
		res, err := e.appendApply(ctx, journalRecord{Kind: kindRecord, Events: fresh})
		if err != nil {
			stats.StoreErr = true
			return err
		}
		if d := len(fresh) - len(res.events); d > 0 {
			stats.Duplicates += d // appended twice: the journal's first copy counts
		}
		if e.tracker.Once() {
			// Every event of the call: the store counts each once, and an
			// event the journal held twice may be counted by this call
			// only (the first copy's process may have failed).
			count = append(count, fresh...)
		} else {
			for _, k := range res.evs {
				count = append(count, fresh[k])
			}
		}
	}
	count = append(count, known...)
	if len(count) == 0 {
		return nil
	}
	// Who writes the shared counters. With a store that counts an event
	// once (activity.OnceStore: redisstore's), every process that took a
	// delivery of the event writes them, and the store keeps one: a retry
	// after a process failed between its append and its counters fills
	// them in. Otherwise the IDs are claimed in Config.EventIDs and only
	// the first claim counts (a process that fails between its claim and
	// its counters loses that event's counts).
	once := e.tracker.Once()
	ids := make([]string, len(count))
	for i := range count {
		ids[i] = count[i].ID
	}
	var elsewhere []bool
	if !once {
		var err error
		if elsewhere, err = e.claimShared(ctx, ids); err != nil {
			errs = append(errs, err)
			stats.StoreErr = true
		}
	}
	var batch []event
	var batchIDs []string
	for i := range count {
		if !once && i >= len(count)-len(known) && e.cfg.EventIDs == nil {
			continue // without a shared claim, a known event was counted when it was appended
		}
		if elsewhere != nil && elsewhere[i] {
			continue
		}
		ix, _, ok, _ := e.lookup(count[i].Actor)
		tx, _, ok2, _ := e.lookup(count[i].Target)
		if !ok || !ok2 {
			continue
		}
		batch = append(batch, event{actor: ix, target: tx, action: count[i].Action, at: count[i].Time.UnixNano()})
		batchIDs = append(batchIDs, ids[i])
	}
	for i, ev := range batch {
		if err := e.tracker.Record(ctx, activity.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: ev.time(), ID: batchIDs[i]}); err != nil {
			errs = append(errs, fmt.Errorf("event %d: real-time store: %w", i, err))
			stats.StoreErr = true
		}
	}
	if err := e.sharePairs(ctx, batch); err != nil {
		errs = append(errs, err)
		stats.StoreErr = true
	}
	if len(errs) == 0 && len(batch) > 0 {
		if err := e.refresh(ctx, e.state.Load(), touchedBy(batch), e.cfg.Clock()); err != nil {
			errs = append(errs, fmt.Errorf("real-time store: %w", err))
		}
	}
	return errors.Join(errs...)
}
