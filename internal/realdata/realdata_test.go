package realdata

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMissingEnvDir(t *testing.T) {
	t.Setenv(EnvVar, t.TempDir()+"/absent")
	_, ok := Dir()
	assert.False(t, ok)
	_, ok = Path("speeddating/x.csv")
	assert.False(t, ok)
}

func TestEnvDir(t *testing.T) {
	d := t.TempDir()
	t.Setenv(EnvVar, d)
	got, ok := Dir()
	assert.True(t, ok)
	assert.Equal(t, d, got)
}

// The skip message names the file, says what it is, where it was looked
// for and how to provide it, in each way the data can be missing.
func TestMissingMessage(t *testing.T) {
	const rel = "jobs-zh/boss_2019_java.csv"
	how := "put the shared data directory (speeddating/, jobs-zh/; its README.md says where each file comes from) at ../shared/data beside the repository, or set $TWOWAY_DATA to it"

	absent := filepath.Join(t.TempDir(), "absent")
	t.Setenv(EnvVar, absent)
	assert.Equal(t, "real data jobs-zh/boss_2019_java.csv not found (Java postings crawled from BOSS直聘 in 2019): $TWOWAY_DATA is "+absent+", which is not a directory; "+how, Missing(rel))

	empty := t.TempDir()
	t.Setenv(EnvVar, empty)
	assert.Equal(t, "real data speeddating/speed_dating_waves01-14.csv not found (the Columbia speed-dating experiment (Fisman & Iyengar, 2002–2004), waves 1–14: real two-sided decisions): not in "+empty+"; "+how,
		Missing("speeddating/speed_dating_waves01-14.csv"))

	t.Setenv(EnvVar, "")
	t.Chdir(t.TempDir()) // no shared/data above a fresh temporary directory
	if _, ok := Dir(); !ok {
		wd, err := os.Getwd()
		require.NoError(t, err)
		assert.Equal(t, "real data other.csv not found: no shared/data in "+wd+" or any directory above it, and $TWOWAY_DATA is not set; "+how, Missing("other.csv"))
	}
}

// Every file Files lists is described, and when the data is here, Files
// lists exactly the files of speeddating/ and jobs-zh/.
func TestFiles(t *testing.T) {
	fs := Files()
	require.NotEmpty(t, fs)
	for _, f := range fs {
		assert.NotEmpty(t, Describe(f), f)
	}
	assert.Empty(t, Describe("jobs-zh/unknown.csv"))
	d, ok := Dir()
	if !ok {
		t.Skip(Missing(fs[0]))
	}
	var found []string
	for _, sub := range []string{"speeddating", "jobs-zh"} {
		es, err := os.ReadDir(filepath.Join(d, sub))
		require.NoError(t, err)
		for _, e := range es {
			if !e.IsDir() && filepath.Ext(e.Name()) != ".md" {
				found = append(found, sub+"/"+e.Name())
			}
		}
	}
	assert.ElementsMatch(t, fs, found)
}
