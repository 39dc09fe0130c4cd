package market_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func validProfile() market.Profile {
	return market.Profile{
		ID: "p1", Side: market.Recruiter, Title: "Java开发工程师", Company: "示例", City: "南京",
		Experience: market.Range{Min: 3, Max: 5}, Education: market.EducationBachelor,
		Salary: market.Salary{Min: 15000, Max: 25000, Months: 13},
		Skills: []string{"Java", "Spring"}, Tags: []string{"五险一金"},
		Attributes: map[string]float64{"company_size_min": 20}, Registered: t0,
	}
}

func TestProfileValidate(t *testing.T) {
	ok := validProfile()
	require.NoError(t, ok.Validate())
	for _, tc := range []struct {
		name  string
		edit  func(p *market.Profile)
		field string
		err   error
	}{
		{"empty ID", func(p *market.Profile) { p.ID = "" }, "ID", market.ErrEmptyID},
		{"bad UTF-8 ID", func(p *market.Profile) { p.ID = "p\xff" }, "ID", market.ErrInvalidUTF8},
		{"no side", func(p *market.Profile) { p.Side = 0 }, "Side", market.ErrUnknownSide},
		{"side 3", func(p *market.Profile) { p.Side = 3 }, "Side", market.ErrUnknownSide},
		{"bad UTF-8 title", func(p *market.Profile) { p.Title = "\xc3" }, "Title", market.ErrInvalidUTF8},
		{"bad UTF-8 zone", func(p *market.Profile) { p.Zone = "\xff" }, "Zone", market.ErrInvalidUTF8},
		{"bad UTF-8 text", func(p *market.Profile) { p.Text = "ok\xff" }, "Text", market.ErrInvalidUTF8},
		{"bad UTF-8 skill", func(p *market.Profile) { p.Skills[1] = "\xff" }, "Skills[1]", market.ErrInvalidUTF8},
		{"bad UTF-8 tag", func(p *market.Profile) { p.Tags[0] = "\xff" }, "Tags[0]", market.ErrInvalidUTF8},
		{"NaN experience", func(p *market.Profile) { p.Experience.Min = math.NaN() }, "Experience.Min", market.ErrNaN},
		{"negative experience", func(p *market.Profile) { p.Experience.Max = -1 }, "Experience.Max", market.ErrNegative},
		{"inverted experience", func(p *market.Profile) { p.Experience = market.Range{Min: 5, Max: 3} }, "Experience", market.ErrInverted},
		{"education 9", func(p *market.Profile) { p.Education = 9 }, "Education", market.ErrOutOfRange},
		{"NaN salary", func(p *market.Profile) { p.Salary.Min = math.NaN() }, "Salary.Min", market.ErrNaN},
		{"infinite salary", func(p *market.Profile) { p.Salary.Max = math.Inf(1) }, "Salary.Max", market.ErrNaN},
		{"negative salary", func(p *market.Profile) { p.Salary.Min = -100 }, "Salary.Min", market.ErrNegative},
		{"inverted salary", func(p *market.Profile) { p.Salary = market.Salary{Min: 30000, Max: 20000} }, "Salary", market.ErrInverted},
		{"salary 1e308", func(p *market.Profile) { p.Salary = market.Salary{Min: 1e308, Max: 1e308, Months: 24} }, "Salary.Min", market.ErrOutOfRange},
		{"salary above MaxSalary", func(p *market.Profile) { p.Salary.Max = market.MaxSalary * 2 }, "Salary.Max", market.ErrOutOfRange},
		{"experience 1e300", func(p *market.Profile) { p.Experience = market.Range{Min: 1e300, Max: 1e300} }, "Experience.Min", market.ErrOutOfRange},
		{"months 30", func(p *market.Profile) { p.Salary.Months = 30 }, "Salary.Months", market.ErrOutOfRange},
		{"months -1", func(p *market.Profile) { p.Salary.Months = -1 }, "Salary.Months", market.ErrOutOfRange},
		{"NaN attribute", func(p *market.Profile) { p.Attributes["age"] = math.NaN() }, "Attributes[age]", market.ErrNaN},
		{"bad UTF-8 attribute", func(p *market.Profile) { p.Attributes = map[string]float64{"\xff": 1} }, "Attributes", market.ErrInvalidUTF8},
		{"zero time", func(p *market.Profile) { p.Registered = time.Time{} }, "Registered", market.ErrZeroTime},
		// Issue 15: 9999-01-01 was stored as 1815 (UnixNano overflows).
		{"year 9999", func(p *market.Profile) { p.Registered = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) }, "Registered", market.ErrTimeRange},
		{"year 1000", func(p *market.Profile) { p.Registered = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC) }, "Registered", market.ErrTimeRange},
		{"before 1970", func(p *market.Profile) { p.Registered = market.MinTime.Add(-time.Nanosecond) }, "Registered", market.ErrTimeRange},
		{"at MaxTime", func(p *market.Profile) { p.Registered = market.MaxTime }, "Registered", market.ErrTimeRange},
		{"ID of 257 bytes", func(p *market.Profile) { p.ID = strings.Repeat("a", market.MaxIDLen+1) }, "ID", market.ErrIDTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validProfile()
			p.Skills = append([]string(nil), p.Skills...)
			p.Tags = append([]string(nil), p.Tags...)
			p.Attributes = map[string]float64{"company_size_min": 20}
			tc.edit(&p)
			err := p.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.err)
			var fe *market.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "profile", fe.Record)
			assert.Equal(t, tc.field, fe.Field)
			assert.Contains(t, err.Error(), "field "+tc.field)
			assert.Contains(t, err.Error(), "market: profile ")
			if p.ID != "" && tc.field != "ID" {
				assert.Contains(t, err.Error(), `"p1"`)
			}
		})
	}
	// Open ranges are valid: Max 0 is "no upper bound".
	p := validProfile()
	p.Salary = market.Salary{Min: 15000}
	p.Experience = market.Range{Min: 10}
	assert.NoError(t, p.Validate())
}

