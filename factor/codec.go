package factor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
)

// Errors of the decoders.
var (
	// ErrCorrupt is wrapped by the errors of ReadFrom for a truncated,
	// damaged or foreign stream.
	ErrCorrupt = errors.New("factor: corrupt or foreign data")
	// ErrVersion is wrapped when a stream was written by a newer format
	// version than this package reads.
	ErrVersion = errors.New("factor: unsupported format version")
)

// formatVersion is the version written; readers accept 1 … formatVersion.
const formatVersion = 1

// Stream layout, little-endian throughout:
//
//	magic    [8]byte  "TWFACTMD" (Model), "TWFACTRC" (Reciprocal), "TWFACTTB" (Table)
//	version  uint16
//	body     (per type; a Reciprocal's body is two Model streams)
//	crc      uint32   CRC-32 (IEEE) of every byte before it
var (
	magicModel      = [8]byte{'T', 'W', 'F', 'A', 'C', 'T', 'M', 'D'}
	magicReciprocal = [8]byte{'T', 'W', 'F', 'A', 'C', 'T', 'R', 'C'}
	magicTable      = [8]byte{'T', 'W', 'F', 'A', 'C', 'T', 'T', 'B'}
)

// encoder writes little-endian values, keeping a running CRC, the byte
// count and the first error.
type encoder struct {
	w   io.Writer
	crc hash.Hash32
	n   int64
	err error
	buf [8]byte
}

func newEncoder(w io.Writer) *encoder { return &encoder{w: w, crc: crc32.NewIEEE()} }

// Write makes an encoder an io.Writer, so that nested objects write
// through it.
func (e *encoder) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	e.crc.Write(p)
	k, err := e.w.Write(p)
	e.n += int64(k)
	e.err = err
	return k, err
}

func (e *encoder) u8(v uint8)   { e.buf[0] = v; e.Write(e.buf[:1]) }
func (e *encoder) u16(v uint16) { binary.LittleEndian.PutUint16(e.buf[:2], v); e.Write(e.buf[:2]) }
func (e *encoder) u32(v uint32) { binary.LittleEndian.PutUint32(e.buf[:4], v); e.Write(e.buf[:4]) }
func (e *encoder) u64(v uint64) { binary.LittleEndian.PutUint64(e.buf[:8], v); e.Write(e.buf[:8]) }
func (e *encoder) f64(v float64) {
	e.u64(math.Float64bits(v))
}

// f32s writes a float32 slice in chunks.
func (e *encoder) f32s(v []float32) {
	var buf [4096]byte
	for len(v) > 0 && e.err == nil {
		n := min(len(v), len(buf)/4)
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		e.Write(buf[:4*n])
		v = v[n:]
	}
}

func (e *encoder) f64s(v []float64) {
	for _, x := range v {
		e.f64(x)
	}
}

func (e *encoder) header(magic [8]byte) {
	e.Write(magic[:])
	e.u16(formatVersion)
}

// finish writes the CRC of everything written so far.
func (e *encoder) finish() (int64, error) {
	sum := e.crc.Sum32()
	binary.LittleEndian.PutUint32(e.buf[:4], sum)
	if e.err == nil {
		k, err := e.w.Write(e.buf[:4])
		e.n += int64(k)
		e.err = err
	}
	return e.n, e.err
}

// decoder reads what encoder writes. It never reads past the end of the
// object, so objects can follow each other in one stream, and it never
// allocates more than the bytes it has read justify.
type decoder struct {
	r   io.Reader
	crc hash.Hash32
	n   int64
	err error
	buf [8]byte
}

func newDecoder(r io.Reader) *decoder { return &decoder{r: r, crc: crc32.NewIEEE()} }

// Read makes a decoder an io.Reader, so that nested objects read through
// it (and count in its CRC).
func (d *decoder) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	k, err := d.r.Read(p)
	d.n += int64(k)
	d.crc.Write(p[:k])
	return k, err
}

func (d *decoder) read(p []byte) {
	if d.err != nil {
		return
	}
	k, err := io.ReadFull(d.r, p)
	d.n += int64(k)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: truncated after %d bytes", ErrCorrupt, d.n)
		}
		d.err = err
		return
	}
	d.crc.Write(p)
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
}

