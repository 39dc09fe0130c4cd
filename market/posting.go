package market

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PostingFormat names the layout of a file of crawled job postings. Each
// format knows its columns and how they map onto a recruiter-side
// [Profile]. The zero value is not a valid format.
type PostingFormat uint8

const (
	// Lagou2017 is lagou.com, 2017 (lagou_2017_data_analyst.csv): city,
	// companyFullName, companyLabelList, companySize, businessZones,
	// education, industryField, positionId, positionAdvantage, positionName,
	// positionLables, salary, workYear. ID from positionId.
	Lagou2017 PostingFormat = iota + 1
	// Lagou2019 is lagou.com, 2019 (lagou_2019_data_analyst.csv): as
	// Lagou2017 plus skillLables, district, financeStage, latitude,
	// longitude, resumeProcessDay and resumeProcessRate; no positionId.
	Lagou2019
	// Listing2019 is the short 2019 listing of boss_2019_java.csv and
	// lagou_2019_java.csv: company_name, position_name, salary, city,
	// work_years, education, advantage, desc (the posting's URL). ID from
	// the URL.
	Listing2019
	// Boss2024 is boss.zhipin.com, 2024 (boss_2024_java_nanjing.csv):
	// address, company, company_info, job_name, job_time ("3-5年,本科"),
	// need (skills), salary, and in later crawls skill_tags (skills). The
	// file is several crawls one after the other, each with its header line.
	Boss2024
	// Zhilian2020 is zhaopin.com, 2020 (zhilian_2020_python_beijing.jsonl),
	// one JSON object a line: jobname, jobarea, salary, workingExp, eduLevel,
	// name, size, job_detail, job_skills, job_highlights, joburl, crawltime.
	Zhilian2020

	numPostingFormats = int(Zhilian2020) + 1
)

var postingFormatNames = [numPostingFormats]string{"", "lagou2017", "lagou2019", "listing2019", "boss2024", "zhilian2020"}

// String returns the format's short name ("boss2024"), or "PostingFormat(n)".
func (f PostingFormat) String() string {
	if f.Valid() {
		return postingFormatNames[f]
	}
	return fmt.Sprintf("PostingFormat(%d)", uint8(f))
}

// Valid reports whether f is one of the defined formats.
func (f PostingFormat) Valid() bool { return f >= Lagou2017 && f <= Zhilian2020 }

// ParsePostingFormat parses a format's short name ("boss2024").
func ParsePostingFormat(s string) (PostingFormat, error) {
	for f := Lagou2017; f <= Zhilian2020; f++ {
		if postingFormatNames[f] == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownFormat, s)
}

