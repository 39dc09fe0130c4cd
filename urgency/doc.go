// Package urgency estimates how eager each participant is right now
// (demand urgency, in [0,1]) from behaviour features and the one-way match
// of what they attended recently (patent 1.3.7–1.3.9).
//
// # Inputs
//
// An [Input] is a participant's activity.Features (windowed activity
// against their own baseline, working-hours share, hour-of-week entropy,
// contacts and replies, recency, sessions) plus [MatchStats]: the mean and
// variance of the one-way match of the last Config.Recent profiles they
// viewed, favourited or contacted. Urgent users relax their standards, so
// a falling mean and a widening variance are signals. The match score comes
// from a callback, Config.OneWay, so this package does not import match.
// [Recent] keeps those scores in real time; [Inputs] computes every input
// from a log at a cut-off; [Live] reads one participant's real-time input.
//
// # Label
//
// The training label is the host's to choose. The default, [Labels], is
// "the participant takes part in a mutual chat that completes within
// Config.Horizon (7 days) after the cut-off": both sides have sent the
// other a Chat, Apply or Reply, the second of them inside the horizon.
//
// # Model
//
// [Fit] trains a logistic regression (package rank, L-BFGS with an L2
// penalty) on standardised inputs. [Model.Urgency] returns
//
//	raw     = σ(b + Σ_j w_j (x_j − μ_j)/σ_j)
//	urgency = w·raw + (1 − w)·prior,   w = n/(n + MinHistory)
//
// where n is [History] (events made or received in the longest activity
// window). A participant with no history gets the prior: by default the
// label's rate among the training users with little history
// (n < MinHistory), which ranks newcomers where users like them stand.
// Models are immutable; refresh by fitting a new one and swapping an
// atomic.Pointer. For serving, [Model.Table] and [Model.Refresh] keep
// every participant's urgency in an activity.Table.
//
// # Wiring
//
// An engine keeps one activity.Tracker and one [Recent] and, behind an
// atomic.Pointer, the current [Model] and its serving table:
//
//   - Record: Tracker.Record(event) and Recent.Record(event); optionally
//     Model.Refresh for the event's two participants.
//   - Fit: [Inputs] and [Labels] at a cut-off at least Horizon before the
//     log's end, [Fit] on the users to learn from, then [Inputs] at the
//     log's end and [Model.Table] for serving; swap both in.
//   - Recommend: Table.Get(requester) for the requester's urgency and
//     Table.GetAll(candidates) for the candidates' (about a nanosecond
//     each), or [Live] plus [Model.Urgency] for an exact real-time value.
//   - Save/Load: [Model.WriteTo] and [ReadModel].
//
// # Measured
//
// On the simulated market (internal/synth seed 1: 5,000 seekers, 1,000
// jobs, 400,000 events over 30 days; cut-off day 21; 80/20 split of the
// users), the model's AUC for the default label on held-out users is
// 0.719 against 0.709 for the best single raw feature chosen on the
// training users (views received over 30 days). Without the match
// statistics (with an observable content-overlap score standing in for
// package match) the AUC is 0.718: on this market they add little. The
// score's AUC for the simulator's latent "urgent" state on the last day
// before the cut-off, which no feature observes, is 0.61. See
// TestSimulatedUrgencyAUC. These figures are simulated.
package urgency
