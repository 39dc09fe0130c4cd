package twoway

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/allocate"
	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/fusion"
	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/text"
	"github.com/twowayrec/twoway/urgency"
)

// Snapshot format, version 8 (a frame of internal/binio):
//
//	magic   "twoway.snapshot\x00"
//	version uvarint (8)
//	length  uvarint: bytes of body
//	body    see below
//	crc     uint32 little-endian, CRC-32 (IEEE) of body
//
// Body, in order (varints; "blob" is a uvarint length and bytes; every
// model blob is that package's own versioned encoding):
//
//	fitted bool, fit time varint (unix ns)
//	IDs: count, then each ID (index order of the dictionary)
//	profiles: count, then per profile: index, removed bool, JSON blob
//	log: kept bool; count, then per event: actor, target, action byte, time
//	dirty: the participants whose interest correction awaits its online update
//	event IDs remembered (sorted, with their times), skipped and duplicate
//	counts, parked events (JSON blob)
//	exposure controller blob (ledger and repeat memory)
//	exclusion bitmap: built bool, time, members
//	interest matrix blob, hot order blob, recent-match blob, behaviour
//	counts blob, urgency, saturation, activity, capacity and recent-load
//	table blobs, the three capacity priors, the Fit's duration
//	if fitted: encoder blob, rules blob, interest models (present, blob),
//	urgency model (present, blob), saturation model (present, blob),
//	learned ranker (present, blob), market potentials (present, blob),
//	urgency inputs (count, blob each), and from version 3 the latent
//	factors and embeddings (present, blob: see factors.appendBinary)
//	from version 4: the index image (blob: recall.Index.AppendImage, the
//	posting cache of the inverted index) and the content catalog
//	(present, blob: match.Catalog.AppendBinary), so that Load neither
//	analyses nor encodes a profile again
//
//	from version 5: the offset of the last journal entry applied
//	(Config.Journal; two uvarints, Offset.Hi and Lo, zero without a
//	journal)
//	from version 6: the models' version (uvarint; see Stats.ModelVersion)
//	from version 7: the in-memory behaviour counters (present, blob:
//	activity.Memory.AppendBinary; absent with Config.Realtime), which Load
//	installs instead of replaying the log into them; then fitted bool
//	and, if fitted, the item-CF, user-CF and Swing neighbour tables (a
//	blob each: recall.ItemCF.AppendBinary, UserCF.AppendBinary), which
//	Load installs instead of refitting them from the interest matrix
//	from version 8: the factor section says whether the factors are
//	evidence of the one-way matches (FactorConfig.Evidence)
//	from version 9: after the Swing table, the taste neighbours (blob:
//	match.Taste.AppendBinary)
//
// Version 8 and earlier snapshots rebuild the taste neighbours from the
// behaviour counters at Load (an interest model saved before taste gives
// its evidence no weight until the next Fit).
//
// Version 3 to 7 snapshots with factors load with them as evidence (as
// every Fit used them then). Version 5 snapshots load with model version 1 when fitted (0 when not).
// Version 4 snapshots (no journal offset) load with the zero offset.
// Version 3 snapshots (no index image or catalog: Load analyses and
// encodes the profiles) and version 2 snapshots (no factor section either;
// interest models with three evidence features fewer, read with weight 0
// on them) load as they were saved. Version 1 snapshots (profiles, the log
// and the Fit's time only) are read and refitted.
const (
	snapMagic   = "twoway.snapshot\x00"
	snapVersion = 9
	maxSnapBody = 1 << 36 // 64 GiB: a larger length is corruption
)

// ErrNotEmpty: Load was called on an Engine that already holds profiles,
// events or a fitted state. Load restores a snapshot into a new Engine;
// loading over live data would mix two markets (and count the events of
// both in the behaviour counters).
var ErrNotEmpty = errors.New("twoway: Load needs a new, empty Engine")

// Save writes the Engine's state in a versioned, checksummed format: its
// profiles, the behaviour log it keeps (none when Config.Events is set: the
// host keeps it), the models of the last Fit (text encoder and association
// rules, interest matrix, interest models with every online correction
// since, urgency and saturation models, learned ranker, the urgency inputs
// of the Fit) and the real-time state since the Fit (the interest matrix's
// overlay, serving tables, recent-match statistics, the exposure ledger
// and its repeat memory, pending online updates). [Engine.Load] restores
// it without refitting, and the loaded Engine recommends exactly as this
// one did at the time of the Save.
//
// Save is consistent with respect to Upsert, Remove, Record and Fit, which
// wait for it. A Recommend running at the same time may change a ledger
// entry or a serving-table entry while it is being written; save a quiet
// Engine when exactness matters.
func (e *Engine) Save(w io.Writer) error {
	body, err := e.snapshotBody()
	if err != nil {
		return err
	}
	if _, err := binio.WriteFrame(w, snapMagic, snapVersion, body); err != nil {
		return fmt.Errorf("twoway: save: %w", err)
	}
	return nil
}

