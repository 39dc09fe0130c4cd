package twoway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// CheckJournal checks that j behaves as the Journal contract says, in the
// spirit of testing/fstest.TestFS: a host testing its own journal calls it
// on a fresh, empty journal and fails its test on a non-nil error, which
// describes the first violation found. It appends about a hundred small
// entries; when j is a JournalTrimmer it then trims some and checks Trim.
func CheckJournal(ctx context.Context, j Journal) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("twoway: CheckJournal: "+format, args...)
	}
	got, err := j.Read(ctx, Offset{}, 10)
	if err != nil {
		return fail("Read of an empty journal: %w", err)
	}
	if len(got) != 0 {
		return fail("Read of an empty journal: %d entries, want none", len(got))
	}
	if _, err := j.Read(ctx, Offset{}, 0); err == nil {
		return fail("Read with limit 0: no error")
	}
	if _, err := j.Append(ctx, nil); err == nil {
		return fail("Append of empty data: no error")
	}
	// Appends in order get increasing offsets; Append does not keep data.
	var offs []Offset
	var want [][]byte
	buf := []byte("entry-0")
	for i := range 5 {
		buf = append(buf[:0], "entry-"+strconv.Itoa(i)...)
		off, err := j.Append(ctx, buf)
		if err != nil {
			return fail("Append(%q): %w", buf, err)
		}
		if off.IsZero() {
			return fail("Append(%q) returned the zero Offset (it is before every entry)", buf)
		}
		if len(offs) > 0 && off.Compare(offs[len(offs)-1]) <= 0 {
			return fail("Append %d returned %v, not after the previous entry's %v", i, off, offs[len(offs)-1])
		}
		offs, want = append(offs, off), append(want, []byte("entry-"+strconv.Itoa(i)))
	}
	buf[0] = 'X' // the caller may reuse its buffer
	got, err = j.Read(ctx, Offset{}, 100)
	if err != nil {
		return fail("Read: %w", err)
	}
	if len(got) != len(want) {
		return fail("Read after 5 appends: %d entries, want 5", len(got))
	}
	for i, e := range got {
		if e.Offset != offs[i] || !bytes.Equal(e.Data, want[i]) {
			return fail("entry %d = (%v, %q), want (%v, %q) as appended (Append must not keep the caller's data)", i, e.Offset, e.Data, offs[i], want[i])
		}
	}
	// Read after an offset excludes it; limit bounds the count.
	if got, err = j.Read(ctx, offs[1], 2); err != nil {
		return fail("Read after %v: %w", offs[1], err)
	}
	if len(got) != 2 || got[0].Offset != offs[2] || got[1].Offset != offs[3] {
		return fail("Read(after %v, limit 2) = %v, want the entries at %v and %v", offs[1], offsetsOf(got), offs[2], offs[3])
	}
	if got, err = j.Read(ctx, offs[4], 10); err != nil {
		return fail("Read after the last entry: %w", err)
	}
	if len(got) != 0 {
		return fail("Read after the last entry: %v, want none", offsetsOf(got))
	}
	// The caller owns what Read returns.
	if got, err = j.Read(ctx, Offset{}, 1); err != nil || len(got) != 1 {
		return fail("Read(limit 1) = %d entries, %v", len(got), err)
	}
	got[0].Data[0] = 'X'
	if got, err = j.Read(ctx, Offset{}, 1); err != nil || len(got) != 1 || !bytes.Equal(got[0].Data, want[0]) {
		return fail("Read returned data the journal keeps: after the caller changed it, entry 0 is %q (%v)", dataOf(got), err)
	}
	// Concurrent appends: each entry once, in one order every reader sees,
	// each appender's own entries in its order.
	const writers, each = 4, 20
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := j.Append(ctx, []byte(fmt.Sprintf("w%d-%02d", w, i))); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			return fail("concurrent Append (writer %d): %w", w, err)
		}
	}
	var all []JournalEntry
	after := offs[4]
	for {
		page, err := j.Read(ctx, after, 7)
		if err != nil {
			return fail("Read after %v: %w", after, err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 7 {
			return fail("Read(limit 7) returned %d entries", len(page))
		}
		all = append(all, page...)
		after = page[len(page)-1].Offset
	}
	if len(all) != writers*each {
		return fail("after %d concurrent appends: %d entries read", writers*each, len(all))
	}
	next := make([]int, writers)
	for i, e := range all {
		if i > 0 && e.Offset.Compare(all[i-1].Offset) <= 0 {
			return fail("entries read out of order: %v after %v", e.Offset, all[i-1].Offset)
		}
		var w, n int
		if _, err := fmt.Sscanf(string(e.Data), "w%d-%d", &w, &n); err != nil || w < 0 || w >= writers {
			return fail("entry %v holds %q, which no writer appended", e.Offset, e.Data)
		}
		if n != next[w] {
			return fail("writer %d's entry %d read where its entry %d was due", w, n, next[w])
		}
		next[w]++
	}
	if tr, ok := j.(JournalTrimmer); ok {
		return checkTrim(ctx, tr, offs, all)
	}
	return nil
}

// checkTrim checks a JournalTrimmer's Trim on the entries CheckJournal
// appended: offs (the first five) and then rest.
func checkTrim(ctx context.Context, j JournalTrimmer, offs []Offset, rest []JournalEntry) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("twoway: CheckJournal: "+format, args...)
	}
	through := rest[9].Offset
	if err := j.Trim(ctx, through); err != nil {
		return fail("Trim(%v): %w", through, err)
	}
	for _, after := range []Offset{{}, offs[2], rest[8].Offset} {
		if _, err := j.Read(ctx, after, 10); !errors.Is(err, ErrJournalTrimmed) {
			return fail("after Trim(%v), Read(after %v) = %v, want an error wrapping ErrJournalTrimmed", through, after, err)
		}
	}
	got, err := j.Read(ctx, through, 100)
	if err != nil {
		return fail("after Trim(%v), Read(after it): %w", through, err)
	}
	if len(got) != len(rest)-10 || got[0].Offset != rest[10].Offset || !bytes.Equal(got[0].Data, rest[10].Data) {
		return fail("after Trim(%v), Read(after it) = %d entries from %v, want the %d from %v", through, len(got), offsetsOf(got), len(rest)-10, rest[10].Offset)
	}
	if err := j.Trim(ctx, offs[0]); err != nil {
		return fail("Trim(%v) below an earlier trim: %w", offs[0], err)
	}
	if _, err := j.Read(ctx, rest[8].Offset, 10); !errors.Is(err, ErrJournalTrimmed) {
		return fail("Trim(%v) below an earlier trim brought entries back: Read(after %v) = %v", offs[0], rest[8].Offset, err)
	}
	off, err := j.Append(ctx, []byte("after-trim"))
	if err != nil {
		return fail("Append after Trim: %w", err)
	}
	if off.Compare(rest[len(rest)-1].Offset) <= 0 {
		return fail("Append after Trim returned %v, not after the last entry's %v", off, rest[len(rest)-1].Offset)
	}
	got, err = j.Read(ctx, rest[len(rest)-1].Offset, 10)
	if err != nil || len(got) != 1 || got[0].Offset != off {
		return fail("Read of the entry appended after Trim: %v, %v", offsetsOf(got), err)
	}
	return nil
}

func offsetsOf(es []JournalEntry) []Offset {
	out := make([]Offset, len(es))
	for i, e := range es {
		out[i] = e.Offset
	}
	return out
}

func dataOf(es []JournalEntry) []byte {
	if len(es) == 0 {
		return nil
	}
	return es[0].Data
}
