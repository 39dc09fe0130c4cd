package activity

import (
	"context"
	"fmt"
)

// IDStore is the optional interface of a [Store] that can also key each
// participant by its string ID instead of its dense index: dense indices
// agree between processes only when every process built its dictionary
// in the same order, string IDs always do. AddID and ReadID follow the
// contracts of Store.Add and Store.Read with user replaced by id (a
// participant's counters under its ID are separate from those under any
// index). An Engine whose real-time store implements IDStore counts by ID
// (through [ByID]).
type IDStore interface {
	AddID(ctx context.Context, id string, bucket int64, set CounterSet, at int64) error
	ReadID(ctx context.Context, id string, first int64, dst []uint32) (last int64, err error)
}

// ByID returns a [Store] that counts in s under each participant's string
// ID, name(user) (false: the participant has no ID, an error). The result
// is safe for concurrent use when s and name are.
func ByID(s IDStore, name func(user uint32) (string, bool)) Store {
	return &byID{s: s, name: name}
}

type byID struct {
	s    IDStore
	name func(uint32) (string, bool)
}

func (b *byID) id(user uint32) (string, error) {
	id, ok := b.name(user)
	if !ok || id == "" {
		return "", fmt.Errorf("activity: participant %d has no ID", user)
	}
	return id, nil
}

func (b *byID) Add(ctx context.Context, user uint32, bucket int64, set CounterSet, at int64) error {
	id, err := b.id(user)
	if err != nil {
		return err
	}
	return b.s.AddID(ctx, id, bucket, set, at)
}

func (b *byID) Read(ctx context.Context, user uint32, first int64, dst []uint32) (int64, error) {
	if len(dst)%NumCounters != 0 {
		panic(fmt.Sprintf("activity: ByID.Read: len(dst) = %d, not a multiple of %d", len(dst), NumCounters))
	}
	id, err := b.id(user)
	if err != nil {
		return 0, err
	}
	return b.s.ReadID(ctx, id, first, dst)
}