func (e *Engine) snapshotBody() ([]byte, error) {
	mem := e.memoryCounters()
	if mem != nil {
		e.countMu.Lock() // no write between its counters and its log entry
		defer e.countMu.Unlock()
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := e.state.Load()
	var w binio.Writer
	blob := func(name string, f func([]byte) ([]byte, error)) error {
		b, err := f(nil)
		if err != nil {
			return fmt.Errorf("twoway: save: %s: %w", name, err)
		}
		w.Bytes(b)
		return nil
	}
	writerBlob := func(name string, wt io.WriterTo) error {
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			return fmt.Errorf("twoway: save: %s: %w", name, err)
		}
		w.Bytes(buf.Bytes())
		return nil
	}
	w.Bool(st.fitted)
	if st.fitted {
		w.Varint(st.at.UnixNano())
	} else {
		w.Varint(0)
	}
	w.Strings(e.dict.IDs())
	n := 0
	for i := range e.profiles {
		if e.profiles[i].ID != "" {
			n++
		}
	}
	w.Uvarint(uint64(n))
	for i, p := range e.profiles {
		if p.ID == "" {
			continue
		}
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("twoway: save: profile %q: %w", p.ID, err)
		}
		w.Uvarint(uint64(i))
		w.Bool(e.removed[i])
		w.Bytes(b)
	}
	w.Bool(e.cfg.Events == nil)
	w.Uvarint(uint64(len(e.log)))
	for _, ev := range e.log {
		w.Uvarint(uint64(ev.actor))
		w.Uvarint(uint64(ev.target))
		w.Byte(byte(ev.action))
		w.Varint(ev.at)
	}
	dirty := make([]uint32, 0, len(e.dirty))
	for ix, d := range e.dirty {
		if d {
			dirty = append(dirty, ix)
		}
	}
	slices.Sort(dirty)
	w.Uint32s(dirty)
	// Event IDs remembered for de-duplication, and parked events.
	e.idMu.Lock()
	idList := make([]string, 0, len(e.ids.at))
	for id := range e.ids.at {
		idList = append(idList, id)
	}
	slices.Sort(idList)
	w.Uvarint(uint64(len(idList)))
	for _, id := range idList {
		w.String(id)
		w.Varint(e.ids.at[id])
	}
	parked, perr := json.Marshal(e.parked)
	w.Int(e.skipped)
	w.Int(e.dupes)
	e.idMu.Unlock()
	if perr != nil {
		return nil, fmt.Errorf("twoway: save: parked events: %w", perr)
	}
	w.Bytes(parked)
	if err := blob("exposure ledger", e.control.AppendBinary); err != nil {
		return nil, err
	}
	if x := e.excl.Load(); x != nil {
		w.Bool(true)
		w.Varint(x.at.UnixNano())
		var bits []uint32
		x.bm.Range(func(i uint32) { bits = append(bits, i) })
		w.Uint32s(bits)
	} else {
		w.Bool(false)
	}
	for _, part := range []struct {
		name string
		f    func([]byte) ([]byte, error)
	}{
		{"interest matrix", st.matrix.AppendBinary}, {"hot", st.hot.AppendBinary}, {"recent matches", st.recent.AppendBinary},
		{"behaviour counts", st.behaviour.AppendBinary},
		{"urgency table", st.urgTable.AppendBinary}, {"saturation table", st.satTable.AppendBinary}, {"activity table", st.actTable.AppendBinary},
		{"capacity table", st.capTable.AppendBinary}, {"recent-load table", st.recentTable.AppendBinary},
	} {
		if err := blob(part.name, part.f); err != nil {
			return nil, err
		}
	}
	for _, c := range st.capPrior {
		w.Float64(c)
	}
	w.Varint(int64(st.took))
	if st.fitted {
		if err := appendFitted(&w, st, blob, writerBlob); err != nil {
			return nil, err
		}
	}
	// Version 4: what Load would otherwise recompute from the profiles,
	// the index's posting cache and the fitted content catalog.
	if err := blob("index image", e.index.AppendImage); err != nil {
		return nil, err
	}
	w.Bool(st.catalog != nil)
	if st.catalog != nil {
		if err := blob("content catalog", st.catalog.AppendBinary); err != nil {
			return nil, err
		}
	}
	// Version 5: where this state stands in the journal.
	w.Uvarint(e.journalAt.Hi)
	w.Uvarint(e.journalAt.Lo)
	// Version 6: the models' version.
	w.Uvarint(st.version)
	// Version 7: the in-memory counters, so that Load need not replay the
	// log into them.
	w.Bool(mem != nil)
	if mem != nil {
		if err := blob("counters", mem.AppendBinary); err != nil {
			return nil, err
		}
	}
	// and the collaborative recallers' neighbour tables, which Load would
	// otherwise refit from the matrix (tens of CPU seconds at scale).
	w.Bool(st.fitted)
	if st.fitted {
		for _, c := range []struct {
			name string
			f    func([]byte) ([]byte, error)
		}{{"item-CF", st.itemCF.AppendBinary}, {"user-CF", st.userCF.AppendBinary}, {"Swing", st.swing.AppendBinary},
			{"taste", st.taste.AppendBinary}} {
			if err := blob(c.name+" neighbours", c.f); err != nil {
				return nil, err
			}
		}
	}
	return w.B, nil
}

