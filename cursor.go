package twoway

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/twowayrec/twoway/market"
)

// A cursor (Request.Cursor, Response.Next) is opaque to hosts. It holds
// the requester's index and the indexes of every candidate the earlier
// pages returned, so that the next page is the best of what is left: it
// never repeats an earlier page's result, even when the ledger or a Fit
// moved the scores in between, and the ledger counts only the page
// returned. Layout, before base64url without padding:
//
//	version byte (1), uvarint requester, uvarint count, count × uvarint
//	candidate, CRC-32 (IEEE, little-endian) of everything before it
type cursor struct {
	requester uint32
	shown     []uint32
}

const cursorVersion = 1

// maxCursorShown bounds the paging of one list: a cursor carries at most
// MaxN results in all, and the page that reaches them has no Next.
const maxCursorShown = MaxN

var errCursor = errors.New("not a cursor of this Engine's")

func (c cursor) encode() string {
	b := make([]byte, 0, 2+binary.MaxVarintLen32*(2+len(c.shown))+4)
	b = append(b, cursorVersion)
	b = binary.AppendUvarint(b, uint64(c.requester))
	b = binary.AppendUvarint(b, uint64(len(c.shown)))
	for _, ix := range c.shown {
		b = binary.AppendUvarint(b, uint64(ix))
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads s; the error says what is wrong without quoting more
// than a short prefix of s.
func decodeCursor(s string) (cursor, error) {
	bad := func(why string) (cursor, error) {
		return cursor{}, fmt.Errorf("%w: Cursor %q: %w (%s)", ErrBadRequest, market.Shorten(s), errCursor, why)
	}
	if len(s) > base64.RawURLEncoding.EncodedLen(2+binary.MaxVarintLen32*(2+maxCursorShown)+4) {
		return bad("too long")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return bad("not base64url")
	}
	if len(b) < 1+1+1+4 {
		return bad("too short")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return bad("checksum mismatch")
	}
	if body[0] != cursorVersion {
		return bad(fmt.Sprintf("version %d", body[0]))
	}
	body = body[1:]
	next := func() (uint32, bool) {
		v, n := binary.Uvarint(body)
		if n <= 0 || v > 1<<32-1 {
			return 0, false
		}
		body = body[n:]
		return uint32(v), true
	}
	var c cursor
	var ok bool
	if c.requester, ok = next(); !ok {
		return bad("requester")
	}
	count, ok := next()
	if !ok || count > maxCursorShown {
		return bad("count")
	}
	c.shown = make([]uint32, count)
	for i := range c.shown {
		if c.shown[i], ok = next(); !ok {
			return bad("candidate")
		}
	}
	if len(body) != 0 {
		return bad("trailing bytes")
	}
	return c, nil
}
