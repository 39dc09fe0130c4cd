package insight

import (
	"errors"
	"fmt"

	"github.com/twowayrec/twoway/text"
)

// Config tunes a [Market]. The zero value is ready to use: every field
// documents what its zero value means.
type Config struct {
	// K is the least number of people any figure about people may be
	// computed from (k-anonymity): seeker counts, seekers' expected pay,
	// where people went. Smaller groups are suppressed, never shown.
	// 0 means 5; 1 disables suppression; negative is an error.
	K int `json:"k,omitempty"`

	// Shrinkage is the prior strength, in postings, with which a salary
	// group is pulled toward the next broader group: a group of n postings
	// gets weight n/(n+Shrinkage). 0 means 5; negative is an error.
	Shrinkage float64 `json:"shrinkage,omitempty"`

	// MinGroup is the least number of comparable postings the
	// job-description assistant and the skill gap use before they widen
	// the group (city → whole market, exact title → titles containing it).
	// 0 means 10; negative is an error.
	MinGroup int `json:"min_group,omitempty"`

	// MinShare is the least share of comparable postings a skill or tag
	// must appear in to be listed as a requirement. 0 means 0.05; it must
	// lie in [0, 1].
	MinShare float64 `json:"min_share,omitempty"`

	// MaxItems caps every ranked list (skills, tags, titles, companies,
	// industries). 0 means 20; negative is an error.
	MaxItems int `json:"max_items,omitempty"`

	// KeepDuplicates keeps postings that share another posting's
	// [market.DuplicateKey] (company, normalised title, city and salary:
	// the same job crawled twice). The zero value drops the repeats, so
	// that a job posted ten times does not count ten times.
	KeepDuplicates bool `json:"keep_duplicates,omitempty"`

	// Vocabulary maps spellings of skills and tags to canonical terms, so
	// that "SpringBoot" and "Spring Boot" count as one skill. nil means
	// [text.DefaultVocabulary].
	Vocabulary *text.Vocabulary `json:"-"`
}

// ErrConfig is wrapped by every error [New] returns for a bad Config.
var ErrConfig = errors.New("insight: invalid config")

// withDefaults validates c and fills in the defaults of zero fields.
func (c Config) withDefaults() (Config, error) {
	bad := func(field string, v any) (Config, error) {
		return c, fmt.Errorf("%w: field %s: %v", ErrConfig, field, v)
	}
	switch {
	case c.K < 0:
		return bad("K", c.K)
	case c.Shrinkage < 0 || c.Shrinkage != c.Shrinkage:
		return bad("Shrinkage", c.Shrinkage)
	case c.MinGroup < 0:
		return bad("MinGroup", c.MinGroup)
	case !(c.MinShare >= 0 && c.MinShare <= 1):
		return bad("MinShare", c.MinShare)
	case c.MaxItems < 0:
		return bad("MaxItems", c.MaxItems)
	}
	if c.Vocabulary == nil {
		c.Vocabulary = text.DefaultVocabulary()
	}
	if c.K == 0 {
		c.K = 5
	}
	if c.Shrinkage == 0 {
		c.Shrinkage = 5
	}
	if c.MinGroup == 0 {
		c.MinGroup = 10
	}
	if c.MinShare == 0 {
		c.MinShare = 0.05
	}
	if c.MaxItems == 0 {
		c.MaxItems = 20
	}
	return c, nil
}
