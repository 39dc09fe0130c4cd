package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// root is the repository's root, from this package's directory.
const root = "../.."

// quickstartOutput is run's output, computed once for the tests of this
// package.
var quickstartOutput = sync.OnceValues(func() (string, error) {
	var b bytes.Buffer
	err := run(&b)
	return b.String(), err
})

// readmeCommands returns the commands of a README: every line of its sh
// blocks (without a trailing # comment), the lines of its plain code
// blocks that start with go or cd (the others are output), and every code
// span outside code blocks that starts
// like a command (go run, go test -run, cd) or continues a table's go test
// command with a -bench flag; each with the line it is on. Code spans that
// only name a tool in prose (`go vet`, `go test -race ./...`) are not
// commands.
func readmeCommands(t *testing.T, path string) (cmds, lines []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	span := regexp.MustCompile("`([^`]+)`")
	block := "" // the info string of the open code block, "plain" for none; "" outside
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "```") && block == "":
			block = strings.TrimPrefix(line, "```")
			if block == "" {
				block = "plain"
			}
		case strings.HasPrefix(line, "```"):
			block = ""
		case block == "sh" || block == "plain" && (strings.HasPrefix(line, "go ") || strings.HasPrefix(line, "cd ")):
			cmd, _, _ := strings.Cut(line, "#")
			if cmd = strings.TrimSpace(cmd); cmd != "" {
				cmds, lines = append(cmds, cmd), append(lines, line)
			}
		case block != "":
		default:
			for _, m := range span.FindAllStringSubmatch(line, -1) {
				c := m[1]
				if strings.HasPrefix(c, "go run ") || strings.HasPrefix(c, "go test -run ") || strings.HasPrefix(c, "cd ") || strings.HasPrefix(c, "-bench ") {
					cmds, lines = append(cmds, c), append(lines, line)
				}
			}
		}
	}
	return cmds, lines
}

