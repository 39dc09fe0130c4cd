package twoway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/internal/parallel"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
)

// cfGroupBatch is how many users' rows a worker of cfEvidence takes at a
// time (a variable for tests).
var cfGroupBatch = 64

// cfFolds is the number of folds of the out-of-fold collaborative
// evidence of the training rows.
const cfFolds = 5

// foldOf assigns the unordered pair {a, b} to one of cfFolds folds, so
// that both directions of a pair are held out together.
func foldOf(a, b uint32) int {
	lo, hi := min(a, b), max(a, b)
	x := uint64(lo)<<32 | uint64(hi)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return int(x % cfFolds)
}

// cfEvidence sets the collaborative entries of every sample's evidence out
// of fold: the samples' pairs are cut into cfFolds folds; for each fold,
// item-CF and user-CF are fitted on the log without the fold's pairs, and
// the fold's rows get their affinities from those. No row's own events
// ever enter its collaborative evidence, while serving reads the models
// fitted on everything (st.itemCF, st.userCF).
// With latent factors as evidence (st.factors, FactorConfig.Evidence), each fold also fits the two-sided
// factor model on the same log (with passed, the factor models'
// negatives, less the fold's pairs) and gives the fold's rows their factor
// evidence from it; embedding cosines (no label in them) are set for
// every row.
// folded, when not nil, is called after each fold with the folds done.
func (e *Engine) cfEvidence(ctx context.Context, st *state, sideOf func(uint32) market.Side, at time.Time, log []event, passed []pair, samples []match.Sample, folded func(done int)) error {
	type row struct {
		user, target uint32
		k            int // index in samples
	}
	folds := make([][]row, cfFolds)
	for k, s := range samples {
		f := foldOf(s.User, s.Target)
		folds[f] = append(folds[f], row{s.User, s.Target, k})
	}
	if fs := st.factors; fs != nil && fs.emb != nil {
		for k := range samples {
			samples[k].Evidence[match.EvidenceEmbedding] = fs.cosine(samples[k].User, samples[k].Target)
		}
	}
	rc := e.cfg.Recall
	var foldNeg []pair
	var groups []int // each user's first row in a fold's sorted rows, then len(rows)
	workers := max(1, runtime.GOMAXPROCS(0))
	for f, rows := range folds {
		if len(rows) == 0 {
			continue
		}
		m, err := e.newMatrix(at)
		if err != nil {
			return err
		}
		if err := m.Fit(ctx, func(yield func(recall.Event) bool) {
			for _, ev := range log {
				if foldOf(ev.actor, ev.target) == f {
					continue
				}
				if !yield(recall.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: ev.time()}) {
					return
				}
			}
		}); err != nil {
			return fmt.Errorf("twoway: fit: collaborative evidence: %w", err)
		}
		item, err := recall.NewItemCF(m, rc.ItemCF)
		if err != nil {
			return fmt.Errorf("%w: Recall.ItemCF: %w", ErrConfig, err)
		}
		user, err := recall.NewUserCF(m, rc.UserCF)
		if err != nil {
			return fmt.Errorf("%w: Recall.UserCF: %w", ErrConfig, err)
		}
		if err := item.Fit(ctx); err != nil {
			return fmt.Errorf("twoway: fit: collaborative evidence: %w", err)
		}
		if err := user.Fit(ctx); err != nil {
			return fmt.Errorf("twoway: fit: collaborative evidence: %w", err)
		}
		var fold *factors // this fold's factor model
		if fs := st.factors; fs != nil && fs.rec != nil && fs.evident {
			foldNeg = foldNeg[:0]
			for _, p := range passed {
				if foldOf(p.actor, p.target) != f {
					foldNeg = append(foldNeg, p)
				}
			}
			rec, err := e.fitFactors(ctx, st, m, fs, foldNeg, nil)
			switch {
			case errors.Is(err, factor.ErrEmpty):
			case err != nil:
				return fmt.Errorf("twoway: fit: factor evidence: %w", err)
			default:
				fold = &factors{rec: rec, local: fs.local, sides: fs.sides, global: fs.global}
			}
		}
		taste, err := match.NewTaste(ctx, st.behaviour, e.cfg.Taste, func(a, t uint32) bool { return foldOf(a, t) == f })
		if err != nil {
			return fmt.Errorf("twoway: fit: taste evidence: %w", err)
		}
		slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(a.user, b.user), cmp.Compare(a.k, b.k)) })
		// One group of rows per user; the groups are scored on every core
		// (each writes its own rows' evidence only, so the result does not
		// depend on the number of workers).
		groups = groups[:0]
		for lo := 0; lo < len(rows); {
			groups = append(groups, lo)
			for lo++; lo < len(rows) && rows[lo].user == rows[lo-1].user; lo++ {
			}
		}
		groups = append(groups, len(rows))
		type scratch struct {
			targets    []uint32
			ia, ua, ta []float64
		}
		if err := parallel.Chunks(ctx, workers, cfGroupBatch, len(groups)-1, func(lo, hi int, sc *scratch) {
			for g := lo; g < hi; g++ {
				group := rows[groups[g]:groups[g+1]]
				u := group[0].user
				sc.targets = sc.targets[:0]
				for _, r := range group {
					sc.targets = append(sc.targets, r.target)
				}
				sc.ia = item.Affinity(u, sc.targets, sc.ia)
				sc.ua = user.Affinity(u, sc.targets, sc.ua)
				sc.ta = taste.Score(sc.ta, u, sc.targets)
				for q, r := range group {
					ev := &samples[r.k].Evidence
					ev[match.EvidenceItemCF], ev[match.EvidenceUserCF] = match.CF(sc.ia[q]), match.CF(sc.ua[q])
					ev[match.EvidenceTaste] = sc.ta[q]
					// (Sampled negatives may pair two participants of one
					// side; they get no factor evidence.)
					if side := sideOf(r.user); fold != nil && side.Valid() && sideOf(r.target) == side.Other() {
						ev[match.EvidenceFactorForward] = fold.logit(side, r.user, r.target)
						ev[match.EvidenceFactorBackward] = fold.logit(side.Other(), r.target, r.user)
					}
				}
			}
		}); err != nil {
			return err
		}
		if folded != nil {
			folded(f + 1)
		}
	}
	return nil
}

