// Package input decodes and checks what clients send the server: JSON
// bodies, the query of a recommendation request and IDs in URL paths. It
// depends on the standard library and the market vocabulary only, so that
// its fuzz targets run thousands of inputs a second:
//
//	go test -run '^$' -fuzz FuzzDecodeProfiles -fuzztime 60s .
//	go test -run '^$' -fuzz FuzzDecodeEvents -fuzztime 60s .
//	go test -run '^$' -fuzz FuzzParseQuery -fuzztime 60s .
//	go test -run '^$' -fuzz FuzzPathID -fuzztime 60s .
//	go test -run '^$' -fuzz FuzzFoldKey -fuzztime 60s .
//
// Every refusal is an *Error with an HTTP status (400 unless said
// otherwise) and a message for the client.
package input

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/twowayrec/twoway/market"
)

// Error is refused input: the HTTP status, the message for the client and,
// for a record of a batch, its position (Index, -1 when none), its ID
// (Record: a profile's ID, an event's "actor→target", as the Engine's
// errors name them; "" when it cannot be read) and the field or key at
// fault.
type Error struct {
	Status  int
	Message string
	Index   int
	Record  string
	Field   string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with status and a formatted message, no record.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...), Index: -1}
}

// Profiles is the body of PUT /v1/profiles.
type Profiles struct {
	Profiles []market.Profile `json:"profiles"`
}

// Events is the body of POST /v1/events.
type Events struct {
	Events []market.Event `json:"events"`
}

// DecodeJSON decodes a request body into dst, a pointer to a struct: valid
// UTF-8, exactly one JSON value, only known fields, and no object with the
// same key twice. encoding/json matches a struct's keys case-insensitively
// and lets the last duplicate win, so {"side": "seeker", "Side":
// "recruiter"} would silently be a recruiter; such a body is refused, with
// the key and the path of the object ("profiles[2]"). Keys of a map
// (Profile.Attributes) are compared exactly, as the decoder does. index,
// when the duplicate is inside the element of a top-level array, is that
// element's position; else -1. A refusal is a 400.
//
// A value that does not decode inside a record of a batch (an element of
// a top-level array of structs: "profiles", "events"), whether of the
// wrong JSON type or refused by its own decoder (an unknown side, action
// or education, a bad time), is named as the Engine's refusals are: the
// record's position (Index), its ID when it can be read (Record) and the
// Go path of the field ("Salary.Min", "Skills[2]", "Attributes[age]"; an
// unknown key as written).
func DecodeJSON(body []byte, dst any) *Error {
	if !utf8.Valid(body) {
		return Errorf(http.StatusBadRequest, "request body is not valid UTF-8 (first bad byte at offset %d)", firstInvalid(body))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return Errorf(http.StatusBadRequest, "bad JSON: empty body")
		case errors.As(err, &syn):
			return Errorf(http.StatusBadRequest, "bad JSON at offset %d: %v", syn.Offset, err)
		}
		if e := recordError(body, reflect.TypeOf(dst)); e != nil {
			return e
		}
		switch {
		case errors.As(err, &typ):
			return Errorf(http.StatusBadRequest, "bad JSON: field %q: want %s, got JSON %s", typ.Field, typ.Type, typ.Value)
		default:
			return Errorf(http.StatusBadRequest, "bad JSON: %v", err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(http.StatusBadRequest, "bad JSON: data after the first value")
	}
	if dup := duplicateKey(body, reflect.TypeOf(dst)); dup != nil {
		e := Errorf(http.StatusBadRequest, "bad JSON: %v", dup)
		e.Field, e.Index = dup.key, dup.index
		if dup.index >= 0 {
			if elem, raw := batchElement(body, reflect.TypeOf(dst), dup.batch, dup.index); raw != nil &&
				!(dup.recordLevel && namesRecord(elem, dup.key)) { // a twice-given ID names no record
				e.Record = recordName(elem, raw)
			}
		}
		return e
	}
	return nil
}

// recordError finds the record of a batch whose decoding made decoding
// body into typ (a pointer to a struct) fail. It takes the top-level keys
// in order, as encoding/json does, and decodes each element of a batch
// (a slice of structs) on its own; the first that fails is refused with
// its position, ID and field. It returns nil when the first failure is
// not inside a record (an unknown top-level key, a batch that is not an
// array, …): DecodeJSON's own message then says what is wrong.
func recordError(body []byte, typ reflect.Type) *Error {
	t := deref(typ)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil
		}
		f, ok := structFields(t)[FoldKey(key)]
		if !ok {
			return nil // json: unknown field
		}
		elem := batchElem(f.Type)
		if elem == nil {
			if decodeStrict(raw, f.Type) != nil {
				return nil
			}
			continue
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil // not an array (null decodes to none)
		}
		for i, el := range elems {
			err := decodeStrict(el, elem)
			if err == nil {
				continue
			}
			e := &Error{Status: http.StatusBadRequest, Index: i, Record: recordName(elem, el), Field: fieldPath(el, elem, 0)}
			var b strings.Builder
			fmt.Fprintf(&b, "bad JSON: %s[%d]", key, i)
			if e.Record != "" {
				fmt.Fprintf(&b, " %q", market.Shorten(e.Record))
			}
			if e.Field != "" {
				fmt.Fprintf(&b, ", field %s", e.Field)
			}
			var typ *json.UnmarshalTypeError
			switch {
			case errors.As(err, &typ):
				fmt.Fprintf(&b, ": want %s, got JSON %s", typ.Type, typ.Value)
			default:
				fmt.Fprintf(&b, ": %s", strings.TrimPrefix(err.Error(), "json: "))
			}
			e.Message = b.String()
			return e
		}
	}
	return nil
}

