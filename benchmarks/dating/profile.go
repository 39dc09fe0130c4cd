package dating

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/twowayrec/twoway/market"
)

// Person is one participant of the experiment with what they told the
// organisers at sign-up (the survey filled in before the evening, columns
// ending in _1, and the demographic columns), and nothing from the
// evening itself: no rating of a partner, no decision.
type Person struct {
	IID, Wave, Gender int
	// Field (of study), Career, From (home town) and Undergrad (school) as
	// typed; "" when blank.
	Field, Career, From, Undergrad string
	// Numbers holds every numeric sign-up column the person answered
	// (SignupColumns), blanks left out: missing, never zero.
	Numbers map[string]float64
}

// Interests are the 17 activities people rated their interest in (1–10)
// at sign-up.
var Interests = []string{"sports", "tvsports", "exercise", "dining", "museums", "art", "hiking", "gaming", "clubbing",
	"reading", "tv", "theater", "movies", "concerts", "music", "shopping", "yoga"}

// SignupColumns are the numeric columns of the sign-up survey that
// People keeps: age, codes of field, race, goal, dating and going-out
// frequency and career, SAT and tuition of the school, income of the home
// zip code, the importance of race and religion, expectations, the 17
// interests, and the stated preference weights and self-ratings
// (attr1_1 … shar1_1: what I look for; attr4_1 …: what my sex looks for;
// attr2_1 …: what the other sex looks for; attr3_1 …: how I rate myself;
// attr5_1 …: how others rate me).
var SignupColumns = slices.Concat([]string{"age", "field_cd", "race", "imprace", "imprelig", "goal", "date", "go_out",
	"career_c", "mn_sat", "tuition", "income", "exphappy", "expnum"}, Interests,
	suffixed("1_1", "attr", "sinc", "intel", "fun", "amb", "shar"),
	suffixed("4_1", "attr", "sinc", "intel", "fun", "amb", "shar"),
	suffixed("2_1", "attr", "sinc", "intel", "fun", "amb", "shar"),
	suffixed("3_1", "attr", "sinc", "fun", "intel", "amb"),
	suffixed("5_1", "attr", "sinc", "intel", "fun", "amb"))

func suffixed(suffix string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + suffix
	}
	return out
}

// People returns every person of t, in increasing IID order, from the
// first of their rows (sign-up answers repeat on every row of a person).
func People(t *Table) []Person {
	seen := map[int]bool{}
	var out []Person
	for i := range t.Meetings {
		m := &t.Meetings[i]
		if seen[m.IID] {
			continue
		}
		seen[m.IID] = true
		p := Person{IID: m.IID, Wave: m.Wave, Gender: m.Gender, Field: m.Str("field"), Career: m.Str("career"),
			From: m.Str("from"), Undergrad: m.Str("undergra"), Numbers: map[string]float64{}}
		for _, c := range SignupColumns {
			if v := m.Num(c); !math.IsNaN(v) {
				p.Numbers[c] = v
			}
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Person) int { return cmp.Compare(a.IID, b.IID) })
	return out
}

// ID returns the profile ID of person iid: "sd" and the iid.
func ID(iid int) string { return fmt.Sprintf("sd%d", iid) }

// SideOf returns the market side a gender maps to: women (0) are
// market.Seeker, men (1) market.Recruiter. The choice is arbitrary; the
// two sides of an evening are what matters.
func SideOf(gender int) market.Side {
	if gender == 0 {
		return market.Seeker
	}
	return market.Recruiter
}

// City returns the "city" of a wave: each evening is a closed market, and
// a host keeps requests inside it with Request.Cities.
func City(wave int) string { return fmt.Sprintf("wave %02d", wave) }

// WaveTime returns the (made-up) evening of a wave: the real dates are
// not in the file. Wave w is on 2002-10-01 + 14·(w−1) days at 19:00 UTC.
func WaveTime(wave int) time.Time {
	return time.Date(2002, 10, 1, 19, 0, 0, 0, time.UTC).Add(time.Duration(wave-1) * 14 * 24 * time.Hour)
}

// careers names the career_c codes of the experiment's key.
var careers = map[int]string{1: "lawyer", 2: "academic/research", 3: "psychologist", 4: "doctor/medicine", 5: "engineer",
	6: "creative arts/entertainment", 7: "business/finance/consulting", 8: "real estate", 9: "international/humanitarian affairs",
	10: "undecided", 11: "social work", 12: "speech pathology", 13: "politics", 14: "pro sports/athletics", 15: "other",
	16: "journalism", 17: "architecture"}

