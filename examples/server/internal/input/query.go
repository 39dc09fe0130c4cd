package input

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

// Query is the query of GET /v1/recommendations/{id}.
type Query struct {
	Side       market.Side // 0: not given
	N          int         // 0: not given
	Explain    bool
	DryRun     *bool // nil: not given
	Aggregator string
	Cities     []string
	Language   text.Language // "": not given; else text.Chinese or text.English
}

// Encode writes q as a query string that ParseQuery reads back as q.
func (q Query) Encode() string {
	v := url.Values{}
	if q.Side != 0 {
		v.Set("side", q.Side.String())
	}
	if q.N != 0 {
		v.Set("n", strconv.Itoa(q.N))
	}
	if q.Explain {
		v.Set("explain", "true")
	}
	if q.DryRun != nil {
		v.Set("dry_run", strconv.FormatBool(*q.DryRun))
	}
	if q.Aggregator != "" {
		v.Set("aggregator", q.Aggregator)
	}
	for _, c := range q.Cities {
		v.Add("city", c)
	}
	if q.Language != "" {
		v.Set("lang", string(q.Language))
	}
	return v.Encode()
}

// ParseQuery reads the raw query of a recommendation request: side, n (1
// to maxN), explain, dry_run, aggregator (checked by aggregator, which
// returns why a name is unknown), city (repeatable) and lang (zh or en:
// the explanations' language). Every other
// parameter may be given once; an unknown one, a malformed query and
// invalid UTF-8 are refused; of several bad parameters the first in name
// order is reported. A refusal is a 400.
func ParseQuery(raw string, maxN int, aggregator func(name string) error) (Query, *Error) {
	var q Query
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return q, Errorf(http.StatusBadRequest, "bad query: %v", err)
	}
	for _, key := range slices.Sorted(maps.Keys(vals)) {
		vs := vals[key]
		if !utf8.ValidString(key) {
			return q, Errorf(http.StatusBadRequest, "a query parameter's name is not valid UTF-8")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return q, Errorf(http.StatusBadRequest, "query parameter %s is not valid UTF-8", key)
			}
		}
		if len(vs) > 1 && key != "city" {
			return q, Errorf(http.StatusBadRequest, "query parameter %s given %d times (only city may repeat)", key, len(vs))
		}
		v := vs[0]
		switch key {
		case "side":
			err = q.Side.UnmarshalText([]byte(v))
		case "n":
			q.N, err = strconv.Atoi(v)
			if err == nil && (q.N < 1 || q.N > maxN) {
				err = fmt.Errorf("want 1 to %d", maxN)
			}
		case "explain":
			q.Explain, err = strconv.ParseBool(v)
		case "dry_run":
			var b bool
			if b, err = strconv.ParseBool(v); err == nil {
				q.DryRun = &b
			}
		case "aggregator":
			q.Aggregator = v
			err = aggregator(v)
		case "city":
			q.Cities = vs
		case "lang":
			switch l := text.Language(v); l {
			case text.Chinese, text.English:
				q.Language = l
			default:
				err = fmt.Errorf("want %s or %s", text.Chinese, text.English)
			}
		default:
			err = errors.New("unknown parameter (want side, n, explain, dry_run, aggregator, city, lang)")
		}
		if err != nil {
			return q, Errorf(http.StatusBadRequest, "query parameter %s=%q: %v", key, v, err)
		}
	}
	return q, nil
}
