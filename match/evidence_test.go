package match_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// Participants: seekers 0, 1, 2; jobs 10, 11.
func behaviourLog() []match.Interaction {
	at := int64(1_000_000_000)
	ev := func(a, t uint32, act market.Action) match.Interaction {
		at += 1e9
		return match.Interaction{Actor: a, Target: t, Action: act, Time: at}
	}
	return []match.Interaction{
		ev(0, 10, market.Impression), ev(0, 10, market.View), ev(0, 10, market.Apply), // one pair, positive
		ev(1, 10, market.Impression), ev(1, 10, market.Apply),
		ev(2, 10, market.Impression), // shown, passed over
		ev(0, 11, market.Impression),
		ev(10, 0, market.Reply), // job 10 answers seeker 0
		ev(11, 1, market.Chat),  // job 11 contacts seeker 1 first
		ev(1, 11, market.Apply), // seeker 1 answers it
	}
}

func sideOfIx(ix uint32) market.Side {
	if ix >= 10 {
		return market.Recruiter
	}
	return market.Seeker
}

func TestBehaviourCountsDistinctPairs(t *testing.T) {
	b := match.NewBehaviour(match.BehaviourConfig{})
	for _, e := range behaviourLog() {
		b.Record(e.Actor, e.Target, sideOfIx(e.Actor), e.Action, e.Time)
	}
	// Job 10: exposed to 3 seekers (0, 1, 2), wanted by 2, contacted by 2.
	c10 := b.Counts(10)
	assert.Equal(t, [7]float64{3, 2, 2, 1, 1, 1, 1}, [7]float64{c10.Exposures, c10.Wanted, c10.Contacted, c10.Shown, c10.Acted, c10.Answered, c10.AnswerDays})
	// Seeker 0: had events with 2 jobs, acted on 1; received job 10's
	// reply (not a contact).
	c0 := b.Counts(0)
	assert.Equal(t, [5]float64{2, 1, 1, 1, 0}, [5]float64{c0.Shown, c0.Acted, c0.Exposures, c0.Wanted, c0.Contacted})
	// Seeker 1 answered job 11's contact.
	c1 := b.Counts(1)
	assert.Equal(t, [6]float64{2, 2, 1, 1, 1, 1}, [6]float64{c1.Shown, c1.Acted, c1.Exposures, c1.Wanted, c1.Contacted, c1.Answered})
	assert.InDelta(t, 1.0, b.Throughput(10, 3, 0), 1e-12, "job 10 answered one contact on its one answering day")
	assert.True(t, b.Contacted(10, 0), "seeker 0 contacted job 10")
	assert.False(t, b.Contacted(0, 10), "job 10 replied, it did not contact")

	// The snapshot codec keeps everything.
	bin, err := b.AppendBinary(nil)
	require.NoError(t, err)
	c := match.NewBehaviour(match.BehaviourConfig{})
	require.NoError(t, c.UnmarshalBinary(bin))
	for _, ix := range []uint32{0, 1, 2, 10, 11, 99} {
		assert.Equal(t, b.Counts(ix), c.Counts(ix))
	}
	var e1, e2 match.Evidence
	b.Evidence(&e1, 2, 10, false, nil)
	c.Evidence(&e2, 2, 10, false, nil)
	assert.Equal(t, e1, e2)
	for _, cut := range []int{0, 1, len(bin) / 2, len(bin) - 1} {
		assert.ErrorIs(t, c.UnmarshalBinary(bin[:cut]), match.ErrCorrupt, "cut at %d", cut)
	}
}

