// Package load reads the data the evaluation suite runs on.
//
// # Real data
//
// The shared data directory holds speed dating ([SpeedDating]), Chinese
// job postings ([Postings], through market's posting loaders) and the
// recruiters' reply rates they imply ([ReplyRates]). It is located with
// internal/realdata ($TWOWAY_DATA, or shared/data beside the repository);
// a missing file is an error wrapping [ErrMissing] that names the file and
// says where to put it.
//
// # Your own data
//
// [ReadProfilesCSV], [ReadProfilesJSONL], [ReadEventsCSV] and
// [ReadEventsJSONL] read profiles and events a user exports from their own
// system. Raw Chinese fields (salary, experience, education) go through
// market's parsers; every record is validated, and the first bad one stops
// reading with a *[RecordError] naming its line and field.
package load

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/twowayrec/twoway/benchmarks/dating"
	"github.com/twowayrec/twoway/internal/realdata"
	"github.com/twowayrec/twoway/market"
)

// ErrMissing is wrapped by the error for a real-data file that is absent.
var ErrMissing = errors.New("load: real data not found")

// Path returns the path of rel in the data directory dir, or, when dir is
// empty, in the directory internal/realdata finds. A missing file is an
// error wrapping ErrMissing that says how to provide it.
func Path(dir, rel string) (string, error) {
	if dir == "" {
		p, ok := realdata.Path(rel)
		if !ok {
			return "", fmt.Errorf("%w: %s (put the shared data beside the repository as shared/data, or set $%s)", ErrMissing, rel, realdata.EnvVar)
		}
		return p, nil
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := filepathStat(p); err != nil {
		return "", fmt.Errorf("%w: %s in %s", ErrMissing, rel, dir)
	}
	return p, nil
}

// SpeedDating reads speeddating/speed_dating_waves01-14.csv of the data
// directory dir ("": the one internal/realdata finds) with dating.Open. To
// read another copy, call dating.Open(path) or dating.Read(r).
func SpeedDating(dir string) (*dating.Table, error) {
	p, err := Path(dir, dating.File)
	if err != nil {
		return nil, err
	}
	return dating.Open(p)
}

// PostingsDir is the directory of the Chinese job postings.
const PostingsDir = "jobs-zh"

// Postings reads every posting file of jobs-zh as recruiter profiles
// (market.LoadPostingDir: duplicates across crawls dropped), with one
// parsing report per file.
func Postings(dir string) ([]market.Profile, []market.PostingReport, error) {
	p, err := Path(dir, PostingsDir)
	if err != nil {
		return nil, nil, err
	}
	return market.LoadPostingDir(p)
}

// ReplyRatesFile is the posting file whose resumeProcessRate column gives
// the recruiters' reply rates.
const ReplyRatesFile = "jobs-zh/lagou_2019_data_analyst.csv"

// ReplyRates returns the real distribution of recruiters' reply rates:
// resumeProcessRate/100 of every posting of lagou_2019_data_analyst.csv
// (the share of applications the employer processes), duplicates
// included, in file order.
func ReplyRates(dir string) ([]float64, error) {
	p, err := Path(dir, ReplyRatesFile)
	if err != nil {
		return nil, err
	}
	ps, _, err := market.LoadPostingFile(p, market.PostingConfig{KeepDuplicates: true})
	if err != nil {
		return nil, err
	}
	var out []float64
	for i := range ps {
		if v, ok := ps[i].Attributes["resume_process_rate"]; ok && v >= 0 && v <= 1 {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("load: %s: no resumeProcessRate values", ReplyRatesFile)
	}
	return out, nil
}