// decodeStrict decodes raw into a new value of type t as DecodeJSON
// decodes a body (only known fields).
func decodeStrict(raw []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(reflect.New(t).Interface())
}

// batchElem returns the record type of a batch field of type t (a slice of
// structs that decode field by field), or nil when t is not a batch.
func batchElem(t reflect.Type) reflect.Type {
	if t.Kind() != reflect.Slice {
		return nil
	}
	if e := deref(t.Elem()); e.Kind() == reflect.Struct && !decodesItself(e) {
		return t.Elem()
	}
	return nil
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether values of t decode through their own
// method (time.Time, market.Side) rather than field by field.
func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(unmarshalerType) || p.Implements(textUnmarshalerType)
}

// maxFieldDepth bounds fieldPath's descent (the records' types are a few
// levels deep; a recursive type would otherwise be walked as deep as the
// JSON nests).
const maxFieldDepth = 8

// fieldPath returns the Go path of the first part of raw, a JSON value
// that does not decode into t, that fails on its own: "Side",
// "Salary.Min", "Skills[2]", "Attributes[age]", an unknown key as written
// ("Salary.bonus"); "" when raw as a whole is at fault (a value of the
// wrong JSON type, one refused by its own decoder).
func fieldPath(raw []byte, t reflect.Type, depth int) string {
	t = deref(t)
	if t == nil || depth >= maxFieldDepth || decodesItself(t) {
		return ""
	}
	join := func(name, sub string) string {
		if sub == "" || sub[0] == '[' {
			return name + sub
		}
		return name + "." + sub
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		dec := json.NewDecoder(bytes.NewReader(raw))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return ""
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return ""
			}
			key, _ := tok.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return ""
			}
			if t.Kind() == reflect.Map {
				if decodeStrict(v, t.Elem()) != nil {
					return join("["+key+"]", fieldPath(v, t.Elem(), depth+1))
				}
				continue
			}
			f, ok := structFields(t)[FoldKey(key)]
			if !ok {
				return key
			}
			if decodeStrict(v, f.Type) != nil {
				return join(f.Name, fieldPath(v, f.Type, depth+1))
			}
		}
	case reflect.Slice, reflect.Array:
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return ""
		}
		for i, el := range elems {
			if decodeStrict(el, t.Elem()) != nil {
				return join(fmt.Sprintf("[%d]", i), fieldPath(el, t.Elem(), depth+1))
			}
		}
	}
	return ""
}

var (
	profileType = reflect.TypeFor[market.Profile]()
	eventType   = reflect.TypeFor[market.Event]()
)

// recordName reads the name the Engine's errors give the record raw, of
// type t: a profile's ID, an event's "actor→target"; "" when it cannot be
// read (or t is neither).
func recordName(t reflect.Type, raw []byte) string {
	switch deref(t) {
	case profileType:
		var p struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &p) == nil {
			return p.ID
		}
	case eventType:
		var ev market.Event
		var k struct {
			Actor  string `json:"actor"`
			Target string `json:"target"`
		}
		if json.Unmarshal(raw, &k) == nil && (k.Actor != "" || k.Target != "") {
			ev.Actor, ev.Target = k.Actor, k.Target
			return ev.Key()
		}
	}
	return ""
}

// namesRecord reports whether key, a key of a record of type t, is one
// its name is read from (a profile's id, an event's actor and target).
func namesRecord(t reflect.Type, key string) bool {
	switch k := FoldKey(key); deref(t) {
	case profileType:
		return k == "ID"
	case eventType:
		return k == "ACTOR" || k == "TARGET"
	}
	return false
}

// batchElement returns the record type of the batch under the top-level
// key (as written) of body, a body that decoded into typ, and the raw
// element at index of it (nil when there is none).
func batchElement(body []byte, typ reflect.Type, key string, index int) (reflect.Type, json.RawMessage) {
	t := deref(typ)
	if t == nil || t.Kind() != reflect.Struct {
		return nil, nil
	}
	f, ok := structFields(t)[FoldKey(key)]
	if !ok || batchElem(f.Type) == nil {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil
		}
		if k, _ := tok.(string); k != key {
			continue
		}
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil || index >= len(elems) {
			return nil, nil
		}
		return batchElem(f.Type), elems[index]
	}
	return nil, nil
}

// keyError is a key given twice in one JSON object.
type keyError struct {
	path  string // of the object: "profiles[2]", "" for the top level
	key   string // the second occurrence, as written
	prev  string // the first, as written
	index int    // position in the top-level array, -1 when not in one
	batch string // the top-level key of that array, as written ("" when not in one)
	// recordLevel: the object is the record itself (profiles[2]), not
	// one inside it (profiles[2].salary).
	recordLevel bool
}

