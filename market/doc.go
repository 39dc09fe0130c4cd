// Package market is the vocabulary every other twoway package speaks: the two
// sides of a recruiting market, the profiles on each side, the actions people
// take on each other, and the events that record them.
//
// It depends on the standard library only.
//
// # Sides
//
// A market has two sides, [Seeker] (a job seeker, or a résumé) and
// [Recruiter] (a recruiter, or a job posting). Every [Event] goes from a
// participant on one side to a participant on the other.
//
// # Identifiers
//
// Hosts name participants with string IDs. Inside the library every
// participant also has a dense uint32 index, handed out by a [Dict]; bitmaps,
// collaborative-filtering matrices and feature vectors are indexed by it.
// String IDs exist only at the edges.
//
// # Validation
//
// [Profile.Validate] and [Event.Validate] check a record before it is stored.
// A failure is a *[FieldError] that names the record, the field and the
// reason; errors.Is matches the reason against the sentinels of this package
// ([ErrEmptyID], [ErrInvalidUTF8], …).
//
// # Raw postings
//
// Real postings write salary, experience, education and location in many
// ways ("15k-30k", "20-40K·16薪", "面议", "3-5年", "经验不限", "本科",
// "南京·雨花台区·南京南站"). The Parse functions turn those raw fields into
// the typed values of a [Profile] and return a *[ParseError] for what cannot
// be read:
//
//	ParseSalary       "20-40K·16薪" → Salary{Min: 20000, Max: 40000, Months: 16}; "面议" → Negotiable
//	ParseExperience   "3-5年" → Range{3, 5}; "10年以上" → Range{Min: 10}; "经验不限" → Range{}
//	ParseEducation    "本科及以上" → EducationBachelor
//	ParseLocation     "南京·雨花台区·南京南站" → Location{南京, 雨花台区, 南京南站}
//	ParseCompanyInfo  "互联网,已上市,10000人以上" → industry, stage, Headcount
//
// FormatSalary, FormatExperience and Location.String write the canonical
// forms that the parsers read back to the same value, for the values the
// parsers accept: monthly pay up to 10 million yuan, Months 12 to 24,
// experience up to 60 years, location parts without its separators
// ("·", "-", "/"; "Wilkes-Barre" reads back as two parts). Profile.Validate
// accepts more (MaxSalary, MaxExperience, any Months ≥ 0: room for a
// host's sentinels), and such a value formats to text the parsers refuse.
//
// # Posting files
//
// [ReadPostings] reads a whole file of crawled postings in one of the
// [PostingFormat]s of the real data (lagou 2017/2019, boss 2019/2024,
// zhaopin 2020) into recruiter-side profiles, and returns a [PostingReport]:
// rows read, parsed, rejected by [RejectReason], duplicates. A bad row is
// counted, never fatal. [LoadPostingFile] picks the format from the file
// name ([PostingFormatOf]); [LoadPostingDir] reads a directory of them with
// one [PostingDedup], so that a posting crawled twice ([DuplicateKey]: same
// company, normalised title, city and salary) is returned once.
//
//	ps, reports, err := market.LoadPostingDir("../shared/data/jobs-zh")
package market
