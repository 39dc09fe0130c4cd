// Package rank is the learning toolkit that the interest, urgency,
// saturation and final-ranking models share: logistic regression on
// sparse vectors, hierarchical global + per-entity models, feature
// encoders, and the ranking metrics.
//
// # Logistic regression
//
// Training rows live in a [Dataset] (compressed sparse rows with labels,
// sample weights and optional offsets). [Fit] trains a [Model] with L-BFGS
// (gonum optimize) on the objective documented on [Config]: weighted mean
// log-loss, L2 and optional smoothed L1, unpenalised intercept. A [Model]
// is immutable and safe for concurrent use; [Model.Predict] returns the
// calibrated probability σ(b + w·x) without allocating.
//
// # Metrics
//
// [AUC] (ties count one half), [GAUC] (per-group AUC, groups with one
// class skipped), [LogLoss], and per-query ranking metrics [PrecisionAt],
// [RecallAt], [HitAt], [NDCGAt], [AveragePrecisionAt], [ReciprocalRank],
// averaged over queries with [Mean] (MAP, MRR, hit rate). Every ranking
// metric is the exact expectation over random orders of tied scores, and
// every metric documents its value on empty and degenerate input.
package rank
