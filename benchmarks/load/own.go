package load

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/twowayrec/twoway/market"
)

func filepathStat(p string) (os.FileInfo, error) { return os.Stat(p) }

// RecordError reports a bad record of a user's file: the line, the field
// and why.
type RecordError struct {
	Line  int
	Field string
	Err   error
}

// Error returns "load: line N: field F: reason".
func (e *RecordError) Error() string {
	return fmt.Sprintf("load: line %d: field %s: %v", e.Line, e.Field, e.Err)
}

// Unwrap returns the reason.
func (e *RecordError) Unwrap() error { return e.Err }

// ProfileColumns are the columns ReadProfilesCSV understands; only id and
// side are required. experience, education and salary take the raw forms
// market parses ("3-5年", "本科", "15k-30k", "20-40K·16薪", "面议");
// skills and tags are separated by "|" or ";"; registered is RFC 3339.
var ProfileColumns = []string{"id", "side", "title", "company", "city", "district", "zone", "industry",
	"experience", "education", "salary", "skills", "tags", "text", "registered", "inactive"}

// ReadProfilesCSV reads profiles from a CSV file with a header row naming
// some of ProfileColumns (others are ignored). A profile without a
// registration time gets registered. Every profile is validated; the first
// bad record stops reading with a *RecordError naming its line and field.
func ReadProfilesCSV(r io.Reader, registered time.Time) ([]market.Profile, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("load: profiles: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"id", "side"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("load: profiles: header has no %q column", need)
		}
	}
	var out []market.Profile
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load: profiles: %w", err)
		}
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		p, err := profileFromFields(get, registered)
		if err != nil {
			var re *RecordError
			if errors.As(err, &re) {
				re.Line = line
			}
			return nil, err
		}
		out = append(out, p)
	}
}

func profileFromFields(get func(string) string, registered time.Time) (market.Profile, error) {
	fail := func(field string, err error) (market.Profile, error) {
		return market.Profile{}, &RecordError{Field: field, Err: err}
	}
	var p market.Profile
	p.ID = get("id")
	side, err := market.ParseSide(strings.ToLower(get("side")))
	if err != nil {
		return fail("side", err)
	}
	p.Side = side
	p.Title, p.Company, p.City, p.District, p.Zone, p.Industry, p.Text =
		get("title"), get("company"), get("city"), get("district"), get("zone"), get("industry"), get("text")
	if s := get("experience"); s != "" {
		if p.Experience, err = market.ParseExperience(s); err != nil {
			return fail("experience", err)
		}
	}
	if s := get("education"); s != "" {
		if p.Education, err = market.ParseEducation(s); err != nil {
			return fail("education", err)
		}
	}
	if s := get("salary"); s != "" {
		if p.Salary, err = market.ParseSalary(s); err != nil {
			return fail("salary", err)
		}
	}
	p.Skills, p.Tags = splitList(get("skills")), splitList(get("tags"))
	p.Registered = registered
	if s := get("registered"); s != "" {
		if p.Registered, err = time.Parse(time.RFC3339, s); err != nil {
			return fail("registered", err)
		}
	}
	switch s := strings.ToLower(get("inactive")); s {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		p.Inactive = true
	default:
		return fail("inactive", fmt.Errorf("not a boolean: %q", s))
	}
	if err := p.Validate(); err != nil {
		var fe *market.FieldError
		if errors.As(err, &fe) {
			return fail(fe.Field, err)
		}
		return fail("profile", err)
	}
	return p, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// ReadProfilesJSONL reads one JSON market.Profile per line (the Profile's
// json field names; side "seeker" or "recruiter"; blank lines skipped).
// A profile without a registration time gets registered. The first bad
// line stops reading with a *RecordError.
func ReadProfilesJSONL(r io.Reader, registered time.Time) ([]market.Profile, error) {
	var out []market.Profile
	err := jsonLines(r, func(line int, b []byte) error {
		var p market.Profile
		if err := json.Unmarshal(b, &p); err != nil {
			return &RecordError{Line: line, Field: "json", Err: err}
		}
		if p.Registered.IsZero() {
			p.Registered = registered
		}
		if err := p.Validate(); err != nil {
			var fe *market.FieldError
			field := "profile"
			if errors.As(err, &fe) {
				field = fe.Field
			}
			return &RecordError{Line: line, Field: field, Err: err}
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// ReadEventsCSV reads events from a CSV file with the header
// actor,target,action,time (action a market.Action name such as "view",
// time RFC 3339). Each event is validated on its own (market.Event.Validate);
// check sides against the profiles with market.ValidateEventSides.
func ReadEventsCSV(r io.Reader) ([]market.Event, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("load: events: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"actor", "target", "action", "time"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("load: events: header has no %q column", need)
		}
	}
	var out []market.Event
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load: events: %w", err)
		}
		get := func(c string) string {
			if i := col[c]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		e := market.Event{Actor: get("actor"), Target: get("target")}
		if e.Action, err = market.ParseAction(strings.ToLower(get("action"))); err != nil {
			return nil, &RecordError{Line: line, Field: "action", Err: err}
		}
		if e.Time, err = time.Parse(time.RFC3339, get("time")); err != nil {
			return nil, &RecordError{Line: line, Field: "time", Err: err}
		}
		if err := e.Validate(); err != nil {
			return nil, &RecordError{Line: line, Field: fieldOf(err), Err: err}
		}
		out = append(out, e)
	}
}

// ReadEventsJSONL reads one JSON market.Event per line
// ({"actor":…,"target":…,"action":"chat","time":"2026-01-05T09:00:00Z"}).
func ReadEventsJSONL(r io.Reader) ([]market.Event, error) {
	var out []market.Event
	err := jsonLines(r, func(line int, b []byte) error {
		var e market.Event
		if err := json.Unmarshal(b, &e); err != nil {
			return &RecordError{Line: line, Field: "json", Err: err}
		}
		if err := e.Validate(); err != nil {
			return &RecordError{Line: line, Field: fieldOf(err), Err: err}
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func fieldOf(err error) string {
	var fe *market.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return "event"
}

func jsonLines(r io.Reader, each func(line int, b []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		if err := each(line, b); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	return nil
}
