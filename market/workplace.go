package market

import (
	"fmt"
	"strings"
)

// Workplace is where the work is done: on site, remotely, or both. On a
// posting it is what the job offers; on a seeker, what they want. The zero
// value, WorkplaceUnknown, means the profile does not say.
type Workplace uint8

const (
	WorkplaceUnknown Workplace = iota // not stated
	WorkplaceOnsite                   // 坐班, at the employer's site
	WorkplaceRemote                   // 远程
	WorkplaceHybrid                   // 混合: some days on site, some remote

	maxWorkplace = WorkplaceHybrid
)

var workplaceNames = [...]string{"", "onsite", "remote", "hybrid"}

// String returns the English name ("remote"), "" for WorkplaceUnknown, or
// "Workplace(n)".
func (w Workplace) String() string {
	if w <= maxWorkplace {
		return workplaceNames[w]
	}
	return fmt.Sprintf("Workplace(%d)", uint8(w))
}

// Valid reports whether w is a defined value.
func (w Workplace) Valid() bool { return w <= maxWorkplace }

// MarshalText implements encoding.TextMarshaler.
func (w Workplace) MarshalText() ([]byte, error) {
	if !w.Valid() {
		return nil, fmt.Errorf("market: %w: workplace %d", ErrOutOfRange, uint8(w))
	}
	return []byte(w.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts everything
// [ParseWorkplace] accepts.
func (w *Workplace) UnmarshalText(b []byte) error {
	v, err := ParseWorkplace(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// ParseWorkplace reads a workplace in English or Chinese: "onsite" (also
// "on-site", "office", 坐班, 现场, 驻场), "remote" (远程, 远程办公, 在家办公),
// "hybrid" (混合, 混合办公). The empty string is WorkplaceUnknown; anything
// else is a *ParseError.
func ParseWorkplace(s string) (Workplace, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "unknown":
		return WorkplaceUnknown, nil
	case "onsite", "on-site", "on site", "office", "in office", "坐班", "现场", "驻场", "到岗", "线下":
		return WorkplaceOnsite, nil
	case "remote", "remotely", "wfh", "work from home", "远程", "远程办公", "在家办公", "居家办公", "线上":
		return WorkplaceRemote, nil
	case "hybrid", "混合", "混合办公", "远程+坐班":
		return WorkplaceHybrid, nil
	}
	return 0, &ParseError{Field: "workplace", Input: s}
}
