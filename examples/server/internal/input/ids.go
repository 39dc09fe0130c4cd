package input

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/twowayrec/twoway/market"
)

// The server's routes that carry IDs in their paths (the server registers
// these patterns; FuzzPathID routes through them).
const (
	RouteRecommend = "GET /v1/recommendations/{id}"
	RouteExplain   = "GET /v1/explanations/{requester}/{candidate}"
	RouteRemove    = "DELETE /v1/profiles/{id}"
)

// ErrUnroutableID is the reason for an ID that no URL path can carry.
var ErrUnroutableID = errors.New("no URL path carries this ID (net/http cleans away \".\" and \"..\" and does not route \"/\")")

// CheckPathID returns why id cannot name a profile in a URL path of the
// API, or nil: the library's rules for IDs (market.CheckID: not empty,
// valid UTF-8, at most market.MaxIDLen bytes), and a path that carries it
// percent-encoded (as url.PathEscape writes it) must reach the handler as
// id itself. net/http cleans "." and ".." away and does not route a lone
// "/", so such profiles could never be read or deleted, and PUT refuses
// them. The check asks net/http's own router, so it cannot drift from
// what the server does.
func CheckPathID(id string) error {
	if err := market.CheckID(id); err != nil {
		return err
	}
	if !Routable(id) {
		return ErrUnroutableID
	}
	return nil
}

// idRouter has one wildcard at the end of a path and one in the middle, as
// the API's routes do.
var idRouter = func() *http.ServeMux {
	m := http.NewServeMux()
	capture := func(w http.ResponseWriter, r *http.Request) {
		w.(*idCapture).id, w.(*idCapture).ok = r.PathValue("id"), true
	}
	m.HandleFunc("GET /p/{id}", capture)
	m.HandleFunc("GET /p/{id}/q", capture)
	return m
}()

// idCapture is the ResponseWriter of idRouter: it keeps the ID that
// reached the handler and discards everything written.
type idCapture struct {
	id string
	ok bool
	h  http.Header
}

func (c *idCapture) Header() http.Header {
	if c.h == nil {
		c.h = http.Header{}
	}
	return c.h
}
func (c *idCapture) Write(b []byte) (int, error) { return len(b), nil }
func (c *idCapture) WriteHeader(int)             {}

// Routable reports whether id, percent-encoded, reaches a handler as
// itself both as the last segment of a path and as a middle one.
func Routable(id string) bool {
	esc := url.PathEscape(id)
	for _, target := range [...]string{"/p/" + esc, "/p/" + esc + "/q"} {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return false
		}
		c := &idCapture{}
		idRouter.ServeHTTP(c, &http.Request{Method: http.MethodGet, URL: u, Host: "localhost", Header: http.Header{}})
		if !c.ok || c.id != id {
			return false
		}
	}
	return true
}

// PathID returns the path value name of r as a profile ID, checked by
// CheckPathID; a refusal is a 400.
func PathID(r *http.Request, name string) (string, *Error) {
	id := r.PathValue(name)
	switch err := CheckPathID(id); {
	case errors.Is(err, market.ErrEmptyID):
		return "", Errorf(http.StatusBadRequest, "empty %s", name)
	case errors.Is(err, market.ErrIDTooLong):
		return "", Errorf(http.StatusBadRequest, "%s longer than %d bytes", name, market.MaxIDLen)
	case errors.Is(err, market.ErrInvalidUTF8):
		return "", Errorf(http.StatusBadRequest, "%s is not valid UTF-8", name)
	case err != nil:
		return "", Errorf(http.StatusBadRequest, "%s %q: %v", name, id, err)
	}
	return id, nil
}
