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
//
// When s is also an [IDOnceStore], the result is a [OnceStore].
func ByID(s IDStore, name func(user uint32) (string, bool)) Store {
	b := &byID{s: s, name: name}
	if once, ok := s.(IDOnceStore); ok {
		return &byIDOnce{byID: b, once: once}
	}
	return b
}

// OnceStore is the optional interface of a [Store] that can count an event
// once however often it is recorded, by several processes too: AddOnce is
// Add, unless key (the event's ID) was already added for user within the
// store's retention, when it changes nothing; it reports whether it
// added. The check and the add are one atomic step.
type OnceStore interface {
	AddOnce(ctx context.Context, user uint32, bucket int64, set CounterSet, at int64, key string) (bool, error)
}

// IDOnceStore is [OnceStore] for an [IDStore]: AddIDOnce is AddOnce with
// user replaced by its string ID.
type IDOnceStore interface {
	AddIDOnce(ctx context.Context, id string, bucket int64, set CounterSet, at int64, key string) (bool, error)
}

type byIDOnce struct {
	*byID
	once IDOnceStore
}

func (b *byIDOnce) AddOnce(ctx context.Context, user uint32, bucket int64, set CounterSet, at int64, key string) (bool, error) {
	id, err := b.id(user)
	if err != nil {
		return false, err
	}
	return b.once.AddIDOnce(ctx, id, bucket, set, at, key)
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