func TestEventValidate(t *testing.T) {
	ok := market.Event{Actor: "s1", Target: "j1", Action: market.View, Time: t0}
	require.NoError(t, ok.Validate())
	for _, tc := range []struct {
		name  string
		edit  func(e *market.Event)
		field string
		err   error
	}{
		{"empty actor", func(e *market.Event) { e.Actor = "" }, "Actor", market.ErrEmptyID},
		{"bad UTF-8 actor", func(e *market.Event) { e.Actor = "\xff" }, "Actor", market.ErrInvalidUTF8},
		{"empty target", func(e *market.Event) { e.Target = "" }, "Target", market.ErrEmptyID},
		{"bad UTF-8 target", func(e *market.Event) { e.Target = "j\xff" }, "Target", market.ErrInvalidUTF8},
		{"self", func(e *market.Event) { e.Target = "s1" }, "Target", market.ErrSelf},
		{"no action", func(e *market.Event) { e.Action = 0 }, "Action", market.ErrUnknownAction},
		{"action 99", func(e *market.Event) { e.Action = 99 }, "Action", market.ErrUnknownAction},
		{"zero time", func(e *market.Event) { e.Time = time.Time{} }, "Time", market.ErrZeroTime},
		// Issue 15: 1000-01-01 was stored as 2169-02-08, and
		// 0001-01-01T00:00:01Z as 1754.
		{"year 1000", func(e *market.Event) { e.Time = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC) }, "Time", market.ErrTimeRange},
		{"one second after zero", func(e *market.Event) { e.Time = time.Time{}.Add(time.Second) }, "Time", market.ErrTimeRange},
		{"year 2262", func(e *market.Event) { e.Time = time.Date(2262, 6, 1, 0, 0, 0, 0, time.UTC) }, "Time", market.ErrTimeRange},
		{"actor of 257 bytes", func(e *market.Event) { e.Actor = strings.Repeat("s", market.MaxIDLen+1) }, "Actor", market.ErrIDTooLong},
		{"target of 257 bytes", func(e *market.Event) { e.Target = strings.Repeat("j", market.MaxIDLen+1) }, "Target", market.ErrIDTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ok
			tc.edit(&e)
			err := e.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.err)
			var fe *market.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "event", fe.Record)
			assert.Equal(t, tc.field, fe.Field)
			assert.Contains(t, err.Error(), "market: event ")
			assert.Contains(t, err.Error(), "field "+tc.field)
		})
	}
}

