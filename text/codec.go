package text

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/twowayrec/twoway/internal/binio"
)

// ErrCorrupt is wrapped by the errors of this package's decoders
// ([DecodeEncoder], [DecodeRules]).
var ErrCorrupt = errors.New("text: corrupt fitted data")

const (
	// encoderFormat 2 added the attributes' standardisation; format 1
	// (encoded before it) decodes with raw attributes, as it was fitted.
	encoderFormat = 2
	rulesFormat   = 1
)

// AppendBinary appends what the encoder learned at fit time to b
// (encoding.BinaryAppender): the field weights, the feature dictionary, the
// categorical IDF, the attributes' means and standard deviations, and the
// text weighting (its configuration, terms,
// document frequencies, IDF and mean length), bit-exact. The tokenizer and
// the association rules are not written: [DecodeEncoder] takes them.
func (e *Encoder) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(encoderFormat)
	cfg, err := json.Marshal(e.cfg) // every field but Tokenizer and Rules (json:"-")
	if err != nil {
		return b, fmt.Errorf("text: encoding the encoder's configuration: %w", err)
	}
	w.Bytes(cfg)
	w.Uvarint(uint64(len(e.features)))
	for _, f := range e.features {
		w.Byte(byte(f.Kind))
		w.String(f.Value)
	}
	w.Bool(e.catIDF != nil)
	for _, x := range e.catIDF {
		w.Float64(x)
	}
	var std []int // the standardised attribute features
	for i := range e.attrSD {
		if e.attrSD[i] > 0 {
			std = append(std, i)
		}
	}
	w.Uvarint(uint64(len(std)))
	for _, i := range std {
		w.Uvarint(uint64(i))
		w.Float64(e.attrMean[i])
		w.Float64(e.attrSD[i])
	}
	t := e.text
	tcfg, err := json.Marshal(t.cfg)
	if err != nil {
		return b, fmt.Errorf("text: encoding the weighting's configuration: %w", err)
	}
	w.Bytes(tcfg)
	w.Int(t.docs)
	w.Float64(t.avgLen)
	w.Uvarint(uint64(len(t.terms)))
	for i, term := range t.terms {
		w.String(term)
		w.Int(t.df[i])
		w.Float64(t.idf[i])
	}
	return w.B, nil
}

