// Package rank is the learning toolkit that the interest, urgency, saturation
// and final-ranking models share: logistic regression on sparse vectors
// (batch L-BFGS and online FTRL trainers), hierarchical global + per-entity
// models, feature encoders, and the ranking metrics (AUC, GAUC, log-loss,
// Recall/Precision/NDCG/MAP@k, MRR).
package rank