// MarshalText implements encoding.TextMarshaler, so that reports and
// configs write the short name.
func (f PostingFormat) MarshalText() ([]byte, error) {
	if !f.Valid() {
		return nil, fmt.Errorf("%w %d", ErrUnknownFormat, uint8(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *PostingFormat) UnmarshalText(b []byte) error {
	v, err := ParsePostingFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// CrawlDate returns the date used as Registered for postings of format f
// when the file does not give one: 1 January of the year in the file name,
// 00:00 China Standard Time (the files state only the year of the crawl).
// Zhilian2020 rows carry their own crawl time, which wins.
func (f PostingFormat) CrawlDate() time.Time {
	year := map[PostingFormat]int{Lagou2017: 2017, Lagou2019: 2019, Listing2019: 2019, Boss2024: 2024, Zhilian2020: 2020}[f]
	if year == 0 {
		return time.Time{}
	}
	return time.Date(year, time.January, 1, 0, 0, 0, 0, ChinaStandardTime)
}

// ChinaStandardTime is UTC+8, the zone of every crawl time in the posting
// files. It is a fixed zone so that no time-zone database is needed.
var ChinaStandardTime = time.FixedZone("CST", 8*60*60)

// ErrUnknownFormat reports a posting file whose format cannot be told from
// its name, or whose header lacks a column its format needs.
var ErrUnknownFormat = errors.New("market: unknown posting format")

// PostingFormatOf picks the format of a posting file from its name (the
// directory is ignored): lagou_2017_* is Lagou2017, lagou_2019_java* and
// boss_2019_* are Listing2019, other lagou_2019_* are Lagou2019, boss_2024_*
// is Boss2024, zhilian_2020_* is Zhilian2020. Other names return an error
// wrapping ErrUnknownFormat.
func PostingFormatOf(name string) (PostingFormat, error) {
	base := strings.ToLower(filepath.Base(name))
	switch {
	case strings.HasPrefix(base, "lagou_2017"):
		return Lagou2017, nil
	case strings.HasPrefix(base, "lagou_2019_java"), strings.HasPrefix(base, "boss_2019"):
		return Listing2019, nil
	case strings.HasPrefix(base, "lagou_2019"):
		return Lagou2019, nil
	case strings.HasPrefix(base, "boss_2024"):
		return Boss2024, nil
	case strings.HasPrefix(base, "zhilian_2020"):
		return Zhilian2020, nil
	}
	return 0, fmt.Errorf("%w: file %q", ErrUnknownFormat, name)
}

// RejectReason says why a row of a posting file did not become a profile.
type RejectReason string

// Reasons for rejecting a row. Every rejected row counts under exactly one.
const (
	RejectHeader     RejectReason = "repeated header" // the header line again, inside the file
	RejectSyntax     RejectReason = "malformed row"   // CSV or JSON that cannot be read
	RejectColumns    RejectReason = "missing columns" // fewer fields than the header
	RejectTitle      RejectReason = "no title"        // empty job title
	RejectSalary     RejectReason = "bad salary"      // ParseSalary failed
	RejectExperience RejectReason = "bad experience"  // ParseExperience failed
	RejectEducation  RejectReason = "bad education"   // ParseEducation failed
	RejectLocation   RejectReason = "bad location"    // ParseLocation failed
	RejectInvalid    RejectReason = "invalid profile" // Profile.Validate failed
)

// RowError is the error of one rejected row: the source, the row number
// (1 = the first row after the header), the reason and the underlying
// error (a *ParseError, *FieldError or syntax error).
type RowError struct {
	Source string
	Row    int
	Reason RejectReason
	Err    error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("market: postings %s row %d: %s: %v", e.Source, e.Row, e.Reason, e.Err)
}

// Unwrap returns the underlying error.
func (e *RowError) Unwrap() error { return e.Err }

// PostingReport counts what happened to the rows of one posting file.
//
//	Rows = Parsed + Σ Rejected
//	returned profiles = Parsed − Duplicates (all Parsed with KeepDuplicates)
type PostingReport struct {
	Source string        `json:"source"`
	Format PostingFormat `json:"format"`
	// Rows is the number of records after the first header line, including
	// repeated header lines and rows that could not be read.
	Rows int `json:"rows"`
	// Parsed is the number of rows that became a valid Profile.
	Parsed int `json:"parsed"`
	// Rejected counts the other rows by reason.
	Rejected map[RejectReason]int `json:"rejected,omitempty"`
	// Duplicates counts parsed rows whose [DuplicateKey] was seen before, in
	// this file or (through a shared [PostingDedup]) in an earlier one.
	Duplicates int `json:"duplicates"`
	// DuplicatesAcross is the part of Duplicates first seen in another file.
	DuplicatesAcross int `json:"duplicates_across"`
	// Negotiable counts parsed rows whose salary is 面议.
	Negotiable int `json:"negotiable"`
	// Errors holds the first MaxRowErrors row errors, in row order.
	Errors []*RowError `json:"-"`
}

// MaxRowErrors is how many row errors a PostingReport keeps.
const MaxRowErrors = 20

// Coverage returns the share of data rows that parsed: Parsed divided by
// Rows minus repeated header lines (which are not data). It returns 0 for a
// file without data rows.
func (r *PostingReport) Coverage() float64 {
	data := r.Rows - r.Rejected[RejectHeader]
	if data <= 0 {
		return 0
	}
	return float64(r.Parsed) / float64(data)
}

// Reasons returns the reasons in r.Rejected, sorted by name.
func (r *PostingReport) Reasons() []RejectReason {
	out := make([]RejectReason, 0, len(r.Rejected))
	for k := range r.Rejected {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (r *PostingReport) reject(row int, reason RejectReason, err error) {
	if r.Rejected == nil {
		r.Rejected = make(map[RejectReason]int)
	}
	r.Rejected[reason]++
	if len(r.Errors) < MaxRowErrors {
		r.Errors = append(r.Errors, &RowError{Source: r.Source, Row: row, Reason: reason, Err: err})
	}
}

// PostingDedup remembers the [DuplicateKey] of every posting it has seen and
// where it came from, so that duplicates are found across files and crawls.
// The zero value is empty and ready to use. It is not safe for concurrent
// use.
type PostingDedup struct {
	first map[string]string // key → source of the first posting with it
}

// Seen records p (read from source) and reports whether a posting with the
// same key was recorded before, and from which source.
func (d *PostingDedup) Seen(p *Profile, source string) (firstSource string, dup bool) {
	if d.first == nil {
		d.first = make(map[string]string)
	}
	k := DuplicateKey(p)
	if s, ok := d.first[k]; ok {
		return s, true
	}
	d.first[k] = source
	return "", false
}

// PostingConfig says how to read one file of postings.
type PostingConfig struct {
	// Format is the file's layout. Required.
	Format PostingFormat `json:"format"`
	// Source names the file in IDs ("source:positionId") and errors. The
	// zero value uses Format.String().
	Source string `json:"source,omitempty"`
	// Registered is the registration time of every posting that does not
	// carry its own crawl time. The zero value uses Format.CrawlDate().
	Registered time.Time `json:"registered"`
	// KeepDuplicates returns duplicate postings too (their IDs get a "~n"
	// suffix when they collide). The zero value drops them; they are
	// counted in the report either way.
	KeepDuplicates bool `json:"keep_duplicates,omitempty"`
	// Dedup, when set, is shared between calls so that duplicates are found
	// across files. The zero value (nil) finds duplicates within this file.
	Dedup *PostingDedup `json:"-"`
}

// ReadPostings reads one file of crawled job postings in cfg.Format and
// returns the recruiter-side profiles it holds, in file order, and a report
// of rows read, parsed, rejected (by reason) and duplicated.
//
// A row that cannot be parsed is rejected and counted, never fatal (a
// quote that opens a CSV field and never closes costs its own line, not the
// rows after it; see readCSV); the
// returned error is for the file as a whole: an invalid Config, a header
// without a column the format needs (wrapping ErrUnknownFormat), or an I/O
// error of r. Every returned profile passes [Profile.Validate].
//
// Mapping onto Profile: Title from the position name; Company from the
// company name; City, District, Zone from the location fields; Industry
// from the first industry given; Experience, Education and Salary through
// ParseExperience, ParseEducation and ParseSalary; Skills from skillLables,
// need or job_skills; Tags from positionLables, advantage or job_highlights
// (benefits); Text from positionAdvantage or job_detail. Attributes may hold
// "company_size_min", "company_size_max" (employees; max absent when
// unbounded), "resume_process_rate" (share of applications the employer
// processes, 0–1), "resume_process_days", "latitude" and "longitude".
func ReadPostings(r io.Reader, cfg PostingConfig) ([]Profile, PostingReport, error) {
	if !cfg.Format.Valid() {
		return nil, PostingReport{}, fmt.Errorf("market: PostingConfig.Format: %w %d", ErrUnknownFormat, uint8(cfg.Format))
	}
	if cfg.Source == "" {
		cfg.Source = cfg.Format.String()
	}
	if !utf8.ValidString(cfg.Source) {
		return nil, PostingReport{}, fmt.Errorf("market: PostingConfig.Source: %w", ErrInvalidUTF8)
	}
	if cfg.Registered.IsZero() {
		cfg.Registered = cfg.Format.CrawlDate()
	}
	if cfg.Dedup == nil {
		cfg.Dedup = &PostingDedup{}
	}
	rd := &postingReader{cfg: cfg, rep: PostingReport{Source: cfg.Source, Format: cfg.Format}, ids: make(map[string]int)}
	var err error
	if cfg.Format == Zhilian2020 {
		err = rd.readJSONLines(r)
	} else {
		err = rd.readCSV(r)
	}
	if err != nil {
		return nil, rd.rep, err
	}
	return rd.out, rd.rep, nil
}

// postingRow gives a row's fields by column name ("" when absent).
type postingRow func(col string) string

type postingReader struct {
	cfg PostingConfig
	rep PostingReport
	out []Profile
	ids map[string]int
}

// required lists, per format, the columns without which a file is not of
// that format.
var postingColumns = [numPostingFormats][]string{
	Lagou2017:   {"positionName", "salary", "workYear", "education", "city", "companyFullName", "positionId"},
	Lagou2019:   {"positionName", "salary", "workYear", "education", "city", "companyFullName", "resumeProcessRate"},
	Listing2019: {"company_name", "position_name", "salary", "city", "work_years", "education"},
	Boss2024:    {"address", "company", "job_name", "job_time", "salary"},
	Zhilian2020: {"jobname", "salary", "workingExp", "eduLevel", "name"},
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	return cr
}

// readCSV reads the records of r. Crawled files may hold a quote that
// opens a field and never closes it; a CSV reader then takes the lines that
// follow, up to the next closing quote or the end of the file, as the rest
// of that field, and the rows on them would be lost. A record that spans
// several lines and either has another number of fields than the header or
// ends inside a quoted field at the end of the input is such a quote: its
// first line is rejected (RejectSyntax, naming the line) and reading
// resumes at the line after it. Multi-line quoted fields that close and
// leave the record the header's width are read as written. So that a file
// of unclosed quotes cannot make reading quadratic, the text read again is
// bounded by four times the input read so far (plus 1 MiB); past that a
// record is taken as the CSV reader gave it.
func (rd *postingReader) readCSV(r io.Reader) error {
	in := &rewinder{r: bufio.NewReader(r)}
	cr := newCSVReader(in)
	origin := int64(0) // the input offset at which cr began
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("market: postings %s: reading header: %w", rd.cfg.Source, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	}
	col, width, err := rd.columns(header)
	if err != nil {
		return err
	}
	fields := len(header)                                                // of a record
	line := 1 + bytes.Count(in.slice(0, cr.InputOffset()), []byte{'\n'}) // the line at which the next record's text begins
	var reread int64                                                     // bytes read again after unclosed quotes
	for row := 1; ; row++ {
		start := origin + cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		rd.rep.Rows++
		end := origin + cr.InputOffset()
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return fmt.Errorf("market: postings %s row %d: %w", rd.cfg.Source, row, err)
		}
		raw := in.slice(start, end)
		odd := err != nil || len(rec) > fields || len(rec) < fields && !trailingOptional(rec, col, rd.cfg.Format)
		if first, resume, ok := unclosedQuote(raw, rec, odd, in.done(end)); ok && reread+end-start <= 4*end+1<<20 {
			reread += end - start
			at := line + first
			rd.rep.reject(row, RejectSyntax, fmt.Errorf("line %d: a quote opens a field and does not close it (the record ran over %d lines); reading again from line %d",
				at, bytes.Count(raw[:len(bytes.TrimRight(raw, "\r\n"))], []byte{'\n'})-first+1, at+1))
			origin = start + int64(resume)
			line = at + 1
			in.pos = origin
			cr = newCSVReader(in)
			continue
		}
		line += bytes.Count(raw, []byte{'\n'})
		in.forget(end)
		if pe != nil {
			rd.rep.reject(row, RejectSyntax, err)
			continue
		}
		if isHeader(rec, header) {
			// Files made of several crawls repeat the header, and a later
			// crawl may add columns (boss_2024 adds skill_tags): read the
			// rows that follow with the new header.
			rd.rep.reject(row, RejectHeader, errors.New("the header line again"))
			if c, w, err := rd.columns(rec); err == nil {
				col, width, fields = c, w, len(rec)
			}
			continue
		}
		if len(rec) < width && !trailingOptional(rec, col, rd.cfg.Format) {
			rd.rep.reject(row, RejectColumns, fmt.Errorf("%d fields, header has %d", len(rec), len(header)))
			continue
		}
		rd.add(row, func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}, rec)
	}
}

// unclosedQuote reports whether the record rec, read from the text raw
// (which may begin with empty lines), holds a quote that never closed (see
// readCSV): it spans several lines and either is odd (it failed to parse,
// or its number of fields does not fit the header), or ends the input
// (atEnd) with a multi-line last field whose text does not end in a quote.
// first is the number of empty lines raw begins with; resume is the offset
// in raw of the line after the record's first one.
func unclosedQuote(raw []byte, rec []string, odd, atEnd bool) (first, resume int, ok bool) {
	for {
		switch {
		case bytes.HasPrefix(raw[resume:], []byte("\n")):
			resume++
		case bytes.HasPrefix(raw[resume:], []byte("\r\n")):
			resume += 2
		default:
			text := bytes.TrimRight(raw[resume:], "\r\n")
			nl := bytes.IndexByte(text, '\n')
			if nl < 0 {
				return 0, 0, false
			}
			open := odd
			if !open && atEnd && len(rec) > 0 {
				open = strings.Contains(rec[len(rec)-1], "\n") && !bytes.HasSuffix(text, []byte{'"'})
			}
			return first, resume + nl + 1, open
		}
		first++
	}
}

// rewinder is the input of readCSV. It keeps what it has read since the
// offset last passed to forget, so that reading can go back to any offset
// after it (pos) and be served the same bytes again.
type rewinder struct {
	r    io.Reader
	buf  []byte // the input from offset base on
	base int64
	pos  int64 // the offset of the next byte Read returns
	err  error // r's error, once it returned one
}

func (w *rewinder) Read(p []byte) (int, error) {
	if i := w.pos - w.base; i < int64(len(w.buf)) {
		n := copy(p, w.buf[i:])
		w.pos += int64(n)
		return n, nil
	}
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.r.Read(p)
	w.buf = append(w.buf, p[:n]...)
	w.pos += int64(n)
	w.err = err
	return n, err
}

// slice returns the input in [from, to); from is not before the offset
// last forgotten and to not after what has been read.
func (w *rewinder) slice(from, to int64) []byte { return w.buf[from-w.base : to-w.base] }

// done reports whether offset off is the end of the input.
func (w *rewinder) done(off int64) bool { return w.err != nil && off >= w.base+int64(len(w.buf)) }

// forget lets the bytes before offset off go once they are many (reading
// never goes back before the record being parsed).
func (w *rewinder) forget(off int64) {
	if k := off - w.base; k >= 64<<10 {
		w.buf = w.buf[:copy(w.buf, w.buf[k:])]
		w.base = off
	}
}

// columns maps the column names of header to their positions and returns
// the width a record needs to hold them all.
func (rd *postingReader) columns(header []string) (map[string]int, int, error) {
	col := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if _, dup := col[h]; !dup && h != "" {
			col[h] = i
		}
	}
	for _, c := range postingColumns[rd.cfg.Format] {
		if _, ok := col[c]; !ok {
			return nil, 0, fmt.Errorf("market: postings %s: %w: %s header has no column %q", rd.cfg.Source, ErrUnknownFormat, rd.cfg.Format, c)
		}
	}
	width := 0
	for _, i := range col {
		width = max(width, i+1)
	}
	return col, width, nil
}

// trailingOptional reports whether a short record still holds every required
// column (files with trailing empty columns lose them on some lines).
func trailingOptional(rec []string, col map[string]int, f PostingFormat) bool {
	for _, c := range postingColumns[f] {
		if col[c] >= len(rec) {
			return false
		}
	}
	return true
}

func isHeader(rec, header []string) bool {
	n := 0
	for i := range min(len(rec), len(header)) {
		h := strings.TrimPrefix(header[i], "\uFEFF")
		if h == "" {
			continue
		}
		if strings.TrimSpace(rec[i]) != h {
			return false
		}
		n++
	}
	return n > 0
}

// maxJSONLine is the longest line of a JSON Lines file read as a row;
// a longer one is rejected as malformed, its bytes skipped.
const maxJSONLine = 16 << 20

// readLine returns the next line of br without its newline, and whether
// it was longer than maxJSONLine (then its text is dropped and the rest of
// the line skipped). It returns io.EOF after the last line.
func readLine(br *bufio.Reader) (line []byte, long bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			if len(buf)+len(chunk) > maxJSONLine+1 {
				long, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(buf) > 0 || long):
			return bytes.TrimSuffix(buf, []byte("\n")), long, nil
		case err != nil:
			return nil, false, err
		}
		return bytes.TrimSuffix(buf, []byte("\n")), long, nil
	}
}

func (rd *postingReader) readJSONLines(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64*1024)
	for row := 1; ; row++ {
		raw, long, err := readLine(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("market: postings %s: %w", rd.cfg.Source, err)
		}
		if long {
			rd.rep.Rows++
			rd.rep.reject(row, RejectSyntax, fmt.Errorf("a line longer than %d bytes", maxJSONLine))
			continue
		}
		line := strings.TrimSpace(strings.TrimPrefix(string(raw), "\uFEFF"))
		if line == "" {
			row--
			continue
		}
		rd.rep.Rows++
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			rd.rep.reject(row, RejectSyntax, err)
			continue
		}
		missing := ""
		for _, c := range postingColumns[Zhilian2020] {
			if _, ok := obj[c]; !ok {
				missing = c
				break
			}
		}
		if missing != "" {
			rd.rep.reject(row, RejectColumns, fmt.Errorf("no field %q", missing))
			continue
		}
		get := func(c string) string {
			switch v := obj[c].(type) {
			case string:
				return strings.TrimSpace(v)
			case float64:
				return strconv.FormatFloat(v, 'f', -1, 64)
			}
			return ""
		}
		rd.add(row, get, []string{line})
	}
	return nil
}

