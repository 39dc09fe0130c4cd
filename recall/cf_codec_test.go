package recall

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A restored item-CF, Swing or user-CF recaller has the fitted one's
// neighbours and recalls exactly what it recalls; damage is ErrCorrupt and
// changes nothing.
func TestCFBinaryRoundTrip(t *testing.T) {
	ctx := context.Background()
	const actors, targets = 40, 25
	x := fitted(t, randomEvents(4, actors, targets, 500), 7*24*time.Hour)
	item, err := NewItemCF(x, CFConfig{Neighbours: 10, Workers: 2})
	require.NoError(t, err)
	swing, err := NewSwing(x, SwingConfig{})
	require.NoError(t, err)
	user, err := NewUserCF(x, CFConfig{Neighbours: 10, Workers: 2})
	require.NoError(t, err)
	type codec interface {
		Recaller
		Fit(context.Context) error
		AppendBinary([]byte) ([]byte, error)
		UnmarshalBinary([]byte) error
	}
	fresh := map[string]func() codec{
		"item-cf": func() codec { r, _ := NewItemCF(x, CFConfig{Neighbours: 10, Workers: 2}); return r },
		"swing":   func() codec { r, _ := NewSwing(x, SwingConfig{}); return r },
		"user-cf": func() codec { r, _ := NewUserCF(x, CFConfig{Neighbours: 10, Workers: 2}); return r },
	}
	for name, r := range map[string]codec{"item-cf": item, "swing": swing, "user-cf": user} {
		unfitted, err := r.AppendBinary(nil)
		require.NoError(t, err, name)
		require.NoError(t, r.Fit(ctx), name)
		b, err := r.AppendBinary(nil)
		require.NoError(t, err, name)
		g := fresh[name]()
		require.NoError(t, g.UnmarshalBinary(b), name)
		again, err := g.AppendBinary(nil)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(b, again), "%s: re-encodes to the same bytes", name)
		for u := range uint32(actors + targets) {
			want, err := r.Recall(ctx, Request{Requester: u, K: 20}, nil)
			require.NoError(t, err)
			got, err := g.Recall(ctx, Request{Requester: u, K: 20}, nil)
			require.NoError(t, err)
			require.Equal(t, want, got, "%s: requester %d", name, u)
		}
		for _, cut := range []int{0, 1, len(b) / 2, len(b) - 1} {
			require.ErrorIs(t, g.UnmarshalBinary(b[:cut]), ErrCorrupt, "%s: cut at %d", name, cut)
		}
		require.ErrorIs(t, g.UnmarshalBinary(append(bytes.Clone(b), 0)), ErrCorrupt, name)
		small := fitted(t, randomEvents(5, 5, 5, 30), 0)
		other, _ := NewItemCF(small, CFConfig{Neighbours: 10})
		require.ErrorIs(t, other.UnmarshalBinary(b), ErrCorrupt, "%s: a table of another dimension", name)
		again, err = g.AppendBinary(nil)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(b, again), "%s: unchanged by the failures", name)
		require.NoError(t, fresh[name]().UnmarshalBinary(unfitted), "%s: an unfitted table", name)
	}
}

func FuzzCFUnmarshal(f *testing.F) {
	x, err := NewInterest(InterestConfig{Clock: fixedClock})
	require.NoError(f, err)
	require.NoError(f, x.Fit(context.Background(), slices.Values(randomEvents(6, 8, 8, 80))))
	r, err := NewItemCF(x, CFConfig{Neighbours: 5})
	require.NoError(f, err)
	require.NoError(f, r.Fit(context.Background()))
	b, err := r.AppendBinary(nil)
	require.NoError(f, err)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		g, _ := NewItemCF(x, CFConfig{Neighbours: 5})
		if err := g.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		for u := range uint32(16) {
			_, err := g.Recall(context.Background(), Request{Requester: u, K: 10}, nil)
			require.NoError(t, err)
		}
	})
}
