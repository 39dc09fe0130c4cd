package congested

import (
	"fmt"
	"math"
	"strings"

	"github.com/twowayrec/twoway/allocate"
)

// Config says which markets to run. Zero fields take the protocol's values.
type Config struct {
	// Sizes are (seekers, jobs). Zero: 100×100 and 200×100.
	Sizes [][2]int
	// Lambdas are the popularity weights λ. Zero: 0, 0.5, 0.8.
	Lambdas []float64
	// Seeds of the markets. Zero: 1 … 5 (the defaults of package allocate
	// were chosen on seeds 101 … 105, see [Tuning]).
	Seeds []uint64
	// Library configures package allocate. Zero: its defaults.
	Library allocate.Config
}

func (c Config) withDefaults() Config {
	if len(c.Sizes) == 0 {
		c.Sizes = [][2]int{{100, 100}, {200, 100}}
	}
	if len(c.Lambdas) == 0 {
		c.Lambdas = []float64{0, 0.5, 0.8}
	}
	if len(c.Seeds) == 0 {
		c.Seeds = []uint64{1, 2, 3, 4, 5}
	}
	return c
}

// Row is one market setting: expected matches per method and seed.
type Row struct {
	Seekers, Jobs int
	Lambda        float64
	// Matches[k][s] is method k's expected matches on seed s.
	Matches [][]float64
}

// Result is a run: the methods, in column order, and a row per setting.
type Result struct {
	Config  Config
	Methods []string
	Rows    []Row
}

// Run evaluates methods on every market of cfg, in order (size, λ, seed),
// every method on the same market.
func Run(cfg Config, methods []Method) (*Result, error) {
	cfg = cfg.withDefaults()
	res := &Result{Config: cfg}
	for _, m := range methods {
		res.Methods = append(res.Methods, m.Name)
	}
	for _, size := range cfg.Sizes {
		for _, lambda := range cfg.Lambdas {
			row := Row{Seekers: size[0], Jobs: size[1], Lambda: lambda, Matches: make([][]float64, len(methods))}
			for _, seed := range cfg.Seeds {
				mk := Generate(size[0], size[1], lambda, seed)
				for k, m := range methods {
					e, err := m.Policy(mk)
					if err != nil {
						return nil, fmt.Errorf("congested: %s on %d×%d λ=%v seed %d: %w", m.Name, size[0], size[1], lambda, seed, err)
					}
					row.Matches[k] = append(row.Matches[k], mk.ExpectedMatches(e))
				}
			}
			res.Rows = append(res.Rows, row)
		}
	}
	return res, nil
}

// Contenders are the methods of the main table: one-way, product, the
// paper's TU and the library with cfg.
func Contenders(cfg allocate.Config) []Method {
	return []Method{OneWay(), Product(), PaperTU(), Library("library (allocate)", cfg)}
}

// Main runs the main table: [Contenders] on every market of cfg.
func Main(cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	return Run(cfg, Contenders(cfg.Library))
}

// Mean returns the mean over seeds of method k in row r.
func (r *Result) Mean(row, k int) float64 { return mean(r.Rows[row].Matches[k]) }

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func sd(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	m := mean(v)
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(v)-1))
}

// Markdown renders the result: expected matches, mean ± sd over the seeds,
// per method; when ratioOf ≥ 0, also the ratio of method ratioOf's mean to
// each of the methods in ratioTo, and in how many seeds it is at least as
// high as each of them.
func (r *Result) Markdown(ratioOf int, ratioTo ...int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Expected matches (simulated: congested markets of Tomita et al. 2023, examination 1/rank), mean ± sd over seeds %v.\n\n", r.Config.Seeds)
	b.WriteString("| market | λ |")
	for _, m := range r.Methods {
		fmt.Fprintf(&b, " %s |", m)
	}
	for _, k := range ratioTo {
		if ratioOf >= 0 {
			fmt.Fprintf(&b, " %s / %s |", short(r.Methods[ratioOf]), short(r.Methods[k]))
		}
	}
	b.WriteString("\n|---|---|")
	for range r.Methods {
		b.WriteString("---:|")
	}
	for range ratioTo {
		if ratioOf >= 0 {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for ri, row := range r.Rows {
		fmt.Fprintf(&b, "| %d×%d | %g |", row.Seekers, row.Jobs, row.Lambda)
		for k := range r.Methods {
			fmt.Fprintf(&b, " %.2f ± %.2f |", mean(row.Matches[k]), sd(row.Matches[k]))
		}
		if ratioOf >= 0 {
			for _, k := range ratioTo {
				wins := 0
				for s := range row.Matches[k] {
					if row.Matches[ratioOf][s] >= row.Matches[k][s] {
						wins++
					}
				}
				fmt.Fprintf(&b, " %.3f (≥ in %d/%d) |", r.Mean(ri, ratioOf)/r.Mean(ri, k), wins, len(row.Matches[k]))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// short is a method's name up to its first space.
func short(name string) string {
	if i := strings.IndexByte(name, ' '); i > 0 {
		return name[:i]
	}
	return name
}

// MainMarkdown is the main table: [Main] with the library's ratios to the
// paper's TU and to the product ranking.
func MainMarkdown(cfg Config) (string, error) {
	r, err := Main(cfg)
	if err != nil {
		return "", err
	}
	return r.Markdown(3, 2, 1), nil
}

// ValidationSeeds are the seeds the library's defaults were chosen on,
// never those of the main table.
var ValidationSeeds = []uint64{101, 102, 103, 104, 105}

// Tuning runs the library with each surplus and each Beta on the
// validation seeds (the measurement behind allocate's defaults).
func Tuning(cfg Config, betas []float64) (*Result, error) {
	cfg.Seeds = ValidationSeeds
	var methods []Method
	for _, s := range []allocate.Surplus{allocate.Product, allocate.Sum} {
		for _, b := range betas {
			c := cfg.Library
			c.Surplus, c.Beta = s, b
			methods = append(methods, Library(fmt.Sprintf("%v β=%g", s, b), c))
		}
	}
	return Run(cfg, methods)
}

// Formulations compares, on the validation seeds, the library's TU
// matching with the other formulations considered: the social-welfare
// optimum of Su et al. (Frank–Wolfe over stochastic rankings, 100 steps of
// 0.1 as the authors' code), the entropic optimal-transport allocation
// (Sinkhorn, at the library's relative temperature), and the paper's TU.
func Formulations(cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	cfg.Seeds = ValidationSeeds
	beta := cfg.Library.Beta
	if beta == 0 {
		beta = allocate.DefaultBeta
	}
	return Run(cfg, []Method{
		PaperTU(),
		Library("library (allocate)", cfg.Library),
		Sinkhorn(beta, 3000),
		SocialWelfare(100, 0.1),
	})
}
