package realdata

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
