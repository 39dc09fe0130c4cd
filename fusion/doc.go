// Package fusion is the serving policy of the patent's personalised fusion
// (select → filter → rank): it takes the candidates that recall found for
// one requester, already scored by the two-way match, the candidates'
// activity, urgency and exposure saturation, and returns the top N with the
// reason for each.
//
// # Select
//
// Content recall (the inverted index) and collaborative recall (CF, Swing)
// find different people. The requester's urgency u ∈ [0,1] sets the share of
// collaborative candidates in the pool:
//
//	share(u) = CollaborativeShare + u·(UrgentCollaborativeShare − CollaborativeShare)
//
// and a newly registered requester (younger than NewUserAge, whose
// behaviour says little yet) gets NewUserCollaborativeShare instead. When
// one kind runs short the other fills the pool.
//
// # Filter
//
// A candidate is dropped when its two-way match is below the threshold,
// which relaxes linearly with the requester's urgency (urgent people lower
// their standards, patent 2.2.1):
//
//	minTwoWay(u) = MinTwoWay + u·(UrgentMinTwoWay − MinTwoWay)
//
// when its activity is below a floor that rises with urgency (an urgent
// requester needs someone who will answer soon), when the exposure
// controller excluded it, or when its saturation is at or above
// MaxSaturation. Exposure penalties from the controller are kept and
// applied at the rank stage.
//
// # Rank
//
// The score is a weighted sum of the candidate's features, with the weights
// of activity and candidate urgency scaled up by the requester's urgency:
//
//	score = W.TwoWay·m + (1+u·W.UrgentBoost)·(W.Activity·a + W.Urgency·c)
//	        + W.Freshness·f − W.Saturation·s − penalty
//
// or, when Config.Learned is set, a learned model's score over the same
// features ([Features]) scaled by the penalty:
//
//	score = P·(1 − penalty)
//
// [Learn] fits one, a logistic regression (package rank) of "the pair
// became a mutual chat" on [Outcome] rows, whose P = σ(b + w·x) is a
// probability: the score stays in [0,1], and candidates with equal
// penalties (all of them, without exposure penalties) keep the linear
// model's order. Ties break by candidate index, so rankings are
// deterministic. At most MaxPerCompany results come from one company.
package fusion
