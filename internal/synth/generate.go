package synth

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twowayrec/twoway/market"
)

// Generate builds the market that cfg describes. It returns an error
// wrapping ErrConfig, naming the field, for an invalid cfg.
func Generate(cfg Config) (*Market, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Market{Config: c, NumSeekers: c.Seekers, NumJobs: c.Jobs, Dict: new(market.Dict)}
	g := newGenerator(m)
	g.profiles()
	g.events()
	return m, nil
}

// generator holds the state of one Generate call.
type generator struct {
	m         *Market
	contacted map[Pair]struct{} // pairs where the actor already contacted the target
	rng       *rand.Rand
	skillIx   map[string]uint16
	famSkill  [][]uint16   // per family, vocabulary indices in typical order
	bucket    [][][]uint32 // [side][family*len(cities)+city] → indices
	family    [][][]uint32 // [side][family] → indices
}

func newGenerator(m *Market) *generator {
	g := &generator{m: m, skillIx: map[string]uint16{}}
	for _, f := range families {
		var ix []uint16
		for _, s := range f.skills {
			k, ok := g.skillIx[s]
			if !ok {
				k = uint16(len(m.vocab))
				g.skillIx[s] = k
				m.vocab = append(m.vocab, s)
			}
			ix = append(ix, k)
		}
		g.famSkill = append(g.famSkill, ix)
	}
	return g
}

