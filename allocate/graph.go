package allocate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// MaxIndex is the largest participant index a [Builder] accepts. Tables are
// indexed by participant, so their size follows the largest index; a
// market.Dict hands out dense indices from 0, far below it.
const MaxIndex = 1<<28 - 1

// Pair is one candidate pair of the market: a seeker, a job and the two
// calibrated probabilities the pair's surplus is computed from.
//
// For a pair recalled from the job's side, Act may be the recruiter's
// probability of contacting the seeker and Answer the seeker's of
// answering: every [Surplus] is symmetric in the two.
type Pair struct {
	// Seeker and Job are global dense indices of one market.Dict that spans
	// both sides. No index may be a seeker in one pair and a job in another.
	Seeker uint32 `json:"seeker"`
	Job    uint32 `json:"job"`
	// Act is P(the seeker acts on the job when shown it), in [0, 1].
	Act float64 `json:"act"`
	// Answer is P(the job answers the seeker when contacted), in [0, 1].
	Answer float64 `json:"answer"`
}

// Mass is a participant's mass: how many matches it can take in the period
// the graph describes (1 for a seeker; a job's answers per day, or its
// remaining capacity as the exposure ledger fills). It must lie in
// [MinMass, MaxMass]: a host floors a full participant's remaining
// capacity at a small positive value (MinMass at least), which makes it
// rank low without disappearing. Masses outside that range (1e300, or
// 1e−300 next to 1e300) stop the fit converging and overflow its
// potentials, so they are refused.
type Mass struct {
	Participant uint32  `json:"participant"`
	Mass        float64 `json:"mass"`
}

// The range of a [Mass]: ratios up to 10²⁴ between participants keep the
// fit's potentials (logarithms of masses over β) well inside float64.
const (
	MinMass = 1e-12
	MaxMass = 1e12
)

// MinProbability is the smallest probability a [Pair] (or
// [Potentials.Surplus]) uses: an Act or Answer below it counts as 0. A
// probability such as 1e−160 would make the pairs' mean surplus, and so
// β, subnormal, and the fit would never converge.
const MinProbability = 1e-12

// PairError reports a bad pair; it wraps [ErrInput].
type PairError struct {
	Pair   Pair
	Field  string // "Seeker", "Job", "Act", "Answer" or "" for the pair as a whole
	Reason string
}

func (e *PairError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("allocate: pair (seeker %d, job %d): %s", e.Pair.Seeker, e.Pair.Job, e.Reason)
	}
	return fmt.Sprintf("allocate: pair (seeker %d, job %d): %s: %s", e.Pair.Seeker, e.Pair.Job, e.Field, e.Reason)
}

// Unwrap returns ErrInput.
func (e *PairError) Unwrap() error { return ErrInput }

// MassError reports a bad mass; it wraps [ErrInput].
type MassError struct {
	Mass   Mass
	Reason string
}

func (e *MassError) Error() string {
	return fmt.Sprintf("allocate: mass of participant %d = %v: %s", e.Mass.Participant, e.Mass.Mass, e.Reason)
}

// Unwrap returns ErrInput.
func (e *MassError) Unwrap() error { return ErrInput }

// Sides of a participant in the builder's table.
const (
	sideNone uint8 = iota
	sideSeeker
	sideJob
)

// Builder collects the pairs and masses of a market and builds its
// [Graph]. It is not safe for concurrent use. Memory: 16 bytes per pair
// until Build, and a few bytes per participant index.
type Builder struct {
	cfg    Config
	seeker []uint32
	job    []uint32
	phi    []float64
	side   []uint8   // by global index
	mass   []float64 // by global index; 0: unset
}

// NewBuilder returns an empty builder for cfg, or an error wrapping
// [ErrConfig] naming the bad field.
func NewBuilder(cfg Config) (*Builder, error) {
	c, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	return &Builder{cfg: c}, nil
}

func (b *Builder) grow(ix uint32) {
	if int(ix) >= len(b.side) {
		n := max(int(ix)+1, 2*len(b.side))
		b.side = append(b.side, make([]uint8, n-len(b.side))...)
		b.mass = append(b.mass, make([]float64, n-len(b.mass))...)
	}
}

