// Package match scores how well two participants suit each other: each
// user's interest model over the other side's content, the one-way match in
// each direction, and the two-way aggregators (urgency-weighted sum,
// harmonic, geometric, product, minimum), with explanations.
package match