// shellFields splits a command line as sh does for the quoting READMEs
// use: words separated by spaces, '…' and "…" kept whole without quotes.
func shellFields(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case '\'', '"':
			end := strings.IndexByte(s[i+1:], c)
			require.GreaterOrEqual(t, end, 0, "unclosed quote in %q", s)
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// TestReadme checks every command of the repository's README.md and the
// Go version it states:
//
//   - go run ./examples/quickstart runs (in process) and prints what the
//     README shows;
//   - go run ./examples/postings runs as a process and prints its report;
//   - go test ./... names the packages of the module (go list; running
//     the suite from inside itself would recurse, CI runs it);
//   - cd examples/server && go run . names a main package (the server
//     needs Redis; its own README test runs it);
//   - cd examples/recallbench && go run … is the command of that example's
//     README, which its TestReadmeCommands runs;
//   - cd benchmarks && go run ./cmd/report … passes flags the report
//     defines, with values of their types (not run: the full report takes
//     minutes);
//   - the go test -bench commands and flags of the Speed table name
//     benchmarks that exist, with valid go test flags.
func TestReadme(t *testing.T) {
	readme := filepath.Join(root, "README.md")
	cmds, lines := readmeCommands(t, readme)
	require.NotEmpty(t, cmds)
	checked := map[string]bool{}
	for i, cmd := range cmds {
		t.Run(cmd, func(t *testing.T) {
			f := shellFields(t, cmd)
			switch {
			case cmd == "go run ./examples/quickstart":
				out, err := quickstartOutput()
				require.NoError(t, err)
				checkShown(t, readme, "Its first lines", out)
			case cmd == "go run ./examples/postings":
				out := goCommand(t, root, "run", "./examples/postings")
				assert.Contains(t, out, "rows 7, parsed 5, duplicates dropped 1")
			case cmd == "go test ./...":
				out := goCommand(t, root, "list", "./...")
				assert.Contains(t, strings.Fields(out), "github.com/twowayrec/twoway")
			case cmd == "cd examples/server && go run .":
				assert.Equal(t, "main", strings.TrimSpace(goCommand(t, filepath.Join(root, "examples/server"), "list", "-f", "{{.Name}}", ".")))
			case strings.HasPrefix(cmd, "cd examples/recallbench && go run . "):
				rcmds, _ := readmeCommands(t, filepath.Join(root, "examples/recallbench/README.md"))
				assert.Contains(t, rcmds, strings.TrimPrefix(cmd, "cd examples/recallbench && "), "the command of examples/recallbench/README.md, which its TestReadmeCommands runs")
			case strings.HasPrefix(cmd, "cd benchmarks && go run ./cmd/report"):
				checkFlags(t, filepath.Join(root, "benchmarks/cmd/report/main.go"), f[6:])
			case strings.HasPrefix(cmd, "go test -run "):
				checkBench(t, f[2:len(f)-1], f[len(f)-1])
			case strings.HasPrefix(cmd, "-bench "):
				pkg := "."
				if m := regexp.MustCompile("`(\\./[a-z]+/)`").FindStringSubmatch(lines[i]); m != nil {
					pkg = m[1]
				}
				checkBench(t, f, pkg)
			default:
				t.Fatalf("README.md command %q: this test does not know how to check it", cmd)
			}
			checked[cmd] = true
		})
	}
	for _, want := range []string{"go run ./examples/quickstart", "go test ./...", "go run ./examples/postings"} {
		assert.True(t, checked[want], "README.md still has %q", want)
	}
}

// The benchmarks README's commands pass flags the report defines.
func TestBenchmarksReadme(t *testing.T) {
	cmds, _ := readmeCommands(t, filepath.Join(root, "benchmarks/README.md"))
	n := 0
	for _, cmd := range cmds {
		switch f := shellFields(t, cmd); {
		case len(f) > 2 && f[0] == "go" && f[1] == "run" && f[2] == "./cmd/report":
			checkFlags(t, filepath.Join(root, "benchmarks/cmd/report/main.go"), f[3:])
			n++
		case cmd == "cd benchmarks":
			assert.DirExists(t, filepath.Join(root, "benchmarks"))
		}
	}
	assert.NotZero(t, n, "benchmarks/README.md shows how to run the report")
}

// Every go.mod of the repository states one Go version, the one README.md
// names.
func TestGoVersion(t *testing.T) {
	out := goCommand(t, root, "list", "-m", "-f", "{{.GoVersion}}")
	want := strings.TrimSpace(out)
	require.Regexp(t, `^1\.\d+\.\d+$`, want)
	var mods []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.Name() == "go.mod" {
			mods = append(mods, p)
		}
		return nil
	}))
	require.GreaterOrEqual(t, len(mods), 4, "root, benchmarks, examples/recallbench, examples/server")
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`)
	for _, p := range mods {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		m := goLine.FindSubmatch(b)
		require.NotNil(t, m, p)
		assert.Equal(t, want, string(m[1]), "%s states go %s", p, m[1])
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	minor := want[:strings.LastIndexByte(want, '.')]
	assert.Contains(t, string(readme), "Go "+minor+" or later")
	for _, old := range regexp.MustCompile(`Go 1\.\d+ or later`).FindAllString(string(readme), -1) {
		assert.Equal(t, "Go "+minor+" or later", old)
	}
}

// checkShown checks the README's first code block after the words after
// against out: its first part is out's beginning, and each further part
// (after a line "…") appears in out after the previous one.
func checkShown(t *testing.T, readme, after, out string) {
	t.Helper()
	b, err := os.ReadFile(readme)
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, after)
	require.GreaterOrEqual(t, i, 0, "%s does not say %q", readme, after)
	s = s[i:]
	start := strings.Index(s, "\n```\n")
	require.GreaterOrEqual(t, start, 0)
	s = s[start+5:]
	block := s[:strings.Index(s, "```\n")]
	parts := strings.Split(block, "…\n")
	assert.True(t, strings.HasPrefix(out, parts[0]), "README.md shows the output's first lines:\n%s\noutput:\n%s", parts[0], out)
	rest := out[len(parts[0]):]
	for _, p := range parts[1:] {
		k := strings.Index(rest, p)
		if !assert.GreaterOrEqual(t, k, 0, "README.md shows lines the output does not have, in this order:\n%s\noutput:\n%s", p, out) {
			return
		}
		rest = rest[k+len(p):]
	}
}

// goCommand runs the go command in dir and returns its output.
func goCommand(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go %s in %s: %s", strings.Join(args, " "), dir, stderr.String())
	return string(out)
}

