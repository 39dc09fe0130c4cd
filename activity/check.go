package activity

import (
	"context"
	"fmt"
	"sync"
)

// CheckStore checks that s behaves as the [Store] contract says, in the
// spirit of testing/fstest.TestFS: a host testing its own store (Redis, …)
// calls it on a fresh, empty store that keeps at least 8 buckets per
// participant, and fails its test on a non-nil error, which describes the
// first violation found. It uses participants 1, 2, 3 and 1<<20 and
// buckets around 1,000,000.
func CheckStore(ctx context.Context, s Store) error {
	const (
		u, v, w = 1, 2, 3
		far     = 1 << 20
		b0      = 1_000_000
		n       = 4
	)
	views, contacts := CounterSet(0).With(Views).With(Actions), CounterSet(0).With(ContactsReceived)
	read := func(user uint32, first int64) ([]uint32, int64, error) {
		dst := make([]uint32, n*NumCounters)
		for i := range dst {
			dst[i] = 7 // Read must overwrite everything
		}
		last, err := s.Read(ctx, user, first, dst)
		if err != nil {
			return nil, 0, fmt.Errorf("activity: CheckStore: Read(%d, %d): %w", user, first, err)
		}
		return dst, last, nil
	}
	count := func(dst []uint32, c Counter, i int) uint32 { return dst[int(c)*n+i] }

	// An unknown participant reads all zeros.
	dst, last, err := read(far, b0)
	if err != nil {
		return err
	}
	for i, x := range dst {
		if x != 0 {
			return fmt.Errorf("activity: CheckStore: fresh participant: dst[%d] = %d, want 0", i, x)
		}
	}
	if last != 0 {
		return fmt.Errorf("activity: CheckStore: fresh participant: last = %d, want 0", last)
	}

	// Adds accumulate per counter and bucket; last activity only rises.
	steps := []struct {
		user   uint32
		bucket int64
		set    CounterSet
		at     int64
	}{
		{u, b0, views, 500},
		{u, b0, views, 400},
		{u, b0 + 2, views | contacts, 0},
		{u, b0 + 3, 0, 900},
		{v, b0 + 1, contacts, 0},
	}
	for _, st := range steps {
		if err := s.Add(ctx, st.user, st.bucket, st.set, st.at); err != nil {
			return fmt.Errorf("activity: CheckStore: Add(%d, %d, %b, %d): %w", st.user, st.bucket, st.set, st.at, err)
		}
	}
	dst, last, err = read(u, b0)
	if err != nil {
		return err
	}
	want := map[[2]int]uint32{
		{int(Views), 0}: 2, {int(Actions), 0}: 2,
		{int(Views), 2}: 1, {int(Actions), 2}: 1, {int(ContactsReceived), 2}: 1,
	}
	for c := range NumCounters {
		for i := range n {
			if got := count(dst, Counter(c), i); got != want[[2]int{c, i}] {
				return fmt.Errorf("activity: CheckStore: participant %d, counter %v, bucket %d: %d, want %d", u, Counter(c), b0+int64(i), got, want[[2]int{c, i}])
			}
		}
	}
	if last != 900 {
		return fmt.Errorf("activity: CheckStore: participant %d: last = %d, want 900 (the largest at added)", u, last)
	}
	// A window starting later shifts the layout.
	dst, _, err = read(u, b0+2)
	if err != nil {
		return err
	}
	if count(dst, Views, 0) != 1 || count(dst, Views, 1) != 0 || count(dst, Views, 2) != 0 {
		return fmt.Errorf("activity: CheckStore: Read from bucket %d: views %v, want [1 0 0 0]", b0+2, dst[int(Views)*n:int(Views)*n+n])
	}
	// Participants are independent.
	dst, last, err = read(v, b0)
	if err != nil {
		return err
	}
	if count(dst, ContactsReceived, 1) != 1 || count(dst, Views, 0) != 0 || last != 0 {
		return fmt.Errorf("activity: CheckStore: participant %d sees another participant's counts", v)
	}

	// Concurrent adds are all counted.
	const goroutines, adds = 4, 250
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Go(func() {
			for range adds {
				if err := s.Add(ctx, w, b0, views, 0); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("activity: CheckStore: concurrent Add: %w", err)
	}
	dst, _, err = read(w, b0)
	if err != nil {
		return err
	}
	if got := count(dst, Views, 0); got != goroutines*adds {
		return fmt.Errorf("activity: CheckStore: %d concurrent adds counted %d times", goroutines*adds, got)
	}
	return nil
}
