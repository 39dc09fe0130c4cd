package factor

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// strata is the number of row blocks and of column blocks BPR cuts the
// matrix into. Blocks (b, (b+s) mod strata) for one s touch disjoint rows
// and columns, so they run in parallel without locks, and the result does
// not depend on scheduling (stratified SGD, Gemulla et al. 2011). It bounds
// BPR's parallelism to 16 goroutines.
const strata = 16

// bprState is the sampling layout of BPR, built at the first epoch.
type bprState struct {
	buckets [strata * strata][]heldCell // training cells by (row block, column block)
	cols    [strata][]uint32            // active columns of each column block
}

func (s *state) bprLayout() *bprState {
	c := s.cfg
	b := &bprState{}
	colBlock := make([]uint8, s.cols.n)
	for i := range s.cols.n {
		colBlock[i] = uint8(hash3(c.Seed, tagStratum, 1, uint32(i)) % strata)
		if s.cols.active[i] {
			b.cols[colBlock[i]] = append(b.cols[colBlock[i]], uint32(i))
		}
	}
	for u := range s.rows.n {
		rb := int(hash3(c.Seed, tagStratum, 0, uint32(u)) % strata)
		idx, _ := s.rows.m.Row(u)
		for _, i := range idx {
			q := rb*strata + int(colBlock[i])
			b.buckets[q] = append(b.buckets[q], heldCell{uint32(u), i})
		}
	}
	return b
}

// bprEpoch runs one BPR epoch (Rendle et al. 2009): as many samples as
// training cells, each a cell (u, i) drawn uniformly from a block and a
// column j of the same column block that is not a cell of row u, followed
// by one step of stochastic gradient ascent on
//
//	ln σ(x̂_uij) − λ (‖x_u‖² + ‖y_i‖² + ‖y_j‖²),   x̂_uij = x_uᵀ y_i − x_uᵀ y_j
//
// with step size η = LearningRate. It returns the mean −ln σ(x̂_uij) over
// the epoch's samples, before their updates.
func (s *state) bprEpoch(ctx context.Context, it int) (float64, error) {
	if s.bpr == nil {
		s.bpr = s.bprLayout()
	}
	c, k := s.cfg, s.k
	eta, lambda := c.LearningRate, c.Regularization
	X, Y := s.rows.own, s.cols.own
	// The order of the sub-epochs is a permutation drawn per epoch.
	order := make([]int, strata)
	for i := range order {
		order[i] = i
	}
	perm := rand.New(rand.NewPCG(c.Seed^uint64(it)*0x9e3779b97f4a7c15, uint64(tagStratum)))
	perm.Shuffle(strata, func(i, j int) { order[i], order[j] = order[j], order[i] })
	part := make([]float64, strata*strata)
	var samples int
	for _, sub := range order {
		err := forChunks(ctx, c.Workers, strata, 1, func(b, _, _ int) {
			cb := (b + sub) % strata
			cells, negs := s.bpr.buckets[b*strata+cb], s.bpr.cols[cb]
			if len(cells) == 0 || len(negs) == 0 {
				return
			}
			rng := rand.NewPCG(c.Seed^mix(uint64(it)<<32|uint64(sub)<<16|uint64(b)), uint64(tagBPR))
			var loss float64
			for range cells {
				cell := cells[rng.Uint64()%uint64(len(cells))]
				u, i := int(cell.row), int(cell.col)
				row, _ := s.rows.m.Row(u)
				j := -1
				for range 10 {
					cand := negs[rng.Uint64()%uint64(len(negs))]
					if _, found := slices.BinarySearch(row, cand); !found {
						j = int(cand)
						break
					}
				}
				if j < 0 {
					continue
				}
				x, yi, yj := X[u*k:u*k+k], Y[i*k:i*k+k], Y[j*k:j*k+k]
				var xuij float64
				for d, xd := range x {
					xuij += xd * (yi[d] - yj[d])
				}
				loss += softplus(-xuij)
				g := sigmoid(-xuij)
				for d, xd := range x {
					di, dj := yi[d], yj[d]
					x[d] += eta * (g*(di-dj) - lambda*xd)
					yi[d] += eta * (g*xd - lambda*di)
					yj[d] += eta * (-g*xd - lambda*dj)
				}
			}
			part[b*strata+cb] = loss
		})
		if err != nil {
			return 0, err
		}
	}
	var loss float64
	for q, l := range part {
		loss += l
		samples += len(s.bpr.buckets[q])
	}
	return loss / float64(max(1, samples)), nil
}

// sigmoid returns 1 / (1 + e^(−z)).
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus returns ln(1 + e^z) without overflow.
func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}