func (e *keyError) Error() string {
	where := "the top-level object"
	if e.path != "" {
		where = e.path
	}
	if e.key == e.prev {
		return fmt.Sprintf("key %q given twice in %s", e.key, where)
	}
	return fmt.Sprintf("key %q given twice in %s (as %q and %q: keys match case-insensitively)", e.key, where, e.prev, e.key)
}

// keyFrame is one open object or array while walking a JSON value.
type keyFrame struct {
	object  bool
	fold    bool         // a struct's keys: compared as encoding/json does
	typ     reflect.Type // the Go type the value decodes into (nil: unknown)
	wantKey bool         // object: the next token is a key (or '}')
	key     string       // object: the key whose value comes next
	index   int          // array: position of the next element
	keys    []string     // object: the keys so far (folded for a struct)
	set     map[string]string
}

// seen reports the key already given that k repeats ("" and false if
// none), and remembers k.
func (f *keyFrame) seen(k string) (string, bool) {
	norm := k
	if f.fold {
		norm = FoldKey(k)
	}
	if f.set != nil {
		if prev, ok := f.set[norm]; ok {
			return prev, true
		}
		f.set[norm] = k
		return "", false
	}
	for i := 0; i < len(f.keys); i += 2 {
		if f.keys[i] == norm {
			return f.keys[i+1], true
		}
	}
	f.keys = append(f.keys, norm, k)
	if len(f.keys) > 32 { // many keys (a large Attributes map): a map is cheaper
		f.set = make(map[string]string, len(f.keys))
		for i := 0; i < len(f.keys); i += 2 {
			f.set[f.keys[i]] = f.keys[i+1]
		}
		f.keys = nil
	}
	return "", false
}

// duplicateKey walks body, one JSON value that decoded into a value of
// type typ without error, and returns the first key given twice in one
// object, or nil.
func duplicateKey(body []byte, typ reflect.Type) *keyError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*keyFrame
	valueDone := func() {
		if n := len(stack); n > 0 {
			if f := stack[n-1]; f.object {
				f.wantKey = true
			} else {
				f.index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF; a syntax error cannot happen after a successful Decode
		}
		var top *keyFrame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if top != nil && top.object && top.wantKey {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			k, _ := tok.(string)
			if prev, dup := top.seen(k); dup {
				e := &keyError{path: keyPath(stack[:len(stack)-1]), key: k, prev: prev, index: topIndex(stack)}
				if e.index >= 0 {
					e.batch, e.recordLevel = stack[0].key, len(stack) == 3
				}
				return e
			}
			top.key, top.wantKey = k, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			var t reflect.Type
			switch {
			case top == nil:
				t = typ
			case top.object:
				t = fieldType(top.typ, top.key)
			default:
				t = elemType(top.typ)
			}
			t = deref(t)
			f := &keyFrame{typ: t}
			if tok == json.Delim('{') {
				f.object, f.wantKey = true, true
				f.fold = t != nil && t.Kind() == reflect.Struct
			}
			stack = append(stack, f)
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// keyPath names the object on top of the frames: "profiles[2]",
// "profiles[2].salary"; "" for the top-level object.
func keyPath(frames []*keyFrame) string {
	var b strings.Builder
	for i, f := range frames {
		switch {
		case f.object:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		default:
			fmt.Fprintf(&b, "[%d]", f.index)
		}
	}
	return b.String()
}

// topIndex returns the position of the record in the request's batch: the
// element of the array under the top-level object ({"profiles": [ … ]}),
// or -1 when the duplicate is not inside one.
func topIndex(stack []*keyFrame) int {
	if len(stack) >= 3 && stack[0].object && !stack[1].object {
		return stack[1].index
	}
	return -1
}

// FoldKey folds a key as encoding/json does when it matches a struct
// field: ASCII letters to upper case, any other rune to the smallest rune
// of its simple case-folding orbit (so "ſide" and "SIDE" both match
// "side").
func FoldKey(k string) string {
	ascii := true
	for i := 0; i < len(k); i++ {
		if c := k[i]; c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(k)
	}
	var b strings.Builder
	b.Grow(len(k))
	for _, r := range k {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		b.WriteRune(r)
	}
	return b.String()
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func elemType(t reflect.Type) reflect.Type {
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return t.Elem()
	}
	return nil
}

// fieldType returns the type that the value of key decodes into, in an
// object of type t (a struct or a map); nil when unknown.
func fieldType(t reflect.Type, key string) reflect.Type {
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Map:
		return t.Elem()
	case reflect.Struct:
		return structFields(t)[FoldKey(key)].Type
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.StructField

// structFields maps the folded JSON names of t's fields to the fields.
func structFields(t reflect.Type) map[string]reflect.StructField {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.StructField)
	}
	m := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && deref(f.Type).Kind() == reflect.Struct {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		m[FoldKey(name)] = f
	}
	fieldCache.Store(t, m)
	return m
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}
