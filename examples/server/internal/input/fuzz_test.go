package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/twowayrec/twoway/market"
)

// The fuzz targets run the package's parsing alone (no Engine, no Redis,
// nothing shared between inputs), so that each input costs microseconds;
// see the package doc for the commands.

// checkDecoded checks DecodeJSON's contract on one body: a refusal is a 400
// with a message, and an accepted body's canonical form (json.Marshal of
// what was decoded) is accepted again and decodes to the same value, so
// the duplicate-key check never refuses what encoding/json itself writes.
func checkDecoded[T any](t *testing.T, body []byte) {
	var v T
	e := DecodeJSON(body, &v)
	if e != nil {
		if e.Status != http.StatusBadRequest || e.Message == "" || e.Index < -1 {
			t.Fatalf("refusal %+v, want a 400 with a message", e)
		}
		if e.Index < 0 && e.Record != "" {
			t.Fatalf("refusal %+v names a record but no position", e)
		}
		return
	}
	if !utf8.Valid(body) {
		t.Fatal("accepted invalid UTF-8")
	}
	canon, err := json.Marshal(v)
	if err != nil {
		if !invalidRecord(&v) {
			t.Fatalf("accepted a body of valid records that cannot be encoded: %v", err)
		}
		return // a missing side or action: the Engine's validation refuses it (422)
	}
	var again T
	if e := DecodeJSON(canon, &again); e != nil {
		t.Fatalf("canonical form %s refused: %s", canon, e.Message)
	}
	canon2, err := json.Marshal(again)
	if err != nil || !bytes.Equal(canon, canon2) {
		t.Fatalf("canonical form not stable:\n%s\n%s (%v)", canon, canon2, err)
	}
}

// invalidRecord reports whether a decoded body holds a record that the
// Engine's validation refuses.
func invalidRecord(v any) bool {
	switch v := v.(type) {
	case *Profiles:
		for i := range v.Profiles {
			if v.Profiles[i].Validate() != nil {
				return true
			}
		}
	case *Events:
		for i := range v.Events {
			if v.Events[i].Validate() != nil {
				return true
			}
		}
	}
	return false
}

