package twoway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/market"
)

// Snapshot format, version 1:
//
//	magic   "twoway.snapshot\x00"
//	version uvarint (1)
//	length  uvarint: bytes of body
//	body    fitAt varint (unix ns; 0: never fitted)
//	        nProfiles uvarint, then per profile: removed byte, uvarint len, JSON
//	        nEvents uvarint, then per event: actor uvarint, target uvarint,
//	                action byte, time varint (unix ns)
//	crc     uint32 little-endian, CRC-32 (IEEE) of body
//
// Profiles are in index order, so a Load gives every participant the index
// it had.
const (
	snapMagic   = "twoway.snapshot\x00"
	snapVersion = 1
	maxSnapBody = 1 << 34 // 16 GiB: a larger length is corruption
)

// Save writes the Engine's data in a versioned format: its profiles, the
// behaviour log it keeps (none when Config.Events is set: the host keeps
// it), and the reference time of the last Fit. Load rebuilds the fitted
// state from them deterministically, so an Engine loaded from a snapshot
// recommends exactly as the saved one did (the exposure ledger, which
// forgets within a day, is not saved).
func (e *Engine) Save(w io.Writer) error {
	e.mu.RLock()
	var body bytes.Buffer
	var tmp [binary.MaxVarintLen64]byte
	putU := func(v uint64) { body.Write(tmp[:binary.PutUvarint(tmp[:], v)]) }
	putI := func(v int64) { body.Write(tmp[:binary.PutVarint(tmp[:], v)]) }
	st := e.state.Load()
	var at int64
	if st.fitted {
		at = st.at.UnixNano()
	}
	putI(at)
	putU(uint64(len(e.profiles)))
	for i, p := range e.profiles {
		b, err := json.Marshal(p)
		if err != nil {
			e.mu.RUnlock()
			return fmt.Errorf("twoway: save: profile %q: %w", p.ID, err)
		}
		if e.removed[i] {
			body.WriteByte(1)
		} else {
			body.WriteByte(0)
		}
		putU(uint64(len(b)))
		body.Write(b)
	}
	putU(uint64(len(e.log)))
	for _, ev := range e.log {
		putU(uint64(ev.actor))
		putU(uint64(ev.target))
		body.WriteByte(byte(ev.action))
		putI(ev.at)
	}
	e.mu.RUnlock()

	bw := bufio.NewWriter(w)
	bw.WriteString(snapMagic)
	bw.Write(tmp[:binary.PutUvarint(tmp[:], snapVersion)])
	bw.Write(tmp[:binary.PutUvarint(tmp[:], uint64(body.Len()))])
	bw.Write(body.Bytes())
	var crc [4]byte
	binary.LittleEndian.PutUint32(crc[:], crc32.ChecksumIEEE(body.Bytes()))
	bw.Write(crc[:])
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("twoway: save: %w", err)
	}
	return nil
}

// Load replaces the Engine's data with a snapshot written by Save and, if
// the snapshot was fitted, refits as of the saved Fit's reference time. A
// foreign, truncated or damaged snapshot is an error wrapping
// ErrCorruptSnapshot that says what is wrong; the Engine is then unchanged.
// Load is meant for a new Engine; with the in-memory real-time store it
// replays the log into the behaviour counters.
func (e *Engine) Load(ctx context.Context, r io.Reader) error {
	snap, err := readSnapshot(r)
	if err != nil {
		return err
	}
	e.fitMu.Lock()
	defer e.fitMu.Unlock()
	e.mu.Lock()
	var dict market.Dict
	for i, p := range snap.profiles {
		if ix, err := dict.Index(p.ID); err != nil || ix != uint32(i) {
			e.mu.Unlock()
			return fmt.Errorf("%w: profile %d: duplicate ID %q", ErrCorruptSnapshot, i, p.ID)
		}
	}
	var buf bytes.Buffer
	if _, err := dict.WriteTo(&buf); err != nil {
		e.mu.Unlock()
		return err
	}
	if _, err := e.dict.ReadFrom(&buf); err != nil {
		e.mu.Unlock()
		return err
	}
	ixs := make([]uint32, 0, len(snap.profiles))
	live := make([]market.Profile, 0, len(snap.profiles))
	for i := range snap.profiles {
		if !snap.removed[i] {
			ixs, live = append(ixs, uint32(i)), append(live, snap.profiles[i])
		}
	}
	for i := range e.profiles {
		if err := e.index.Remove(uint32(i)); err != nil {
			e.mu.Unlock()
			return fmt.Errorf("twoway: load: inverted index: %w", err)
		}
		e.pop.Remove(uint32(i))
	}
	if err := e.index.UpsertBatch(ixs, live); err != nil {
		e.mu.Unlock()
		return fmt.Errorf("twoway: load: inverted index: %w", err)
	}
	for i := range snap.profiles {
		if !snap.removed[i] {
			if err := e.pop.Upsert(uint32(i), &snap.profiles[i]); err != nil {
				e.mu.Unlock()
				return fmt.Errorf("%w: profile %d: %v", ErrCorruptSnapshot, i, err)
			}
		}
	}
	e.profiles, e.removed, e.others = snap.profiles, snap.removed, nil
	if e.cfg.Events == nil {
		e.log = snap.events
	}
	e.acts, e.seen, e.blocked = e.sets(snap.events)
	e.dirty = map[uint32]bool{}
	st, err := e.emptyState(e.cfg.Clock())
	if err != nil {
		e.mu.Unlock()
		return err
	}
	for _, ev := range snap.events {
		st.record(ev)
	}
	e.publish(st)
	e.excl.Store(nil)
	e.mu.Unlock()
	for i, p := range snap.profiles {
		e.tracker.Register(uint32(i), p.Registered)
	}
	if e.cfg.Realtime == nil {
		for _, ev := range snap.events {
			if err := e.tracker.Record(ctx, activity.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: ev.time()}); err != nil {
				return fmt.Errorf("twoway: load: behaviour counters: %w", err)
			}
		}
	}
	if snap.fitAt.IsZero() {
		return nil
	}
	return e.fit(ctx, snap.fitAt)
}

