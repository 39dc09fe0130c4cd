// Package insight answers market questions from the same profiles the
// recommender holds: skill gaps, salary suggestions, job-description
// requirements, re-employment directions, and city supply and demand, with
// every figure about people aggregated over at least k of them.
package insight
