// Package text turns the words of profiles into content vectors: Chinese and
// English tokenisation (backed by gse, which no other package imports), skill
// and tag normalisation, TF-IDF/BM25 weighting, encoders for the structured
// fields of market.Profile, association-rule tag expansion, and a bleve
// analyzer that tokenises exactly like the vectors do.
package text
