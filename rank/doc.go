// Package rank is the learning toolkit that the interest, urgency,
// saturation and final-ranking models share: logistic regression on
// sparse vectors, hierarchical global + per-entity models, feature
// encoders, and the ranking metrics.
//
// # Data
//
// Training rows live in a [Dataset]: compressed sparse rows (feature
// vectors of type [sparse.Vector]) with a label in [0,1], a sample weight
// and an optional fixed offset per row. A block of features that many rows
// repeat (a candidate's content vector in every row that shows it) can be
// stored once as a shared vector that rows refer to (Dataset's "Shared
// vectors"): the rows cost their own features only, and the batch
// objective scores the block once per evaluation. Named features become vectors
// through a [Hasher] (feature hashing, fixed size, no state) or a
// [Dictionary] (exact, grows while training, frozen for serving).
//
// # Batch logistic regression
//
// [Fit] minimises the weighted mean log-loss plus L2 and optional
// (smoothed) L1 penalties with L-BFGS from gonum/optimize; the objective
// is written out on [Config]. It honours context cancellation, reports
// each iteration to Config.Progress, evaluates the objective on several
// goroutines, and is bit-for-bit deterministic whatever the number of
// workers. Its coefficients match an independent Newton/IRLS solver
// (gonum/mat) to 1e-6 (see fit_test.go).
//
// A fitted [Model] is immutable and safe for concurrent use;
// [Model.Predict] returns σ(b + w·x) and does not allocate. [Model.WriteTo]
// and [Model.ReadFrom] (io.WriterTo / io.ReaderFrom) use a versioned
// binary format with a CRC-32: a truncated, damaged or foreign stream is
// an error wrapping [ErrCorrupt] or [ErrVersion], never a panic.
//
// # Online logistic regression
//
// [FTRL] is FTRL-proximal with per-coordinate learning rates, for
// updating a model from each event as it arrives: [FTRL.Update] does not
// allocate, L1 gives exact zeros, and [FTRL.Model] snapshots an immutable
// [Model].
//
// # Hierarchical models
//
// [FitHierarchical] fits a global model and, per entity (a user, a job), a
// correction learned from the entity's own rows with the global score as a
// fixed offset, under a Gaussian prior that shrinks it toward the global
// model the fewer rows the entity has (the prior is written out on
// [HierarchicalConfig]); entities are fitted in parallel.
// [Hierarchical.UpdateEntity] refits one entity online without touching
// the others.
//
// # Standardised models with a prior
//
// [FitStandardized] fits a logistic regression on a short dense feature
// vector with its columns standardised, and returns a [Standardized] whose
// prediction is shrunk toward a prior by the amount of evidence behind a
// row (the formula is on [Standardized]). It is the model behind the
// urgency and saturation scores of packages urgency and exposure, which
// wrap it. [Standardized.WriteTo] and [Standardized.ReadFrom] use the
// same binary conventions as [Model] and also read the JSON form those
// packages wrote before (their version 1).
//
// # Metrics
//
// [AUC] (ties count one half), [GAUC] and [GAUCBySamples] (per-group AUC,
// groups with one class skipped), [LogLoss], and per-query ranking
// metrics [PrecisionAt], [RecallAt], [HitAt], [NDCGAt],
// [AveragePrecisionAt], [ReciprocalRank], averaged over queries with
// [Mean] (MAP, MRR, hit rate). Every ranking metric is the exact
// expectation over random orders of tied scores, and every metric
// documents its value on empty and degenerate input.
//
// # Concurrency
//
// Models, Standardized models and Hashers are immutable values. FTRL, Dictionary and the
// correction table of Hierarchical are guarded by locks. Dataset is a
// plain value: build it on one goroutine.
package rank
