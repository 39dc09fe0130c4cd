// Package urgency estimates how eager each participant is right now (demand
// urgency, in [0,1]) from behaviour features and the one-way match of what
// they attended recently.
package urgency
