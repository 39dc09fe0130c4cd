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
// people applied or were hired) is computed over at least Config.K people
// (default 5); a smaller group is suppressed — a [Headcount] with
// Suppressed set and nothing else derived from it — never shown. Figures
// about postings (companies' offers) are not about people and are shown
// whatever their size.
//
// # Bad input
//
// An empty market, an empty or unknown title or city get an error wrapping
// [ErrNoPostings], [ErrEmptyQuery], [ErrUnknownTitle] (as an
// [*UnknownTitleError] naming the closest known titles) or
// [ErrUnknownCity]; no query panics on data.
package insight
