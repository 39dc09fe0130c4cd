// Package speeddating reads the Columbia speed-dating experiment (Fisman &
// Iyengar) as a two-sided market: each row is one person's decision about one
// partner, and almost every pair appears twice, once from each side.
//
// Blank cells are missing values and read as NaN, never as zero.
package speeddating

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// File is the path of the data inside the shared data directory.
const File = "speeddating/speed_dating_waves01-14.csv"

// Row is one meeting seen from person IID's side.
type Row struct {
	IID, PID int // this person, the partner (global ids)
	Wave     int
	Gender   int // 0 female, 1 male
	Round    int // how many people this person met that evening
	Order    int // position of this meeting in the evening
	Dec      bool
	DecO     bool // the partner said yes to this person
	Match    bool
	num      []float64
	t        *Table
}

// Num returns the numeric value of column col for this row, NaN when the
// cell is blank, not numeric, or the column does not exist.
func (r *Row) Num(col string) float64 {
	i, ok := r.t.cols[col]
	if !ok {
		return math.NaN()
	}
	return r.num[i]
}

// Table is the whole file.
type Table struct {
	Header []string
	Rows   []Row
	// Skipped lists the rows left out, one "line N: column C is missing" each.
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

// Read reads the CSV from r. A row whose iid, pid, wave, gender, round,
// order, dec, dec_o or match is missing cannot be placed in the market: it
// is left out and reported in Table.Skipped, naming the line and column.
// A malformed CSV is an error.
func Read(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("speeddating: header: %w", err)
	}
	t := &Table{Header: header, cols: make(map[string]int, len(header))}
	for i, h := range header {
		t.cols[strings.TrimSpace(h)] = i
	}
	for _, c := range []string{"iid", "pid", "wave", "gender", "round", "order", "dec", "dec_o", "match"} {
		if !t.Has(c) {
			return nil, fmt.Errorf("speeddating: missing column %q", c)
		}
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("speeddating: line %d: %w", line, err)
		}
		row := Row{num: make([]float64, len(header)), t: t}
		for i, s := range rec {
			if i >= len(header) {
				break
			}
			row.num[i] = math.NaN()
			if s = strings.TrimSpace(s); s != "" {
				if v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64); err == nil {
					row.num[i] = v
				}
			}
		}
		for i := len(rec); i < len(header); i++ {
			row.num[i] = math.NaN()
		}
		need := func(c string) (int, error) {
			v := row.num[t.cols[c]]
			if math.IsNaN(v) {
				return 0, fmt.Errorf("speeddating: line %d: column %s is missing", line, c)
			}
			return int(v), nil
		}
		var errs []error
		for _, f := range []struct {
			c string
			p *int
		}{{"iid", &row.IID}, {"pid", &row.PID}, {"wave", &row.Wave}, {"gender", &row.Gender}, {"round", &row.Round}, {"order", &row.Order}} {
			v, err := need(f.c)
			*f.p = v
			errs = append(errs, err)
		}
		dec, err1 := need("dec")
		deco, err2 := need("dec_o")
		m, err3 := need("match")
		if err := errors.Join(append(errs, err1, err2, err3)...); err != nil {
			t.Skipped = append(t.Skipped, strings.TrimPrefix(strings.SplitN(err.Error(), "\n", 2)[0], "speeddating: "))
			continue
		}
		row.Dec, row.DecO, row.Match = dec == 1, deco == 1, m == 1
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}