// add builds the profile of one row and appends it, or rejects the row.
func (rd *postingReader) add(row int, get postingRow, raw []string) {
	p, reason, err := rd.build(get, raw)
	if err != nil {
		rd.rep.reject(row, reason, err)
		return
	}
	if err := p.Validate(); err != nil {
		rd.rep.reject(row, RejectInvalid, err)
		return
	}
	rd.rep.Parsed++
	if p.Salary.Negotiable {
		rd.rep.Negotiable++
	}
	if first, dup := rd.cfg.Dedup.Seen(&p, rd.cfg.Source); dup {
		rd.rep.Duplicates++
		if first != rd.cfg.Source {
			rd.rep.DuplicatesAcross++
		}
		if !rd.cfg.KeepDuplicates {
			return
		}
	}
	if n := rd.ids[p.ID]; n > 0 {
		p.ID = rd.freeID(p.ID, n)
	}
	rd.ids[p.ID] = 1
	rd.out = append(rd.out, p)
}

// freeID returns the first of base~(n+1), base~(n+2), … that no row of
// the file has taken yet (a row's own ID may already read "5~2"), with base
// cut at a rune boundary so that the result stays within MaxIDLen, and
// counts the suffix taken on base.
func (rd *postingReader) freeID(base string, n int) string {
	for k := n + 1; ; k++ {
		suffix := "~" + strconv.Itoa(k)
		head := base
		for len(head)+len(suffix) > MaxIDLen {
			_, size := utf8.DecodeLastRuneInString(head)
			head = head[:len(head)-size]
		}
		if id := head + suffix; rd.ids[id] == 0 {
			rd.ids[base] = k
			return id
		}
	}
}

