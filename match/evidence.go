package match

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/market"
)

// Evidence is what the behaviour log says about one actor's view of one
// target, the behavioural part of the pair features (indices
// [FeatureAnswering, FeatureTargetExposure] of every feature vector). An
// interest model learns from these what other people did about a
// candidate, how this actor behaves and whether the actor would be
// answering a contact:
//
//	answering  1 when the target has contacted the actor (the actor would be answering), else 0
//	respond    answering · logit(responsiveness(actor))
//	generous   logit(generosity(actor))
//	attract    logit(attractiveness(target))
//	exposure   ln(1 + exposures(target)) / 5
//	item CF    ln(1 + item-CF affinity of the pair)   (recall.ItemCF.Affinity)
//	user CF    ln(1 + user-CF affinity of the pair)   (recall.UserCF.Affinity)
//	MF forward   logit of the latent-factor probability that the actor attends to the target
//	MF backward  logit of the latent-factor probability that the target attends to the actor
//	embedding    cosine of the two participants' host embeddings (factor.Embedder), 0 without
//	taste        how much the actor's like-minded peers liked the target beyond their habit ([Taste])
//
// with the rates of [Behaviour] (smoothed toward their side's base rate,
// so a participant without history gets the base rate: logit of the prior,
// never NaN). Behaviour fills the first five; the collaborative five come
// from the caller's collaborative models (the Engine's item-CF, user-CF and
// two-sided factor models, out of fold for training rows, and the host's
// embeddings). A caller without factor models leaves the MF entries at 0. The zero Evidence is "no evidence at all" (a target that was
// never shown, an actor who never acted, the prior's logit of 0.5).
type Evidence [NumEvidence]float64

// The evidence features, in order, at index FeatureAnswering+i of a
// feature vector.
const (
	EvidenceAnswering = iota
	EvidenceRespond
	EvidenceGenerous
	EvidenceAttract
	EvidenceExposure
	EvidenceItemCF
	EvidenceUserCF
	EvidenceFactorForward
	EvidenceFactorBackward
	EvidenceEmbedding
	EvidenceTaste
	// NumEvidence is the number of evidence features.
	NumEvidence
)

// BehaviourConfig sets the smoothing of [Behaviour]'s rates.
type BehaviourConfig struct {
	// Strength is the weight of each rate's prior, in pseudo-observations:
	// a participant with n observations gets (k + Strength·prior)/(n +
	// Strength). Zero: 5.
	Strength float64 `json:"strength"`
	// Positive is the least action weight (Weights) that counts as a
	// positive action (a favourite, a contact, an answer). Zero: 2, so
	// a view alone is not positive.
	Positive float64 `json:"positive"`
	// Weights are the action weights Positive is compared with. Zero:
	// market.DefaultActionWeights().
	Weights market.ActionWeights `json:"weights"`
}

func (c BehaviourConfig) withDefaults() BehaviourConfig {
	if c.Strength == 0 {
		c.Strength = 5
	}
	if c.Positive == 0 {
		c.Positive = 2
	}
	if c.Weights == (market.ActionWeights{}) {
		c.Weights = market.DefaultActionWeights()
	}
	return c
}

// Counts are one participant's behaviour counts, over the whole log, in
// distinct pairs (an impression, a view and a chat of one actor on one
// target count once):
//
//   - Shown: participants of the other side it had any event with as actor
//     (was shown, viewed, acted on); Acted: those it acted positively on.
//   - Exposures: participants of the other side that had any event with it
//     (were shown it, viewed it, acted on it); Wanted: those that acted
//     positively on it.
//   - Contacted: participants that contacted it (Chat, Apply); Answered:
//     those of them it answered positively afterwards (Reply, Hire, a
//     contact back); AnswerDays: the distinct days (UTC) on which it
//     answered at least one, so that Answered/AnswerDays is how many it
//     answers on a day it answers (its throughput, for a capacity).
type Counts struct {
	Shown, Acted        float64
	Exposures, Wanted   float64
	Contacted, Answered float64
	AnswerDays          float64
	lastAnswerDay       int64 // day number of the last answer + 1; 0: none
}

