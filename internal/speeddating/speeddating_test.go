package speeddating

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/realdata"
)

func TestReadSmall(t *testing.T) {
	in := "iid,pid,wave,gender,round,order,dec,dec_o,match,attr\n1,11,1,0,10,4,1,0,0,\n11,1,1,1,10,4,0,1,0,7\n"
	tab, err := Read(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, tab.Rows, 2)
	assert.True(t, math.IsNaN(tab.Rows[0].Num("attr")), "blank is missing, not zero")
	assert.Equal(t, 7.0, tab.Rows[1].Num("attr"))
	assert.True(t, tab.Rows[0].Dec)
	assert.True(t, tab.Rows[1].DecO)
	tab, err = Read(strings.NewReader("iid,pid,wave,gender,round,order,dec,dec_o,match\n1,,1,0,10,4,1,0,0\n"))
	require.NoError(t, err)
	assert.Empty(t, tab.Rows)
	assert.Equal(t, []string{"line 2: column pid is missing"}, tab.Skipped)
}

func TestRealFile(t *testing.T) {
	tab, err := Open(realdata.Require(t, File))
	require.NoError(t, err)
	assert.Equal(t, 5744, len(tab.Rows)+len(tab.Skipped))
	assert.Less(t, len(tab.Skipped), 20, "skipped: %v", tab.Skipped)
	for _, r := range tab.Rows {
		require.Equal(t, r.Dec && r.DecO, r.Match, "match = dec AND dec_o on iid %d pid %d", r.IID, r.PID)
	}
}