// appendFitted writes the fitted models of st.
func appendFitted(w *binio.Writer, st *state, blob func(string, func([]byte) ([]byte, error)) error, writerBlob func(string, io.WriterTo) error) error {
	if err := blob("text encoder", st.encoder.AppendBinary); err != nil {
		return err
	}
	if err := blob("association rules", st.rules.AppendBinary); err != nil {
		return err
	}
	for _, m := range []struct {
		name string
		wt   io.WriterTo
		ok   bool
	}{
		{"interest models", st.interest, st.interest != nil},
		{"urgency model", st.urgency, st.urgency != nil},
		{"saturation model", st.saturation, st.saturation != nil},
		{"learned ranker", st.learned, st.learned != nil},
	} {
		w.Bool(m.ok)
		if m.ok {
			if err := writerBlob(m.name, m.wt); err != nil {
				return err
			}
		}
	}
	w.Bool(st.potentials != nil)
	if st.potentials != nil {
		if err := blob("market potentials", st.potentials.AppendBinary); err != nil {
			return err
		}
	}
	w.Uvarint(uint64(len(st.matches)))
	for i := range st.matches {
		in := st.input(uint32(i))
		if err := blob("urgency inputs", in.AppendBinary); err != nil {
			return err
		}
	}
	w.Bool(st.factors != nil)
	if st.factors != nil {
		var fw binio.Writer
		if err := st.factors.appendBinary(&fw); err != nil {
			return fmt.Errorf("twoway: save: factors: %w", err)
		}
		w.Bytes(fw.B)
	}
	return nil
}

// Load restores a snapshot written by [Engine.Save] into this Engine, which
// must be new (no profile, event or Fit yet: ErrNotEmpty otherwise), made
// with the Config of the saved one. It restores the fitted models without
// refitting, and the loaded Engine recommends exactly as the saved one did
// (same candidates, scores and order). With Config.Events set, the
// per-participant sets of contacted and blocked pairs and the in-memory
// behaviour counters are rebuilt from Config.Events (the snapshot holds no
// log); with Config.Realtime set, the shared store already holds the
// counters and is not written.
//
// Load analyses no profile: the snapshot holds the inverted index's
// posting cache and the profiles' content vectors, and requests are served
// from them as soon as Load returns. Bleve, the index of record, is filled
// from the profiles in the background (an Upsert or Remove meanwhile takes
// precedence); [Engine.Close] finishes that for an on-disk index
// (Config.Recall.IndexPath) and stops it for an in-memory one.
//
// A foreign, truncated or damaged snapshot is an error wrapping
// ErrCorruptSnapshot that says what is wrong. Whatever fails (a damaged
// model, a cancelled ctx, the index), the Engine is left exactly as it was.
// A version 1 snapshot (data only) is loaded and refitted as of its Fit.
func (e *Engine) Load(ctx context.Context, r io.Reader) error {
	version, body, _, err := binio.ReadFrame(r, snapMagic, snapVersion, maxSnapBody)
	if err != nil {
		if errors.Is(err, binio.ErrCorrupt) {
			return fmt.Errorf("%w: %w", ErrCorruptSnapshot, err)
		}
		return fmt.Errorf("twoway: load: %w", err)
	}
	var snap *snapshot
	if version == 1 {
		snap, err = parseSnapshotV1(body)
	} else {
		snap, err = parseSnapshot(body, version)
	}
	if err != nil {
		return err
	}
	e.fitMu.Lock()
	defer e.fitMu.Unlock()
	if !e.empty() {
		return ErrNotEmpty
	}
	ld, err := e.build(ctx, snap)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.commit(ld); err != nil {
		return err
	}
	if version == 1 && !snap.fitAt.IsZero() {
		if err := e.fit(ctx, snap.fitAt); err != nil {
			return fmt.Errorf("twoway: load: refitting a version 1 snapshot: %w", err)
		}
	}
	return nil
}

// empty reports whether the Engine holds nothing yet.
func (e *Engine) empty() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dict.Len() == 0 && len(e.profiles) == 0 && len(e.log) == 0 && !e.state.Load().fitted
}