// Add adds a candidate pair. A pair added twice with the same surplus
// counts once; with another surplus, Build fails naming it. Add returns a
// [*PairError] (and adds nothing) for an index above MaxIndex, an index
// that is already on the other side, or a probability that is NaN,
// infinite or outside [0, 1]. A probability below [MinProbability] counts
// as 0 in the pair's surplus.
func (b *Builder) Add(p Pair) error {
	bad := func(field, reason string) error { return &PairError{Pair: p, Field: field, Reason: reason} }
	prob := func(field string, v float64) error {
		switch {
		case math.IsNaN(v):
			return bad(field, "NaN")
		case math.IsInf(v, 0):
			return bad(field, fmt.Sprintf("%v", v))
		case v < 0 || v > 1:
			return bad(field, fmt.Sprintf("%v outside [0, 1]", v))
		}
		return nil
	}
	switch {
	case p.Seeker > MaxIndex:
		return bad("Seeker", fmt.Sprintf("index above %d", MaxIndex))
	case p.Job > MaxIndex:
		return bad("Job", fmt.Sprintf("index above %d", MaxIndex))
	case p.Seeker == p.Job:
		return bad("", "seeker and job are the same participant")
	}
	if err := prob("Act", p.Act); err != nil {
		return err
	}
	if err := prob("Answer", p.Answer); err != nil {
		return err
	}
	b.grow(max(p.Seeker, p.Job))
	if b.side[p.Seeker] == sideJob {
		return bad("Seeker", "the participant is a job in another pair")
	}
	if b.side[p.Job] == sideSeeker {
		return bad("Job", "the participant is a seeker in another pair")
	}
	b.side[p.Seeker], b.side[p.Job] = sideSeeker, sideJob
	b.seeker = append(b.seeker, p.Seeker)
	b.job = append(b.job, p.Job)
	b.phi = append(b.phi, b.cfg.Surplus.Of(floorProbability(p.Act), floorProbability(p.Answer)))
	return nil
}

// SetMass sets a participant's mass (see [Mass]); a participant in no
// pair gets one too (its potential is that of an unmatched participant).
// Unset masses are 1. It returns a [*MassError] for a mass outside
// [MinMass, MaxMass] (or not finite), or an index above MaxIndex.
func (b *Builder) SetMass(m Mass) error {
	if err := checkMass(m); err != nil {
		return err
	}
	b.grow(m.Participant)
	b.mass[m.Participant] = m.Mass
	return nil
}

func checkMass(m Mass) error {
	switch {
	case m.Participant > MaxIndex:
		return &MassError{Mass: m, Reason: fmt.Sprintf("index above %d", MaxIndex)}
	case math.IsNaN(m.Mass) || math.IsInf(m.Mass, 0):
		return &MassError{Mass: m, Reason: "not finite"}
	case !(m.Mass >= MinMass && m.Mass <= MaxMass):
		return &MassError{Mass: m, Reason: fmt.Sprintf("want MinMass (%g) to MaxMass (%g)", MinMass, MaxMass)}
	}
	return nil
}

// floorProbability returns v, or 0 when v is below MinProbability.
func floorProbability(v float64) float64 {
	if v < MinProbability {
		return 0
	}
	return v
}

// Graph is the sparse bipartite graph of a market's candidate pairs with
// each pair's surplus and each participant's mass: the problem a [Fit]
// solves. It is immutable and safe for concurrent use; [Graph.WithMasses]
// derives a graph with other masses that shares the pairs.
//
// Memory: 20 bytes per pair and about 25 bytes per participant index; a
// Fit needs 16 more bytes per pair while it runs.
type Graph struct {
	cfg    Config
	beta   float64 // temperature
	maxPhi float64

	seekers, jobs, isolated []uint32  // local → global, ascending
	nMass, mMass, isoMass   []float64 // masses by local index
	loc                     []uint32  // global → side<<30 | local; 0: absent

	rowPtr []int     // seekers' rows: pairs rowPtr[i] … rowPtr[i+1]
	col    []uint32  // job (local) of each pair, ascending within a row
	phi    []float64 // surplus of each pair
	colPtr []int     // jobs' columns: transposed slots colPtr[j] … colPtr[j+1]
	trow   []uint32  // seeker (local) of each transposed slot, ascending
	tperm  []uint32  // pair of each transposed slot

	// Connected components of the pairs: compA[i], compB[j] in [0, comps).
	compA, compB []uint32
	comps        int
}