func (rd *postingReader) build(get postingRow, raw []string) (Profile, RejectReason, error) {
	f := rd.cfg.Format
	p := Profile{Side: Recruiter, Registered: rd.cfg.Registered}
	var salary, experience, education string
	var id string
	switch f {
	case Lagou2017, Lagou2019:
		p.Title = get("positionName")
		p.Company = get("companyFullName")
		p.City = get("city")
		p.District = get("district")
		if zones := pyList(get("businessZones")); len(zones) > 0 {
			p.Zone = zones[0]
		}
		p.Industry = firstOf(get("industryField"))
		salary, experience, education = get("salary"), get("workYear"), get("education")
		p.Tags = pyList(get("positionLables"))
		p.Skills = pyList(get("skillLables"))
		p.Text = get("positionAdvantage")
		if h, err := ParseHeadcount(get("companySize")); err == nil {
			setHeadcount(&p, h)
		}
		if f == Lagou2017 {
			id = get("positionId")
		} else {
			setNumber(&p, "resume_process_rate", get("resumeProcessRate"), 0.01)
			setNumber(&p, "resume_process_days", get("resumeProcessDay"), 1)
			setNumber(&p, "latitude", get("latitude"), 1)
			setNumber(&p, "longitude", get("longitude"), 1)
			if get("jobNature") == "实习" {
				p.Tags = append(p.Tags, "实习")
			}
		}
	case Listing2019:
		p.Title = get("position_name")
		p.Company = get("company_name")
		p.City = get("city")
		salary, experience, education = get("salary"), get("work_years"), get("education")
		p.Tags = splitList(get("advantage"))
		id = urlKey(get("desc"))
	case Boss2024:
		p.Title = get("job_name")
		p.Company = get("company")
		loc, err := ParseLocation(get("address"))
		if err != nil {
			return p, RejectLocation, err
		}
		p.City, p.District, p.Zone = loc.City, loc.District, loc.Zone
		if ci, err := ParseCompanyInfo(get("company_info")); err == nil {
			p.Industry = ci.Industry
			setHeadcount(&p, ci.Size)
		}
		// job_time is "experience,education", or for internships
		// "days/week,months,education" ("5天/周,6个月,本科").
		parts := splitList(get("job_time"))
		if len(parts) > 0 {
			education = parts[len(parts)-1]
			parts = parts[:len(parts)-1]
		}
		if len(parts) == 1 {
			experience = parts[0]
		} else if len(parts) > 1 {
			p.Tags = append(p.Tags, "实习")
			p.Tags = append(p.Tags, parts...)
		}
		p.Skills = append(splitList(get("need")), splitList(get("skill_tags"))...)
		salary = get("salary")
	case Zhilian2020:
		p.Title = get("jobname")
		p.Company = get("name")
		loc, err := ParseLocation(get("jobarea"))
		if err != nil {
			return p, RejectLocation, err
		}
		p.City, p.District, p.Zone = loc.City, loc.District, loc.Zone
		salary, experience, education = get("salary"), get("workingExp"), get("eduLevel")
		p.Skills = splitLines(get("job_skills"))
		p.Tags = splitLines(get("job_highlights"))
		p.Text = get("job_detail")
		if h, err := ParseHeadcount(get("size")); err == nil {
			setHeadcount(&p, h)
		}
		if t, err := time.ParseInLocation(time.ANSIC, get("crawltime"), ChinaStandardTime); err == nil {
			p.Registered = t
		}
		id = urlKey(get("joburl"))
	}
	if p.Title == "" {
		return p, RejectTitle, &ParseError{Field: "title", Input: ""}
	}
	var err error
	if p.Salary, err = ParseSalary(salary); err != nil {
		return p, RejectSalary, err
	}
	if p.Experience, err = ParseExperience(experience); err != nil {
		return p, RejectExperience, err
	}
	if p.Education, err = ParseEducation(education); err != nil {
		return p, RejectEducation, err
	}
	p.Skills = dedupStrings(p.Skills)
	p.Tags = dedupStrings(p.Tags)
	if id == "" {
		h := fnv.New64a()
		for _, s := range raw {
			h.Write([]byte(s))
			h.Write([]byte{0x1f})
		}
		id = "h" + strconv.FormatUint(h.Sum64(), 16)
	}
	p.ID = rd.cfg.Source + ":" + id
	return p, "", nil
}