// snapshot is a parsed snapshot body: the data, and the encoded real-time
// and model parts, decoded by build with the Engine's configuration.
type snapshot struct {
	fitAt    time.Time // zero: never fitted
	ids      []string
	profiles []market.Profile // by index; ID "" where the index holds none
	removed  []bool
	kept     bool // the log is the Engine's own (Config.Events was nil)
	events   []event
	dirty    []uint32
	eventIDs map[string]int64
	parked   []market.Event
	skipped  int
	dupes    int
	control  []byte
	excl     *exclusions

	version                                                      uint64 // the snapshot's format version
	v1                                                           bool   // a version 1 snapshot: no models, refit after loading
	matrix, hot, recent, behaviour, urgTable, satTable, actTable []byte
	capTable, recentTable                                        []byte
	capPrior                                                     [3]float64
	took                                                         time.Duration
	journal                                                      Offset   // the last journal entry applied (version 5)
	model                                                        uint64   // the models' version (version 6)
	counters                                                     []byte   // the in-memory counters (version 7); nil: replay the log
	cf                                                           [][]byte // item-CF, user-CF and Swing neighbours (version 7); nil: refit
	taste                                                        []byte   // the taste neighbours (version 9); nil: no taste evidence
	encoder, rules                                               []byte
	interest, urgency, saturation, learned                       []byte // nil: none
	potentials                                                   []byte // nil: none
	factors                                                      []byte // nil: none
	inputs                                                       [][]byte
	image, catalog                                               []byte // version 4; nil: none
}

// bad returns an ErrCorruptSnapshot saying what is wrong.
func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptSnapshot, fmt.Sprintf(format, args...))
}

func parseSnapshot(body []byte, version uint64) (*snapshot, error) {
	r := binio.NewReader(body)
	s := &snapshot{version: version}
	fitted := r.Bool()
	at := r.Varint()
	if fitted {
		s.fitAt = time.Unix(0, at).UTC()
		if err := market.CheckTime(s.fitAt); err != nil && r.Err() == nil {
			return nil, bad("fit time %v: %v", s.fitAt, err)
		}
	}
	s.ids = r.Strings()
	if err := r.Err(); err != nil {
		return nil, bad("IDs: %v", err)
	}
	var dict market.Dict
	for i, id := range s.ids {
		if ix, err := dict.Index(id); err != nil || ix != uint32(i) {
			return nil, bad("ID %d %q: duplicate or invalid", i, market.Shorten(id))
		}
	}
	s.profiles = make([]market.Profile, len(s.ids))
	s.removed = make([]bool, len(s.ids))
	np := r.Count(3)
	prev := -1
	raw := make([][]byte, len(s.ids)) // by index: the profile's JSON
	for k := 0; k < np && r.Err() == nil; k++ {
		i := int(r.Uint32())
		removed := r.Bool()
		b := r.Bytes()
		if r.Err() != nil {
			break
		}
		if i <= prev || i >= len(s.ids) {
			return nil, bad("profile %d: index %d out of order or range", k, i)
		}
		prev = i
		raw[i], s.removed[i] = b, removed
	}
	if err := s.decodeProfiles(raw); err != nil {
		return nil, err
	}
	s.kept = r.Bool()
	if err := s.readLog(r); err != nil {
		return nil, err
	}
	s.dirty = r.Uint32s()
	for _, ix := range s.dirty {
		if int(ix) >= len(s.ids) {
			return nil, bad("pending update of participant %d out of range", ix)
		}
	}
	nid := r.Count(2)
	s.eventIDs = make(map[string]int64, nid)
	for i := 0; i < nid && r.Err() == nil; i++ {
		id, at := r.String(), r.Varint()
		if r.Err() == nil && market.CheckID(id) != nil {
			return nil, bad("event ID %d %q", i, market.Shorten(id))
		}
		s.eventIDs[id] = at
	}
	s.skipped, s.dupes = r.Int(0, math.MaxInt), r.Int(0, math.MaxInt)
	if b := r.Bytes(); r.Err() == nil {
		if err := json.Unmarshal(b, &s.parked); err != nil {
			return nil, bad("parked events: %v", err)
		}
		for i := range s.parked {
			if err := s.parked[i].Validate(); err != nil {
				return nil, bad("parked event %d: %v", i, err)
			}
		}
	}
	s.control = r.Bytes()
	if r.Bool() {
		x := &exclusions{at: time.Unix(0, r.Varint()).UTC()}
		for _, i := range r.Uint32s() {
			x.bm.Set(i)
		}
		s.excl = x
	}
	for _, p := range []*[]byte{&s.matrix, &s.hot, &s.recent, &s.behaviour, &s.urgTable, &s.satTable, &s.actTable, &s.capTable, &s.recentTable} {
		*p = r.Bytes()
	}
	for i := range s.capPrior {
		if s.capPrior[i] = r.Float64(); r.Err() == nil && !(s.capPrior[i] >= 0 && !math.IsInf(s.capPrior[i], 0)) {
			return nil, bad("capacity prior %v", s.capPrior[i])
		}
	}
	s.took = time.Duration(r.Varint())
	if fitted {
		s.encoder, s.rules = r.Bytes(), r.Bytes()
		for _, p := range []*[]byte{&s.interest, &s.urgency, &s.saturation, &s.learned} {
			if r.Bool() {
				*p = r.Bytes()
			}
		}
		if r.Bool() {
			s.potentials = r.Bytes()
		}
		n := r.Count(1)
		for i := 0; i < n && r.Err() == nil; i++ {
			s.inputs = append(s.inputs, r.Bytes())
		}
		if version >= 3 && r.Bool() {
			s.factors = r.Bytes()
		}
	}
	if version >= 4 {
		s.image = r.Bytes()
		if r.Bool() {
			s.catalog = r.Bytes()
		}
	}
	if version >= 5 {
		s.journal = Offset{Hi: r.Uvarint(), Lo: r.Uvarint()}
	}
	if version >= 6 {
		s.model = r.Uvarint()
	} else if !s.fitAt.IsZero() {
		s.model = 1 // before version 6 the models were not numbered
	}
	if version >= 7 && r.Bool() {
		s.counters = r.Bytes()
	}
	if version >= 7 && r.Bool() {
		s.cf = [][]byte{r.Bytes(), r.Bytes(), r.Bytes()}
		if version >= 9 {
			s.taste = r.Bytes()
		}
	}
	if err := r.Done(); err != nil {
		return nil, bad("%v", err)
	}
	return s, nil
}

