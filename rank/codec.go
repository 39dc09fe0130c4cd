package rank

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"slices"

	"github.com/twowayrec/twoway/sparse"
)

// MaxDim is the largest feature dimension a decoder accepts (2²⁶ weights,
// 512 MiB dense), so that a damaged header cannot make it allocate without
// bound.
const MaxDim = 1 << 26

// formatVersion is the version written by this package; readers accept
// versions 1 … formatVersion.
const formatVersion = 1

// Stream layout, little-endian throughout:
//
//	magic    [8]byte  "TWRANKLR" (Model) or "TWRANKHM" (Hierarchical)
//	version  uint16
//	body     (type-specific, see writeWeights)
//	crc      uint32   CRC-32 (IEEE) of every byte before it
var (
	magicModel        = [8]byte{'T', 'W', 'R', 'A', 'N', 'K', 'L', 'R'}
	magicHierarchical = [8]byte{'T', 'W', 'R', 'A', 'N', 'K', 'H', 'M'}
)

// encoder writes little-endian values, keeping a running CRC and byte
// count and the first error.
type encoder struct {
	w   io.Writer
	crc hash.Hash32
	n   int64
	err error
	buf [8]byte
}

func newEncoder(w io.Writer) *encoder { return &encoder{w: w, crc: crc32.NewIEEE()} }

func (e *encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	e.crc.Write(p)
	k, err := e.w.Write(p)
	e.n += int64(k)
	e.err = err
}

func (e *encoder) u16(v uint16) { binary.LittleEndian.PutUint16(e.buf[:2], v); e.write(e.buf[:2]) }
func (e *encoder) u32(v uint32) { binary.LittleEndian.PutUint32(e.buf[:4], v); e.write(e.buf[:4]) }
func (e *encoder) f64(v float64) {
	binary.LittleEndian.PutUint64(e.buf[:8], math.Float64bits(v))
	e.write(e.buf[:8])
}

func (e *encoder) header(magic [8]byte) {
	e.write(magic[:])
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
// object, so objects can follow each other in one stream.
type decoder struct {
	r   io.Reader
	crc hash.Hash32
	n   int64
	err error
	buf [8]byte
}

func newDecoder(r io.Reader) *decoder { return &decoder{r: r, crc: crc32.NewIEEE()} }

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

func (d *decoder) u16() uint16 { d.read(d.buf[:2]); return binary.LittleEndian.Uint16(d.buf[:2]) }
func (d *decoder) u32() uint32 { d.read(d.buf[:4]); return binary.LittleEndian.Uint32(d.buf[:4]) }
func (d *decoder) f64() float64 {
	d.read(d.buf[:8])
	return math.Float64frombits(binary.LittleEndian.Uint64(d.buf[:8]))
}

// finite reads a float64 and fails on NaN or ±Inf.
func (d *decoder) finite(what string) float64 {
	v := d.f64()
	if d.err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		d.fail("%s is %v", what, v)
	}
	return v
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
	got := d.u32()
	if d.err == nil && got != want {
		d.fail("checksum %08x, computed %08x", got, want)
	}
	return d.n, d.err
}

// writeSparse writes nnz, then nnz × (index uint32, value float64) for the
// non-zero entries of w.
func (e *encoder) sparseWeights(w []float64) {
	nnz := 0
	for _, v := range w {
		if v != 0 {
			nnz++
		}
	}
	e.u32(uint32(nnz))
	for j, v := range w {
		if v != 0 {
			e.u32(uint32(j))
			e.f64(v)
		}
	}
}

// sparseWeights reads what encoder.sparseWeights wrote for a weight vector
// of dimension dim: indices strictly increasing and below dim, values
// finite. It grows its slices as entries arrive rather than trusting the
// count, so a damaged count cannot force a large allocation.
func (d *decoder) sparseWeights(dim int) (idx []uint32, val []float64) {
	nnz := d.u32()
	if d.err != nil {
		return nil, nil
	}
	if int64(nnz) > int64(dim) {
		d.fail("%d non-zero weights for dimension %d", nnz, dim)
		return nil, nil
	}
	if nnz > 0 {
		// Sized at once (a loaded model keeps them), bounded so that a
		// corrupt count cannot allocate more than the file backs.
		n := min(int(nnz), 1<<12)
		idx, val = make([]uint32, 0, n), make([]float64, 0, n)
	}
	for k := range int(nnz) {
		j := d.u32()
		v := d.finite("a weight")
		if d.err != nil {
			return nil, nil
		}
		if v == 0 {
			d.fail("stored weight at index %d is zero", j)
			return nil, nil
		}
		if int64(j) >= int64(dim) || (k > 0 && j <= idx[k-1]) {
			d.fail("weight index %d out of order or beyond dimension %d", j, dim)
			return nil, nil
		}
		idx = append(idx, j)
		val = append(val, v)
	}
	return idx, val
}