func TestValidateEventSides(t *testing.T) {
	sides := map[string]market.Side{"s1": market.Seeker, "s2": market.Seeker, "j1": market.Recruiter}
	side := func(id string) (market.Side, bool) { s, ok := sides[id]; return s, ok }
	for _, tc := range []struct {
		name          string
		actor, target string
		field         string
		err           error
	}{
		{"seeker to job", "s1", "j1", "", nil},
		{"job to seeker", "j1", "s2", "", nil},
		{"same side", "s1", "s2", "Target", market.ErrSameSide},
		{"unknown actor", "s9", "j1", "Actor", market.ErrUnknownID},
		{"unknown target", "s1", "j9", "Target", market.ErrUnknownID},
		{"invalid first", "", "j1", "Actor", market.ErrEmptyID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := market.Event{Actor: tc.actor, Target: tc.target, Action: market.Chat, Time: t0}
			err := market.ValidateEventSides(&e, side)
			if tc.err == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.err)
			var fe *market.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.field, fe.Field)
			assert.Equal(t, e.Key(), fe.ID)
			assert.Contains(t, err.Error(), tc.actor+"→"+tc.target)
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	err := &market.FieldError{Record: "profile", ID: "p1", Field: "Salary.Min", Value: "-1", Err: market.ErrNegative}
	assert.EqualError(t, err, `market: profile "p1": field Salary.Min: negative value: -1`)
	err = &market.FieldError{Record: "event", ID: "a→b", Field: "Time", Err: market.ErrZeroTime}
	assert.EqualError(t, err, `market: event "a→b": field Time: zero time`)
	assert.EqualError(t, &market.FieldError{Record: "x", ID: "y", Field: "z"}, `market: x "y": field z: invalid`)

	// A long value (a résumé) is quoted to MaxQuoted bytes, cut at a rune
	// boundary, with its full length; the field keeps it whole.
	long := strings.Repeat("数据", 1000)
	err = &market.FieldError{Record: "profile", ID: "p1", Field: "Text", Value: long, Err: market.ErrInvalidUTF8}
	msg := err.Error()
	assert.Less(t, len(msg), 200, msg)
	assert.True(t, utf8.ValidString(msg))
	assert.Contains(t, msg, "… (6000 bytes)")
	assert.Equal(t, long, err.Value)
	assert.Equal(t, "short", market.Shorten("short"))
}

func TestCheckTimeBounds(t *testing.T) {
	assert.NoError(t, market.CheckTime(market.MinTime))
	assert.NoError(t, market.CheckTime(market.MaxTime.Add(-time.Nanosecond)))
	// Every accepted time survives UnixNano.
	for _, at := range []time.Time{market.MinTime, market.MaxTime.Add(-time.Nanosecond)} {
		assert.True(t, time.Unix(0, at.UnixNano()).Equal(at), "%v", at)
	}
	assert.ErrorIs(t, market.CheckTime(time.Time{}), market.ErrZeroTime)
	assert.ErrorIs(t, market.CheckTime(market.MaxTime), market.ErrTimeRange)
}

func TestDict(t *testing.T) {
	var d market.Dict
	a, err := d.Index("seeker-a")
	require.NoError(t, err)
	b, err := d.Index("job-b")
	require.NoError(t, err)
	again, err := d.Index("seeker-a")
	require.NoError(t, err)
	assert.Equal(t, uint32(0), a)
	assert.Equal(t, uint32(1), b)
	assert.Equal(t, a, again, "stable")
	assert.Equal(t, 2, d.Len())
	id, ok := d.ID(1)
	assert.True(t, ok)
	assert.Equal(t, "job-b", id)
	_, ok = d.ID(2)
	assert.False(t, ok)
	ix, ok := d.Lookup("job-b")
	assert.True(t, ok)
	assert.Equal(t, uint32(1), ix)
	_, ok = d.Lookup("nobody")
	assert.False(t, ok)
	assert.Equal(t, 2, d.Len(), "Lookup never adds")
	assert.Equal(t, []string{"seeker-a", "job-b"}, d.IDs())

	_, err = d.Index("")
	assert.ErrorIs(t, err, market.ErrEmptyID)
	_, err = d.Index("\xff")
	assert.ErrorIs(t, err, market.ErrInvalidUTF8)
	assert.Equal(t, 2, d.Len())
}

// TestDictConcurrent indexes overlapping IDs from many goroutines (run with
// -race): every ID gets exactly one index and the indices are 0..n-1.
func TestDictConcurrent(t *testing.T) {
	var d market.Dict
	const workers, ids = 8, 2000
	got := make([][]uint32, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[w] = make([]uint32, ids)
			for i := range ids {
				k := (i*7 + w*131) % ids // each worker in its own order
				ix, err := d.Index("id" + strconv.Itoa(k))
				if err != nil {
					panic(err)
				}
				got[w][k] = ix
				d.Lookup("id" + strconv.Itoa(i))
				d.ID(ix)
				_ = d.Len()
			}
		}()
	}
	wg.Wait()
	require.Equal(t, ids, d.Len())
	seen := make(map[uint32]bool, ids)
	for k := range ids {
		ix := got[0][k]
		for w := 1; w < workers; w++ {
			require.Equal(t, ix, got[w][k], "worker %d id%d", w, k)
		}
		assert.False(t, seen[ix])
		seen[ix] = true
		id, ok := d.ID(ix)
		require.True(t, ok)
		assert.Equal(t, "id"+strconv.Itoa(k), id)
	}
}

