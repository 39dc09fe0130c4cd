package dating

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// File is the path of the speed-dating data inside the shared data
// directory (../shared/data or $TWOWAY_DATA).
const File = "speeddating/speed_dating_waves01-14.csv"

// Source says where the data comes from, for skip messages and reports.
const Source = "the Columbia speed-dating experiment (Fisman & Iyengar), waves 1–14: " + File +
	" in the shared data directory (../shared/data beside the repository, or $TWOWAY_DATA)"

// Meeting is one row of the file: person IID meeting partner PID in one
// wave, seen from IID's side.
type Meeting struct {
	IID, PID int // this person, the partner (ids unique across waves)
	Wave     int
	Gender   int // 0 female, 1 male
	Round    int // how many people this person met that evening
	Order    int // position of this meeting in the evening
	Dec      bool
	DecO     bool // the partner said yes to this person
	Match    bool
	Line     int // line in the file (the header is line 1)
	raw      []string
	num      []float64
	t        *Table
}

// Num returns the numeric value of column col, NaN when the cell is
// blank, not a number, or the column does not exist. Thousands
// separators are accepted ("69,487.00").
func (m *Meeting) Num(col string) float64 {
	i, ok := m.t.cols[col]
	if !ok {
		return math.NaN()
	}
	return m.num[i]
}

// Str returns the trimmed text of column col ("" when blank or absent).
func (m *Meeting) Str(col string) string {
	i, ok := m.t.cols[col]
	if !ok || i >= len(m.raw) {
		return ""
	}
	return m.raw[i]
}

// Table is the whole file.
type Table struct {
	Header   []string
	Meetings []Meeting
	// Skipped lists the rows left out, one "line N: column C is missing"
	// each.
	Skipped []string
	cols    map[string]int
}

// Has reports whether the file has column col.
func (t *Table) Has(col string) bool { _, ok := t.cols[col]; return ok }

// Open reads the file at path.
func Open(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// required are the columns without which a row cannot be placed in the
// market.
var required = []string{"iid", "pid", "wave", "gender", "round", "order", "dec", "dec_o", "match"}

// Read reads the CSV from r. Blank cells are missing values (NaN), never
// zero. A row whose iid, pid, wave, gender, round, order, dec, dec_o or
// match is missing is left out and reported in Table.Skipped; a
// malformed CSV or a header without those columns is an error.
func Read(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("dating: header: %w", err)
	}
	t := &Table{Header: header, cols: make(map[string]int, len(header))}
	for i, h := range header {
		t.cols[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, c := range required {
		if !t.Has(c) {
			return nil, fmt.Errorf("dating: missing column %q", c)
		}
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dating: line %d: %w", line, err)
		}
		m := Meeting{Line: line, raw: make([]string, len(header)), num: make([]float64, len(header)), t: t}
		for i := range header {
			m.num[i] = math.NaN()
			if i >= len(rec) {
				continue
			}
			s := strings.TrimSpace(rec[i])
			m.raw[i] = s
			if s != "" {
				if v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64); err == nil && !math.IsInf(v, 0) {
					m.num[i] = v
				}
			}
		}
		var missing string
		ints := [...]*int{&m.IID, &m.PID, &m.Wave, &m.Gender, &m.Round, &m.Order}
		var flags [3]bool
		for k, c := range required {
			v := m.num[t.cols[c]]
			if math.IsNaN(v) {
				missing = c
				break
			}
			if k < len(ints) {
				*ints[k] = int(v)
			} else {
				flags[k-len(ints)] = v == 1
			}
		}
		if missing != "" {
			t.Skipped = append(t.Skipped, fmt.Sprintf("line %d: column %s is missing", line, missing))
			continue
		}
		m.Dec, m.DecO, m.Match = flags[0], flags[1], flags[2]
		t.Meetings = append(t.Meetings, m)
	}
	return t, nil
}

// Waves returns a table of the meetings of the given waves only (the
// same header and columns; Skipped is not carried over): one evening's
// market on its own, as a small host would have it.
func (t *Table) Waves(waves ...int) *Table {
	out := &Table{Header: t.Header, cols: t.cols}
	for _, m := range t.Meetings {
		if slices.Contains(waves, m.Wave) {
			out.Meetings = append(out.Meetings, m)
		}
	}
	return out
}
