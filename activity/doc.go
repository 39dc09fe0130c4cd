// Package activity computes behaviour-log features from events, in one place
// for both urgency and exposure: sessions, windowed counts of actions made and
// received, answer rates, active-time distributions and recency (patent
// [0044]: the behaviour log cut into behaviour units).
//
// # Two paths, one definition
//
// A [Tracker] keeps real-time counters: [Tracker.Record] updates them in O(1)
// per event without allocating, and [Tracker.Features] reads a participant's
// features at any time. [Tracker.Batch] computes the same features for every
// participant from a whole log at a cut-off time; it replays the log through
// the very same counters, so batch and real-time features agree exactly, and
// adds the features that need the whole ordered log (sessions, hour-of-week
// entropy, answered contacts and answer latency).
//
// # Windows
//
// Time is cut into buckets of [Config.Bucket] (default one day, aligned on
// Unix time, that is UTC midnight). A window of k buckets read at time now,
// where now lies a fraction f into its bucket b, counts
//
//	count(b) + count(b-1) + … + count(b-k+1) + (1-f)·count(b-k)
//
// so that it spans exactly k buckets' worth of time, assuming events spread
// evenly within the oldest bucket (the sliding-window-counter estimate).
// Buckets after now's are not read; [Tracker.Batch] also ignores events
// after now within now's bucket.
//
// # Real-time store
//
// Counters live behind [Store], a small interface (add to counters of one
// participant in one bucket; read a participant's buckets) with string-free,
// index-based keys and context/error returns, so that a host can keep them in
// Redis and share them between processes. [Memory] is the in-memory default;
// through it [Tracker.Record] costs two short critical sections and no
// allocation. [CheckStore] checks another implementation against the
// contract. A Redis store maps Add to one pipelined INCR per counter of the
// set on a key such as "tw:act:{user}:{bucket}:{counter}" with an EXPIRE of
// Config.Buckets() buckets, plus a ZADD GT of the last-activity time, and
// Read to one MGET.
//
// # Serving
//
// Reading features and scoring a model costs a few hundred nanoseconds per
// participant. For ranking many candidates per request, keep the derived
// value (urgency, saturation) in a [Table], refreshed for the participants
// an event touched or periodically, and read the candidates from it.
//
// # Features
//
// [Features] holds, per window, the counts of every [Counter]: actions,
// views, favourites, contacts (Chat or Apply) and replies made, actions in
// working hours, and views, favourites, contacts, replies and impressions
// received; derived ratios (view→contact, view→favourite, working-hours
// share, reply rate, trend against the own baseline); recency (days since
// the last action and since registration); and, from the log only,
// sessions, session length, actions per session, hour-of-week entropy,
// answered contacts and answer latency. [Features.Vector] flattens them
// for a linear model and [Tracker.VectorNames] names the entries.
//
// # Duplicates and order
//
// Counters are additive, so events may arrive in any order; an event older
// than the longest window (plus one bucket) before the newest bucket a
// participant has seen cannot affect any window and is dropped by [Memory].
// The real-time path keeps no per-event state and so cannot recognise a
// duplicate delivery: hosts with at-least-once delivery should drop
// duplicates before [Tracker.Record]. [Tracker.Batch] removes exact
// duplicates (same actor, target, action and time) itself.
package activity