// fields names the field_cd codes of the experiment's key (the field of
// study, coded by the organisers from what people typed).
var fields = map[int]string{1: "Law", 2: "Math", 3: "Social Science, Psychologist", 4: "Medical Science, Pharmaceuticals, and Bio Tech",
	5: "Engineering", 6: "English/Creative Writing/ Journalism", 7: "History/Religion/Philosophy", 8: "Business/Econ/Finance",
	9: "Education, Academia", 10: "Biological Sciences/Chemistry/Physics", 11: "Social Work", 12: "Undergrad/undecided",
	13: "Political Science/International Affairs", 14: "Film", 15: "Fine Arts/Arts Administration", 16: "Languages",
	17: "Architecture", 18: "Other"}

// goals names the goal codes (the primary goal in participating).
var goals = map[int]string{1: "a fun night out", 2: "to meet new people", 3: "to get a date", 4: "looking for a serious relationship",
	5: "to say I did it", 6: "other"}

// InterestSkill is the interest score (1–10) from which an interest
// becomes one of a profile's Skills.
const InterestSkill = 7

// Profile maps a person to the market.Profile a host would hold: sign-up
// fields only.
//
//   - ID [ID], Side [SideOf] the gender, City the wave ([City]),
//     Registered the day before the wave's evening;
//   - Title the field of study's category, the name of its field_cd code
//     in the experiment's key ("Law", "Business/Econ/Finance"; the field as
//     typed when the code is blank), so that people of one field share a
//     title however they typed it; Industry the career code's name;
//   - Skills the interests rated InterestSkill or more (their names, in
//     Interests order), so shared interests are shared skills;
//   - Tags the primary goal in words;
//   - Text "field; career; from; undergrad" as typed (the free text of a
//     sign-up form);
//   - Attributes every numeric sign-up answer (Person.Numbers), with the
//     race code as a one-hot "race_N" instead of a number.
func Profile(p *Person) market.Profile {
	pr := market.Profile{ID: ID(p.IID), Side: SideOf(p.Gender), City: City(p.Wave), Title: p.Field,
		Registered: WaveTime(p.Wave).Add(-24 * time.Hour), Attributes: map[string]float64{}}
	if c, ok := p.Numbers["career_c"]; ok {
		pr.Industry = careers[int(c)]
	}
	for _, in := range Interests {
		if v, ok := p.Numbers[in]; ok && v >= InterestSkill {
			pr.Skills = append(pr.Skills, in)
		}
	}
	if g, ok := p.Numbers["goal"]; ok && goals[int(g)] != "" {
		pr.Tags = []string{goals[int(g)]}
	}
	if f, ok := p.Numbers["field_cd"]; ok && fields[int(f)] != "" {
		pr.Title = fields[int(f)]
	}
	var text []string
	for _, s := range []string{p.Field, p.Career, p.From, p.Undergrad} {
		if s != "" {
			text = append(text, s)
		}
	}
	pr.Text = strings.Join(text, "; ")
	for k, v := range p.Numbers {
		if k == "race" {
			pr.Attributes[fmt.Sprintf("race_%d", int(v))] = 1
			continue
		}
		pr.Attributes[k] = v
	}
	return pr
}

// MeetingTime returns when meeting m took place: its wave's evening plus
// 4 minutes per position in the evening (Order).
func MeetingTime(m *Meeting) time.Time {
	return WaveTime(m.Wave).Add(time.Duration(m.Order) * 4 * time.Minute)
}

// Events maps IID's visible decision about PID to the events a host
// logs: an Impression (they met) at the meeting's time, and one second
// later the decision: yes is a contact (Apply from the Seeker side, Chat
// from the Recruiter side, see SideOf), no is a Reject. The partner's row
// gives the other direction.
func Events(m *Meeting) []market.Event {
	at := MeetingTime(m)
	a, b := ID(m.IID), ID(m.PID)
	dec := market.Reject
	if m.Dec {
		dec = market.Chat
		if SideOf(m.Gender) == market.Seeker {
			dec = market.Apply
		}
	}
	return []market.Event{{Actor: a, Target: b, Action: market.Impression, Time: at},
		{Actor: a, Target: b, Action: dec, Time: at.Add(time.Second)}}
}