// checkFlags checks args against the flags that the program in main.go
// defines with package flag (flag.String, flag.IntVar, …): every flag is
// defined, and every value has the flag's type.
func checkFlags(t *testing.T, mainGo string, args []string) {
	t.Helper()
	defined := definedFlags(t, mainGo)
	require.NotEmpty(t, defined, mainGo)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			t.Errorf("%q: a positional argument; %s takes flags only", a, mainGo)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		kind, ok := defined[name]
		if !assert.True(t, ok, "flag -%s is not defined in %s", name, mainGo) {
			continue
		}
		if kind == "Bool" {
			if hasValue {
				_, err := strconv.ParseBool(value)
				assert.NoError(t, err, a)
			}
			continue
		}
		if !hasValue {
			require.Less(t, i+1, len(args), "flag -%s needs a value", name)
			i++
			value = args[i]
		}
		var err error
		switch kind {
		case "Int":
			_, err = strconv.Atoi(value)
		case "Uint64":
			_, err = strconv.ParseUint(value, 10, 64)
		case "Float64":
			_, err = strconv.ParseFloat(value, 64)
		case "Duration":
			_, err = time.ParseDuration(value)
		}
		assert.NoError(t, err, "-%s %s", name, value)
	}
}

// definedFlags reads the flags main.go defines: name → kind (String, Int,
// Uint64, Float64, Duration, Bool, or Var for the rest).
func definedFlags(t *testing.T, mainGo string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), mainGo, nil, 0)
	require.NoError(t, err)
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		kind, isVar := strings.CutSuffix(sel.Sel.Name, "Var")
		arg := 0
		if isVar {
			arg = 1
		}
		switch kind {
		case "String", "Int", "Int64", "Uint", "Uint64", "Float64", "Duration", "Bool", "", "Text", "Func", "BoolFunc":
		default:
			return true
		}
		if len(call.Args) <= arg {
			return true
		}
		lit, ok := call.Args[arg].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		name, err := strconv.Unquote(lit.Value)
		if err != nil {
			return true
		}
		switch kind {
		case "Int64", "Uint":
			kind = "Int"
		case "BoolFunc":
			kind = "Bool"
		case "", "Text", "Func":
			kind = "Var"
		}
		out[name] = kind
		return true
	})
	return out
}

// checkBench checks go test flags for benchmarks of the package in
// directory pkg (relative to the repository's root): each flag is one go
// test knows with a valid value, and -bench matches benchmarks of pkg.
func checkBench(t *testing.T, args []string, pkg string) {
	t.Helper()
	benches := benchmarks(t, filepath.Join(root, pkg))
	sawBench := false
	for i := 0; i < len(args); i++ {
		require.Less(t, i+1, len(args), "flag %s needs a value", args[i])
		flagName, value := args[i], args[i+1]
		i++
		switch flagName {
		case "-run":
			_, err := regexp.Compile(value)
			assert.NoError(t, err)
		case "-bench":
			sawBench = true
			top, _, _ := strings.Cut(value, "/")
			re, err := regexp.Compile(top)
			require.NoError(t, err)
			assert.True(t, slices.ContainsFunc(benches, re.MatchString), "-bench %s matches no benchmark of %s (%v)", value, pkg, benches)
		case "-benchtime":
			if n, ok := strings.CutSuffix(value, "x"); ok {
				_, err := strconv.Atoi(n)
				assert.NoError(t, err, "-benchtime %s", value)
			} else {
				_, err := time.ParseDuration(value)
				assert.NoError(t, err, "-benchtime %s", value)
			}
		case "-count":
			_, err := strconv.Atoi(value)
			assert.NoError(t, err, "-count %s", value)
		case "-timeout":
			_, err := time.ParseDuration(value)
			assert.NoError(t, err, "-timeout %s", value)
		default:
			t.Errorf("go test flag %s: not one this test knows", flagName)
		}
	}
	assert.True(t, sawBench, "a -bench flag")
}

// benchmarks returns the names of the top-level benchmarks (BenchmarkX) in
// the test files of dir.
func benchmarks(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	require.NoError(t, err)
	var out []string
	for _, p := range files {
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Benchmark") {
				out = append(out, fn.Name.Name)
			}
		}
	}
	require.NotEmpty(t, out, "benchmarks in %s", dir)
	return out
}