// The state bits of a directed pair.
const (
	pairAny      = 1 << iota // any event
	pairPositive             // a positive action
	pairContact              // a contact (Chat, Apply)
	pairAnswered             // a positive answer after the target's contact
)

// Behaviour keeps the counts of every participant (by global index) and
// the base rates of each side, so that evidence is computed in O(1) per
// pair. It remembers the state of every directed pair that has an event
// (a few bits, kept by actor and again by target: 16 bytes a pair), so
// that each count is of distinct pairs and [Taste] reads a participant's
// decisions either way. It is updated in real time by Record and is safe
// for concurrent use.
type Behaviour struct {
	cfg BehaviourConfig
	w   [9]float64 // action weights by market.Action

	mu     sync.RWMutex
	counts []Counts
	side   []market.Side
	pairs  pairStates // the state bits of every directed pair with an event
	cols   pairStates // the same by target: row t holds actor<<8 | state
	// totals per side, for the base rates.
	tot [3]Counts
}

// NewBehaviour returns empty counts.
func NewBehaviour(cfg BehaviourConfig) *Behaviour {
	c := cfg.withDefaults()
	return &Behaviour{cfg: c, w: c.Weights.Table()}
}

// Positive reports whether action a counts as positive.
func (b *Behaviour) Positive(a market.Action) bool { return b.w[a] >= b.cfg.Positive }

// answer reports whether a, done by the target of an earlier contact to
// its actor, answers it positively.
func (b *Behaviour) answer(a market.Action) bool {
	return a == market.Reply || a == market.Hire || a.Contact()
}

func pairOf(actor, target uint32) uint64 { return uint64(actor)<<32 | uint64(target) }

// floorDay is the day number (UTC) of Unix nanoseconds t.
func floorDay(t int64) int64 {
	const day = int64(24 * 3600 * 1e9)
	d := t / day
	if t%day < 0 {
		d--
	}
	return d
}

// Throughput returns how many contacts participant ix answers on a day it
// answers, shrunk toward prior by strength pseudo-days:
// (Answered + strength·prior) / (AnswerDays + strength). It is the
// capacity estimate of the Engine's exposure control.
func (b *Behaviour) Throughput(ix uint32, prior, strength float64) float64 {
	c := b.Counts(ix)
	return (c.Answered + strength*prior) / (c.AnswerDays + strength)
}

