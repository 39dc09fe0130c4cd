// Package recall narrows the other side of the market to a few hundred
// candidates for one requester, in either direction (jobs for a seeker,
// seekers for a recruiter): an inverted index over profiles (bleve),
// user-CF, item-CF and Swing over the interest matrix, hot/fresh/cold-start
// strategy recall, hard filters as bitmaps, and merging of several recall
// lists.
//
// # Participants and the contract
//
// Participants are the global dense indices of one market.Dict spanning
// both sides, at most [MaxIndex] (tables are indexed by participant).
// Every recaller implements [Recaller]: Recall(ctx, req, dst) appends at
// most req.K candidates, all in req.Allowed, best first, ties by index.
// The contract (ownership, ordering, filtering before truncation,
// concurrency) is on [Recaller]; package recalltest checks it, and every
// recaller here passes it.
//
// # Hard filters
//
// A [Population] keeps bitmaps (github.com/kelindar/bitmap) of each side,
// of active profiles and of each city. [Population.Mask] turns a [Filter]
// (requester, side, active only, cities, seen/contacted, blocked, a host
// exclusion set such as the over-exposed participants of package exposure)
// into the Allowed bitmap of a [Request]. Recallers check it while they
// walk their sources, so K candidates come back whenever K allowed ones
// exist.
//
// # Interest matrix and collaborative recall
//
// An [Interest] is the matrix R[actor][target] of events weighted per
// action (market.ActionWeights) with exponential time decay, built by Fit
// into compressed sparse rows and columns. [ItemCF] (U2I2I, cosine with
// inverse-user-frequency), [UserCF] (U2U2I, cosine with inverse-item-
// frequency) and Swing ([NewSwing]) precompute neighbour lists with all
// cores in their Fit; the formulas are on each type. Record adds an event
// to a live overlay of the matrix that every recaller reads on the next
// request; what changes at once and what waits for Fit is documented on
// each type:
//
//	                 at Record (next request)        at Fit
//	Interest         actor's row, target popularity  the matrix
//	ItemCF, Swing    requester's history             neighbour lists, norms, IUF
//	UserCF           requester's neighbours (live)   neighbour lists, columns, norms
//	                 and the neighbours' rows
//	Hot              popularity                      order (at Refresh)
//
// # Content and strategy recall
//
// [Index] searches the other side's profiles with a query built from the
// requester's profile, association-rule tag expansion and learned
// preferences. Bleve, with the gse-backed analyzer of package text, is the
// index of record (in memory by default, on disk with a path); requests
// are scored from an in-memory cache of its postings that every update
// keeps in step, term at a time into a dense accumulator, with the filter
// bitmap applied before truncation. [Index.Query] gives the same query as
// a bleve query. [Hot] returns
// the most attended targets, [Fresh] the newest profiles, and
// [ColdStart] content plus hot for requesters with no history.
//
// # Merging
//
// A [Merger] asks several recallers and merges their lists sequentially,
// round-robin (snake), by weighted normalised score or by reciprocal-rank
// fusion, with per-source quotas and de-duplication; each merged candidate
// lists, in Hits, every source that found it with its rank and score.
// [Merge] does the same on lists a caller already has.
//
// # Cost
//
// On a simulated market of 100,000 seekers, 20,000 jobs and 5,000,000
// events (internal/synth, Large), see large_bench_test.go for how to
// reproduce the figures reported in the project notes.
package recall