const (
	locSeeker   = 1 << 30
	locJob      = 2 << 30
	locIsolated = 3 << 30
	locMask     = 1<<30 - 1
)

// Build returns the graph of the pairs and masses added so far. It fails
// with a [*PairError] for a pair added twice with different surpluses. The
// builder may be reused afterwards (it keeps its pairs).
func (b *Builder) Build() (*Graph, error) {
	g := &Graph{cfg: b.cfg}
	if len(b.phi) >= math.MaxUint32 {
		return nil, fmt.Errorf("%w: %d pairs, at most %d", ErrInput, len(b.phi), math.MaxUint32-1)
	}
	g.loc = make([]uint32, len(b.side))
	for ix, s := range b.side {
		m := b.mass[ix]
		if m == 0 {
			m = 1
		}
		switch {
		case s == sideSeeker:
			g.loc[ix] = locSeeker | uint32(len(g.seekers))
			g.seekers = append(g.seekers, uint32(ix))
			g.nMass = append(g.nMass, m)
		case s == sideJob:
			g.loc[ix] = locJob | uint32(len(g.jobs))
			g.jobs = append(g.jobs, uint32(ix))
			g.mMass = append(g.mMass, m)
		case b.mass[ix] > 0:
			g.loc[ix] = locIsolated | uint32(len(g.isolated))
			g.isolated = append(g.isolated, uint32(ix))
			g.isoMass = append(g.isoMass, m)
		}
	}
	if len(g.seekers) > locMask || len(g.jobs) > locMask || len(g.isolated) > locMask {
		return nil, fmt.Errorf("%w: more than %d participants on one side", ErrInput, locMask)
	}
	S, J := len(g.seekers), len(g.jobs)
	// Counting sort of the pairs by seeker, then each row by job.
	g.rowPtr = make([]int, S+1)
	for _, s := range b.seeker {
		g.rowPtr[g.loc[s]&locMask+1]++
	}
	for i := range S {
		g.rowPtr[i+1] += g.rowPtr[i]
	}
	E := len(b.phi)
	type cell struct {
		job uint32
		phi float64
	}
	cells := make([]cell, E)
	next := slices.Clone(g.rowPtr[:S])
	for e, s := range b.seeker {
		i := g.loc[s] & locMask
		cells[next[i]] = cell{g.loc[b.job[e]] & locMask, b.phi[e]}
		next[i]++
	}
	next = nil
	g.col = make([]uint32, 0, E)
	g.phi = make([]float64, 0, E)
	kept := make([]int, S+1)
	for i := range S {
		row := cells[g.rowPtr[i]:g.rowPtr[i+1]]
		slices.SortFunc(row, func(a, b cell) int {
			return cmp.Or(cmp.Compare(a.job, b.job), cmp.Compare(a.phi, b.phi))
		})
		for k, c := range row {
			if k > 0 && row[k-1].job == c.job {
				if row[k-1].phi != c.phi {
					return nil, &PairError{Pair: Pair{Seeker: g.seekers[i], Job: g.jobs[c.job]},
						Reason: fmt.Sprintf("added twice with different surpluses (%v and %v)", row[k-1].phi, c.phi)}
				}
				continue
			}
			g.col = append(g.col, c.job)
			g.phi = append(g.phi, c.phi)
		}
		kept[i+1] = len(g.col)
	}
	cells = nil
	g.rowPtr = kept
	E = len(g.col)
	g.col, g.phi = slices.Clip(g.col), slices.Clip(g.phi)
	// Transpose: jobs' columns, seekers ascending within each.
	g.colPtr = make([]int, J+1)
	for _, j := range g.col {
		g.colPtr[j+1]++
	}
	for j := range J {
		g.colPtr[j+1] += g.colPtr[j]
	}
	g.trow = make([]uint32, E)
	g.tperm = make([]uint32, E)
	cur := slices.Clone(g.colPtr[:J])
	for i := range S {
		for e := g.rowPtr[i]; e < g.rowPtr[i+1]; e++ {
			j := g.col[e]
			g.trow[cur[j]] = uint32(i)
			g.tperm[cur[j]] = uint32(e)
			cur[j]++
		}
	}
	g.components()
	// Temperature.
	var sum float64
	for _, f := range g.phi {
		sum += f
		g.maxPhi = max(g.maxPhi, f)
	}
	g.beta = g.cfg.Beta
	if E > 0 && sum > 0 {
		g.beta = g.cfg.Beta * sum / float64(E)
	}
	return g, nil
}

