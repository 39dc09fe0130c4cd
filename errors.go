package twoway

import (
	"errors"
	"fmt"

	"github.com/twowayrec/twoway/market"
)

// Errors of the Engine. Validation errors of profiles and events are
// *market.FieldError values (errors.Is matches market's sentinels); the
// Engine wraps them with the position of the record in the batch.
var (
	// ErrUnknownRequester: Recommend, Explain or Profile named an ID the
	// Engine has no profile for. Errors for an unknown candidate of
	// Explain and an unknown ID of Profile match it too (and
	// market.ErrUnknownID), though their messages name the ID's role.
	ErrUnknownRequester = errors.New("twoway: unknown requester")
	// ErrWrongSide: the request's Side does not match the requester's profile.
	ErrWrongSide = errors.New("twoway: requester is on the other side")
	// ErrEmptyMarket: the other side of the market has no active profile.
	ErrEmptyMarket = errors.New("twoway: empty market")
	// ErrInactive: the requester's profile is inactive or removed (or
	// the removed profile of Explain's candidate or of Profile, whose
	// errors match it with messages that name the ID's role).
	ErrInactive = errors.New("twoway: requester is inactive")
	// ErrCorruptSnapshot: Load read something that is not a twoway snapshot
	// of a version this build understands, or a damaged one.
	ErrCorruptSnapshot = errors.New("twoway: corrupt or foreign snapshot")
	// ErrBadRequest: a Request field is out of range (see Request).
	ErrBadRequest = errors.New("twoway: invalid request")
	// ErrConfig is wrapped by every error New returns for a bad Config.
	ErrConfig = errors.New("twoway: invalid config")
)

// BatchError reports the record of a batch (Upsert or Record) that failed
// validation. Nothing of the batch was stored.
type BatchError struct {
	Index int   // position of the bad record in the batch
	Err   error // usually a *market.FieldError
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("twoway: record %d of the batch: %v (nothing of the batch was stored)", e.Index, e.Err)
}

// Unwrap returns the record's error.
func (e *BatchError) Unwrap() error { return e.Err }

func unknownID(id string) error {
	return fmt.Errorf("%w %q: %w", ErrUnknownRequester, id, market.ErrUnknownID)
}

// roleError is an unknown or removed ID in a role other than a
// requester's ("candidate", "profile"): its message names the role, and
// errors.Is matches the requester's sentinel (ErrUnknownRequester or
// ErrInactive) and the market's (market.ErrUnknownID for an unknown one).
type roleError struct {
	role, id string
	removed  bool
}

func (e *roleError) Error() string {
	if e.removed {
		return fmt.Sprintf("twoway: %s %q was removed", e.role, e.id)
	}
	return fmt.Sprintf("twoway: unknown %s %q: %v", e.role, e.id, market.ErrUnknownID)
}

// Is matches the sentinels the error stands for.
func (e *roleError) Is(target error) bool {
	if e.removed {
		return target == ErrInactive
	}
	return target == ErrUnknownRequester || target == market.ErrUnknownID
}
