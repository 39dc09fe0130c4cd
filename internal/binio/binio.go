// Package binio is the byte-level encoding shared by the library's binary
// formats (model snapshots, fitted state): append-style writers and a
// bounds-checked reader with a sticky error, so that a decoder reads a
// whole record and checks one error at the end, and damaged input is an
// error, never a panic or an allocation the input cannot justify.
//
// Integers are varints (encoding/binary), floats are 8 bytes little-endian
// (bit-exact, NaN payloads included), strings and byte slices are a uvarint
// length and the bytes. A frame ([AppendFrame], [ReadFrame]) adds a magic
// string, a version and a CRC-32 (IEEE) of the body.
package binio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
)

// ErrCorrupt is wrapped by every error a Reader or ReadFrame returns.
var ErrCorrupt = errors.New("corrupt data")

// Writer appends encoded values to a byte slice. The zero Writer is ready.
type Writer struct{ B []byte }

// Uvarint appends v.
func (w *Writer) Uvarint(v uint64) { w.B = binary.AppendUvarint(w.B, v) }

// Varint appends v.
func (w *Writer) Varint(v int64) { w.B = binary.AppendVarint(w.B, v) }

// Int appends v as a varint.
func (w *Writer) Int(v int) { w.Varint(int64(v)) }

// Bool appends 1 or 0.
func (w *Writer) Bool(v bool) {
	if v {
		w.B = append(w.B, 1)
	} else {
		w.B = append(w.B, 0)
	}
}

// Byte appends b.
func (w *Writer) Byte(b byte) { w.B = append(w.B, b) }

// Float64 appends the 8 bytes of v, little-endian.
func (w *Writer) Float64(v float64) { w.B = binary.LittleEndian.AppendUint64(w.B, math.Float64bits(v)) }

// Float64s appends len(v) and the values.
func (w *Writer) Float64s(v []float64) {
	w.Uvarint(uint64(len(v)))
	for _, x := range v {
		w.Float64(x)
	}
}

// Uint32s appends len(v) and the values as uvarints.
func (w *Writer) Uint32s(v []uint32) {
	w.Uvarint(uint64(len(v)))
	for _, x := range v {
		w.Uvarint(uint64(x))
	}
}

// String appends len(s) and the bytes of s.
func (w *Writer) String(s string) {
	w.Uvarint(uint64(len(s)))
	w.B = append(w.B, s...)
}

// Strings appends len(v) and each string.
func (w *Writer) Strings(v []string) {
	w.Uvarint(uint64(len(v)))
	for _, s := range v {
		w.String(s)
	}
}

// Bytes appends len(b) and b.
func (w *Writer) Bytes(b []byte) {
	w.Uvarint(uint64(len(b)))
	w.B = append(w.B, b...)
}

// Reader decodes what a Writer wrote. After the first failure every method
// returns a zero value and Err reports the failure.
type Reader struct {
	b   []byte
	off int
	err error
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first failure, wrapping ErrCorrupt.
func (r *Reader) Err() error { return r.err }

// Fail records a failure found by the caller (a value out of range), unless
// one is recorded already, and returns the first failure.
func (r *Reader) Fail(format string, args ...any) error {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s (at byte %d)", ErrCorrupt, fmt.Sprintf(format, args...), r.off)
	}
	return r.err
}

// Len returns the number of unread bytes.
func (r *Reader) Len() int { return len(r.b) - r.off }

// Done returns Err, or an error when bytes are left unread.
func (r *Reader) Done() error {
	if r.err == nil && r.off != len(r.b) {
		return r.Fail("%d trailing bytes", len(r.b)-r.off)
	}
	return r.err
}

// Uvarint reads a uvarint.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.Fail("bad uvarint")
		return 0
	}
	r.off += n
	return v
}

// Varint reads a varint.
func (r *Reader) Varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.Fail("bad varint")
		return 0
	}
	r.off += n
	return v
}

// Int reads a varint that must fit an int in [lo, hi].
func (r *Reader) Int(lo, hi int) int {
	v := r.Varint()
	if r.err == nil && (v < int64(lo) || v > int64(hi)) {
		r.Fail("integer %d outside [%d, %d]", v, lo, hi)
		return 0
	}
	return int(v)
}

// Uint32 reads a uvarint that must fit a uint32.
func (r *Reader) Uint32() uint32 {
	v := r.Uvarint()
	if r.err == nil && v > math.MaxUint32 {
		r.Fail("%d does not fit 32 bits", v)
		return 0
	}
	return uint32(v)
}

// Count reads a length of items taking at least size bytes each: it fails
// when the unread bytes cannot hold that many, so that a damaged length
// never makes the caller allocate more than the input justifies.
func (r *Reader) Count(size int) int {
	v := r.Uvarint()
	if r.err == nil && (size > 0 && v > uint64(r.Len()/size) || v > math.MaxInt32) {
		r.Fail("count %d larger than the data", v)
		return 0
	}
	return int(v)
}

// Bool reads a 0 or 1.
func (r *Reader) Bool() bool {
	switch r.Byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.Fail("bad bool")
	return false
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.Fail("truncated")
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

// Float64 reads 8 bytes as a float64.
func (r *Reader) Float64() float64 {
	if r.err != nil {
		return 0
	}
	if r.Len() < 8 {
		r.Fail("truncated")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off:]))
	r.off += 8
	return v
}