func FuzzDecodeProfiles(f *testing.F) {
	for _, seed := range []string{
		`{"profiles": [{"id": "a", "side": "seeker", "title": "Go开发", "skills": ["Go"], "salary": {"min": 1, "max": 2}, "registered": "2026-01-01T00:00:00Z"}]}`,
		`{"profiles": [{"id": "a", "side": "seeker", "Side": "recruiter"}]}`,
		`{"profiles": [{"id": "a", "attributes": {"age": 3, "Age": 4}, "experience": {"min": 1}}]}`,
		`{"profiles": [], "PROFILES": null}`,
		`{"profiles": [{"id": "a\u017f", "ſide": "seeker", "education": "bachelor", "inactive": true}]}`,
		`{"profiles": [{"id": 1}]}`,
		"{\"profiles\": [{\"id\": \"\xff\"}]}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkDecoded[Profiles](t, body) })
}

func FuzzDecodeEvents(f *testing.F) {
	for _, seed := range []string{
		`{"events": [{"actor": "a", "target": "b", "action": "view", "time": "2026-01-01T00:00:00Z"}]}`,
		`{"events": [{"actor": "a", "ACTOR": "c", "target": "b", "action": "chat", "time": "2026-01-01T00:00:00+08:00"}]}`,
		`{"events": [{"actor": "a", "target": "b", "action": "wink", "time": "1000-01-01T00:00:00Z"}]}`,
		`{"events": [{}, {"time": "x"}]} {}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkDecoded[Events](t, body) })
}

// aggregators stands in for the library's aggregator names.
var aggregators = []string{"urgency-weighted", "harmonic", "geometric", "product", "min", "one-way"}

func knownAggregator(name string) error {
	if slices.Contains(aggregators, name) {
		return nil
	}
	return errors.New("unknown aggregator")
}

const maxN = 500

// FuzzParseQuery: every query is either a 400 or a valid query (n in
// [1, maxN] when given, a known aggregator, UTF-8 cities), and the query's
// own encoding parses back to the same query.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"", "n=3&explain=true", "side=recruiter&n=500&dry_run=0", "city=南京&city=%E4%B8%8A%E6%B5%B7&aggregator=harmonic",
		"n=0", "n=3&n=4", "dry_run=maybe", "limit=1", "city=%FF", "%zz", "a;b", "side=seeker&aggregator=min",
		"salary_min=20000&salary_max=30000&workplace=remote&workplace=混合", "experience_min=1.5&min_education=本科&unstated=1",
		"industry=金融&industry=&exclude=j1&exclude=j2&cursor=AbC_-", "salary_min=NaN", "salary_min=1e400", "max_education=bachelor&min_education=master",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, e := ParseQuery(raw, maxN, knownAggregator)
		if e != nil {
			if e.Status != http.StatusBadRequest || e.Message == "" {
				t.Fatalf("refusal %+v, want a 400 with a message", e)
			}
			return
		}
		if q.N < 0 || q.N > maxN || q.Side != 0 && !q.Side.Valid() {
			t.Fatalf("accepted %q as %+v", raw, q)
		}
		if q.Aggregator != "" && knownAggregator(q.Aggregator) != nil {
			t.Fatalf("accepted aggregator %q", q.Aggregator)
		}
		for _, c := range q.Cities {
			if !utf8.ValidString(c) {
				t.Fatalf("accepted city %q", c)
			}
		}
		back, e := ParseQuery(q.Encode(), maxN, knownAggregator)
		if e != nil {
			t.Fatalf("%q → %q refused: %s", raw, q.Encode(), e.Message)
		}
		if !reflect.DeepEqual(q, back) {
			t.Fatalf("%q → %+v, but its own form %q → %+v", raw, q, q.Encode(), back)
		}
	})
}

// pathProbe routes requests through the server's ID-carrying patterns and
// records what PathID made of each wildcard.
type pathProbe struct {
	mux *http.ServeMux
	ids map[string]string // wildcard → accepted ID
	bad bool              // PathID refused one
}

func newPathProbe() *pathProbe {
	p := &pathProbe{mux: http.NewServeMux()}
	handle := func(names ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for _, name := range names {
				id, e := PathID(r, name)
				if e != nil {
					if e.Status != http.StatusBadRequest {
						panic("PathID refused with " + strconv.Itoa(e.Status))
					}
					p.bad = true
					return
				}
				p.ids[name] = id
			}
		}
	}
	p.mux.HandleFunc(RouteRecommend, handle("id"))
	p.mux.HandleFunc(RouteRemove, handle("id"))
	p.mux.HandleFunc(RouteExplain, handle("requester", "candidate"))
	return p
}

// route sends method target (a request target as on the wire) through the
// patterns; ok is false when the target is no valid URL.
func (p *pathProbe) route(method, target string) (ids map[string]string, refused, ok bool) {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false, false
	}
	p.ids, p.bad = map[string]string{}, false
	r := &http.Request{Method: method, URL: u, Host: "example.test", Header: http.Header{}}
	p.mux.ServeHTTP(httptest.NewRecorder(), r)
	return p.ids, p.bad, true
}

// FuzzPathID: an ID that PUT accepts (CheckPathID) can be read, deleted
// and explained through its percent-encoded path, and arrives as itself;
// and whatever raw path arrives, PathID accepts only IDs that PUT would.
func FuzzPathID(f *testing.F) {
	for _, seed := range []string{"s-li", "a/b", "/", ".", "..", "a%2Fb", "%FF", "中文", "a b", "x?y#z", "a//b", "%2e%2e", ""} {
		f.Add(seed)
	}
	p := newPathProbe()
	f.Fuzz(func(t *testing.T, s string) {
		// s as an ID.
		if CheckPathID(s) == nil {
			esc := url.PathEscape(s)
			for _, tc := range []struct{ method, target, name string }{
				{"GET", "/v1/recommendations/" + esc, "id"},
				{"DELETE", "/v1/profiles/" + esc, "id"},
				{"GET", "/v1/explanations/" + esc + "/b", "requester"},
				{"GET", "/v1/explanations/a/" + esc, "candidate"},
			} {
				ids, refused, ok := p.route(tc.method, tc.target)
				if !ok || refused || ids[tc.name] != s {
					t.Fatalf("ID %q is creatable but %s %s gives %q (refused %v, valid URL %v)", s, tc.method, tc.target, ids[tc.name], refused, ok)
				}
			}
		}
		// s as the raw rest of a path.
		ids, _, ok := p.route("GET", "/v1/recommendations/"+s)
		if !ok {
			return
		}
		for name, id := range ids {
			if err := CheckPathID(id); err != nil || len(id) > market.MaxIDLen {
				t.Fatalf("path %q: %s = %q accepted, but PUT refuses it: %v", s, name, id, err)
			}
		}
	})
}

// FuzzFoldKey checks FoldKey against encoding/json itself: a key a fills a
// struct field named b exactly when FoldKey(a) == FoldKey(b), so the
// duplicate-key check calls two keys the same exactly when the decoder
// would let one overwrite the other.
func FuzzFoldKey(f *testing.F) {
	for _, seed := range [][2]string{{"side", "Side"}, {"ſide", "side"}, {"K", "\u212a"}, {"id", "ID"}, {"ǅ", "ǆ"}, {"a", "b"}, {"ß", "ss"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || !validTag(b) {
			return // encoding/json would not use b as the field's name
		}
		typ := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(`json:"` + b + `"`)}})
		key, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		v := reflect.New(typ)
		if err := json.Unmarshal([]byte(`{`+string(key)+`: 1}`), v.Interface()); err != nil {
			t.Fatal(err)
		}
		filled := v.Elem().Field(0).Int() == 1
		if same := FoldKey(a) == FoldKey(b); same != filled {
			t.Fatalf("key %q, field %q: encoding/json matches them: %v; FoldKey says the same: %v", a, b, filled, same)
		}
	})
}

// validTag reports whether encoding/json takes s as a field's name
// (encoding/json's isValidTag, for tags that a struct tag can carry).
func validTag(s string) bool {
	if s == "" || strings.ContainsAny(s, "\"\\,`") {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
