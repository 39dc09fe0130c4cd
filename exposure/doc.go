// Package exposure estimates how close each participant is to being flooded
// with contacts they cannot answer (exposure saturation, in [0,1]) and keeps
// the ledger of impressions the library itself has handed out.
package exposure