func TestDictRoundTrip(t *testing.T) {
	var d market.Dict
	for _, id := range []string{"s1", "职位-南京-42", "j7", "x"} {
		_, err := d.Index(id)
		require.NoError(t, err)
	}
	var buf bytes.Buffer
	n, err := d.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	raw := append([]byte(nil), buf.Bytes()...)

	var back market.Dict
	_, err = back.Index("to be replaced")
	require.NoError(t, err)
	m, err := back.ReadFrom(&buf)
	require.NoError(t, err)
	assert.Equal(t, n, m)
	assert.Equal(t, d.IDs(), back.IDs())
	ix, ok := back.Lookup("职位-南京-42")
	assert.True(t, ok)
	assert.Equal(t, uint32(1), ix)
	next, err := back.Index("new")
	require.NoError(t, err)
	assert.Equal(t, uint32(4), next, "indices continue after a load")

	// Every truncation is an error wrapping ErrCorrupt and leaves the
	// dictionary as it was.
	for cut := range len(raw) {
		var c market.Dict
		_, _ = c.Index("keep")
		_, err := c.ReadFrom(bytes.NewReader(raw[:cut]))
		require.ErrorIs(t, err, market.ErrCorrupt, "cut at %d", cut)
		assert.Equal(t, []string{"keep"}, c.IDs())
	}
	// Foreign data, another version, a duplicate ID.
	bad := map[string][]byte{
		"magic":     []byte("not a dictionary at all"),
		"version":   append([]byte("twoway.dict\x00"), 2, 0),
		"duplicate": append([]byte("twoway.dict\x00"), 1, 2, 1, 'a', 1, 'a'),
		"utf8":      append([]byte("twoway.dict\x00"), 1, 1, 1, 0xff),
		"empty id":  append([]byte("twoway.dict\x00"), 1, 1, 0),
	}
	for name, b := range bad {
		var c market.Dict
		_, err := c.ReadFrom(bytes.NewReader(b))
		assert.ErrorIs(t, err, market.ErrCorrupt, name)
	}
	// The empty dictionary round-trips.
	var empty, back2 market.Dict
	buf.Reset()
	_, err = empty.WriteTo(&buf)
	require.NoError(t, err)
	_, err = back2.ReadFrom(&buf)
	require.NoError(t, err)
	assert.Zero(t, back2.Len())
}

func FuzzDictReadFrom(f *testing.F) {
	var d market.Dict
	for _, id := range []string{"a", "职位", "s-1"} {
		_, _ = d.Index(id)
	}
	var buf bytes.Buffer
	_, _ = d.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("twoway.dict\x00\x01\x00"))
	f.Add([]byte("twoway.dict\x00\x01\xff\xff\xff\xff\x0f"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var c market.Dict
		_, err := c.ReadFrom(bytes.NewReader(data))
		if err != nil {
			require.ErrorIs(t, err, market.ErrCorrupt)
			assert.Zero(t, c.Len())
			return
		}
		var out bytes.Buffer
		_, err = c.WriteTo(&out)
		require.NoError(t, err)
		var again market.Dict
		_, err = again.ReadFrom(&out)
		require.NoError(t, err)
		assert.Equal(t, c.IDs(), again.IDs())
		for i, id := range c.IDs() {
			ix, ok := c.Lookup(id)
			require.True(t, ok)
			assert.Equal(t, uint32(i), ix)
		}
	})
}

