// Package fusion is the serving policy: select candidates from the recall
// lists in a ratio set by the requester's urgency, filter them by exposure
// saturation and caps, and rank them by two-way match, activity, saturation
// and freshness, returning the top N with explanations.
package fusion
