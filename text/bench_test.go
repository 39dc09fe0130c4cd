package text

import (
	"strconv"
	"testing"
	"time"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
)

// BenchmarkTokenize compares the full pipeline (split, gse segmentation,
// vocabulary normalisation, stop words) with raw gse Cut on the same real
// text: the job_detail field of every zhilian posting, one pass per
// iteration. MB/s are comparable between the two sub-benchmarks.
func BenchmarkTokenize(b *testing.B) {
	posts := readZhilian(b)
	var size int64
	for _, p := range posts {
		size += int64(len(p.JobDetail))
	}
	tk := DefaultTokenizer()
	seg := segmenter()
	b.Run("gse-Cut", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		words := 0
		for b.Loop() {
			words = 0
			for _, p := range posts {
				words += len(seg.Cut(p.JobDetail))
			}
		}
		if words == 0 {
			b.Fatal("gse cut no words")
		}
		b.ReportMetric(float64(words), "words/pass")
	})
	b.Run("pipeline", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		var buf []string
		terms := 0
		for b.Loop() {
			terms = 0
			for _, p := range posts {
				buf = tk.AppendTerms(buf[:0], p.JobDetail)
				terms += len(buf)
			}
		}
		if terms == 0 {
			b.Fatal("pipeline produced no terms")
		}
		b.ReportMetric(float64(terms), "terms/pass")
	})
}

// BenchmarkVectorize weighs one real posting's terms into a reused buffer.
func BenchmarkVectorize(b *testing.B) {
	posts := readZhilian(b)
	tk := DefaultTokenizer()
	docs := make([][]string, len(posts))
	for i, p := range posts {
		docs[i] = tk.Terms(p.JobName + "\n" + p.JobDetail)
	}
	for _, scheme := range []Scheme{TFIDF, BM25} {
		w, err := FitWeighting(docs, WeightingConfig{Scheme: scheme})
		if err != nil {
			b.Fatal(err)
		}
		doc := docs[0]
		want := w.Vectorize(sparse.Vector{}, doc)
		buf := sparse.Vector{Idx: make([]uint32, 0, len(doc)), Val: make([]float64, 0, len(doc))}
		b.Run(scheme.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = w.Vectorize(buf, doc)
			}
			if buf.Len() != want.Len() || buf.Len() == 0 || sparse.Dot(buf, want) < 0.999999 {
				b.Fatalf("vector differs: %d vs %d entries", buf.Len(), want.Len())
			}
			b.ReportMetric(float64(len(doc)), "terms/doc")
		})
	}
}

// zhilianProfiles turns the zhilian postings into recruiter profiles.
func zhilianProfiles(tb testing.TB) []market.Profile {
	posts := readZhilian(tb)
	ps := make([]market.Profile, len(posts))
	for i, p := range posts {
		ps[i] = market.Profile{ID: strconv.Itoa(i), Side: market.Recruiter, Title: p.JobName, City: "北京",
			Text: p.JobDetail, Skills: SplitLabels(p.JobSkills), Registered: time.Unix(0, 0)}
	}
	return ps
}

// BenchmarkEncode encodes every zhilian posting (title, text, skills,
// city) into a reused buffer, one pass per iteration.
func BenchmarkEncode(b *testing.B) {
	ps := zhilianProfiles(b)
	enc, err := NewEncoder(ps, EncoderConfig{})
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, p := range ps {
		size += int64(len(p.Title) + len(p.Text))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	var buf sparse.Vector
	nnz := 0
	for b.Loop() {
		nnz = 0
		for i := range ps {
			buf = enc.Encode(buf, &ps[i])
			nnz += buf.Len()
		}
	}
	if nnz == 0 {
		b.Fatal("empty vectors")
	}
	b.ReportMetric(float64(nnz)/float64(len(ps)), "nnz/profile")
}

// BenchmarkTokenizeInterleaved times raw gse Cut and the full pipeline on
// the same zhilian job_detail texts, alternating posting by posting, so
// that load from other processes on a shared machine hits both alike. It
// reports both throughputs and their ratio (pipeline / gse).
func BenchmarkTokenizeInterleaved(b *testing.B) {
	posts := readZhilian(b)
	tk := DefaultTokenizer()
	seg := segmenter()
	var size int64
	for _, p := range posts {
		size += int64(len(p.JobDetail))
	}
	b.SetBytes(2 * size)
	var tGse, tPipe time.Duration
	var buf []string
	words, terms := 0, 0
	for b.Loop() {
		words, terms = 0, 0
		for _, p := range posts {
			t0 := time.Now()
			words += len(seg.Cut(p.JobDetail))
			t1 := time.Now()
			buf = tk.AppendTerms(buf[:0], p.JobDetail)
			tPipe += time.Since(t1)
			tGse += t1.Sub(t0)
			terms += len(buf)
		}
	}
	if words == 0 || terms == 0 {
		b.Fatal("no output")
	}
	mb := float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/tGse.Seconds(), "gse-MB/s")
	b.ReportMetric(mb/tPipe.Seconds(), "pipeline-MB/s")
	b.ReportMetric(tGse.Seconds()/tPipe.Seconds(), "pipeline/gse")
}

// BenchmarkExtractSkills extracts the skills of every zhilian posting
// (dictionary matches plus five TF-IDF keywords each), one pass per
// iteration.
func BenchmarkExtractSkills(b *testing.B) {
	posts := readZhilian(b)
	tk := DefaultTokenizer()
	docs := make([][]string, len(posts))
	var size int64
	for i, p := range posts {
		docs[i] = tk.Terms(p.JobDetail)
		size += int64(len(p.JobDetail))
	}
	w, err := FitWeighting(docs, WeightingConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	skills := 0
	for b.Loop() {
		skills = 0
		for _, p := range posts {
			skills += len(ExtractSkills(tk, w, p.JobDetail, 5))
		}
	}
	if skills == 0 {
		b.Fatal("no skills")
	}
	b.ReportMetric(float64(skills)/float64(len(posts)), "skills/posting")
}