// forwardMatch returns, into dst, requester's one-way match for each of
// candidates (match.Interest.OneWayBatch) with the pairs' live evidence:
// behaviour counts, item-CF and user-CF affinities, factors. ev, when not
// nil, is len(candidates) of scratch for that evidence; buf is the model's.
func (st *state) forwardMatch(dst []float64, buf *match.Buffer, ev []match.Evidence, requester uint32, candidates []uint32) []float64 {
	ev = evidenceScratch(ev, len(candidates))
	st.behaviour.Pairs(ev, nil, requester, candidates)
	st.collabFrom(ev, requester, candidates)
	return st.interest.OneWayBatch(dst, buf, requester, candidates, ev)
}

// backwardMatch is forwardMatch's other direction: each candidate's answer
// to a contact from requester (match.Interest.OneWayToward), with the
// evidence of the candidate about the requester.
func (st *state) backwardMatch(dst []float64, buf *match.Buffer, ev []match.Evidence, requester uint32, candidates []uint32) []float64 {
	ev = evidenceScratch(ev, len(candidates))
	st.behaviour.Pairs(nil, ev, requester, candidates)
	st.collabToward(ev, candidates, requester)
	return st.interest.OneWayToward(dst, buf, candidates, requester, ev)
}

// collabFrom fills the collaborative and factor evidence of requester
// about each of candidates.
func (st *state) collabFrom(ev []match.Evidence, requester uint32, candidates []uint32) {
	n := len(candidates)
	cf := make([]float64, 3*n)
	item := st.itemCF.Affinity(requester, candidates, cf[0:0:n])
	user := st.userCF.Affinity(requester, candidates, cf[n:n:2*n])
	taste := st.taste.Score(cf[2*n:2*n:3*n], requester, candidates)
	for i, c := range candidates {
		ev[i][match.EvidenceItemCF], ev[i][match.EvidenceUserCF] = match.CF(item[i]), match.CF(user[i])
		ev[i][match.EvidenceTaste] = taste[i]
		st.factors.fill(&ev[i], requester, c)
	}
}

// collabToward fills the collaborative and factor evidence of each of
// actors about target.
func (st *state) collabToward(ev []match.Evidence, actors []uint32, target uint32) {
	n := len(actors)
	cf := make([]float64, 3*n)
	item := st.itemCF.AffinityToward(actors, target, cf[0:0:n])
	user := st.userCF.AffinityToward(actors, target, cf[n:n:2*n])
	taste := st.taste.ScoreToward(cf[2*n:2*n:3*n], actors, target)
	for i, a := range actors {
		ev[i][match.EvidenceItemCF], ev[i][match.EvidenceUserCF] = match.CF(item[i]), match.CF(user[i])
		ev[i][match.EvidenceTaste] = taste[i]
		st.factors.fill(&ev[i], a, target)
	}
}

// evidenceScratch returns ev zeroed, or n new evidences when ev is nil.
func evidenceScratch(ev []match.Evidence, n int) []match.Evidence {
	if ev == nil {
		return make([]match.Evidence, n)
	}
	clear(ev)
	return ev
}
