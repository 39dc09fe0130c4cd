package match_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/sparse"
)

// A stream whose participant index is huge must be refused, not make the
// catalog allocate a dense table of that size.
func TestCatalogUnmarshalHugeIndex(t *testing.T) {
	c := match.NewCatalog(match.CatalogConfig{})
	require.NoError(t, c.Set(127, match.Content{Side: market.Seeker, Vector: sparse.Vector{Idx: []uint32{1}, Val: []float64{1}}, Skills: []string{"go"}}))
	data, err := c.AppendBinary(nil)
	require.NoError(t, err)
	i := bytes.Index(data, []byte{0x7f, 0x01})
	require.GreaterOrEqual(t, i, 0)
	for _, ix := range []uint64{0xFFFFFFF0, match.MaxIndex + 1} {
		big := binary.AppendUvarint(nil, ix)
		d := append(append(append([]byte(nil), data[:i]...), big...), data[i+1:]...)
		dst := match.NewCatalog(match.CatalogConfig{})
		require.NoError(t, dst.UnmarshalBinary(data))
		err = dst.UnmarshalBinary(d)
		require.ErrorIs(t, err, match.ErrContent, "index %d", ix)
		assert.Equal(t, 128, dst.Len(), "catalog unchanged")
		_, ok := dst.Content(127)
		assert.True(t, ok)
	}
}

func TestCatalogSetHugeIndex(t *testing.T) {
	c := match.NewCatalog(match.CatalogConfig{})
	err := c.Set(match.MaxIndex+1, match.Content{Side: market.Seeker})
	require.ErrorIs(t, err, match.ErrContent)
	require.ErrorIs(t, err, market.ErrOutOfRange)
	var fe *market.FieldError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "index", fe.Field)
	assert.Equal(t, 0, c.Len())
}

func TestBehaviourRecordHugeIndexIgnored(t *testing.T) {
	b := match.NewBehaviour(match.BehaviourConfig{})
	b.Record(0, 0xFFFFFFF0, market.Seeker, market.View, 1)
	b.Record(0xFFFFFFF0, 0, market.Seeker, market.View, 1)
	b.Record(match.MaxIndex+1, 0, market.Seeker, market.View, 1)
	assert.Equal(t, match.Counts{}, b.Counts(0))
	data, err := b.AppendBinary(nil)
	require.NoError(t, err)
	assert.Less(t, len(data), 1<<10)
}

func TestMaxIndexIsTheSharedBound(t *testing.T) {
	assert.Equal(t, recall.MaxIndex, match.MaxIndex)
}