func (d *decoder) u8() uint8   { d.read(d.buf[:1]); return d.buf[0] }
func (d *decoder) u16() uint16 { d.read(d.buf[:2]); return binary.LittleEndian.Uint16(d.buf[:2]) }
func (d *decoder) u32() uint32 { d.read(d.buf[:4]); return binary.LittleEndian.Uint32(d.buf[:4]) }
func (d *decoder) u64() uint64 { d.read(d.buf[:8]); return binary.LittleEndian.Uint64(d.buf[:8]) }

// finite reads a float64 and fails on NaN or ±Inf.
func (d *decoder) finite(what string) float64 {
	v := math.Float64frombits(d.u64())
	if d.err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		d.fail("%s is %v", what, v)
	}
	return v
}

// count reads a uint32 that must be at most limit.
func (d *decoder) count(what string, limit int) int {
	v := d.u32()
	if d.err == nil && int64(v) > int64(limit) {
		d.fail("%s %d above %d", what, v, limit)
	}
	return int(v)
}

// f32s reads n finite float32 values, growing the slice as the bytes
// arrive so that a damaged count cannot force a large allocation.
func (d *decoder) f32s(n int, what string) []float32 {
	var out []float32
	var buf [4096]byte
	for len(out) < n && d.err == nil {
		k := min(n-len(out), len(buf)/4)
		d.read(buf[:4*k])
		if d.err != nil {
			return nil
		}
		for i := range k {
			x := math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				d.fail("%s[%d] is %v", what, len(out)+i, x)
				return nil
			}
			out = append(out, x)
		}
	}
	return out
}

func (d *decoder) f64s(n int, what string) []float64 {
	var out []float64
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.finite(what))
	}
	return out
}

func (d *decoder) header(magic [8]byte) {
	var m [8]byte
	d.read(m[:])
	if d.err != nil {
		return
	}
	if m != magic {
		d.fail("magic %q, want %q", m[:], magic[:])
		return
	}
	v := d.u16()
	if d.err == nil && (v == 0 || v > formatVersion) {
		d.err = fmt.Errorf("%w: version %d (this package reads 1 to %d)", ErrVersion, v, formatVersion)
	}
}

// finish reads the CRC and checks it.
func (d *decoder) finish() (int64, error) {
	if d.err != nil {
		return d.n, d.err
	}
	want := d.crc.Sum32()
	var b [4]byte
	k, err := io.ReadFull(d.r, b[:])
	d.n += int64(k)
	if err != nil {
		return d.n, fmt.Errorf("%w: truncated checksum after %d bytes", ErrCorrupt, d.n)
	}
	if got := binary.LittleEndian.Uint32(b[:]); got != want {
		return d.n, fmt.Errorf("%w: checksum %08x, computed %08x", ErrCorrupt, got, want)
	}
	return d.n, nil
}

// WriteTo writes the model in the package's versioned binary format (see
// the package documentation, Persistence). It implements io.WriterTo.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w)
	e.header(magicModel)
	m.encode(e)
	return e.finish()
}

func (m *Model) encode(e *encoder) {
	e.u8(uint8(m.method))
	for _, v := range []int{m.k, m.rows, m.cols, m.fr, m.fc} {
		e.u32(uint32(v))
	}
	for _, v := range []float64{m.alpha, m.lambda, m.ownRow, m.ownCol, m.calA, m.calB} {
		e.f64(v)
	}
	r := m.report
	e.u32(uint32(r.Iterations))
	e.u32(uint32(r.Best))
	e.f64(r.Validation)
	e.f64(r.Loss)
	e.u64(uint64(r.Train))
	e.u64(uint64(r.HeldOut))
	e.f32s(m.x)
	e.f32s(m.y)
	e.f32s(m.e)
	e.f32s(m.h)
	e.f64s(m.gx)
	e.f64s(m.gy)
}