// Float64s reads what Writer.Float64s wrote.
func (r *Reader) Float64s() []float64 {
	n := r.Count(8)
	if r.err != nil {
		return nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = r.Float64()
	}
	return v
}

// Uint32s reads what Writer.Uint32s wrote.
func (r *Reader) Uint32s() []uint32 {
	n := r.Count(1)
	if r.err != nil {
		return nil
	}
	v := make([]uint32, n)
	for i := range v {
		v[i] = r.Uint32()
	}
	return v
}

// Bytes reads what Writer.Bytes wrote. The result aliases the input.
func (r *Reader) Bytes() []byte {
	n := r.Count(1)
	if r.err != nil {
		return nil
	}
	b := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// String reads what Writer.String wrote.
func (r *Reader) String() string { return string(r.Bytes()) }

// Strings reads what Writer.Strings wrote.
func (r *Reader) Strings() []string {
	n := r.Count(1)
	if r.err != nil {
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = r.String()
	}
	return v
}

// AppendFrame appends a frame to dst: magic, version (uvarint), the body's
// length (uvarint), the body and the CRC-32 (IEEE) of the body (4 bytes,
// little-endian).
func AppendFrame(dst []byte, magic string, version uint64, body []byte) []byte {
	dst = append(dst, magic...)
	dst = binary.AppendUvarint(dst, version)
	dst = binary.AppendUvarint(dst, uint64(len(body)))
	dst = append(dst, body...)
	return binary.LittleEndian.AppendUint32(dst, crc32.ChecksumIEEE(body))
}

// WriteFrame writes AppendFrame's frame to w and returns the bytes written.
func WriteFrame(w io.Writer, magic string, version uint64, body []byte) (int64, error) {
	n, err := w.Write(AppendFrame(nil, magic, version, body))
	return int64(n), err
}

// ReadFrame reads one frame from r: it checks the magic, accepts versions
// 1 … maxVersion, reads at most maxBody body bytes and checks the CRC. It
// returns the version, the body and the bytes read; every failure wraps
// ErrCorrupt except r's own errors other than io.EOF and
// io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, magic string, maxVersion, maxBody uint64) (version uint64, body []byte, n int64, err error) {
	br := byteReader{r: r}
	m := make([]byte, len(magic))
	if err := br.full(m); err != nil || string(m) != magic {
		return 0, nil, br.n, br.fail(err, "not a %q frame (bad magic)", magic)
	}
	if version, err = binary.ReadUvarint(&br); err != nil || version == 0 || version > maxVersion {
		return 0, nil, br.n, br.fail(err, "unsupported version %d (this build reads 1 to %d)", version, maxVersion)
	}
	size, err := binary.ReadUvarint(&br)
	if err != nil || size > maxBody {
		return 0, nil, br.n, br.fail(err, "bad body length %d", size)
	}
	// Grow as the bytes arrive (doubling, from 1 MiB), so that a damaged
	// length cannot allocate more than twice what the input holds; or
	// all at once when the input says it holds that much (a bytes.Reader
	// or Buffer, a file), which spares the copies of the doubling.
	if left, ok := remaining(r); ok && left >= size {
		body = make([]byte, 0, size)
	}
	for uint64(len(body)) < size {
		if len(body) == cap(body) {
			body = slices.Grow(body, int(min(size-uint64(len(body)), uint64(max(len(body), 1<<20)))))
		}
		k := len(body) + int(min(uint64(cap(body)-len(body)), size-uint64(len(body))))
		if err := br.full(body[len(body):k]); err != nil {
			return 0, nil, br.n, br.fail(err, "truncated body (%d of %d bytes)", len(body), size)
		}
		body = body[:k]
	}
	var crc [4]byte
	if err := br.full(crc[:]); err != nil {
		return 0, nil, br.n, br.fail(err, "truncated checksum")
	}
	if binary.LittleEndian.Uint32(crc[:]) != crc32.ChecksumIEEE(body) {
		return 0, nil, br.n, br.fail(nil, "checksum mismatch")
	}
	return version, body, br.n, nil
}

// byteReader counts bytes and reads one byte at a time for the varints
// (without buffering past the frame).
type byteReader struct {
	r   io.Reader
	n   int64
	one [1]byte
}

func (b *byteReader) ReadByte() (byte, error) {
	if err := b.full(b.one[:]); err != nil {
		return 0, err
	}
	return b.one[0], nil
}

func (b *byteReader) full(p []byte) error {
	k, err := io.ReadFull(b.r, p)
	b.n += int64(k)
	return err
}

// fail wraps ErrCorrupt, or returns the reader's own error when it is not
// the end of the input.
func (b *byteReader) fail(err error, format string, args ...any) error {
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// remaining returns how many bytes r still holds, when it can tell: a
// reader with Len (bytes.Reader, bytes.Buffer, strings.Reader) or a
// regular file.
func remaining(r io.Reader) (uint64, bool) {
	switch r := r.(type) {
	case interface{ Len() int }:
		return uint64(max(r.Len(), 0)), true
	case *os.File:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		at, err := r.Seek(0, io.SeekCurrent)
		if err != nil || at > fi.Size() {
			return 0, false
		}
		return uint64(fi.Size() - at), true
	}
	return 0, false
}
