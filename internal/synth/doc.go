// Package synth generates seeded synthetic recruiting markets for tests,
// benchmarks and simulated evaluation: seekers and job postings with
// realistic observable profiles, behaviour events over simulated days, and
// the latent ground truth (who would accept whom, who is urgent, who is
// overloaded) that produced them. Everything it makes is synthetic: label
// any figure computed on it "simulated".
//
// # Use
//
//	m, err := synth.Generate(synth.Large()) // 100,000 seekers, 20,000 jobs, 5,000,000 events
//	m.Profiles // []market.Profile; Profiles[i] has m.Dict index i, seekers first
//	m.Events   // []market.Event in time order; m.Pairs[i] are Events[i]'s indices
//	m.Mutual(s, j), m.MutualFor(s), m.UrgentOn(ix, day), m.Capacity(ix) // ground truth
//
// The same Config (including Seed) gives the same Market byte for byte: all
// randomness comes from math/rand/v2 PCG streams seeded from Config.Seed,
// and pair-specific noise from a hash of (Seed, a, b). The profiles of a
// seed do not depend on Config.Events.
//
// # Profiles
//
// Every participant belongs to a latent job family (数据分析, Java后端,
// 算法, 产品经理, …) and a city (北京, 上海, 深圳, … weighted by size). The
// family fixes the title ("Java开发工程师", "Senior Java Engineer") and the
// skills, drawn from a vocabulary of Chinese and English skill names (Java,
// SpringBoot, MySQL, 机器学习, 数据分析, …; typical skills more often, a few
// from other families). Pay follows family × city × experience with noise
// (postings pay more, some write 13–16薪 or 面议); postings require an
// experience range (经验不限, 1-3年, 3-5年, …) and a minimum education;
// seekers state their years, education and expected pay. Postings belong to
// companies drawn Zipf-like from a pool, which fixes their industry. Text is
// a short Chinese description built from those fields.
//
// # Latent preferences
//
// [Market.Affinity] says how much a likes b: the same family, skill
// coverage, the same city, pay against expectation, experience and
// education fit (for postings), b's general attractiveness ("quality", tied
// to education, experience, company and pay), a dot product of a's latent
// taste and b's latent trait, and pair-specific noise nobody can observe.
// a accepts b when the affinity exceeds a's threshold, which urgent
// participants lower by 0.6. [Market.Mutual] (both accept) is the ground
// truth of a good two-way recommendation.
//
// # Behaviour
//
// Days are simulated one after another. Each day, browsing sessions are
// started by participants in proportion to their activity (log-normal;
// three times higher while urgent; recruiters start about 35% of sessions)
// until the day's share of Config.Events is reached. In a session the actor
// sees about Config.Impressions candidates (half from its own family and
// city, a quarter from its family, a quarter at random; of two draws the
// more attractive is kept, so exposure is skewed toward popular profiles as
// in real feeds) and, depending on its affinity, views, favourites, and
// contacts (Chat; seekers also Apply) each at most once. The contacted
// participant replies if it accepts the actor, with probability
//
//	ReplyRate × min(1, Capacity / load)
//
// where load counts its contacts received today plus half of the previous
// load: replies fall as inbound load passes capacity. Otherwise it may
// Reject explicitly; keen mutual replies sometimes end in a Hire a few days
// later. Recruiters' reply rates are drawn from Config.ReplyRates (default
// [DefaultReplyRates], the real resumeProcessRate distribution of
// lagou_2019_data_analyst.csv); seekers' from around Config.SeekerReplyRate.
// Urgency follows a two-state Markov chain per participant and day with
// long-run share Config.UrgentShare; urgent users also browse more in the
// evening. A share Config.ArrivalShare of profiles registers during the
// period (new arrivals) and acts only from then on.
//
// # Cost
//
// Generating [Large] allocates 0.67 GB (1.7 M allocations) and peaks at
// 0.63 GB resident; it took 6.8 s on a quiet run and a median of 16.2 s
// over 5 runs (13.8–18.1 s) while the shared 2-core machine had a load
// average of 14 (BenchmarkGenerateLarge, -benchtime 1x -count 5). [Small]
// takes about 20 ms.
package synth
