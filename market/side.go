package market

import "fmt"

// Side is one of the two sides of a recruiting market. The zero value is not
// a valid side.
type Side uint8

const (
	// Seeker is the job-seeker side: a person looking for work, or their résumé.
	Seeker Side = iota + 1
	// Recruiter is the hiring side: a recruiter, or one job posting.
	Recruiter
)

// String returns "seeker", "recruiter", or "Side(n)" for an invalid value.
func (s Side) String() string {
	switch s {
	case Seeker:
		return "seeker"
	case Recruiter:
		return "recruiter"
	}
	return fmt.Sprintf("Side(%d)", uint8(s))
}

// Valid reports whether s is Seeker or Recruiter.
func (s Side) Valid() bool { return s == Seeker || s == Recruiter }

// Other returns the opposite side. It returns 0 for an invalid side.
func (s Side) Other() Side {
	switch s {
	case Seeker:
		return Recruiter
	case Recruiter:
		return Seeker
	}
	return 0
}

// ParseSide parses "seeker" or "recruiter" (also "job", "jobseeker",
// "candidate", "employer", "求职者", "招聘者").
func ParseSide(s string) (Side, error) {
	switch s {
	case "seeker", "jobseeker", "candidate", "求职者", "求职方":
		return Seeker, nil
	case "recruiter", "employer", "job", "招聘者", "招聘方":
		return Recruiter, nil
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownSide, s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Side) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("%w %d", ErrUnknownSide, uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Side) UnmarshalText(b []byte) error {
	v, err := ParseSide(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
