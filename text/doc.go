// Package text turns the words of profiles into content vectors: Chinese and
// English tokenisation (backed by gse, which no other package imports), skill
// and tag normalisation, TF-IDF/BM25 weighting, encoders for the structured
// fields of market.Profile, association-rule tag expansion, and a bleve
// analyzer that tokenises exactly like the vectors do.
//
// # Tokenisation
//
// A [Tokenizer] cuts runs of Chinese ideographs with gse's dictionary
// (shortest path, no HMM; the dictionary is loaded once per process, on
// first use, and never modified) and everything else with rules that keep
// programming terms whole: C++, C#, .NET, Node.js, Vue3, K8s, 3.5. It folds
// full-width forms and case, skips HTML tags and entities, drops list
// markers (1、 ① (3)) and punctuation, and removes Chinese and English stop
// words. [DefaultTokenizer] is shared by all callers.
//
// English needs a few more rules. Short words joined by & are one term
// (R&D, Q&A, AT&T, also as R&amp;D), never the skill R; a slash joins a
// compound the vocabulary or a short list knows (CI/CD, A/B, I/O, C/S) and
// splits everything else (Java/Python, C/C++); a possessive 's is cut
// (bachelor's → bachelor) and contractions stay whole, so that stop words
// drop them (don't, it's). Words that are both a skill and a common English
// word are skills only where the context says so: "go live", "excel at",
// "from scratch", "an idea", "the rest of", "your CV", "time windows" name
// none; "in Go", "Advanced Excel skills", "IntelliJ IDEA", "REST APIs",
// "CV models", "Python, go and Java" and any of them next to Chinese text
// do (see senseRules in context.go for the words and the order of the
// evidence). A phrase's parts are skills only when they are words of its
// term: "Spring Boot" yields spring, "Power BI" does not yield BI.
//
// # Vocabulary
//
// A [Vocabulary] maps the spellings of a skill to one canonical term
// (golang, Go语言 → go; k8s → kubernetes; SpringBoot, Spring Boot → spring
// boot; ML, machine learning → 机器学习). The tokenizer joins adjacent pieces
// the vocabulary knows into one term, so multi-word skills stay whole.
// [DefaultVocabulary] is generated from the skill labels of real postings
// (skills.tsv, by internal/cmd/genskills) plus a hand-written alias table;
// hosts extend it with [Vocabulary.Extend].
//
// The canonical term is a skill's identity: content vectors, profiles and
// matching use it, whatever the language of the text, so "machine
// learning" in an English résumé and 机器学习 in a Chinese posting are one
// skill. How a skill is shown is separate: [Vocabulary.Display] gives its
// name in a [Language] ("machine learning" in [English], 机器学习 in
// [Chinese], from [Entry.Names]), and [DetectLanguage] tells which a text
// is written in. Show a reader the Display form; store and compare the
// canonical term.
//
// # Skill extraction
//
// [Tokenizer.Skills] returns the dictionary matches of a text, including
// the known parts of compound terms (python爬虫 → python, 爬虫; 大数据分析 →
// 数据分析); [ExtractSkills] adds TF-IDF keywords for skills the vocabulary
// does not know yet, keeping only keywords that look like skills (no
// job-ad words such as applicant or required, no places, no Chinese verbs
// or adjectives, English words only when written like names: Kotlin,
// GraphQL, vue3). [SplitLabels] splits label fields ("C/C++",
// "Java,Spring") before [Vocabulary.Normalize].
//
// # Weighting and content vectors
//
// [FitWeighting] fits TF-IDF or BM25 on a corpus of term lists;
// [Weighting.Vectorize] writes a document's vector into a caller's buffer
// without allocating. [NewEncoder] fits an [Encoder] that turns a whole
// market.Profile into one sparse content vector with host-set [Weights];
// every index has a name ([Encoder.Feature]: "skill: java", "city: 北京").
// Its text block holds, beside the tokenizer's words, every pair of
// adjacent Chinese ideographs as a term of its own (数据可视化 adds 数据,
// 据可, 可视, 视化; [Bigram] tells them apart), so that two texts the
// segmenter cuts differently, or that use words its dictionary lacks,
// still meet; [EncoderConfig].NoHanBigrams leaves them out.
//
// # Association rules
//
// [MineRules] mines rules A ⇒ B (Apriori; support, confidence and lift
// thresholds in [RuleConfig]) from the co-occurrence of tags and skills,
// and [Rules.Expand] adds a profile's implied tags weighted by confidence.
//
// # Search
//
// [RegisterBleve] registers [BleveAnalyzer] ("twoway/text", precise mode:
// the same terms as the content vectors) and [BleveSearchAnalyzer]
// ("twoway/text-search", gse search mode plus compound parts) in bleve's
// global registry, once per process; [NewBleveAnalyzer] wraps any
// Tokenizer for a host's own registration.
//
// # Concurrency
//
// Tokenizers, vocabularies, weightings, encoders and rule sets are
// immutable once built and safe for concurrent use. gse's dictionary and
// the default vocabulary and tokenizer are built once per process, on
// first use, and never modified; nothing here writes gse's package-global
// state (its HMM model is never loaded).
package text