func TestTextMarshalling(t *testing.T) {
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		b, err := s.MarshalText()
		require.NoError(t, err)
		var back market.Side
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, s, back)
		assert.Equal(t, s, s.Other().Other())
		assert.NotEqual(t, s, s.Other())
	}
	assert.Equal(t, "seeker", market.Seeker.String())
	assert.Equal(t, "Side(7)", market.Side(7).String())
	assert.Equal(t, market.Side(0), market.Side(7).Other())
	_, err := market.Side(0).MarshalText()
	assert.ErrorIs(t, err, market.ErrUnknownSide)
	var s market.Side
	assert.ErrorIs(t, s.UnmarshalText([]byte("boss")), market.ErrUnknownSide)
	for in, want := range map[string]market.Side{"求职者": market.Seeker, "employer": market.Recruiter, "job": market.Recruiter, "candidate": market.Seeker} {
		got, err := market.ParseSide(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}

	for _, a := range market.Actions() {
		b, err := a.MarshalText()
		require.NoError(t, err)
		var back market.Action
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, a, back)
	}
	assert.Len(t, market.Actions(), 8)
	assert.Equal(t, "Action(0)", market.Action(0).String())
	_, err = market.Action(42).MarshalText()
	assert.ErrorIs(t, err, market.ErrUnknownAction)
	var a market.Action
	assert.ErrorIs(t, a.UnmarshalText([]byte("like")), market.ErrUnknownAction)
	fav, err := market.ParseAction("favorite")
	require.NoError(t, err)
	assert.Equal(t, market.Favourite, fav)
	assert.True(t, market.Chat.Contact())
	assert.True(t, market.Apply.Contact())
	assert.False(t, market.View.Contact())

	for e := market.EducationAny; e <= market.EducationDoctorate; e++ {
		b, err := e.MarshalText()
		require.NoError(t, err)
		var back market.Education
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, e, back)
	}
	_, err = market.Education(9).MarshalText()
	assert.ErrorIs(t, err, market.ErrOutOfRange)
	assert.Equal(t, "Education(9)", market.Education(9).String())
	var e market.Education
	require.NoError(t, e.UnmarshalText([]byte("硕士")), "accepts what ParseEducation accepts")
	assert.Equal(t, market.EducationMaster, e)
	assert.ErrorIs(t, e.UnmarshalText([]byte("??")), market.ErrUnparsable)
}

func TestJSONRoundTrip(t *testing.T) {
	p := validProfile()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"side":"recruiter"`)
	assert.Contains(t, string(b), `"education":"bachelor"`)
	var back market.Profile
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, p, back)

	ev := market.Event{Actor: "s1", Target: "j1", Action: market.Favourite, Time: t0}
	b, err = json.Marshal(ev)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"action":"favourite"`)
	var evBack market.Event
	require.NoError(t, json.Unmarshal(b, &evBack))
	assert.Equal(t, ev, evBack)
	assert.Error(t, json.Unmarshal([]byte(`{"actor":"a","target":"b","action":"poke"}`), &evBack))
}

func TestActionWeights(t *testing.T) {
	w := market.DefaultActionWeights()
	require.NoError(t, w.Validate())
	tab := w.Table()
	for _, a := range market.Actions() {
		assert.InDelta(t, w.Of(a), tab[a], 0, a.String())
	}
	assert.Less(t, w.Of(market.View), w.Of(market.Favourite))
	assert.Less(t, w.Of(market.Favourite), w.Of(market.Chat))
	assert.Less(t, w.Of(market.Reply), w.Of(market.Hire))
	assert.Negative(t, w.Of(market.Reject))
	assert.InDelta(t, 0, w.Of(market.Action(0)), 0)
	w.Chat = math.NaN()
	err := w.Validate()
	assert.ErrorIs(t, err, market.ErrNaN)
	var fe *market.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "config", fe.Record)
	assert.Equal(t, "chat", fe.Field)
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{market.ErrEmptyID, market.ErrInvalidUTF8, market.ErrUnknownSide, market.ErrUnknownAction,
		market.ErrNaN, market.ErrNegative, market.ErrInverted, market.ErrZeroTime, market.ErrSameSide,
		market.ErrSelf, market.ErrUnknownID, market.ErrOutOfRange, market.ErrTimeRange, market.ErrIDTooLong, market.ErrCorrupt, market.ErrUnparsable, market.ErrUnknownFormat}
	for i, a := range all {
		assert.Regexp(t, "^market: ", a.Error())
		for j, b := range all {
			if i != j {
				assert.False(t, errors.Is(a, b), "%v is %v", a, b)
			}
		}
	}
}

func ExampleDict() {
	var d market.Dict
	for _, id := range []string{"seeker:li", "job:42", "seeker:li"} {
		ix, _ := d.Index(id)
		fmt.Println(id, "→", ix)
	}
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		fmt.Println(err)
	}
	var loaded market.Dict
	if _, err := loaded.ReadFrom(&buf); err != nil {
		fmt.Println(err)
	}
	id, _ := loaded.ID(1)
	fmt.Println(loaded.Len(), id)
	// Output:
	// seeker:li → 0
	// job:42 → 1
	// seeker:li → 0
	// 2 job:42
}

func ExampleProfile_Validate() {
	p := market.Profile{
		ID: "job:42", Side: market.Recruiter, Title: "数据分析师",
		Salary:     market.Salary{Min: 30000, Max: 20000},
		Registered: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
	}
	err := p.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, market.ErrInverted))
	// Output:
	// market: profile "job:42": field Salary: minimum above maximum: 30000 > 20000
	// true
}