// decodeProfiles decodes and validates the profiles' JSON (raw[i] is
// profile i's, nil where the index holds none), on as many goroutines as
// there are cores, and reports the first bad profile in index order.
func (s *snapshot) decodeProfiles(raw [][]byte) error {
	errs := make([]error, len(raw))
	workers := min(runtime.GOMAXPROCS(0), 1+len(raw)/4096)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(raw); i += workers {
				if raw[i] == nil {
					continue
				}
				p := &s.profiles[i]
				if err := json.Unmarshal(raw[i], p); err != nil {
					errs[i] = bad("profile %d: %v", i, err)
				} else if err := p.Validate(); err != nil {
					errs[i] = bad("profile %d: %v", i, err)
				} else if p.ID != s.ids[i] {
					errs[i] = bad("profile %d: ID %q, the dictionary says %q", i, market.Shorten(p.ID), market.Shorten(s.ids[i]))
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// readLog reads the snapshot's event log (a count, then per event actor,
// target, action and time), each event checked against s.profiles. A
// short read is left for r.Err.
func (s *snapshot) readLog(r *binio.Reader) error {
	ne := r.Count(4)
	if r.Err() == nil {
		s.events = make([]event, 0, ne)
	}
	for i := 0; i < ne && r.Err() == nil; i++ {
		a, t, act, ts := r.Uint32(), r.Uint32(), market.Action(r.Byte()), r.Varint()
		if r.Err() != nil {
			break
		}
		ev, err := checkedEvent(s.profiles, i, a, t, act, ts)
		if err != nil {
			return err
		}
		s.events = append(s.events, ev)
	}
	return nil
}

// checkedEvent validates event i of a snapshot against its profiles.
func checkedEvent(profiles []market.Profile, i int, a, t uint32, act market.Action, ts int64) (event, error) {
	switch {
	case int(a) >= len(profiles) || int(t) >= len(profiles) || a == t || profiles[a].ID == "" || profiles[t].ID == "":
		return event{}, bad("event %d: participant out of range", i)
	case !act.Valid():
		return event{}, bad("event %d: unknown action %d", i, act)
	case profiles[a].Side == profiles[t].Side:
		return event{}, bad("event %d: actor and target on the same side", i)
	}
	if err := market.CheckTime(time.Unix(0, ts)); err != nil {
		return event{}, bad("event %d: time %d: %v", i, ts, err)
	}
	return event{actor: a, target: t, action: act, side: profiles[a].Side, at: ts}, nil
}

// parseSnapshotV1 reads a version 1 body: the fit time, the profiles in
// index order with their removed flags, and the log.
func parseSnapshotV1(body []byte) (*snapshot, error) {
	r := binio.NewReader(body)
	s := &snapshot{v1: true, kept: true}
	if at := r.Varint(); at != 0 {
		s.fitAt = time.Unix(0, at).UTC()
		if err := market.CheckTime(s.fitAt); err != nil {
			return nil, bad("fit time: %v", err)
		}
	}
	np := r.Count(2)
	for i := 0; i < np && r.Err() == nil; i++ {
		removed := r.Byte()
		b := r.Bytes()
		if r.Err() != nil {
			break
		}
		if removed > 1 {
			return nil, bad("profile %d: removed flag", i)
		}
		var p market.Profile
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, bad("profile %d: %v", i, err)
		}
		if err := p.Validate(); err != nil {
			return nil, bad("profile %d: %v", i, err)
		}
		s.ids = append(s.ids, p.ID)
		s.profiles = append(s.profiles, p)
		s.removed = append(s.removed, removed == 1)
	}
	var dict market.Dict
	for i, id := range s.ids {
		if ix, err := dict.Index(id); err != nil || ix != uint32(i) {
			return nil, bad("profile %d: duplicate ID %q", i, market.Shorten(id))
		}
	}
	if err := s.readLog(r); err != nil {
		return nil, err
	}
	if err := r.Done(); err != nil {
		return nil, bad("%v", err)
	}
	return s, nil
}

// loaded is everything a Load installs, built aside so that a failure
// leaves the Engine untouched.
type loaded struct {
	snap           *snapshot
	dict           market.Dict
	st             *state
	log            []event          // the Engine's own log (Config.Events == nil)
	counted        []event          // what the in-memory counters replay (mem nil)
	mem            *activity.Memory // the snapshot's in-memory counters; nil: replay counted
	acts           map[uint32][]uint32
	seen, blocked  map[uint32][]uint32
	dirty          map[uint32]bool
	ixs            []uint32 // live profiles, for the index and the population
	live           []market.Profile
	img            *recall.IndexImage // nil: index the profiles
	controlChecked bool
}

// build decodes a parsed snapshot with the Engine's configuration.
func (e *Engine) build(ctx context.Context, s *snapshot) (*loaded, error) {
	ld := &loaded{snap: s}
	for _, id := range s.ids {
		if _, err := ld.dict.Index(id); err != nil {
			return nil, bad("ID %q: %v", market.Shorten(id), err)
		}
	}
	for i := range s.profiles {
		if s.profiles[i].ID != "" && !s.removed[i] {
			ld.ixs, ld.live = append(ld.ixs, uint32(i)), append(ld.live, s.profiles[i])
		}
	}
	// The log-derived sets: from the snapshot's log, or the host's.
	events := s.events
	if e.cfg.Events != nil {
		if s.kept && len(s.events) > 0 {
			return nil, bad("the snapshot holds the Engine's own log, but Config.Events is set")
		}
		var err error
		if events, err = e.readEvents(ctx, "load", &ld.dict, s.profiles); err != nil {
			return nil, err
		}
	} else {
		ld.log = s.events
	}
	ld.counted = events
	// The in-memory counters, when the snapshot has them: decoded aside,
	// installed by commit. A snapshot of other windows (another bucket
	// count) replays the log instead.
	counters := make(chan struct{})
	go func() {
		defer close(counters)
		live := e.memoryCounters()
		if live == nil || s.counters == nil {
			return
		}
		mem := activity.NewMemory(live.Buckets())
		if err := mem.UnmarshalBinary(s.counters); err != nil {
			e.cfg.Logger.Warn("twoway: load: the snapshot's counters do not fit this configuration; replaying the log into them", "err", err)
			return
		}
		ld.mem = mem
	}()
	defer func() { <-counters }()
	// The log's sets and the index image decode on another goroutine
	// while the models decode on this one (2 cores halve a Load).
	var imgErr error
	side := make(chan struct{})
	go func() {
		defer close(side)
		// The first request would load the segmenter's dictionary
		// (about a second) now that Load tokenises nothing: load it here.
		text.Warm()
		ld.acts, ld.seen, ld.blocked = e.sets(events)
		if s.image != nil {
			if ld.img, imgErr = e.index.DecodeImage(s.image, ld.ixs, ld.live); imgErr != nil {
				imgErr = bad("%v", imgErr)
			}
		}
	}()
	err := e.buildState(ctx, s, ld)
	<-side
	if err != nil {
		return nil, err
	}
	if imgErr != nil {
		return nil, imgErr
	}
	return ld, nil
}

// buildState decodes the models and the real-time state of s into ld.
func (e *Engine) buildState(ctx context.Context, s *snapshot, ld *loaded) error {
	ld.dirty = make(map[uint32]bool, len(s.dirty))
	for _, ix := range s.dirty {
		ld.dirty[ix] = true
	}
	if s.v1 {
		st, err := e.emptyState(e.cfg.Clock())
		if err != nil {
			return err
		}
		for _, ev := range s.events {
			st.record(ev)
		}
		n := len(s.profiles)
		st.actTable = activity.NewTable(n, 0)
		ld.st = st
		return nil
	}
	if len(s.control) > 0 {
		probe, err := exposure.New(e.control.Config())
		if err != nil {
			return fmt.Errorf("%w: Exposure: %w", ErrConfig, err)
		}
		if err := probe.UnmarshalBinary(s.control); err != nil {
			return bad("exposure ledger: %v", err)
		}
		ld.controlChecked = true
	}
	st, err := e.decodeState(ctx, s)
	if err != nil {
		return err
	}
	ld.st = st
	return nil
}

// decodeState rebuilds the state that snapshot s was saved from.
func (e *Engine) decodeState(ctx context.Context, s *snapshot) (*state, error) {
	st := &state{at: s.fitAt, fitted: !s.fitAt.IsZero(), policy: e.policy}
	if !st.fitted {
		st.at = time.Time{}
	}
	var err error
	if st.matrix, err = e.newMatrix(e.cfg.Clock()); err != nil {
		return nil, err
	}
	if err := st.matrix.UnmarshalBinary(s.matrix); err != nil {
		return nil, bad("interest matrix: %v", err)
	}
	if err := e.newRecall(st); err != nil {
		return nil, err
	}
	if err := st.hot.UnmarshalBinary(s.hot); err != nil {
		return nil, bad("hot: %v", err)
	}
	st.behaviour = match.NewBehaviour(e.cfg.Evidence)
	if err := st.behaviour.UnmarshalBinary(s.behaviour); err != nil {
		return nil, bad("behaviour counts: %v", err)
	}
	st.urgTable, st.satTable, st.actTable = activity.NewTable(0, math.NaN()), activity.NewTable(0, 0), activity.NewTable(0, 0)
	st.capTable, st.recentTable = activity.NewTable(0, 0), activity.NewTable(0, 0)
	st.capPrior, st.took, st.version = s.capPrior, s.took, s.model
	for _, t := range []struct {
		name string
		tab  *activity.Table
		b    []byte
	}{{"urgency table", st.urgTable, s.urgTable}, {"saturation table", st.satTable, s.satTable}, {"activity table", st.actTable, s.actTable},
		{"capacity table", st.capTable, s.capTable}, {"recent-load table", st.recentTable, s.recentTable}} {
		if err := t.tab.UnmarshalBinary(t.b); err != nil {
			return nil, bad("%s: %v", t.name, err)
		}
	}
	uc := e.cfg.Urgency
	if st.fitted {
		if st.rules, err = text.DecodeRules(s.rules); err != nil {
			return nil, bad("association rules: %v", err)
		}
		rules := e.cfg.Text.Rules
		if rules == nil {
			rules = st.rules
		}
		if st.encoder, err = text.DecodeEncoder(s.encoder, e.cfg.Text.Tokenizer, rules); err != nil {
			return nil, bad("text encoder: %v", err)
		}
		st.catalog = match.NewCatalog(match.CatalogConfig{FeatureName: match.FeatureNames(st.encoder), Kinds: match.FeatureKinds(st.encoder)})
		if err := e.decodeCatalog(ctx, st, s); err != nil {
			return nil, err
		}
		if s.factors != nil {
			if st.factors, err = decodeFactors(s.factors, s.profiles, s.version); err != nil {
				return nil, bad("factors: %v", err)
			}
			if err := st.newCollab(); err != nil {
				return nil, err
			}
		}
		if s.taste != nil {
			if st.taste, err = match.DecodeTaste(st.behaviour, s.taste); err != nil {
				return nil, bad("taste neighbours: %v", err)
			}
		} else if st.taste, err = match.NewTaste(ctx, st.behaviour, e.cfg.Taste, nil); err != nil {
			return nil, fmt.Errorf("twoway: load: taste: %w", err)
		}
		if s.interest != nil {
			if st.interest, err = match.ReadInterest(bytes.NewReader(s.interest), st.catalog); err != nil {
				return nil, bad("interest models: %v", err)
			}
			st.setEvidence()
			uc = st.withOneWay(uc)
		}
		if s.urgency != nil {
			if st.urgency, err = urgency.ReadModel(bytes.NewReader(s.urgency)); err != nil {
				return nil, bad("urgency model: %v", err)
			}
		}
		if s.saturation != nil {
			if st.saturation, err = exposure.ReadModel(bytes.NewReader(s.saturation)); err != nil {
				return nil, bad("saturation model: %v", err)
			}
		}
		if s.learned != nil {
			if st.learned, err = fusion.ReadLearned(bytes.NewReader(s.learned)); err != nil {
				return nil, bad("learned ranker: %v", err)
			}
			cfg := e.policy.Config()
			cfg.Learned = st.learned
			if st.policy, err = fusion.New(cfg); err != nil {
				return nil, fmt.Errorf("twoway: load: learned ranking: %w", err)
			}
		}
		if s.potentials != nil {
			st.potentials = new(allocate.Potentials)
			if err := st.potentials.UnmarshalBinary(s.potentials); err != nil {
				return nil, bad("market potentials: %v", err)
			}
		}
		st.features = make([]activity.Features, len(s.inputs))
		st.matches = make([]urgency.MatchStats, len(s.inputs))
		for i, b := range s.inputs {
			var in urgency.Input
			if err := in.UnmarshalBinary(b); err != nil {
				return nil, bad("urgency input %d: %v", i, err)
			}
			st.features[i], st.matches[i] = in.Activity, in.Match
		}
		if s.cf != nil {
			for k, u := range []encoding.BinaryUnmarshaler{st.itemCF, st.userCF, st.swing} {
				if err := u.UnmarshalBinary(s.cf[k]); err != nil {
					return nil, bad("collaborative neighbours %d: %v", k, err)
				}
			}
		} else {
			for _, f := range []func(context.Context) error{st.itemCF.Fit, st.userCF.Fit, st.swing.Fit} {
				if err := f(ctx); err != nil {
					return nil, fmt.Errorf("twoway: load: collaborative recall: %w", err)
				}
			}
		}
	}
	if st.recent, err = urgency.NewRecent(uc); err != nil {
		return nil, fmt.Errorf("%w: Urgency: %w", ErrConfig, err)
	}
	if err := st.recent.UnmarshalBinary(s.recent); err != nil {
		return nil, bad("recent matches: %v", err)
	}
	return st, nil
}

// decodeCatalog fills st.catalog (made, empty) with the profiles' content:
// decoded from the snapshot's catalog (version 4), else computed from the
// profiles with st's encoder, as Fit and Upsert do. (The factors are not
// decoded yet: setContent's cold-start factors come with them.)
func (e *Engine) decodeCatalog(ctx context.Context, st *state, s *snapshot) error {
	if s.catalog != nil {
		if err := st.catalog.UnmarshalBinary(s.catalog); err != nil {
			return bad("content catalog: %v", err)
		}
		for i := range s.profiles {
			c, ok := st.catalog.Content(uint32(i))
			switch has := s.profiles[i].ID != ""; {
			case ok && (!has || c.Side != s.profiles[i].Side):
				return bad("content catalog: participant %d does not match its profile", i)
			case has && !ok: // not in the catalog: computed as Upsert does
				st.setContent(uint32(i), &s.profiles[i])
			}
		}
		if n := st.catalog.Len(); n > len(s.profiles) {
			return bad("content catalog: %d participants, the snapshot has %d", n, len(s.profiles))
		}
		return nil
	}
	for i := range s.profiles {
		if i%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if s.profiles[i].ID != "" {
			st.setContent(uint32(i), &s.profiles[i])
		}
	}
	return nil
}

// commit installs a built snapshot. The index is the one part that can
// fail (disk); it goes first and takes all of the profiles or none.
func (e *Engine) commit(ld *loaded) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dict.Len() != 0 || len(e.profiles) != 0 || len(e.log) != 0 || e.state.Load().fitted {
		return ErrNotEmpty // an Upsert or Record got in while the snapshot was built
	}
	if ld.img != nil {
		e.index.Install(ld.img) // bleve fills in the background
	} else if err := e.index.UpsertBatch(ld.ixs, ld.live); err != nil {
		return fmt.Errorf("twoway: load: inverted index: %w", err)
	}
	s := ld.snap
	for _, id := range s.ids {
		if _, err := e.dict.Index(id); err != nil { // checked by build; cannot fail
			return bad("ID %q: %v", market.Shorten(id), err)
		}
	}
	for k, ix := range ld.ixs {
		_ = e.pop.Upsert(ix, &ld.live[k]) // validated profiles: cannot fail
	}
	e.profiles, e.removed, e.others = s.profiles, s.removed, nil
	e.log = ld.log
	if e.cfg.Events != nil { // acts indexes the snapshot's log; later events append to a copy
		e.extLog = slices.Clip(ld.log)
	}
	e.journalAt = s.journal
	e.acts, e.seen, e.blocked, e.dirty = ld.acts, ld.seen, ld.blocked, ld.dirty
	if ld.controlChecked {
		_ = e.control.UnmarshalBinary(s.control) // decoded once by build: cannot fail
	}
	e.idMu.Lock()
	if s.eventIDs != nil {
		e.ids.at = s.eventIDs
	}
	e.parked, e.skipped, e.dupes = s.parked, s.skipped, s.dupes
	e.idMu.Unlock()
	for i, p := range s.profiles {
		if p.ID != "" {
			e.tracker.Register(uint32(i), p.Registered)
		}
	}
	if ld.mem != nil {
		_ = e.memoryCounters().Replace(ld.mem) // of its bucket count: cannot fail
	} else if e.cfg.Realtime == nil {
		// In-memory counters never fail.
		for _, ev := range ld.counted {
			_ = e.tracker.Record(context.Background(), activity.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: ev.time()})
		}
	}
	if s.v1 {
		// Version 1 kept no serving tables: compute the activity part now.
		users := make([]uint32, len(s.profiles))
		for i := range users {
			users[i] = uint32(i)
		}
		_ = e.refresh(context.Background(), ld.st, users, e.cfg.Clock())
	}
	e.publish(ld.st)
	e.excl.Store(s.excl)
	return nil
}

// memoryCounters returns the Engine's in-memory behaviour counters, which
// Save writes and Load restores, or nil when they live in a shared store
// (Config.Realtime) or in a store of the host's.
func (e *Engine) memoryCounters() *activity.Memory {
	if e.cfg.Realtime != nil {
		return nil
	}
	mem, _ := e.tracker.Store().(*activity.Memory)
	return mem
}
