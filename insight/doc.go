// Package insight answers market questions from the same profiles and
// events the recommender holds: skill gaps, salary suggestions,
// job-description requirements, re-employment directions, and city supply
// and demand, with every figure about people aggregated over at least k of
// them.
//
// Build a [Market] with [New] from profiles of both sides (and, optionally,
// events); it is an immutable snapshot, safe for concurrent queries.
// Rebuild it when the market changes.
//
// # Comparable postings
//
// Two postings are comparable when their titles have the same [TitleKey]:
// case and width folded, bracketed notes, alternative titles, trailing codes
// and level words (高级, 资深, senior) dropped, so that "高级数据分析师（北京）"
// and "数据分析师-CR2017" meet. Skills and tags are compared by their
// canonical term in a text.Vocabulary ("SpringBoot" = "Spring Boot").
// Postings repeated across crawls ([market.DuplicateKey]) count once.
//
// # Salary suggestion
//
// [Market.SuggestSalary] blends the quartiles of comparable postings' pay
// over a chain of groups from narrow to broad, each shrunk toward the next:
//
//	est(g) = w·Q(g) + (1−w)·est(broader(g)),  w = n/(n + Config.Shrinkage)
//
// Pay is compared as the 12-month-equivalent monthly midpoint, so a posting
// paying 16 months counts with its yearly pay; 面议 postings are counted but
// carry no figure. [Market.EvaluateSalary] measures it by leaving each
// posting out, against a city-median baseline.
//
// # Requirements, skill gap and re-employment
//
// [Market.Requirements] (the job-description assistant) lists the skills,
// tags, experience and education comparable postings ask for, their pay,
// and association rules among their skills and tags (text.MineRules).
// [Market.SkillGap] ranks the skills a seeker lacks for a posting or title
// by how often comparable postings ask for them, the pay premium of those
// that do, and the rise of a one-way match ([Matcher]). [Market.Reemployment]
// ranks the companies and industries whose postings value a person's past
// titles and skills.
//
// # Cities
//
// [Market.City] gives postings against seekers per title (the positions in
// shortest supply, when seekers are known) and the industry structure:
// postings, companies and pay per industry. [Market.Cities] lists cities.
//
// # Privacy
//
// Any figure about people (seeker counts, seekers' expected pay, where
// people applied or were hired) is published under Config.K (default 5)
// by these rules; figures about postings (companies' offers, posting
// counts, posting pay) are not about people and are shown whatever their
// size.
//
// Groups. People are counted in disjoint groups of the finest kind a query
// can tell apart: the seekers of one city wanting one title ([TitleKey]),
// and the seekers wanting one title who applied to or were hired at one
// company. A group of fewer than K people is suppressed — a [Headcount]
// with Suppressed set, or left out of a list — and nothing computed from
// its members is shown, not even whether it has any: a suppressed
// Headcount may be 0, and [WentTo].Suppressed counts the (title, company)
// pairs left out, empty ones included.
//
// Totals over shown groups only. Every published total is the sum of the
// groups of at least K that it covers, never a count taken afresh: a
// city's seekers ([CityView].Seekers) is the sum of its title groups of at
// least K, posted in the city or not; a company's figure in
// [WentTo] for several titles is the sum of its groups for each title; an
// industry's figure is the sum of the figures of its companies (a person
// who went to two of its companies counts twice). Each of those groups is
// also published on its own, so the difference of any two answers — a
// total minus the titles shown, a query with one title more minus the
// query without it, an industry minus its companies — is again a sum of
// groups of at least K, and a suppressed group never shows through. The
// price is that totals undercount where groups are small: in a market
// whose people are spread over many small groups, industries appear in
// WentTo only once one of their companies has K people of the title.
//
// Quantiles of people's values. A median of people's stated pay
// (TitleSupply.ExpectedPay) is published only from at least K values, as
// the mean of the K order statistics centred on the median (never one
// person's own pay), rounded to the nearest 500 yuan, and only when the
// group's values spread by at least a tenth of the figure (largest minus
// smallest): when everyone stated about the same pay, the figure would be
// each member's pay, however many they are.
//
// K = 1 turns every rule off (exact counts and quantiles). No rule adds
// noise, so an answer is a deterministic function of the Market. The rules
// protect one published Market against any number of queries on it; they
// do not protect against K−1 members of a group pooling what they know of
// their own values, nor against differencing two Markets built from
// snapshots a person apart (publish rebuilt Markets at a coarse cadence).
// [Market.Stats] counts what the Market was built from, for the operator:
// its Seekers is not k-anonymous and is not for publication.
//
// # Bad input
//
// An empty market, an empty or unknown title or city get an error wrapping
// [ErrNoPostings], [ErrEmptyQuery], [ErrUnknownTitle] (as an
// [*UnknownTitleError] naming the closest known titles) or
// [ErrUnknownCity]; a [Matcher] returning NaN or ±Inf makes
// [Market.SkillGap] an error wrapping [ErrMatcher]; no query panics on data.
package insight