// ReadFrom replaces m with a model read from r, as written by WriteTo. A
// truncated, damaged or foreign stream gives an error wrapping
// [ErrCorrupt] (a newer format: [ErrVersion]) and leaves m unchanged; it
// never panics. It implements io.ReaderFrom and reads no byte past the
// model.
func (m *Model) ReadFrom(r io.Reader) (int64, error) {
	d := newDecoder(r)
	d.header(magicModel)
	got := decodeModel(d)
	n, err := d.finish()
	if err != nil {
		return n, err
	}
	*m = *got
	return n, nil
}

func decodeModel(d *decoder) *Model {
	m := &Model{}
	method := d.u8()
	if d.err == nil && Method(method) > BPR {
		d.fail("method %d", method)
	}
	m.method = Method(method)
	m.k = d.count("factors", 4096)
	if d.err == nil && m.k == 0 {
		d.fail("zero factors")
	}
	m.rows = d.count("rows", maxDim-1)
	m.cols = d.count("columns", maxDim-1)
	m.fr = d.count("row features", maxDim-1)
	m.fc = d.count("column features", maxDim-1)
	m.alpha = d.finite("alpha")
	m.lambda = d.finite("regularization")
	m.ownRow = d.finite("row own regularization")
	m.ownCol = d.finite("column own regularization")
	m.calA = d.finite("calibration slope")
	m.calB = d.finite("calibration intercept")
	m.report.Method = m.method
	m.report.Factors = m.k
	m.report.Iterations = int(d.u32())
	m.report.Best = int(d.u32())
	m.report.Validation = d.finite("validation")
	m.report.Loss = d.finite("loss")
	train, held := d.u64(), d.u64()
	if d.err == nil && (train > math.MaxInt32 || held > math.MaxInt32) {
		d.fail("cell counts %d and %d", train, held)
	}
	m.report.Train, m.report.HeldOut = int(train), int(held)
	if d.err != nil {
		return nil
	}
	if m.alpha < 0 || m.lambda < 0 || m.ownRow < 0 || m.ownCol < 0 {
		d.fail("negative penalty or alpha")
		return nil
	}
	m.x = d.f32s(m.rows*m.k, "row factors")
	m.y = d.f32s(m.cols*m.k, "column factors")
	if m.fr > 0 {
		m.e = d.f32s(m.fr*m.k, "row feature factors")
	}
	if m.fc > 0 {
		m.h = d.f32s(m.fc*m.k, "column feature factors")
	}
	m.gx = d.f64s(m.k*m.k, "row Gram matrix")
	m.gy = d.f64s(m.k*m.k, "column Gram matrix")
	if d.err != nil {
		return nil
	}
	for _, g := range [][]float64{m.gx, m.gy} {
		for a := range m.k {
			if g[a*m.k+a] < 0 {
				d.fail("Gram matrix has a negative diagonal")
				return nil
			}
			for b := a + 1; b < m.k; b++ {
				if g[a*m.k+b] != g[b*m.k+a] {
					d.fail("Gram matrix is not symmetric at (%d, %d)", a, b)
					return nil
				}
			}
		}
	}
	return m
}

// WriteTo writes both models in one stream (see the package
// documentation, Persistence). It implements io.WriterTo.
func (r *Reciprocal) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w)
	e.header(magicReciprocal)
	for _, m := range []*Model{r.seeker, r.recruiter} {
		if _, err := m.WriteTo(e); err != nil {
			return e.n, err
		}
	}
	return e.finish()
}

// ReadFrom replaces r with a two-sided model read from a stream written by
// WriteTo, with the errors and guarantees of [Model.ReadFrom]; the two
// models must have transposed shapes.
func (r *Reciprocal) ReadFrom(rd io.Reader) (int64, error) {
	d := newDecoder(rd)
	d.header(magicReciprocal)
	var ms [2]*Model
	for i := range ms {
		if d.err != nil {
			break
		}
		ms[i] = &Model{}
		if _, err := ms[i].ReadFrom(d); err != nil && d.err == nil {
			d.err = err
		}
	}
	n, err := d.finish()
	if err != nil {
		return n, err
	}
	got, err := NewReciprocal(ms[0], ms[1])
	if err != nil {
		return n, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	*r = *got
	return n, nil
}
