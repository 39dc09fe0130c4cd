// Package factor learns latent factors of the interest matrix: implicit
// matrix factorisation by weighted alternating least squares with the
// conjugate-gradient solver, or by Bayesian personalised ranking; one
// model per direction of a two-sided market; hybrid factors from content
// features for participants without history; and the plug for a host's
// own embeddings. It reads package market, sparse and rank only: the
// caller builds the input matrices (from recall's interest matrix, in
// local indices per side), and vector recall over the factors is
// recall.Vectors.
//
// # Implicit feedback
//
// The input is a [CSR] of (row, column, weight r_ui > 0) cells: what each
// row (a seeker) attended to and how much (the interest matrix's decayed
// action weights). ALS (Hu, Koren & Volinsky 2008) reads every pair as a
// preference p_ui (1 for a cell, 0 otherwise) with a confidence
// c_ui = 1 + α·r_ui (1 for a non-cell) and minimises
//
//	Σ_{u,i} c_ui (p_ui − x_uᵀ y_i)² + λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)
//
// over all pairs without forming them: with the columns fixed, row u's
// normal equations are
//
//	(YᵀY + Yᵀ(Cᵘ − I)Y + λI) x_u = Yᵀ Cᵘ p(u)
//
// where YᵀY is shared by every row and Cᵘ − I is non-zero only on u's
// cells. Config.CGSteps conjugate-gradient steps, warm-started from the
// previous sweep (Takács, Pilászy & Tikk 2011), solve them in
// O(CGSteps·(k² + |cells of u|·k)) per row instead of O(k³); with
// CGSteps ≥ k the solve is exact (the tests check it against a direct
// solve to 1e-6). Rows and columns without a training cell are outside
// the loss.
//
// Observed non-interest, when the caller has it (Data.Negatives: pairs a
// row was shown and passed over, or turned down, each with a weight
// w > 0), enters the same equations as a preference p_ui = 0 with
// confidence 1 + α·w: it adds α·w·y_i y_iᵀ to the row's matrix and
// nothing to its right-hand side, so what a participant saw and left
// pushes its factor away from those columns harder than what it never
// saw. A pair with an interest cell keeps the cell.
//
// BPR (Rendle et al. 2009) maximises Σ ln σ(x_uᵀy_i − x_uᵀy_j) − λ‖Θ‖² over
// sampled triples (u, i a cell, j not) by stochastic gradient ascent.
// Epochs run stratified (Gemulla et al. 2011): the matrix is cut into
// 16 × 16 blocks by hashed row and column, and the 16 blocks of one
// diagonal, which share no row and no column, are updated in parallel
// without locks; negatives are drawn from the block's columns.
//
// # Fitting
//
// A [Trainer] built by [New] from a [Config] fits [Data] with
// [Trainer.Fit]. Every fit uses Config.Workers goroutines and is
// bit-identical for a Seed whatever the number of workers (work is cut
// in fixed chunks and reduced in chunk order; BPR's strata are fixed).
// A share Config.Holdout of the cells is held out: after each iteration
// the held-out AUC (each held-out cell against Config.Negatives sampled
// non-cells of its row) is measured, the fit stops Config.Patience
// iterations after the best one and returns that iteration's factors.
// Config.Progress reports every iteration. Bad input is a *DataError
// naming the matrix, the row, the column and the field; an empty matrix
// is [ErrEmpty].
//
// # Scores and probabilities
//
// A [Model] scores a pair by x_uᵀ y_i and turns the score into a
// probability σ(a·s + b) fitted on the held-out cells against their
// sampled non-cells, with b moved to the density of the whole matrix
// ([Model.Calibrate]): the chance that a pair with that score is a cell,
// monotone in the score. Factors are float32 (k·4 bytes per participant
// and direction).
//
// # Two sides
//
// A recruiting market has two interest matrices, seekers' interest in
// jobs and recruiters' in seekers. [Trainer.FitTwoSided] fits one model
// per direction (as LFRR, Neve & Palomares 2019) into a [Reciprocal], whose
// [Reciprocal.Match] gives a pair's forward estimate (the requester's
// interest) and backward one (the candidate's), each a score and a
// probability, for a two-way aggregator to combine. [Reciprocal.Vectors]
// lays both models' factors side by side so that one inner product gives
// the sum of both directions' scores, for reciprocal vector recall.
//
// # Hybrid factors
//
// With content features (Data.RowFeatures, Data.ColFeatures: a sparse
// vector per participant of skills, title words, tags, city…), a
// participant's factor is its own factor plus the sum of its features'
// factors, as in LightFM (Kula 2015):
//
//	x_u = w_u + Σ_f a_uf e_f
//
// The own factors are penalised by Config.OwnRegularization (larger than
// Regularization), so that what participants share moves into the
// feature factors. ALS solves the own and feature factors of a side
// together by conjugate gradient on their joint normal equations. A
// participant unknown at fit gets its factor from its features alone
// ([Model.RowFromFeatures], [Model.ColFromFeatures]); one with events since
// the fit gets a current factor from its live history with
// [Model.FoldInRow], an exact solve of its row's equations against the
// fitted columns.
//
// # Embeddings
//
// An [Embedder] turns profiles into vectors: the plug for a host's text
// encoder or an LLM embedding service, batched and context-aware, with
// its failure behaviour in its contract. [EmbedAll] calls one in batches
// with a timeout and collects a [Table] by position, counting failures
// instead of failing (a caller falls back to its other evidence).
// [HashEmbedder] is the deterministic reference implementation (the
// hashing trick over title words, skills, tags and industry).
//
// # Persistence
//
// [Model], [Reciprocal] and [Table] implement io.WriterTo and
// io.ReaderFrom in a versioned little-endian format: an 8-byte magic, a
// version, the body and a CRC-32 of everything before it. A truncated,
// damaged or foreign stream is an error wrapping [ErrCorrupt] (a newer
// version [ErrVersion]), never a panic, and a decoder allocates only as
// the bytes arrive.
//
// # Cost
//
// Measured by large_bench_test.go on the simulated market of
// internal/synth.Large (100,000 seekers, 20,000 jobs, 5,000,000 events:
// 851,933 cells of seekers' interest, 487,386 of recruiters'), 64 factors,
// two workers, on a shared 2-core machine (load average 1.1 to 1.4), two
// runs each (BenchmarkALSLarge, BenchmarkBPRLarge):
//
//	one ALS sweep, seekers' model        0.57 to 0.62 s wall, 1.1 to 1.2 s CPU
//	one ALS sweep, recruiters' model     0.52 s wall, 1.0 s CPU
//	one ALS sweep, hybrid seekers' model 1.5 to 1.7 s wall, 2.4 to 2.6 s CPU
//	one BPR epoch, seekers' model        0.26 to 0.29 s wall
//	factors of one direction             30.8 MB ((rows + columns) × k × 4 bytes)
//	peak heap of a fit                   133 MiB, hybrid 443 MiB
//
// (Under a load average of 5 to 7 the same sweeps took 3.1, 1.7 and 8.9 s.)
// The default two-sided fit stops early after 5 sweeps per direction
// (6.6 s, BenchmarkVectorRecallLarge's set-up). Exact vector recall of
// K = 200 of the 20,000 jobs (recall.Vectors over the seekers' model) is
// measured there too: 0.20 ms at the median over 64 dimensions, 0.32 ms
// over the 128 of the reciprocal vectors.
package factor
