// Package recall narrows the other side of the market to a few hundred
// candidates for one requester: an inverted index over profiles (bleve),
// user-CF, item-CF and Swing over the interest matrix, hot/fresh/cold-start
// strategy recall, hard filters as bitmaps, and merging of several recall
// lists.
package recall