// profiles draws every participant's latent state and observable profile.
// It uses its own random stream, so the profiles of a seed do not depend
// on the number of events.
func (g *generator) profiles() {
	m, c := g.m, g.m.Config
	g.rng = rand.New(rand.NewPCG(c.Seed, 0x5eed_0001))
	n := c.Seekers + c.Jobs
	m.people = make([]person, n)
	m.Profiles = make([]market.Profile, n)
	cityW := make([]float64, len(cities))
	for i, ct := range cities {
		cityW[i] = ct.weight
	}
	// Companies: a Zipf-like pool; each has an industry and a pay premium.
	nComp := max(1, min(len(companyHeads)*len(companyTails)*10, c.Jobs/5+1))
	type company struct {
		name     string
		industry string
		premium  float64
	}
	comps := make([]company, nComp)
	for i := range comps {
		h := companyHeads[i%len(companyHeads)]
		t := companyTails[(i/len(companyHeads))%len(companyTails)]
		name := h + t
		if k := i / (len(companyHeads) * len(companyTails)); k > 0 {
			name = h + strconv.Itoa(k+1) + t // 星河2科技有限公司: distinct names beyond the first round
		}
		comps[i] = company{name, industries[g.rng.IntN(len(industries))], g.rng.NormFloat64() * 0.15}
	}
	compW := make([]float64, nComp)
	for i := range compW {
		compW[i] = 1 / math.Pow(float64(i+1), 0.8)
	}
	compCum := cumulative(compW)
	cityCum := cumulative(cityW)
	expCum := cumulative(expRangeWeights[:])
	words := max(1, (c.Days+63)/64)
	urgentBits := make([]uint64, n*words)
	pOff := 1 / max(1, c.UrgentDays)
	pOn := 0.0
	if c.UrgentShare > 0 {
		pOn = min(1, c.UrgentShare*pOff/(1-c.UrgentShare))
	}
	g.bucket = [][][]uint32{make([][]uint32, len(families)*len(cities)), make([][]uint32, len(families)*len(cities))}
	g.family = [][][]uint32{make([][]uint32, len(families)), make([][]uint32, len(families))}
	recruiterActivity := 0.0
	seekerActivity := 0.0
	for i := range n {
		ix := uint32(i)
		p := &m.people[i]
		pr := &m.Profiles[i]
		side := market.Seeker
		if i >= c.Seekers {
			side = market.Recruiter
		}
		pr.Side = side
		if side == market.Seeker {
			pr.ID = fmt.Sprintf("s%06d", i)
		} else {
			pr.ID = fmt.Sprintf("j%06d", i-c.Seekers)
		}
		fam := g.rng.IntN(len(families))
		ct := pick(g.rng, cityCum)
		p.family, p.city = uint8(fam), uint8(ct)
		f, cy := &families[fam], &cities[ct]
		pr.City = cy.name
		pr.District = cy.districts[g.rng.IntN(len(cy.districts))]
		pr.Title = f.titles[g.rng.IntN(len(f.titles))]
		for d := range latentDim {
			p.taste[d] = g.rng.NormFloat64() * traitSD
			p.trait[d] = g.rng.NormFloat64() * traitSD
		}
		p.threshold = 2.3 + 0.3*g.rng.NormFloat64()
		p.activity = math.Exp(0.8 * g.rng.NormFloat64())
		// Registration: most before Start, ArrivalShare during the period.
		if g.rng.Float64() < c.ArrivalShare {
			p.regDay = g.rng.IntN(c.Days)
		} else {
			p.regDay = -1 - g.rng.IntN(180)
		}
		pr.Registered = c.Start.Add(time.Duration(p.regDay)*24*time.Hour + time.Duration(g.rng.IntN(86400))*time.Second)
		// Urgency: a two-state Markov chain over days, stationary share UrgentShare.
		p.urgent = urgentBits[i*words : (i+1)*words : (i+1)*words]
		on := g.rng.Float64() < c.UrgentShare
		for d := range c.Days {
			if on {
				p.urgent[d/64] |= 1 << (d % 64)
				on = g.rng.Float64() >= pOff
			} else {
				on = g.rng.Float64() < pOn
			}
		}
		payCity := f.pay * cy.pay * 1000
		if side == market.Seeker {
			years := math.Round(min(25, g.rng.ExpFloat64()*4)*10) / 10
			p.exp = years
			pr.Experience = market.Range{Min: years, Max: years}
			p.edu = []market.Education{market.EducationAssociate, market.EducationBachelor, market.EducationBachelor,
				market.EducationBachelor, market.EducationMaster, market.EducationSecondary, market.EducationDoctorate}[g.rng.IntN(7)]
			pr.Education = p.edu
			p.salary = payCity * (1 + 0.12*min(years, 12)) * math.Exp(0.15*g.rng.NormFloat64())
			pr.Salary = market.Salary{Min: round1000(p.salary * 0.9), Max: round1000(p.salary * 1.15)}
			p.skills = g.drawSkills(fam, 3+g.rng.IntN(6), 0.25)
			p.quality = 0.25*(float64(p.edu)-4) + 0.06*(min(years, 10)-3) + 0.6*g.rng.NormFloat64()
			p.capacity = float64(1 + poisson(g.rng, 3))
			p.replyRate = min(1, max(0.05, c.SeekerReplyRate+0.15*g.rng.NormFloat64()))
			if g.rng.Float64() < 0.7 {
				pr.Company = comps[pick(g.rng, compCum)].name
			}
			pr.Tags = g.drawStrings(softSkills[:], 1+g.rng.IntN(2))
			seekerActivity += p.activity
		} else {
			r := expRanges[pick(g.rng, expCum)]
			p.exp, p.expMax = r.Min, r.Max
			pr.Experience = r
			p.edu = []market.Education{market.EducationAny, market.EducationAssociate, market.EducationBachelor,
				market.EducationBachelor, market.EducationBachelor, market.EducationMaster}[g.rng.IntN(6)]
			pr.Education = p.edu
			comp := comps[pick(g.rng, compCum)]
			pr.Company, pr.Industry = comp.name, comp.industry
			p.salary = payCity * (1.3 + 0.12*min(r.Min, 10)) * math.Exp(comp.premium+0.2*g.rng.NormFloat64())
			pr.Salary = market.Salary{Min: round1000(p.salary * 0.8), Max: round1000(p.salary * 1.25)}
			if g.rng.Float64() < 0.25 {
				pr.Salary.Months = 13 + g.rng.IntN(4)
			}
			if g.rng.Float64() < 0.03 {
				pr.Salary = market.Salary{Negotiable: true}
			}
			p.skills = g.drawSkills(fam, 3+g.rng.IntN(4), 0.1)
			p.quality = 2*comp.premium + 0.3*(p.salary/payCity-1.5) + 0.6*g.rng.NormFloat64()
			p.capacity = math.Round(3 + math.Exp(2+0.6*g.rng.NormFloat64()))
			p.replyRate = c.ReplyRates[g.rng.IntN(len(c.ReplyRates))]
			pr.Tags = g.drawStrings(benefits[:], 2+g.rng.IntN(3))
			recruiterActivity += p.activity
		}
		pr.Skills = make([]string, len(p.skills))
		for k, s := range p.skills {
			pr.Skills[k] = m.vocab[s]
		}
		pr.Text = profileText(pr, f)
		s := int(side) - 1
		g.bucket[s][fam*len(cities)+ct] = append(g.bucket[s][fam*len(cities)+ct], ix)
		g.family[s][fam] = append(g.family[s][fam], ix)
		if _, err := m.Dict.Index(pr.ID); err != nil {
			panic(err) // IDs are generated non-empty UTF-8
		}
	}
	// Recruiters make about 35% of browsing sessions whatever the ratio of
	// jobs to seekers.
	if recruiterActivity > 0 && seekerActivity > 0 {
		scale := 0.35 / 0.65 * seekerActivity / recruiterActivity
		for i := c.Seekers; i < n; i++ {
			m.people[i].activity *= scale
		}
	}
}