func setHeadcount(p *Profile, h Headcount) {
	if h == (Headcount{}) {
		return
	}
	if p.Attributes == nil {
		p.Attributes = make(map[string]float64)
	}
	p.Attributes["company_size_min"] = float64(h.Min)
	if h.Max > 0 {
		p.Attributes["company_size_max"] = float64(h.Max)
	}
}

// setNumber stores a numeric column scaled by scale; blanks and non-numbers
// are left out (unknown, never zero).
func setNumber(p *Profile, name, v string, scale float64) {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || x != x || x > 1e300 || x < -1e300 {
		return
	}
	if p.Attributes == nil {
		p.Attributes = make(map[string]float64)
	}
	p.Attributes[name] = x * scale
}

// pyList reads a Python list literal as the lagou files write it,
// "['数据分析', 'SQL']"; a value without brackets is read as a comma list.
func pyList(s string) []string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") {
		return splitList(s)
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		item = strings.Trim(item, `'"`)
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// SplitList splits a comma-separated list (ASCII, full-width or 、
// commas) into its trimmed, non-empty items: a profile's Industry
// ("电子商务,移动互联网") is one.
func SplitList(s string) []string { return splitList(s) }

// splitList splits a comma-separated list (ASCII, full-width or 、 commas).
func splitList(s string) []string {
	var out []string
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	for _, item := range strings.Split(s, "\n") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func firstOf(s string) string {
	if l := splitList(s); len(l) > 0 {
		return l[0]
	}
	return ""
}

// urlKey returns the last path element of a posting URL without its
// extension ("https://www.lagou.com/jobs/5808328.html" → "5808328"), or ""
// for something that is not a URL.
func urlKey(u string) string {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return ""
	}
	u, _, _ = strings.Cut(u, "?")
	u = strings.TrimRight(u, "/")
	base := u[strings.LastIndexByte(u, '/')+1:]
	base = strings.TrimSuffix(base, ".html")
	base = strings.TrimSuffix(base, ".htm")
	if base == "" || strings.Contains(base, ":") {
		return ""
	}
	return base
}