// Config returns the graph's configuration, defaults filled in.
func (g *Graph) Config() Config { return g.cfg }

// Temperature returns the graph's β (see Config.Beta).
func (g *Graph) Temperature() float64 { return g.beta }

// Seekers returns the number of seekers (participants in a pair on the
// seekers' side).
func (g *Graph) Seekers() int { return len(g.seekers) }

// Jobs returns the number of jobs.
func (g *Graph) Jobs() int { return len(g.jobs) }

// Isolated returns the number of participants with a mass but no pair.
func (g *Graph) Isolated() int { return len(g.isolated) }

// Pairs returns the number of distinct pairs.
func (g *Graph) Pairs() int { return len(g.col) }

// Has reports whether participant x is in the graph (in a pair, or given a
// mass).
func (g *Graph) Has(x uint32) bool { return int(x) < len(g.loc) && g.loc[x] != 0 }

// Mass returns participant x's mass, or 0 when x is not in the graph.
func (g *Graph) Mass(x uint32) float64 {
	if !g.Has(x) {
		return 0
	}
	l := g.loc[x]
	switch l &^ locMask {
	case locSeeker:
		return g.nMass[l&locMask]
	case locJob:
		return g.mMass[l&locMask]
	}
	return g.isoMass[l&locMask]
}

// WithMasses returns a graph with the same pairs and masses, except those
// in ms. It shares the pairs with g, so it costs a copy of the masses, not
// of the pairs. It returns a [*MassError] (and no graph) for a bad mass or
// a participant that is not in g.
func (g *Graph) WithMasses(ms []Mass) (*Graph, error) {
	for _, m := range ms {
		if err := checkMass(m); err != nil {
			return nil, err
		}
		if !g.Has(m.Participant) {
			return nil, &MassError{Mass: m, Reason: "participant not in the graph"}
		}
	}
	h := *g
	h.nMass, h.mMass, h.isoMass = slices.Clone(g.nMass), slices.Clone(g.mMass), slices.Clone(g.isoMass)
	for _, m := range ms {
		l := g.loc[m.Participant]
		switch l &^ locMask {
		case locSeeker:
			h.nMass[l&locMask] = m.Mass
		case locJob:
			h.mMass[l&locMask] = m.Mass
		default:
			h.isoMass[l&locMask] = m.Mass
		}
	}
	return &h, nil
}

// components labels the connected components of the pairs (union–find),
// numbered in order of their smallest seeker.
func (g *Graph) components() {
	S, J := len(g.seekers), len(g.jobs)
	parent := make([]uint32, S+J)
	for k := range parent {
		parent[k] = uint32(k)
	}
	find := func(x uint32) uint32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i := range S {
		for e := g.rowPtr[i]; e < g.rowPtr[i+1]; e++ {
			a, b := find(uint32(i)), find(uint32(S)+g.col[e])
			if a != b {
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	label := make([]uint32, S+J)
	for k := range label {
		label[k] = math.MaxUint32
	}
	g.compA, g.compB = make([]uint32, S), make([]uint32, J)
	for k := range S + J {
		r := find(uint32(k))
		if label[r] == math.MaxUint32 {
			label[r] = uint32(g.comps)
			g.comps++
		}
		if k < S {
			g.compA[k] = label[r]
		} else {
			g.compB[k-S] = label[r]
		}
	}
}
