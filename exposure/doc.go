// Package exposure estimates how close each participant is to being
// flooded with contacts they cannot answer (exposure saturation, in [0,1])
// and keeps the ledger of impressions the library itself has handed out
// (patent 1.3.10–1.3.13 and 2.2.2).
//
// # Saturation model
//
// The features are the recipient's activity.Features: inbound views,
// favourites and contacts received per window, replies made and the
// answered share and latency of received contacts, and their own
// activity. The default label, [Labels], makes one row per contact
// received in the Config.Window (24 h) after a cut-off, positive when the
// recipient sent the sender no Reply within Config.AnswerWithin (72 h):
// the model's output is the probability that one more contact is wasted.
// [Fit] trains a logistic regression (package rank) on standardised
// features; [Model.Saturation] shrinks it toward a prior for participants
// who have received few contacts ([History]):
//
//	saturation = w·σ(b + Σ_j w_j (x_j − μ_j)/σ_j) + (1 − w)·prior,   w = n/(n + MinHistory)
//
// Models are immutable; refresh by fitting a new one and swapping an
// atomic.Pointer. [Model.Table] and [Model.Refresh] keep every
// participant's saturation in an activity.Table for serving.
//
// # Ledger and controller
//
// The [Ledger] counts impressions per candidate as exponentially decaying
// counters (half-life Config.HalfLife). The [Controller] combines a
// candidate's saturation s with its ledger load L:
//
//	budget B = Capacity · (1 − s)^Gamma
//	excluded ⇔ s ≥ MaxSaturation or L ≥ B
//	penalty  = 1 − (1 − s)(1 − min(1, L/B))     (1 when excluded)
//
// so the impression threshold shrinks as saturation grows, and the
// saturation threshold, 1 − (L/Capacity)^(1/Gamma), falls as the library
// shows the candidate more. [Controller.Exclusions] fills a
// kelindar/bitmap for recall; [Controller.Penalties] gives per-candidate
// penalties for ranking; [Controller.Served] records what was shown. All
// are safe under concurrent requests and events. The ledger lives in the
// process: several servers behind one Redis each count only the
// impressions they served (a shared ledger would need a store of its own,
// like activity.Store).
//
// # Wiring
//
// An engine keeps one activity.Tracker (shared with package urgency), one
// [Controller], and behind an atomic.Pointer the current [Model] and its
// serving table of saturations:
//
//   - Record: Tracker.Record(event); optionally Model.Refresh for the
//     event's target (its inbound load changed) and actor.
//   - Fit: at one or more cut-offs at least Window+AnswerWithin before the
//     log's end, Tracker.Batch and [Labels], then [Examples] and [Fit];
//     Tracker.Batch at the log's end and [Model.Table] for serving.
//   - Recommend: periodically Controller.Exclusions(Table.Values) into the
//     bitmap recall filters with; per request Table.GetAll(candidates),
//     Controller.Penalties for ranking, and Controller.Served(shown) for
//     the list returned.
//   - Save/Load: [Model.WriteTo] and [ReadModel]. The ledger is real-time
//     state of this process (see above).
//
// # Capacity and congestion
//
// A person can answer only so many contacts a day. The capacity rule
// compares what a candidate is being asked with what it answers:
//
//	load      L = max(λ · ln 2 / H, contacts received per day lately)
//	answer    g = min(1, C / L)          the share of one more contact it can answer
//
// C is the candidate's capacity in answers per day, given by the caller
// (the Engine uses the participant's throughput: the contacts it answers
// on a day it answers, shrunk toward its side's mean by
// Config.CapacityStrength pseudo-days, match.Behaviour.Throughput). λ is
// the candidate's ledger load in expected contacts (every impression the
// Engine hands out weighs P(contact | shown), [Controller.ServeExpected]),
// so λ·ln 2/H is the rate of contacts per day the library is already
// steering to it (H the ledger's half-life in days). A two-way match
// multiplies the candidate's answer probability by g: an over-asked
// candidate falls in the ranking smoothly instead of being cut off, so
// lists never empty; a candidate is excluded only when the host sets
// Config.HardCap and L reaches HardCap·C.
//
// # Measured
//
// On the simulated market (internal/synth seed 1: 5,000 seekers, 1,000
// jobs, 400,000 events over 30 days; cut-offs on days 15, 17, …, 25; the
// contacts of 80% of the recipients for training), the model's AUC at
// predicting unanswered contacts of the held-out recipients is 0.740
// against 0.701 for the best single raw feature chosen on the training rows
// (the real-time reply rate); see TestSimulatedSaturationAUC. These
// figures are simulated.
package exposure