// drawSkills draws k distinct skills, mostly from the family's list
// (earlier ones more often) and with probability other each from a random
// other family. The result is sorted.
func (g *generator) drawSkills(fam, k int, other float64) []uint16 {
	seen := make(map[uint16]bool, k)
	out := make([]uint16, 0, k)
	for tries := 0; len(out) < k && tries < 8*k; tries++ {
		f := fam
		if g.rng.Float64() < other {
			f = g.rng.IntN(len(families))
		}
		list := g.famSkill[f]
		// Geometric-like preference for typical skills.
		j := min(len(list)-1, int(g.rng.ExpFloat64()*float64(len(list))/3))
		s := list[j]
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func (g *generator) drawStrings(list []string, k int) []string {
	k = min(k, len(list))
	perm := g.rng.Perm(len(list))[:k]
	slices.Sort(perm)
	out := make([]string, k)
	for i, j := range perm {
		out[i] = list[j]
	}
	return out
}

func profileText(p *market.Profile, f *family) string {
	skills := strings.Join(p.Skills, "、")
	if p.Side == market.Seeker {
		return fmt.Sprintf("%.0f年%s经验，%s学历，熟悉%s。期望在%s从事%s工作。", p.Experience.Min, f.name,
			educationWord(p.Education), skills, p.City, p.Title)
	}
	exp := "经验不限"
	switch {
	case p.Experience.Bounded() && p.Experience.Min == 0:
		exp = "应届生或1年以内经验"
	case p.Experience.Bounded():
		exp = fmt.Sprintf("%.0f-%.0f年经验", p.Experience.Min, p.Experience.Max)
	case p.Experience.Min > 0:
		exp = fmt.Sprintf("%.0f年以上经验", p.Experience.Min)
	}
	return fmt.Sprintf("岗位职责：负责%s相关工作。任职要求：%s，%s，熟悉%s。", f.name, educationWord(p.Education), exp, skills)
}

func educationWord(e market.Education) string {
	return [...]string{"学历不限", "初中", "高中", "大专", "本科", "硕士", "博士"}[e]
}

func round1000(x float64) float64 { return math.Max(1000, math.Round(x/1000)*1000) }

// cumulative returns the running sums of w.
func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		out[i] = s
	}
	return out
}

// pick draws an index with probability proportional to its weight, given
// the cumulative weights.
func pick(rng *rand.Rand, cum []float64) int {
	x := rng.Float64() * cum[len(cum)-1]
	i, _ := slices.BinarySearchFunc(cum, x, func(c, x float64) int {
		if c <= x {
			return -1
		}
		return 1
	})
	return min(i, len(cum)-1)
}

