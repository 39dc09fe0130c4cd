package recall_test

import (
	"math"
	"testing"

	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
)

// facetMarket holds postings 0–5 and seekers 10–13 with what each states.
func facetMarket(t *testing.T) *recall.Population {
	var p recall.Population
	for ix, prof := range map[uint32]market.Profile{
		0:  {ID: "j0", Side: market.Recruiter, Salary: market.Salary{Min: 10000, Max: 15000}, Experience: market.Range{Min: 1, Max: 3}, Education: market.EducationBachelor, Industry: "电子商务,移动互联网", Workplace: market.WorkplaceOnsite},
		1:  {ID: "j1", Side: market.Recruiter, Salary: market.Salary{Min: 20000}, Experience: market.Range{Min: 5}, Education: market.EducationMaster, Industry: "金融", Workplace: market.WorkplaceRemote},
		2:  {ID: "j2", Side: market.Recruiter, Salary: market.Salary{Negotiable: true}, Industry: "Fintech", Workplace: market.WorkplaceHybrid},
		3:  {ID: "j3", Side: market.Recruiter, Salary: market.Salary{Max: 8000}},
		4:  {ID: "j4", Side: market.Recruiter, Salary: market.Salary{Min: 12000, Max: 18000}, Experience: market.Range{Min: 3, Max: 5}, Education: market.EducationAssociate, Industry: "金融, 电子商务"},
		10: {ID: "s0", Side: market.Seeker, Experience: market.Range{Min: 2, Max: 2}, Education: market.EducationBachelor, Salary: market.Salary{Min: 15000, Max: 20000}},
		11: {ID: "s1", Side: market.Seeker, Experience: market.Range{Min: 8, Max: 8}, Education: market.EducationDoctorate},
		12: {ID: "s2", Side: market.Seeker}, // states nothing
		13: {ID: "s3", Side: market.Seeker, Experience: market.Range{Min: 0.5, Max: 0.5}, Education: market.EducationAssociate, Workplace: market.WorkplaceRemote},
	} {
		prof.Registered = day0
		require.NoError(t, p.Upsert(ix, &prof))
	}
	return &p
}

func TestFacets(t *testing.T) {
	p := facetMarket(t)
	jobs, seekers := p.Active(nil, market.Recruiter), p.Active(nil, market.Seeker)
	run := func(considered bitmap.Bitmap, f recall.Facets) ([]uint32, recall.FacetCounts) {
		t.Helper()
		require.NoError(t, f.Validate())
		var allowed bitmap.Bitmap
		considered.Clone(&allowed)
		var c recall.FacetCounts
		p.Facet(considered, &allowed, &f, &c)
		var out []uint32
		allowed.Range(func(ix uint32) { out = append(out, ix) })
		return out, c
	}
	for _, tc := range []struct {
		name   string
		side   bitmap.Bitmap
		f      recall.Facets
		want   []uint32
		counts recall.FacetCounts
	}{
		{"zero keeps everyone", jobs, recall.Facets{}, []uint32{0, 1, 2, 3, 4}, recall.FacetCounts{}},
		// j0 10–15k, j1 20k+ (open), j2 面议, j3 up to 8k, j4 12–18k.
		{"salary from 16k", jobs, recall.Facets{SalaryMin: 16000}, []uint32{1, 4}, recall.FacetCounts{Salary: 3}},
		{"salary 9k–11k", jobs, recall.Facets{SalaryMin: 9000, SalaryMax: 11000}, []uint32{0}, recall.FacetCounts{Salary: 4}},
		{"salary up to 9k, negotiable too", jobs, recall.Facets{SalaryMax: 9000, Unstated: true}, []uint32{2, 3}, recall.FacetCounts{Salary: 3}},
		// Postings: j0 1–3, j1 5+, j2 j3 no requirement, j4 3–5.
		{"experience 4–4 years", jobs, recall.Facets{ExperienceMin: 4, ExperienceMax: 4}, []uint32{2, 3, 4}, recall.FacetCounts{Experience: 2}},
		{"seekers with 1–5 years", seekers, recall.Facets{ExperienceMin: 1, ExperienceMax: 5}, []uint32{10}, recall.FacetCounts{Experience: 3}},
		{"seekers with 1–5 years, or unstated", seekers, recall.Facets{ExperienceMin: 1, ExperienceMax: 5, Unstated: true}, []uint32{10, 12}, recall.FacetCounts{Experience: 2}},
		{"seekers with a bachelor or more", seekers, recall.Facets{MinEducation: market.EducationBachelor}, []uint32{10, 11}, recall.FacetCounts{Education: 2}},
		// A seeker with an associate degree: postings that ask no more.
		{"postings for an associate degree", jobs, recall.Facets{MaxEducation: market.EducationAssociate}, []uint32{2, 3, 4}, recall.FacetCounts{Education: 2}},
		{"industry, one item of a list, any case", jobs, recall.Facets{Industries: []string{"电子商务", "fintech"}}, []uint32{0, 2, 4}, recall.FacetCounts{Industry: 2}},
		{"remote or hybrid", jobs, recall.Facets{Workplaces: []market.Workplace{market.WorkplaceRemote, market.WorkplaceHybrid}}, []uint32{1, 2}, recall.FacetCounts{Workplace: 3}},
		{"two facets count in each", jobs, recall.Facets{SalaryMin: 16000, Industries: []string{"电子商务"}}, []uint32{4}, recall.FacetCounts{Salary: 3, Industry: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, c := run(tc.side, tc.f)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.counts, c)
		})
	}
	t.Run("only the considered are removed", func(t *testing.T) {
		var considered, allowed bitmap.Bitmap
		considered.Set(0)
		jobs.Clone(&allowed)
		p.Facet(considered, &allowed, &recall.Facets{SalaryMin: 99999}, nil)
		assert.False(t, allowed.Contains(0))
		assert.True(t, allowed.Contains(1), "not considered: left alone")
	})
	t.Run("unknown participants fail the facets set", func(t *testing.T) {
		var considered, allowed bitmap.Bitmap
		considered.Set(50)
		allowed.Set(50)
		var c recall.FacetCounts
		p.Facet(considered, &allowed, &recall.Facets{SalaryMin: 1}, &c)
		assert.Zero(t, allowed.Count())
		assert.Equal(t, recall.FacetCounts{Salary: 1}, c)
	})
}

