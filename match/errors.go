package match

import "errors"

// MaxIndex is the largest participant index the dense tables of this
// package (Catalog, Behaviour) accept: larger ones would make them allocate
// gigabytes. It is the bound shared with recall.MaxIndex, allocate.MaxIndex
// and exposure.MaxIndex (a test checks they agree). It is not taken from
// recall, which would pull recall's full-text index engine into this
// package's dependencies.
const MaxIndex = 1<<28 - 1

// Errors of this package. Errors about a record or a Config field wrap one
// of them and name the record or field.
var (
	// ErrUnknownAggregator: an aggregator name that [AggregatorByName]
	// does not know.
	ErrUnknownAggregator = errors.New("match: unknown aggregator")
	// ErrConfig: a Config field out of range.
	ErrConfig = errors.New("match: invalid config")
	// ErrContent: a participant's content that cannot be used (a bad
	// vector, an invalid side).
	ErrContent = errors.New("match: invalid content")
	// ErrCorrupt: a saved model that cannot be read back (truncated,
	// damaged, foreign or of an unknown version).
	ErrCorrupt = errors.New("match: corrupt or foreign data")
	// ErrNoSamples: nothing to learn an interest model from.
	ErrNoSamples = errors.New("match: no training samples")
)
