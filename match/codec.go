package match

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
)

// Stream layout of a saved Interest, little-endian:
//
//	magic    [8]byte "TWMATCHI"
//	version  uint16  3 (2: before the latent-factor and embedding evidence
//	                 features, 3 fewer pair features; 1: also without
//	                 per-candidate effects)
//	sides    uint8   bit 1: seeker model follows, bit 2: recruiter model follows
//	models   one rank.Hierarchical stream per present side (seeker first),
//	         each with its own version and CRC
//	effects  version 2: per present side, uint32 n, n float64 per-candidate
//	         effects, uint32 CRC-32 (IEEE) of the n values
var interestMagic = [8]byte{'T', 'W', 'M', 'A', 'T', 'C', 'H', 'I'}

const interestVersion = 4

// oldEvidence is the number of evidence features of versions 1 and 2, and
// v3Evidence of version 3: a model saved by them reads with weight 0 on
// the ones added since.
const (
	oldEvidence = EvidenceFactorForward
	v3Evidence  = EvidenceTaste
)

// maxItems bounds the per-candidate effects a decoder accepts per side.
const maxItems = 1 << 28

// WriteTo writes both sides' models (global models and every user's
// correction) in a versioned binary format. It implements io.WriterTo.
// The Featurizer is not saved: content is rebuilt from profiles.
func (m *Interest) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	var head [11]byte
	copy(head[:8], interestMagic[:])
	binary.LittleEndian.PutUint16(head[8:10], interestVersion)
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		if m.sides[s] != nil {
			head[10] |= 1 << s
		}
	}
	if _, err := cw.Write(head[:]); err != nil {
		return cw.n, err
	}
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		if h := m.sides[s]; h != nil {
			if _, err := h.WriteTo(cw); err != nil {
				return cw.n, err
			}
		}
	}
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		if m.sides[s] == nil {
			continue
		}
		items := m.items[s]
		b := make([]byte, 4, 8+8*len(items))
		binary.LittleEndian.PutUint32(b, uint32(len(items)))
		start := len(b)
		for _, x := range items {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
		if _, err := cw.Write(b); err != nil {
			return cw.n, err
		}
	}
	return cw.n, nil
}

// ReadInterest reads an Interest written by [Interest.WriteTo], scoring
// with feat (which must index participants as when it was saved). A
// truncated, damaged or foreign stream is an error wrapping ErrCorrupt
// (and rank's error); it never panics.
func ReadInterest(r io.Reader, feat Featurizer) (*Interest, error) {
	var head [11]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("%w: interest header: %w", ErrCorrupt, err)
	}
	if [8]byte(head[:8]) != interestMagic {
		return nil, fmt.Errorf("%w: magic %q, want %q", ErrCorrupt, head[:8], interestMagic[:])
	}
	v := binary.LittleEndian.Uint16(head[8:10])
	if v < 1 || v > interestVersion {
		return nil, fmt.Errorf("%w: version %d (this package reads 1 to %d)", ErrCorrupt, v, interestVersion)
	}
	flags := head[10]
	if flags&^(1<<market.Seeker|1<<market.Recruiter) != 0 || flags == 0 {
		return nil, fmt.Errorf("%w: side flags %#x", ErrCorrupt, flags)
	}
	m := &Interest{cfg: InterestConfig{}.withDefaults(), feat: feat}
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		if flags&(1<<s) == 0 {
			continue
		}
		h, err := rank.ReadHierarchical(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %v side: %w", ErrCorrupt, s, err)
		}
		if v < 3 {
			h = h.InsertFeatures(FeatureAnswering+oldEvidence, v3Evidence-oldEvidence)
		}
		if v < 4 {
			h = h.InsertFeatures(FeatureAnswering+v3Evidence, NumEvidence-v3Evidence)
		}
		m.sides[s] = h
	}
	if v < 2 {
		return m, nil
	}
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		if m.sides[s] == nil {
			continue
		}
		var n [4]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return nil, fmt.Errorf("%w: %v side: per-candidate effects: %w", ErrCorrupt, s, err)
		}
		k := binary.LittleEndian.Uint32(n[:])
		if k > maxItems {
			return nil, fmt.Errorf("%w: %v side: %d per-candidate effects", ErrCorrupt, s, k)
		}
		items := make([]float64, 0, min(k, 1<<16))
		crc := crc32.NewIEEE()
		var b [8]byte
		for range k {
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return nil, fmt.Errorf("%w: %v side: per-candidate effects: %w", ErrCorrupt, s, err)
			}
			crc.Write(b[:])
			x := math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%w: %v side: per-candidate effect %v", ErrCorrupt, s, x)
			}
			items = append(items, x)
		}
		if _, err := io.ReadFull(r, n[:]); err != nil || binary.LittleEndian.Uint32(n[:]) != crc.Sum32() {
			return nil, fmt.Errorf("%w: %v side: per-candidate effects: checksum", ErrCorrupt, s)
		}
		if len(items) > 0 {
			m.items[s] = items
		}
	}
	return m, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n += int64(k)
	if err == nil && k < len(p) {
		err = io.ErrShortWrite
	}
	return k, err
}
