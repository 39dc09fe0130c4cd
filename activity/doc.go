// Package activity computes behaviour-log features from events, in one place
// for both urgency and exposure: sessions, windowed counts of actions made and
// received, answer rates, active-time distributions and recency.
package activity