// The evidence of a training row leaves the row's own pair out: job 10's
// attractiveness seen from seeker 0's row is what seekers 1 and 2 did.
func TestBehaviourLeaveOneOut(t *testing.T) {
	log := behaviourLog()
	b := match.NewBehaviour(match.BehaviourConfig{Strength: 1})
	for _, e := range log {
		b.Record(e.Actor, e.Target, sideOfIx(e.Actor), e.Action, e.Time)
	}
	rows := []match.Sample{{User: 0, Target: 10, Attended: true}, {User: 2, Target: 10}, {User: 1, Target: 11, Attended: true}}
	b.AttachEvidence(rows, log)
	// Seeker 0's row: job 10 as if seeker 0 never met it: exposed to 1
	// and 2, wanted by 1.
	want := b.Counts(10)
	want.Exposures--
	want.Wanted--
	var other match.Evidence
	b.Evidence(&other, 1, 10, false, &match.Own{Shown: 1, Acted: 1, Exposures: 1, Wanted: 1})
	assert.Equal(t, other[match.EvidenceAttract], rows[0].Evidence[match.EvidenceAttract],
		"leaving out seeker 0's pair equals leaving out seeker 1's: both were positive")
	assert.NotEqual(t, rows[0].Evidence[match.EvidenceAttract], rows[1].Evidence[match.EvidenceAttract],
		"seeker 2's row leaves out a pair that was not positive")
	// Seeker 1 answered job 11's contact: an answering row, whose
	// responsiveness leaves the answer out.
	assert.Equal(t, 1.0, rows[2].Evidence[match.EvidenceAnswering])
	assert.Zero(t, rows[0].Evidence[match.EvidenceAnswering], "seeker 0 applied first")
	_ = want

	// AttachAnswerEvidence makes every row an answer.
	ans := []match.Sample{{User: 10, Target: 2}}
	b.AttachAnswerEvidence(ans, log)
	assert.Equal(t, 1.0, ans[0].Evidence[match.EvidenceAnswering])
	assert.NotZero(t, ans[0].Evidence[match.EvidenceRespond])
}

// A training row is an answer only when the target's contact came
// strictly before the actor decided (its first positive action, or its
// Reject): a contact at the same instant or later was not known to the
// actor, so the row must not carry the target's verdict (speed dating,
// where both sides decide at once, is the case that needs it).
func TestBehaviourAnsweringBeforeTheDecision(t *testing.T) {
	const s = int64(1e9)
	log := []match.Interaction{
		// Pair (0, 10): simultaneous decisions, both yes.
		{Actor: 0, Target: 10, Action: market.Apply, Time: 5 * s},
		{Actor: 10, Target: 0, Action: market.Chat, Time: 5 * s},
		// Pair (1, 11): seeker 1 says no, then job 11 says yes.
		{Actor: 1, Target: 11, Action: market.Reject, Time: 5 * s},
		{Actor: 11, Target: 1, Action: market.Chat, Time: 6 * s},
		// Pair (2, 12): job 12 contacts first, seeker 2 declines it.
		{Actor: 12, Target: 2, Action: market.Chat, Time: 4 * s},
		{Actor: 2, Target: 12, Action: market.Reject, Time: 5 * s},
		// Pair (3, 13): job 13 contacts, seeker 3 never answers.
		{Actor: 13, Target: 3, Action: market.Chat, Time: 4 * s},
		{Actor: 3, Target: 13, Action: market.Impression, Time: 5 * s},
	}
	b := match.NewBehaviour(match.BehaviourConfig{})
	for _, e := range log {
		b.Record(e.Actor, e.Target, sideOfIx(e.Actor), e.Action, e.Time)
	}
	rows := []match.Sample{{User: 0, Target: 10, Attended: true}, {User: 10, Target: 0, Attended: true},
		{User: 1, Target: 11}, {User: 2, Target: 12}, {User: 3, Target: 13}}
	b.AttachEvidence(rows, log)
	for i, want := range []float64{0, 0, 0, 1, 1} {
		assert.Equal(t, want, rows[i].Evidence[match.EvidenceAnswering], "row %d (%d → %d)", i, rows[i].User, rows[i].Target)
	}
	assert.Zero(t, rows[0].Evidence[match.EvidenceRespond], "not an answer: no responsiveness term")
	assert.NotZero(t, rows[3].Evidence[match.EvidenceRespond])
}

// A participant without history gets the side's base rate, never NaN.
func TestBehaviourPriorWithoutHistory(t *testing.T) {
	b := match.NewBehaviour(match.BehaviourConfig{})
	var ev match.Evidence
	b.Evidence(&ev, 5, 6, true, nil)
	for i, x := range ev {
		assert.False(t, x != x, "evidence %d is NaN", i)
	}
	assert.InDelta(t, 0, ev[match.EvidenceAttract], 1e-9, "no observation at all: logit(1/2)")
}