type snapshot struct {
	fitAt    time.Time
	profiles []market.Profile
	removed  []bool
	events   []event
}

// bad returns an ErrCorruptSnapshot saying what is wrong.
func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptSnapshot, fmt.Sprintf(format, args...))
}

func readSnapshot(r io.Reader) (*snapshot, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(snapMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapMagic {
		return nil, bad("not a twoway snapshot (bad magic)")
	}
	v, err := binary.ReadUvarint(br)
	if err != nil || v != snapVersion {
		return nil, bad("unsupported version %d (this build reads %d)", v, snapVersion)
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > maxSnapBody {
		return nil, bad("bad body length")
	}
	body, err := io.ReadAll(io.LimitReader(br, int64(n)))
	if err != nil || uint64(len(body)) != n {
		return nil, bad("truncated body (%d of %d bytes)", len(body), n)
	}
	var crc [4]byte
	if _, err := io.ReadFull(br, crc[:]); err != nil {
		return nil, bad("truncated checksum")
	}
	if binary.LittleEndian.Uint32(crc[:]) != crc32.ChecksumIEEE(body) {
		return nil, bad("checksum mismatch")
	}
	return parseSnapshotBody(body)
}

func parseSnapshotBody(body []byte) (*snapshot, error) {
	rd := bytes.NewReader(body)
	s := &snapshot{}
	at, err := binary.ReadVarint(rd)
	if err != nil {
		return nil, bad("fit time")
	}
	if at != 0 {
		s.fitAt = time.Unix(0, at).UTC()
	}
	np, err := binary.ReadUvarint(rd)
	if err != nil || np > uint64(len(body)) {
		return nil, bad("profile count")
	}
	s.profiles = make([]market.Profile, np)
	s.removed = make([]bool, np)
	for i := range s.profiles {
		flag, err := rd.ReadByte()
		if err != nil || flag > 1 {
			return nil, bad("profile %d: removed flag", i)
		}
		s.removed[i] = flag == 1
		l, err := binary.ReadUvarint(rd)
		if err != nil || l > uint64(rd.Len()) {
			return nil, bad("profile %d: length", i)
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(rd, b); err != nil {
			return nil, bad("profile %d: truncated", i)
		}
		p := &s.profiles[i]
		if err := json.Unmarshal(b, p); err != nil {
			return nil, bad("profile %d: %v", i, err)
		}
		if err := p.Validate(); err != nil {
			return nil, bad("profile %d: %v", i, err)
		}
	}
	ne, err := binary.ReadUvarint(rd)
	if err != nil || ne > uint64(rd.Len()) {
		return nil, bad("event count")
	}
	s.events = make([]event, ne)
	for i := range s.events {
		a, err1 := binary.ReadUvarint(rd)
		t, err2 := binary.ReadUvarint(rd)
		act, err3 := rd.ReadByte()
		ts, err4 := binary.ReadVarint(rd)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, bad("event %d: truncated", i)
		}
		if a >= np || t >= np || a == t {
			return nil, bad("event %d: participant out of range", i)
		}
		if !market.Action(act).Valid() {
			return nil, bad("event %d: unknown action %d", i, act)
		}
		if s.profiles[a].Side == s.profiles[t].Side {
			return nil, bad("event %d: actor and target on the same side", i)
		}
		s.events[i] = event{actor: uint32(a), target: uint32(t), action: market.Action(act), at: ts}
	}
	if rd.Len() != 0 {
		return nil, bad("%d trailing bytes", rd.Len())
	}
	return s, nil
}