func TestFacetsValidate(t *testing.T) {
	for _, tc := range []struct {
		f     recall.Facets
		field string
		err   error
	}{
		{recall.Facets{SalaryMin: math.NaN()}, "Filters.SalaryMin", market.ErrNaN},
		{recall.Facets{SalaryMax: math.Inf(1)}, "Filters.SalaryMax", market.ErrNaN},
		{recall.Facets{ExperienceMin: -1}, "Filters.ExperienceMin", market.ErrNegative},
		{recall.Facets{SalaryMin: 20000, SalaryMax: 10000}, "Filters.SalaryMin", market.ErrInverted},
		{recall.Facets{MinEducation: 99}, "Filters.MinEducation", market.ErrOutOfRange},
		{recall.Facets{MinEducation: market.EducationMaster, MaxEducation: market.EducationBachelor}, "Filters.MinEducation", market.ErrInverted},
		{recall.Facets{Industries: []string{"金融", "\xff"}}, "Filters.Industries[1]", market.ErrInvalidUTF8},
		{recall.Facets{Industries: []string{" "}}, "Filters.Industries[0]", market.ErrEmpty},
		{recall.Facets{Workplaces: []market.Workplace{market.WorkplaceUnknown}}, "Filters.Workplaces[0]", market.ErrOutOfRange},
		{recall.Facets{Workplaces: []market.Workplace{9}}, "Filters.Workplaces[0]", market.ErrOutOfRange},
	} {
		err := tc.f.Validate()
		var fe *market.FieldError
		require.ErrorAs(t, err, &fe, "%+v", tc.f)
		assert.Equal(t, tc.field, fe.Field)
		assert.ErrorIs(t, err, tc.err)
	}
}

// TestMaskUnknownCity: a request naming a city nobody is in, after one
// that has people (kelindar/bitmap's Or panics on an empty argument).
func TestMaskUnknownCity(t *testing.T) {
	var p recall.Population
	a := market.Profile{ID: "a", Side: market.Recruiter, City: "北京", Registered: day0}
	require.NoError(t, p.Upsert(130, &a))
	m, err := p.Mask(nil, recall.Filter{Requester: 0, Side: market.Seeker, Cities: []string{"北京", "拉萨", "上海"}})
	require.NoError(t, err)
	assert.Equal(t, 1, m.Count())
}
