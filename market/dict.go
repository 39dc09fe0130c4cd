package market

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// Dict maps string IDs to dense uint32 indices 0, 1, 2, … in the order the
// IDs were first seen. An index, once given, never changes and is never
// reused, so bitmaps and matrices indexed by it stay valid as the market
// grows. The zero Dict is empty and ready to use; it is safe for concurrent
// use.
type Dict struct {
	mu    sync.RWMutex
	ids   []string
	index map[string]uint32
}

// Index returns the index of id, adding id if it is new.
// It returns ErrEmptyID, ErrInvalidUTF8 or ErrIDTooLong (wrapped) for a
// bad id.
func (d *Dict) Index(id string) (uint32, error) {
	if id == "" {
		return 0, fmt.Errorf("market: dict: %w", ErrEmptyID)
	}
	d.mu.RLock()
	ix, ok := d.index[id]
	d.mu.RUnlock()
	if ok {
		return ix, nil
	}
	if !utf8.ValidString(id) {
		return 0, fmt.Errorf("market: dict: id %+q: %w", Shorten(id), ErrInvalidUTF8)
	}
	if len(id) > MaxIDLen {
		return 0, fmt.Errorf("market: dict: id %q: %w", Shorten(id), ErrIDTooLong)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if ix, ok := d.index[id]; ok {
		return ix, nil
	}
	if len(d.ids) == 1<<32-1 {
		return 0, fmt.Errorf("market: dict: %w: more than 2^32-1 IDs", ErrOutOfRange)
	}
	if d.index == nil {
		d.index = make(map[string]uint32)
	}
	ix = uint32(len(d.ids))
	d.ids = append(d.ids, id)
	d.index[id] = ix
	return ix, nil
}

// Lookup returns the index of id and whether id is known. It never adds.
func (d *Dict) Lookup(id string) (uint32, bool) {
	d.mu.RLock()
	ix, ok := d.index[id]
	d.mu.RUnlock()
	return ix, ok
}

// ID returns the string ID of index ix and whether ix has been given out.
func (d *Dict) ID(ix uint32) (string, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if int(ix) >= len(d.ids) {
		return "", false
	}
	return d.ids[ix], true
}

// Len returns the number of IDs, which is also the next index to be given.
func (d *Dict) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.ids)
}

// IDs returns a copy of all IDs in index order.
func (d *Dict) IDs() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return append([]string(nil), d.ids...)
}

const dictMagic = "twoway.dict\x00"
const dictVersion = 1

// ErrCorrupt reports a serialised value that cannot be read back: a wrong
// magic number, an unknown version, a truncated or inconsistent body.
var ErrCorrupt = errors.New("market: corrupt or foreign data")

// WriteTo writes the dictionary in a versioned binary format. It implements
// io.WriterTo.
func (d *Dict) WriteTo(w io.Writer) (int64, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	bw := bufio.NewWriter(w)
	var n int64
	var buf [binary.MaxVarintLen64]byte
	put := func(p []byte) {
		m, _ := bw.Write(p)
		n += int64(m)
	}
	put([]byte(dictMagic))
	put(buf[:binary.PutUvarint(buf[:], dictVersion)])
	put(buf[:binary.PutUvarint(buf[:], uint64(len(d.ids)))])
	for _, id := range d.ids {
		put(buf[:binary.PutUvarint(buf[:], uint64(len(id)))])
		put([]byte(id))
	}
	return n, bw.Flush()
}

// ReadFrom replaces the dictionary's content with one written by WriteTo.
// It implements io.ReaderFrom. On error the dictionary is left unchanged and
// the error wraps ErrCorrupt (or the reader's error).
func (d *Dict) ReadFrom(r io.Reader) (int64, error) {
	cr := &countReader{r: bufio.NewReader(r)}
	fail := func(format string, args ...any) (int64, error) {
		return cr.n, fmt.Errorf("%w: dict: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	magic := make([]byte, len(dictMagic))
	if _, err := io.ReadFull(cr, magic); err != nil || string(magic) != dictMagic {
		return fail("bad magic")
	}
	v, err := binary.ReadUvarint(cr)
	if err != nil || v != dictVersion {
		return fail("unsupported version %d", v)
	}
	count, err := binary.ReadUvarint(cr)
	if err != nil || count > 1<<32-1 {
		return fail("bad count")
	}
	ids := make([]string, 0, min(count, 1<<16))
	index := make(map[string]uint32, min(count, 1<<16))
	for i := uint64(0); i < count; i++ {
		l, err := binary.ReadUvarint(cr)
		if err != nil || l == 0 || l > 1<<20 {
			return fail("bad length of id %d", i)
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(cr, b); err != nil {
			return fail("truncated id %d", i)
		}
		id := string(b)
		if !utf8.ValidString(id) {
			return fail("id %d is not UTF-8", i)
		}
		if _, dup := index[id]; dup {
			return fail("duplicate id %q", id)
		}
		index[id] = uint32(i)
		ids = append(ids, id)
	}
	d.mu.Lock()
	d.ids, d.index = ids, index
	d.mu.Unlock()
	return cr.n, nil
}

type countReader struct {
	r *bufio.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}
