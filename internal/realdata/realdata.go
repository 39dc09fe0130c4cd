// Package realdata finds the real evaluation data (../shared/data beside the
// repository, or the directory named by $TWOWAY_DATA) for tests, benchmarks
// and reports. The data is never committed into the repository.
package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvVar names the environment variable that overrides the data directory.
const EnvVar = "TWOWAY_DATA"

// Dir returns the data directory (the one holding speeddating/ and jobs-zh/)
// and whether it exists. It looks at $TWOWAY_DATA first, then for
// shared/data in the working directory and each of its parents.
func Dir() (string, bool) {
	if d := os.Getenv(EnvVar); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, true
		}
		return d, false
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "shared", "data")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// Path returns the path of rel (e.g. "speeddating/speed_dating_waves01-14.csv")
// inside the data directory and whether that file exists.
func Path(rel string) (string, bool) {
	d, ok := Dir()
	if !ok {
		return "", false
	}
	p := filepath.Join(d, filepath.FromSlash(rel))
	_, err := os.Stat(p)
	return p, err == nil
}

// Require returns the path of rel, or skips the test or benchmark with a
// clear message when the real data is absent.
func Require(tb testing.TB, rel string) string {
	tb.Helper()
	p, ok := Path(rel)
	if !ok {
		tb.Skipf("real data %q not found: put the shared data beside the repository (../shared/data) or set $%s", rel, EnvVar)
	}
	return p
}
