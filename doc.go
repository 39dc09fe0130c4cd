// Package twoway is an embeddable library for two-way (reciprocal)
// recommendation between job seekers and recruiters.
//
// A recommendation in recruiting only helps when both people want it: the
// seeker must like the job and the recruiter must like the seeker, each must
// be eager enough to act, and the one being contacted must still have room
// to answer. twoway scores every candidate pair in both directions, weighs
// the two one-way matches by each side's demand urgency, and keeps contacts
// away from people who are already saturated.
//
// The packages below this one each own one concern (see docs/architecture.md):
// market (vocabulary), sparse (vectors), text (content), rank (learning and
// metrics), activity (behaviour features), recall, match, factor (latent
// factors and the host's embeddings), urgency, exposure, allocate
// (market-level allocation), fusion and insight (market reports). This
// root package wires them into an Engine; the module
// github.com/twowayrec/twoway/redisstore keeps its shared state in Redis.
package twoway