// poisson draws a Poisson deviate by Knuth's method (small means only).
func poisson(rng *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// rec is an event under construction: time in milliseconds after Start.
type rec struct {
	ms     int64
	a, b   uint32
	action market.Action
}

// events simulates browsing sessions day by day until Config.Events events
// exist. Each session: the actor is shown Impressions candidates from the
// other side (half from its own family and city, a quarter from its family,
// a quarter at random; of two draws the more attractive is kept, which
// skews exposure toward popular profiles as real feeds do); it views,
// favourites and contacts them according to its affinity and threshold
// (lowered while urgent); a contacted participant replies if it accepts
// the actor, with probability ReplyRate × min(1, Capacity/load), where
// load counts contacts received today plus half of yesterday's; it may
// reject explicitly otherwise; a mutual reply sometimes leads to a Hire.
func (g *generator) events() {
	m, c := g.m, g.m.Config
	if c.Events == 0 {
		return
	}
	g.rng = rand.New(rand.NewPCG(c.Seed, 0x5eed_0002))
	n := len(m.people)
	recs := make([]rec, 0, c.Events+c.Events/8)
	g.contacted = make(map[Pair]struct{})
	load := make([]float64, n)
	cum := make([]float64, n)
	const dayMS = int64(24 * time.Hour / time.Millisecond)
	end := int64(c.Days) * dayMS
	for day := 0; day < c.Days && len(recs) < c.Events; day++ {
		for i := range load {
			load[i] *= 0.5
		}
		s := 0.0
		for i := range m.people {
			p := &m.people[i]
			w := 0.0
			if p.regDay <= day {
				w = p.activity
				if m.UrgentOn(uint32(i), day) {
					w *= 3
				}
			}
			s += w
			cum[i] = s
		}
		if s == 0 {
			continue
		}
		target := len(recs) + (c.Events-len(recs))/(c.Days-day)
		if day == c.Days-1 {
			target = c.Events
		}
		for len(recs) < target {
			a := uint32(pick(g.rng, cum))
			recs = g.session(recs, a, day, load, end)
		}
	}
	slices.SortStableFunc(recs, func(x, y rec) int { return cmp.Compare(x.ms, y.ms) })
	if len(recs) > c.Events {
		recs = recs[:c.Events]
	}
	m.Events = make([]market.Event, len(recs))
	m.Pairs = make([]Pair, len(recs))
	for i, r := range recs {
		m.Events[i] = market.Event{Actor: m.Profiles[r.a].ID, Target: m.Profiles[r.b].ID, Action: r.action,
			Time: c.Start.Add(time.Duration(r.ms) * time.Millisecond)}
		m.Pairs[i] = Pair{r.a, r.b}
	}
}

// session appends the events of one browsing session of a on day.
func (g *generator) session(recs []rec, a uint32, day int, load []float64, end int64) []rec {
	m, c, rng := g.m, g.m.Config, g.rng
	pa := &m.people[a]
	urgent := m.UrgentOn(a, day)
	// Hour of day: ordinary users browse mostly in working hours; urgent
	// ones also in the evening and at night.
	var hour float64
	switch {
	case urgent && rng.Float64() < 0.5:
		hour = 18 + rng.Float64()*6
	case !urgent && rng.Float64() < 0.8:
		hour = 9 + rng.Float64()*9
	default:
		hour = 7 + rng.Float64()*17
	}
	const hourMS = int64(time.Hour / time.Millisecond)
	t := int64(day)*24*hourMS + int64(hour*float64(hourMS))
	th := m.ThresholdOn(a, day)
	other := 1 - (int(m.Side(a)) - 1)
	k := max(1, c.Impressions+rng.IntN(5)-2)
	for range k {
		b, ok := g.candidate(other, pa, day)
		if !ok {
			continue
		}
		t += 2000 + rng.Int64N(20000)
		recs = append(recs, rec{t, a, b, market.Impression})
		u := m.Affinity(a, b)
		if rng.Float64() >= ViewChance(u, th) {
			continue
		}
		t += 5000 + rng.Int64N(60000)
		recs = append(recs, rec{t, a, b, market.View})
		if rng.Float64() < FavouriteChance(u, th) {
			recs = append(recs, rec{t + 3000, a, b, market.Favourite})
		}
		if rng.Float64() >= ContactChance(u, th, urgent) {
			continue
		}
		if _, done := g.contacted[Pair{a, b}]; done {
			continue // people contact someone once; later sessions only look again
		}
		g.contacted[Pair{a, b}] = struct{}{}
		act := market.Chat
		if m.Side(a) == market.Seeker && rng.Float64() < 0.5 {
			act = market.Apply
		}
		t += 10000 + rng.Int64N(60000)
		recs = append(recs, rec{t, a, b, act})
		pb := &m.people[b]
		load[b]++
		replyAt := t + int64(rng.ExpFloat64()*float64(3*hourMS)) + 60000
		if replyAt >= end {
			continue
		}
		if m.AcceptsOn(b, a, day) {
			if rng.Float64() < ReplyChance(pb.replyRate, pb.capacity, load[b]) {
				recs = append(recs, rec{replyAt, b, a, market.Reply})
				// Both keen: an offer now and then, a few days later.
				if u > th+0.8 && m.Affinity(b, a) > pb.threshold+0.8 && rng.Float64() < 0.1 {
					hireAt := replyAt + int64(1+rng.IntN(5))*24*hourMS
					if hireAt < end {
						job, seeker := b, a
						if m.Side(a) == market.Recruiter {
							job, seeker = a, b
						}
						recs = append(recs, rec{hireAt, job, seeker, market.Hire})
					}
				}
			}
		} else if rng.Float64() < 0.2 {
			recs = append(recs, rec{replyAt, b, a, market.Reject})
		}
	}
	return recs
}

// candidate draws one participant of side index s (0 seekers, 1 jobs)
// registered by day for a session of pa.
func (g *generator) candidate(s int, pa *person, day int) (uint32, bool) {
	draw := func() (uint32, bool) {
		var list []uint32
		switch x := g.rng.Float64(); {
		case x < 0.5:
			list = g.bucket[s][int(pa.family)*len(cities)+int(pa.city)]
		case x < 0.75:
			list = g.family[s][pa.family]
		}
		if len(list) == 0 {
			lo, hi := 0, g.m.NumSeekers
			if s == 1 {
				lo, hi = g.m.NumSeekers, len(g.m.people)
			}
			return uint32(lo + g.rng.IntN(hi-lo)), true
		}
		return list[g.rng.IntN(len(list))], true
	}
	for range 4 {
		b1, _ := draw()
		b2, _ := draw()
		if g.m.people[b2].quality > g.m.people[b1].quality {
			b1 = b2
		}
		if g.m.people[b1].regDay <= day {
			return b1, true
		}
	}
	return 0, false
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// ViewChance is the probability that a participant whose threshold is th
// opens a candidate of affinity u that it was shown: logistic(3·(u − th + 0.2)).
func ViewChance(u, th float64) float64 { return logistic(3 * (u - th + 0.2)) }

// FavouriteChance is the probability that a viewed candidate is also
// saved: 0.4·logistic(3·(u − th)).
func FavouriteChance(u, th float64) float64 { return 0.4 * logistic(3*(u-th)) }

// ContactChance is the probability that a viewed candidate is contacted
// (Chat or Apply): 0 unless u > th, then 0.5, or 0.9 while urgent.
func ContactChance(u, th float64, urgent bool) float64 {
	switch {
	case u <= th:
		return 0
	case urgent:
		return 0.9
	}
	return 0.5
}

// ReplyChance is the probability that a participant who accepts a contact
// answers it: rate · min(1, capacity/load), load counting the contacts it
// has received recently (this one included).
func ReplyChance(rate, capacity, load float64) float64 {
	if load <= capacity {
		return rate
	}
	return rate * capacity / load
}
