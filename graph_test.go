package twoway

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/twowayrec/twoway"

// allowed is the direction of data of docs/architecture.md: for each package
// of the module, the other packages of the module it may import. Anything
// not listed here may not be imported.
var allowed = map[string][]string{
	"market":   {},
	"sparse":   {},
	"activity": {"market"},
	"text":     {"market", "sparse"},
	"rank":     {"market", "sparse"},
	"recall":   {"market", "sparse", "text"},
	// recalltest is recall's conformance kit (like testing/fstest).
	"recall/recalltest": {"market", "recall"},
	"match":             {"market", "sparse", "text", "rank"},
	"urgency":           {"market", "sparse", "rank", "activity"},
	"exposure":          {"market", "sparse", "rank", "activity"},
	"fusion":            {"market", "sparse", "rank", "activity", "text", "recall", "match", "urgency", "exposure"},
	"insight":           {"market", "sparse", "text", "rank"},
	"factor":            {"market", "sparse", "rank"},
	"allocate":          {"market", "sparse", "rank"},
}

// anywhere lists the module's internal leaf packages (standard library
// only, no domain) that every package may import: the byte encoding of the
// binary formats, and the chunked parallel loop of the fits.
var anywhere = []string{"internal/binio", "internal/parallel"}

// external lists third-party import-path prefixes and the only packages that
// may import them; market and sparse import nothing but the standard library.
var external = map[string][]string{
	"github.com/go-ego/gse":      {"text"},
	"github.com/blevesearch/":    {"text", "recall"},
	"github.com/kelindar/bitmap": {"recall", "exposure", "fusion", ""},
	"gonum.org/v1/gonum":         {"rank", "match", "urgency", "exposure", "fusion", "insight", "recall", "text", "factor", "allocate", ""},
	"github.com/redis/go-redis/": {},
	"gonum.org/v1/plot":          {},
	"golang.org/x/sys/cpu":       {"recall"}, // the vector kernel's AVX2/FMA detection
}

type listed struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

func TestImportGraph(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	require.NoError(t, err, "go list")
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if strings.HasPrefix(rel, "examples/") || strings.HasPrefix(rel, "internal/") || strings.HasPrefix(rel, "cmd/") {
			continue
		}
		seen++
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module+"/") {
				dep := strings.TrimPrefix(imp, module+"/")
				if rel == "" || slices.Contains(anywhere, dep) {
					continue // the root Engine wires everything; leaves are shared
				}
				may, known := allowed[rel]
				require.Truef(t, known, "package %q is not in the architecture's import table; add it to docs/architecture.md and to allowed", rel)
				require.Truef(t, slices.Contains(may, dep), "%s imports %s, against the direction of data in docs/architecture.md", rel, dep)
				continue
			}
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // standard library
			}
			ok := false
			for prefix, who := range external {
				if strings.HasPrefix(imp, prefix) {
					ok = slices.Contains(who, rel)
				}
			}
			require.Truef(t, ok, "%q imports %s, which the architecture does not allow there", rel, imp)
		}
	}
	require.Greater(t, seen, 5, "go list found too few packages")
}