// WriteTo writes m in the package's versioned binary format (magic,
// version, dimension, intercept, non-zero weights, CRC-32). It implements
// io.WriterTo.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w)
	e.header(magicModel)
	e.modelBody(m)
	return e.finish()
}

func (e *encoder) modelBody(m *Model) {
	e.u32(uint32(len(m.w)))
	e.f64(m.bias)
	e.sparseWeights(m.w)
}

// ReadFrom replaces m with a model read from r, as written by WriteTo, and
// implements io.ReaderFrom. It reads exactly the bytes of one model. A
// truncated, damaged or foreign stream gives an error wrapping
// [ErrCorrupt] (or [ErrVersion]) and leaves m unchanged; it never panics.
// Call it only on a Model nobody else uses yet (a model is immutable once
// shared); [ReadModel] is the convenient form.
func (m *Model) ReadFrom(r io.Reader) (int64, error) {
	d := newDecoder(r)
	d.header(magicModel)
	parts := d.modelBody()
	n, err := d.finish()
	if err != nil {
		return n, err
	}
	*m = *parts.model()
	return n, nil
}

// modelParts is a decoded model before the checksum is verified; the dense
// weights are only allocated afterwards.
type modelParts struct {
	dim  uint32
	bias float64
	idx  []uint32
	val  []float64
}

func (p modelParts) model() *Model {
	w := make([]float64, p.dim)
	for k, j := range p.idx {
		w[j] = p.val[k]
	}
	return &Model{w: w, bias: p.bias}
}

func (d *decoder) modelBody() modelParts {
	dim := d.u32()
	bias := d.finite("the intercept")
	if d.err == nil && dim > MaxDim {
		d.fail("dimension %d above MaxDim", dim)
	}
	idx, val := d.sparseWeights(int(dim))
	return modelParts{dim: dim, bias: bias, idx: idx, val: val}
}

// ReadModel reads a model written by [Model.WriteTo].
func ReadModel(r io.Reader) (*Model, error) {
	var m Model
	if _, err := m.ReadFrom(r); err != nil {
		return nil, err
	}
	return &m, nil
}

// WriteTo writes h (the settings UpdateEntity needs, the global model and
// every correction, in entity order) in the package's versioned binary
// format. It implements io.WriterTo.
func (h *Hierarchical) WriteTo(w io.Writer) (int64, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e := newEncoder(w)
	e.header(magicHierarchical)
	e.f64(h.cfg.Lambda)
	e.f64(h.cfg.InterceptLambda)
	intercept := uint16(0)
	if h.cfg.InterceptOnly {
		intercept = 1
	}
	e.u16(intercept)
	e.u32(uint32(h.cfg.MinRows))
	e.u32(uint32(h.cfg.EntityMaxIterations))
	e.f64(h.cfg.EntityTolerance)
	e.modelBody(h.global)
	es := make([]uint32, 0, len(h.corr))
	for id := range h.corr {
		es = append(es, id)
	}
	slices.Sort(es)
	e.u32(uint32(len(es)))
	for _, id := range es {
		c := h.corr[id]
		e.u32(id)
		e.f64(c.Bias)
		e.u32(uint32(min(c.Rows, math.MaxUint32)))
		e.u32(uint32(len(c.Weights.Idx)))
		for k, j := range c.Weights.Idx {
			e.u32(j)
			e.f64(c.Weights.Val[k])
		}
	}
	return e.finish()
}

