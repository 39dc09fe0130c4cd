package match

import (
	"slices"
	"strconv"
	"strings"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/text"
)

// ContentFromText builds the Content of profile p with package text, the
// content feature model's input (patent step 1.3.5):
//
//   - Vector is enc.Encode(p): weighted text and title terms, canonical
//     skills, tags, city, industry, education, experience and salary bands;
//   - Skills are p's declared skills normalised by enc's vocabulary plus the
//     skills the tokeniser finds in p's title and text;
//   - Tags are p's tags normalised, plus, when rules is not nil, the items
//     that rules infer from p's tags and skills (association-rule tag
//     expansion, patent step 1.2), which are also listed in Expanded.
//
// The structured fields (city, experience, education, salary) are copied
// from p. enc must not be nil; rules may be.
func ContentFromText(enc *text.Encoder, rules *text.Rules, p *market.Profile) Content {
	c := ContentOf(p, enc.Encode(sparse.Vector{}, p))
	tok := enc.Tokenizer()
	vocab := tok.Vocabulary()
	var skills []string
	for _, s := range p.Skills {
		if n := vocab.Normalize(s); n != "" {
			skills = append(skills, n)
		}
	}
	skills = append(skills, tok.Skills(p.Title+"\n"+p.Text)...)
	slices.Sort(skills)
	c.Skills = slices.Compact(skills)
	var tags []string
	for _, t := range p.Tags {
		if n := vocab.Normalize(t); n != "" {
			tags = append(tags, n)
		}
	}
	slices.Sort(tags)
	tags = slices.Compact(tags)
	if rules != nil {
		for _, x := range rules.Expand(append(slices.Clone(tags), c.Skills...)) {
			if _, has := slices.BinarySearch(tags, x.Item); !has && !slices.Contains(c.Skills, x.Item) {
				c.Expanded = append(c.Expanded, x.Item)
			}
		}
		slices.Sort(c.Expanded)
		c.Expanded = slices.Compact(c.Expanded)
		tags = append(tags, c.Expanded...)
		slices.Sort(tags)
		tags = slices.Compact(tags)
	}
	// Copied to their length: a catalog keeps every participant's content.
	c.Skills, c.Tags, c.Expanded = slices.Clone(c.Skills), slices.Clone(tags), slices.Clone(c.Expanded)
	c.City = strings.TrimSpace(p.City)
	return c
}

// FeatureNames returns a CatalogConfig.FeatureName that names content
// features by enc ("skill: go", "city: 北京"); indices beyond enc are
// named "feature j".
func FeatureNames(enc *text.Encoder) func(market.Side, uint32) string {
	return func(_ market.Side, j uint32) string {
		if int(j) < enc.Len() {
			return enc.Feature(j).String()
		}
		return "feature " + strconv.Itoa(int(j))
	}
}

// FeatureKinds returns the field of every content feature of enc, for
// CatalogConfig.Kinds.
func FeatureKinds(enc *text.Encoder) []text.FeatureKind {
	out := make([]text.FeatureKind, enc.Len())
	for j := range out {
		out[j] = enc.Feature(uint32(j)).Kind
	}
	return out
}