// MeanThroughput returns the mean of Answered/AnswerDays over the
// participants of side s that answered at least once, and how many there
// are.
func (b *Behaviour) MeanThroughput(s market.Side) (float64, int) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	sum, n := 0.0, 0
	for i := range b.counts {
		if c := &b.counts[i]; b.side[i] == s && c.AnswerDays > 0 {
			sum += c.Answered / c.AnswerDays
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// Record counts one event: actor, on side actorSide, did a to target at
// time at (Unix nanoseconds). A positive answer (Reply, Hire, or a contact
// back) of an actor whom the target contacted before counts as answered.
// An event whose actor or target is above [MaxIndex] is ignored (the
// counts are a dense table sized by the largest index).
func (b *Behaviour) Record(actor, target uint32, actorSide market.Side, a market.Action, at int64) {
	if actor > MaxIndex || target > MaxIndex {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := int(max(actor, target)) + 1
	if n > len(b.counts) {
		b.counts = slices.Grow(b.counts, n-len(b.counts))[:n]
		b.side = slices.Grow(b.side, n-len(b.side))[:n]
	}
	if actorSide.Valid() {
		b.side[actor], b.side[target] = actorSide, actorSide.Other()
	}
	old := b.pairs.get(actor, target)
	st := old | pairAny
	if b.Positive(a) {
		st |= pairPositive
		if b.answer(a) && b.pairs.get(target, actor)&pairContact != 0 {
			st |= pairAnswered
		}
	}
	if a.Contact() {
		st |= pairContact
	}
	if st == old {
		return
	}
	b.pairs.set(actor, target, st)
	b.cols.set(target, actor, st)
	added := st &^ old
	ca, ct := &b.counts[actor], &b.counts[target]
	ta, tt := &b.tot[b.side[actor]], &b.tot[b.side[target]]
	for _, p := range [2]*Counts{ca, ta} {
		if added&pairAny != 0 {
			p.Shown++
		}
		if added&pairPositive != 0 {
			p.Acted++
		}
		if added&pairAnswered != 0 {
			p.Answered++
			if p == ca {
				if day := floorDay(at) + 1; day != p.lastAnswerDay {
					p.lastAnswerDay = day
					p.AnswerDays++
				}
			}
		}
	}
	for _, p := range [2]*Counts{ct, tt} {
		if added&pairAny != 0 {
			p.Exposures++
		}
		if added&pairPositive != 0 {
			p.Wanted++
		}
		if added&pairContact != 0 {
			p.Contacted++
		}
	}
}

// Contacted reports whether target has contacted actor (a Chat or Apply
// from target to actor was recorded): actor would be answering it.
func (b *Behaviour) Contacted(actor, target uint32) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.pairs.get(target, actor)&pairContact != 0
}

// Counts returns participant ix's counts (zero when unknown).
func (b *Behaviour) Counts(ix uint32) Counts {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if int(ix) < len(b.counts) {
		return b.counts[ix]
	}
	return Counts{}
}

// rates returns the base rates of side s: generosity (acted per shown),
// attractiveness (wanted per exposure) and responsiveness (answered per
// contact), each 1/2 when the side has no observation.
func (b *Behaviour) rates(s market.Side) (gen, attr, resp float64) {
	t := &b.tot[s]
	ratio := func(k, n float64) float64 {
		if n <= 0 {
			return 0.5
		}
		return min(max((k+0.5)/(n+1), 1e-3), 1-1e-3)
	}
	return ratio(t.Acted, t.Shown), ratio(t.Wanted, t.Exposures), ratio(t.Answered, t.Contacted)
}

// Own is what one pair contributed to the counts of its two participants
// (0 or 1 each), for leave-one-out evidence of a training row: the counts
// as if the pair had never met.
type Own struct {
	Shown, Acted        float64 // the actor's, on this target
	Exposures, Wanted   float64 // the target's, from this actor
	Contacted, Answered float64 // the actor's: the target's contact, the actor's answer
}

// Evidence fills dst for actor's view of target, but for the
// collaborative entries, which it leaves as they are. answering says
// whether target has contacted actor (the actor would answer). own, when
// not nil, is left out of the counts (leave-one-out, for a training row).
func (b *Behaviour) Evidence(dst *Evidence, actor, target uint32, answering bool, own *Own) {
	b.mu.RLock()
	var ca, ct Counts
	if int(actor) < len(b.counts) {
		ca = b.counts[actor]
	}
	if int(target) < len(b.counts) {
		ct = b.counts[target]
	}
	sa, st := market.Seeker, market.Recruiter
	if int(actor) < len(b.side) && b.side[actor].Valid() {
		sa = b.side[actor]
		st = sa.Other()
	} else if int(target) < len(b.side) && b.side[target].Valid() {
		st = b.side[target]
		sa = st.Other()
	}
	gen0, _, resp0 := b.rates(sa)
	_, attr0, _ := b.rates(st)
	b.mu.RUnlock()
	b.evidence(dst, ca, ct, gen0, attr0, resp0, answering, own)
}

func (b *Behaviour) evidence(dst *Evidence, ca, ct Counts, gen0, attr0, resp0 float64, answering bool, own *Own) {
	if own != nil {
		ca.Shown -= own.Shown
		ca.Acted -= own.Acted
		ca.Contacted -= own.Contacted
		ca.Answered -= own.Answered
		ct.Exposures -= own.Exposures
		ct.Wanted -= own.Wanted
	}
	smooth := b.smooth
	caller := *dst // the collaborative entries are the caller's
	*dst = Evidence{}
	for _, i := range callerEvidence {
		dst[i] = caller[i]
	}
	if answering {
		dst[EvidenceAnswering] = 1
		dst[EvidenceRespond] = logit(smooth(ca.Answered, ca.Contacted, resp0))
	}
	dst[EvidenceGenerous] = logit(smooth(ca.Acted, ca.Shown, gen0))
	dst[EvidenceAttract] = logit(smooth(ct.Wanted, ct.Exposures, attr0))
	dst[EvidenceExposure] = math.Log1p(max(ct.Exposures, 0)) / 5
}

// smooth returns the share pos/n smoothed toward prior by the configured
// Strength, (pos + Strength·prior)/(n + Strength), with negative counts
// read as 0 and n at least pos: the rates of every evidence feature.
func (b *Behaviour) smooth(pos, n, prior float64) float64 {
	k := b.cfg.Strength
	pos, n = max(pos, 0), max(n, pos, 0)
	return (pos + k*prior) / (n + k)
}

// callerEvidence are the entries of an Evidence that its caller fills
// (Behaviour keeps them).
var callerEvidence = [...]int{EvidenceItemCF, EvidenceUserCF, EvidenceFactorForward, EvidenceFactorBackward, EvidenceEmbedding, EvidenceTaste}

func logit(p float64) float64 {
	p = min(max(p, 1e-4), 1-1e-4)
	return math.Log(p / (1 - p))
}

const behaviourFormat = 1

// AppendBinary appends the counts and the pair states to b
// (encoding.BinaryAppender), pairs sorted.
func (b *Behaviour) AppendBinary(dst []byte) ([]byte, error) {
	w := binio.Writer{B: dst}
	w.Uvarint(behaviourFormat)
	b.mu.RLock()
	defer b.mu.RUnlock()
	put := func(c *Counts) {
		for _, x := range [...]float64{c.Shown, c.Acted, c.Exposures, c.Wanted, c.Contacted, c.Answered, c.AnswerDays} {
			w.Float64(x)
		}
		w.Varint(c.lastAnswerDay)
	}
	w.Uvarint(uint64(len(b.counts)))
	for i := range b.counts {
		w.Byte(byte(b.side[i]))
		put(&b.counts[i])
	}
	for s := range b.tot {
		put(&b.tot[s])
	}
	w.Uvarint(uint64(b.pairs.len()))
	prev := uint64(0)
	b.pairs.all(func(k uint64, st uint8) {
		w.Uvarint(k - prev) // sorted: gaps
		prev = k
		w.Byte(st)
	})
	return w.B, nil
}

// UnmarshalBinary replaces the counts and pair states with those
// AppendBinary encoded, or returns an error wrapping ErrCorrupt (b is then
// unchanged).
func (b *Behaviour) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != behaviourFormat {
		r.Fail("behaviour format %d (this build reads %d)", v, behaviourFormat)
	}
	get := func(c *Counts) {
		for _, p := range [...]*float64{&c.Shown, &c.Acted, &c.Exposures, &c.Wanted, &c.Contacted, &c.Answered, &c.AnswerDays} {
			if *p = r.Float64(); r.Err() == nil && !(*p >= 0 && !math.IsInf(*p, 0)) {
				r.Fail("count %v", *p)
			}
		}
		c.lastAnswerDay = r.Varint()
	}
	n := r.Count(58)
	counts, side := make([]Counts, n), make([]market.Side, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		if side[i] = market.Side(r.Byte()); side[i] != 0 && !side[i].Valid() {
			r.Fail("participant %d: side %d", i, side[i])
		}
		get(&counts[i])
	}
	var tot [3]Counts
	for s := range tot {
		get(&tot[s])
	}
	np := r.Count(2)
	build := newPairsBuilder(n, np)
	prev := uint64(0)
	for i := 0; i < np && r.Err() == nil; i++ {
		gap, st := r.Uvarint(), r.Byte()
		k := prev + gap
		if r.Err() == nil && ((i > 0 && gap == 0) || k < prev || k>>32 >= uint64(n) || uint64(uint32(k)) >= uint64(n) ||
			st == 0 || st > pairAny|pairPositive|pairContact|pairAnswered) {
			r.Fail("pair %d: key %d, state %d", i, k, st)
		}
		if r.Err() != nil {
			break
		}
		build.add(k, st)
		prev = k
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	pairs := build.done()
	cols := pairs.transpose(n)
	b.mu.Lock()
	b.counts, b.side, b.tot, b.pairs, b.cols = counts, side, tot, pairs, cols
	b.mu.Unlock()
	return nil
}

// AttachEvidence fills the Evidence of every sample from b, leaving each
// sample's own pair out of the counts (leave-one-out: the label of a row
// never enters its own features). events is the log b was built from; a
// sample's actor is answering when its target contacted it strictly
// before the actor decided: before the actor's first positive action on
// the target, or, when the actor took none, before its first Reject of
// the target (at any time, when it took neither: contacted and silent). A
// contact at the same instant as the decision or after it was not known
// to the actor, so it does not make the row an answer: otherwise a row's
// features would carry the other side's verdict on the pair (on speed
// dating, where both decide at once, the partner's yes), which a request
// for a pair the other side has not decided on never has.
func (b *Behaviour) AttachEvidence(samples []Sample, events []Interaction) {
	b.attach(samples, events, false)
}

// AttachAnswerEvidence is AttachEvidence for rows that ask how the actor
// would answer a contact from the target (the backward direction of a
// two-way match): every row is answering.
func (b *Behaviour) AttachAnswerEvidence(samples []Sample, events []Interaction) {
	b.attach(samples, events, true)
}

func (b *Behaviour) attach(samples []Sample, events []Interaction, answer bool) {
	// The times that decide whether a row answers, per directed pair: the
	// actor's first contact, first positive action and first Reject.
	type times struct{ firstPos, firstContact, firstReject int64 }
	first := make(map[uint64]*times, len(samples))
	get := func(k uint64) *times {
		t := first[k]
		if t == nil {
			t = &times{math.MaxInt64, math.MaxInt64, math.MaxInt64}
			first[k] = t
		}
		return t
	}
	for _, e := range events {
		switch {
		case e.Action.Contact():
			t := get(pairOf(e.Actor, e.Target))
			t.firstContact = min(t.firstContact, e.Time)
			if b.Positive(e.Action) {
				t.firstPos = min(t.firstPos, e.Time)
			}
		case b.Positive(e.Action):
			t := get(pairOf(e.Actor, e.Target))
			t.firstPos = min(t.firstPos, e.Time)
		case e.Action == market.Reject:
			t := get(pairOf(e.Actor, e.Target))
			t.firstReject = min(t.firstReject, e.Time)
		}
	}
	none := times{math.MaxInt64, math.MaxInt64, math.MaxInt64}
	bit := func(st, m uint8) float64 {
		if st&m != 0 {
			return 1
		}
		return 0
	}
	for i := range samples {
		s := &samples[i]
		own, back := first[pairOf(s.User, s.Target)], first[pairOf(s.Target, s.User)]
		if own == nil {
			own = &none
		}
		if back == nil {
			back = &none
		}
		decided := own.firstPos
		if decided == math.MaxInt64 {
			decided = own.firstReject
		}
		answering := answer || back.firstContact < decided
		b.mu.RLock()
		st, bst := b.pairs.get(s.User, s.Target), b.pairs.get(s.Target, s.User)
		b.mu.RUnlock()
		o := Own{Shown: bit(st, pairAny), Acted: bit(st, pairPositive), Exposures: bit(st, pairAny), Wanted: bit(st, pairPositive),
			Contacted: bit(bst, pairContact), Answered: bit(st, pairAnswered)}
		b.Evidence(&s.Evidence, s.User, s.Target, answering, &o)
	}
}

// Pairs fills forward[i] with requester's evidence about candidates[i]
// (answering when the candidate has contacted the requester) and
// backward[i] with candidates[i]'s evidence about the requester as an
// answer to a contact from it: the two directions of a request's two-way
// scores. Each slice must be nil (that direction is skipped, so that two
// goroutines can fill one direction each) or as long as candidates.
func (b *Behaviour) Pairs(forward, backward []Evidence, requester uint32, candidates []uint32) {
	if (forward != nil && len(forward) != len(candidates)) || (backward != nil && len(backward) != len(candidates)) {
		panic(fmt.Sprintf("match: Behaviour.Pairs: %d candidates, %d forward, %d backward", len(candidates), len(forward), len(backward)))
	}
	if forward != nil {
		for i, c := range candidates {
			b.Evidence(&forward[i], requester, c, b.Contacted(requester, c), nil)
		}
	}
	if backward != nil {
		for i, c := range candidates {
			b.Evidence(&backward[i], c, requester, true, nil)
		}
	}
}

// CF returns the evidence value of a collaborative affinity a ≥ 0:
// ln(1 + a).
func CF(a float64) float64 {
	if !(a > 0) {
		return 0
	}
	return math.Log1p(a)
}
