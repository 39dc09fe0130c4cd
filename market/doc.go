// Package market is the vocabulary every other twoway package speaks: the two
// sides of a recruiting market, the profiles on each side, the actions people
// take on each other, and the events that record them.
//
// It depends on the standard library only.
//
// # Sides
//
// A market has two sides, [Seeker] (a job seeker, or a résumé) and
// [Recruiter] (a recruiter, or a job posting). Every [Event] goes from a
// participant on one side to a participant on the other.
//
// # Identifiers
//
// Hosts name participants with string IDs. Inside the library every
// participant also has a dense uint32 index, handed out by a [Dict]; bitmaps,
// collaborative-filtering matrices and feature vectors are indexed by it.
// String IDs exist only at the edges.
//
// # Validation
//
// [Profile.Validate] and [Event.Validate] check a record before it is stored.
// A failure is a *[FieldError] that names the record, the field and the
// reason; errors.Is matches the reason against the sentinels of this package
// ([ErrEmptyID], [ErrInvalidUTF8], …).
//
// # Raw postings
//
// Real postings write salary, experience, education and location in many
// ways ("15k-30k", "20-40K·16薪", "面议", "3-5年", "经验不限", "本科",
// "南京·雨花台区·南京南站"). The Parse functions turn those raw fields into
// the typed values of a [Profile] and return a *[ParseError] for what cannot
// be read.
package market