// dedupStrings removes repeated entries, keeping first occurrences in order.
func dedupStrings(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:0]
	seen := make(map[string]bool, len(s))
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// LoadPostingDir reads every posting file in dir whose format
// [PostingFormatOf] recognises, in name order, with one [PostingDedup]
// shared by all files, so that a posting crawled twice is returned once.
// Source of each file is its name without extension. It returns the
// profiles of all files and one report per file; other files (README.md)
// are skipped.
func LoadPostingDir(dir string) ([]Profile, []PostingReport, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("market: postings: %w", err)
	}
	slices.SortFunc(entries, func(a, b os.DirEntry) int { return cmp.Compare(a.Name(), b.Name()) })
	var all []Profile
	var reports []PostingReport
	dedup := &PostingDedup{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		f, err := PostingFormatOf(e.Name())
		if err != nil {
			continue
		}
		ps, rep, err := LoadPostingFile(filepath.Join(dir, e.Name()), PostingConfig{Format: f, Dedup: dedup})
		if err != nil {
			return nil, nil, err
		}
		all = append(all, ps...)
		reports = append(reports, rep)
	}
	return all, reports, nil
}

// LoadPostingFile opens path and reads it with [ReadPostings]. A zero
// cfg.Format is taken from the file name ([PostingFormatOf]) and a zero
// cfg.Source is the file name without extension.
func LoadPostingFile(path string, cfg PostingConfig) ([]Profile, PostingReport, error) {
	if cfg.Format == 0 {
		f, err := PostingFormatOf(path)
		if err != nil {
			return nil, PostingReport{}, err
		}
		cfg.Format = f
	}
	if cfg.Source == "" {
		base := filepath.Base(path)
		cfg.Source = strings.TrimSuffix(base, filepath.Ext(base))
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, PostingReport{}, fmt.Errorf("market: postings: %w", err)
	}
	defer fh.Close()
	return ReadPostings(fh, cfg)
}