// ReadFrom replaces h with a model read from r, as written by WriteTo. It
// implements io.ReaderFrom, reads exactly one model, and on a truncated,
// damaged or foreign stream returns an error wrapping [ErrCorrupt] (or
// [ErrVersion]) and leaves h unchanged; it never panics. Call it only on
// a Hierarchical nobody uses yet; [ReadHierarchical] is the convenient form.
func (h *Hierarchical) ReadFrom(r io.Reader) (int64, error) {
	d := newDecoder(r)
	d.header(magicHierarchical)
	var c HierarchicalConfig
	c.Lambda = d.finite("lambda")
	c.InterceptLambda = d.finite("intercept lambda")
	switch d.u16() {
	case 0:
	case 1:
		c.InterceptOnly = true
	default:
		d.fail("intercept-only flag not 0 or 1")
	}
	c.MinRows = int(d.u32())
	c.EntityMaxIterations = int(d.u32())
	c.EntityTolerance = d.finite("entity tolerance")
	if d.err == nil && (c.Lambda <= 0 || c.InterceptLambda <= 0 || c.EntityTolerance < 0 || c.MinRows > math.MaxInt32 || c.EntityMaxIterations > math.MaxInt32) {
		d.fail("settings lambda=%v intercept_lambda=%v min_rows=%d entity_max_iterations=%d entity_tolerance=%v out of range",
			c.Lambda, c.InterceptLambda, c.MinRows, c.EntityMaxIterations, c.EntityTolerance)
	}
	parts := d.modelBody()
	n := d.u32()
	corr := make(map[uint32]*Correction)
	var prev uint32
	for k := 0; d.err == nil && k < int(n); k++ {
		id := d.u32()
		if d.err == nil && k > 0 && id <= prev {
			d.fail("entity %d after %d", id, prev)
		}
		prev = id
		cr := &Correction{Bias: d.finite("a correction intercept"), Rows: int(d.u32())}
		idx, val := d.sparseWeights(int(parts.dim))
		if d.err != nil {
			break
		}
		cr.Weights = sparse.Vector{Idx: idx, Val: val}
		corr[id] = cr
	}
	nr, err := d.finish()
	if err != nil {
		return nr, err
	}
	c.Passes, c.Workers = 1, runtime.GOMAXPROCS(0)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cfg, h.global, h.corr = c, parts.model(), corr
	return nr, nil
}

// ReadHierarchical reads a model written by [Hierarchical.WriteTo].
func ReadHierarchical(r io.Reader) (*Hierarchical, error) {
	h := &Hierarchical{}
	if _, err := h.ReadFrom(r); err != nil {
		return nil, err
	}
	return h, nil
}

var magicDictionary = [8]byte{'T', 'W', 'R', 'A', 'N', 'K', 'D', 'C'}

// maxNameLen bounds one feature name in a stored dictionary.
const maxNameLen = 1 << 16

// WriteTo writes the dictionary (its limit and its names in index order)
// in the package's versioned binary format. It implements io.WriterTo.
func (d *Dictionary) WriteTo(w io.Writer) (int64, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	e := newEncoder(w)
	e.header(magicDictionary)
	e.u32(uint32(d.limit))
	e.u32(uint32(len(d.names)))
	for _, name := range d.names {
		e.u32(uint32(len(name)))
		e.write([]byte(name))
	}
	return e.finish()
}

// ReadFrom replaces d with a dictionary read from r, as written by
// WriteTo. It implements io.ReaderFrom; a truncated, damaged or foreign
// stream gives an error wrapping [ErrCorrupt] (or [ErrVersion]) and leaves
// d unchanged. [ReadDictionary] is the convenient form.
func (d *Dictionary) ReadFrom(r io.Reader) (int64, error) {
	dec := newDecoder(r)
	dec.header(magicDictionary)
	limit := dec.u32()
	n := dec.u32()
	if dec.err == nil && (limit == 0 || limit > MaxDim || n > limit) {
		dec.fail("dictionary of %d names with limit %d", n, limit)
	}
	index := make(map[string]uint32)
	var names []string
	for k := 0; dec.err == nil && k < int(n); k++ {
		size := dec.u32()
		if dec.err == nil && size > maxNameLen {
			dec.fail("feature name of %d bytes", size)
		}
		if dec.err != nil {
			break
		}
		buf := make([]byte, size)
		dec.read(buf)
		name := string(buf)
		if _, dup := index[name]; dup && dec.err == nil {
			dec.fail("feature name %q twice", name)
		}
		index[name] = uint32(k)
		names = append(names, name)
	}
	nr, err := dec.finish()
	if err != nil {
		return nr, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.index, d.names, d.limit = index, names, int(limit)
	return nr, nil
}

// ReadDictionary reads a dictionary written by [Dictionary.WriteTo].
func ReadDictionary(r io.Reader) (*Dictionary, error) {
	d := &Dictionary{}
	if _, err := d.ReadFrom(r); err != nil {
		return nil, err
	}
	return d, nil
}