// DecodeEncoder returns the encoder that AppendBinary encoded in data,
// splitting text with tok (nil: DefaultTokenizer()) and expanding tags with
// rules (nil: none), as EncoderConfig.Tokenizer and EncoderConfig.Rules of
// the original. It encodes every profile exactly as the original did when
// given the same tokenizer and rules. Damaged data is an error wrapping
// ErrCorrupt.
func DecodeEncoder(data []byte, tok *Tokenizer, rules *Rules) (*Encoder, error) {
	r := binio.NewReader(data)
	format := r.Uvarint()
	if r.Err() == nil && (format < 1 || format > encoderFormat) {
		r.Fail("encoder format %d (this build reads 1 to %d)", format, encoderFormat)
	}
	var cfg EncoderConfig
	raw := r.Bytes()
	if err := json.Unmarshal(raw, &cfg); err != nil && r.Err() == nil {
		r.Fail("encoder configuration: %v", err)
	}
	if r.Err() == nil && !bytes.Contains(raw, []byte(`"no_han_bigrams":`)) {
		// Saved before the option existed: fitted without bigrams.
		cfg.NoHanBigrams = true
	}
	if format == 1 {
		cfg.RawAttributes = true // fitted before standardisation existed
	}
	for name, s := range cfg.AttributeScale {
		if r.Err() == nil && !(s > 0 && !math.IsInf(s, 0)) {
			r.Fail("attribute scale %q: %v", name, s)
		}
	}
	cfg.Tokenizer, cfg.Rules = tok, rules
	w := cfg.Weights
	if w == (Weights{}) {
		w = DefaultWeights()
	}
	for k := range numKinds {
		if x := w.of(k); r.Err() == nil && !(x >= 0 && !math.IsInf(x, 0)) {
			r.Fail("weight of %v is %v", k, x)
		}
	}
	e := &Encoder{cfg: cfg, w: w, tok: tok, index: map[Feature]uint32{}}
	if e.tok == nil {
		e.tok = DefaultTokenizer()
	}
	e.builders.New = func() any { return &encodeScratch{seen: map[uint32]float64{}} }
	nf := r.Count(2)
	for i := 0; i < nf && r.Err() == nil; i++ {
		f := Feature{Kind: FeatureKind(r.Byte()), Value: r.String()}
		if r.Err() != nil {
			break
		}
		if f.Kind >= numKinds || f.Kind == KindText {
			r.Fail("feature %d: kind %d", i, f.Kind)
			break
		}
		if _, dup := e.index[f]; dup {
			r.Fail("feature %d: %v twice", i, f)
			break
		}
		e.add(f)
	}
	if r.Bool() {
		e.catIDF = make([]float64, len(e.features))
		for i := range e.catIDF {
			e.catIDF[i] = r.Float64()
			if x := e.catIDF[i]; r.Err() == nil && !(x >= 0 && !math.IsInf(x, 0)) {
				r.Fail("feature %d: categorical idf %v", i, x)
				break
			}
		}
	}
	if format >= 2 {
		ns := r.Count(17) // an index, a mean and a deviation
		prev := -1
		for k := 0; k < ns && r.Err() == nil; k++ {
			i, mean, sd := int(r.Uvarint()), r.Float64(), r.Float64()
			switch {
			case r.Err() != nil:
			case i <= prev || i >= len(e.features) || e.features[i].Kind != KindAttribute:
				r.Fail("standardised attribute %d: feature %d is not an attribute in order", k, i)
			case math.IsNaN(mean) || math.IsInf(mean, 0) || !(sd > 0) || math.IsInf(sd, 0):
				r.Fail("attribute %q: mean %v, sd %v", e.features[i].Value, mean, sd)
			default:
				if e.attrSD == nil {
					e.attrMean, e.attrSD = make([]float64, len(e.features)), make([]float64, len(e.features))
				}
				e.attrMean[i], e.attrSD[i] = mean, sd
				prev = i
			}
		}
	}
	var c WeightingConfig
	if err := json.Unmarshal(r.Bytes(), &c); err != nil && r.Err() == nil {
		r.Fail("text weighting configuration: %v", err)
	}
	if r.Err() == nil && (c.Scheme > BM25 || !(c.MaxDF >= 0 && c.MaxDF <= 1) || !(c.B >= 0 && c.B <= 1) || !(c.K1 >= 0) || math.IsInf(c.K1, 0)) {
		r.Fail("text weighting configuration %+v", c)
	}
	t := &Weighting{cfg: c, docs: r.Int(0, math.MaxInt32), avgLen: r.Float64()}
	nt := r.Count(10)
	if r.Err() == nil {
		t.index = make(map[string]uint32, nt)
		t.terms, t.df, t.idf = make([]string, 0, nt), make([]int, 0, nt), make([]float64, 0, nt)
	}
	for i := 0; i < nt && r.Err() == nil; i++ {
		term, df, idf := r.String(), r.Int(0, math.MaxInt32), r.Float64()
		if r.Err() != nil {
			break
		}
		if i > 0 && term <= t.terms[i-1] {
			r.Fail("text term %d %q out of order", i, term)
			break
		}
		if math.IsNaN(idf) || math.IsInf(idf, 0) {
			r.Fail("text term %q: idf %v", term, idf)
			break
		}
		t.index[term] = uint32(i)
		t.terms, t.df, t.idf = append(t.terms, term), append(t.df, df), append(t.idf, idf)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	e.text = t
	e.textStart = uint32(len(e.features))
	return e, nil
}

// AppendBinary appends the mined rules to b (encoding.BinaryAppender):
// every rule in order, the number of transactions and the largest
// antecedent size.
func (r *Rules) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(rulesFormat)
	w.Int(r.maxA)
	w.Int(r.n)
	w.Uvarint(uint64(len(r.rules)))
	for _, ru := range r.rules {
		w.Strings(ru.Antecedent)
		w.String(ru.Consequent)
		w.Int(ru.Count)
		w.Float64(ru.Support)
		w.Float64(ru.Confidence)
		w.Float64(ru.Lift)
	}
	return w.B, nil
}

// DecodeRules returns the rules that AppendBinary encoded in data; they
// expand every item set exactly as the original. Damaged data is an error
// wrapping ErrCorrupt.
func DecodeRules(data []byte) (*Rules, error) {
	rd := binio.NewReader(data)
	if v := rd.Uvarint(); rd.Err() == nil && v != rulesFormat {
		rd.Fail("rules format %d (this build reads %d)", v, rulesFormat)
	}
	r := &Rules{byAnte: map[string][]int32{}, maxA: rd.Int(0, 4), n: rd.Int(0, math.MaxInt32)}
	nr := rd.Count(28)
	for i := 0; i < nr && rd.Err() == nil; i++ {
		ru := Rule{Antecedent: rd.Strings(), Consequent: rd.String(), Count: rd.Int(0, math.MaxInt32),
			Support: rd.Float64(), Confidence: rd.Float64(), Lift: rd.Float64()}
		if rd.Err() != nil {
			break
		}
		if len(ru.Antecedent) == 0 || len(ru.Antecedent) > r.maxA || !slices.IsSorted(ru.Antecedent) ||
			!(ru.Confidence >= 0 && ru.Confidence <= 1) || !(ru.Support >= 0 && ru.Support <= 1) || !(ru.Lift >= 0) ||
			(i > 0 && compareRules(r.rules[i-1], ru) >= 0) {
			rd.Fail("rule %d (%v) is not a mined rule in order", i, ru)
			break
		}
		r.rules = append(r.rules, ru)
		k := strings.Join(ru.Antecedent, "\x00")
		r.byAnte[k] = append(r.byAnte[k], int32(i))
	}
	if err := rd.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return r, nil
}
