// Package cmd_test holds the module's dependency rule as a test, in the
// style of Go's own go/build/deps_test.go: one table says what each
// package of the module may import, TestDependencies fails naming every
// import the table does not allow, and docs/architecture.md prints the
// table (TestArchitectureDoc keeps the two the same). It lives in cmd, at
// the top of the stack, because a test there may look at every package
// without any package importing it.
package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// module is the module's path; the table names its packages relative to it.
const module = "github.com/eventbus/eventbus"

// rule says what one package's non-test files may import, besides the
// standard library, which every package may import.
type rule struct {
	pkg    string   // the package, relative to the module: "bus", "cmd/busbench"
	ours   []string // packages of the module it may import, relative to the module
	others []string // packages of other modules it may import; "path/..." allows path and every package below it
}

// rules is the dependency rule. The module is a linear stack,
//
//	bus ← affinity ← probe ← verify, stress ← cmd
//
// with bus/scenario and bus/metrics beside affinity on top of bus;
// verify and stress never import each other, and nothing imports cmd. An
// allowed import need not be used. A new package needs a row; a new edge needs its row changed, on
// purpose, in review.
var rules = []rule{
	{pkg: "bus", others: []string{"golang.org/x/sys/cpu"}},
	{pkg: "bus/scenario", ours: []string{"bus"}},
	{pkg: "bus/metrics", ours: []string{"bus"}, others: []string{"github.com/prometheus/client_golang/..."}},
	{pkg: "affinity", ours: []string{"bus"},
		others: []string{"golang.org/x/sys/unix", "github.com/klauspost/cpuid/v2", "github.com/prometheus/procfs"}},
	{pkg: "probe", ours: []string{"bus", "affinity"},
		others: []string{"golang.org/x/sys/unix", "github.com/klauspost/cpuid/v2", "github.com/prometheus/procfs"}},
	{pkg: "verify", ours: []string{"bus", "affinity", "probe"},
		others: []string{"github.com/anishathalye/porcupine"}},
	{pkg: "stress", ours: []string{"bus", "affinity", "probe"},
		others: []string{"go.uber.org/goleak"}},
	{pkg: "cmd"}, // this test: test files only
	{pkg: "cmd/busbench", ours: stack,
		others: []string{"github.com/HdrHistogram/hdrhistogram-go", "github.com/schollz/progressbar/v3", "gonum.org/v1/plot/...",
			"github.com/prometheus/client_golang/...", "github.com/prometheus/client_model/go"}},
	{pkg: "cmd/busprobe", ours: stack, others: []string{"github.com/schollz/progressbar/v3"}},
	{pkg: "cmd/busstress", ours: stack, others: []string{"github.com/schollz/progressbar/v3", "github.com/prometheus/client_golang/..."}},
	{pkg: "cmd/busverify", ours: stack},
	{pkg: "cmd/busverify/internal/alignvet", others: []string{"golang.org/x/tools/go/analysis/..."}},
}

// stack is what a command may import of the module: every package below cmd.
var stack = []string{"bus", "bus/scenario", "bus/metrics", "affinity", "probe", "verify", "stress"}

// pkg is one package of the module as go list saw it.
type pkg struct {
	path    string   // relative to the module
	imports []string // full import paths of its non-test files
}

// check returns a line for every import of pkgs that rules does not allow,
// naming the edge, and for every package of pkgs that has no rule. std
// reports whether an import path is in the standard library.
func check(rules []rule, pkgs []pkg, std func(path string) bool) []string {
	byPkg := map[string]rule{}
	for _, r := range rules {
		byPkg[r.pkg] = r
	}
	var bad []string
	for _, p := range pkgs {
		r, ok := byPkg[p.path]
		if !ok {
			bad = append(bad, fmt.Sprintf("package %s has no row in the table: add one saying what it may import", p.path))
			continue
		}
		for _, imp := range p.imports {
			switch {
			case std(imp):
			case imp == module || strings.HasPrefix(imp, module+"/"):
				if ours := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/"); !slices.Contains(r.ours, ours) {
					bad = append(bad, fmt.Sprintf("%s imports %s, which the table does not allow; %s may import %s", p.path, ours, p.path, r.allowed()))
				}
			case !slices.ContainsFunc(r.others, func(o string) bool { return matches(o, imp) }):
				bad = append(bad, fmt.Sprintf("%s imports %s, which the table does not allow; %s may import %s", p.path, imp, p.path, r.allowed()))
			}
		}
	}
	return bad
}

// matches reports whether import path imp is what pattern allows: the
// package itself, or with a trailing "/..." any package at or below it.
func matches(pattern, imp string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return imp == base || strings.HasPrefix(imp, base+"/")
	}
	return imp == pattern
}

// allowed says in words what r allows.
func (r rule) allowed() string {
	return strings.Join(append(append([]string{"the standard library"}, r.ours...), r.others...), ", ")
}

// builds are the configurations whose imports are checked: build tags and
// files per system change what a package imports.
var builds = []struct{ goos, tags string }{
	{"linux", ""},
	{"linux", "busfault"},
	{"darwin", ""},
	{"windows", ""},
}

// TestDependencies checks every import of every package of the module, in
// each of builds, against rules.
func TestDependencies(t *testing.T) {
	root := moduleRoot(t)
	var (
		mu   sync.Mutex
		bad  = map[string]bool{}
		errs []error
		wg   sync.WaitGroup
	)
	for _, b := range builds {
		wg.Go(func() {
			pkgs, std, err := list(t, root, b.goos, b.tags)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			for _, line := range check(rules, pkgs, std) {
				bad[line] = true
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, line := range slices.Sorted(maps.Keys(bad)) {
		t.Error(line)
	}
}

// moduleRoot returns the directory of the go.mod that holds this test.
func moduleRoot(t *testing.T) string {
	out, err := goCmd(t, ".", nil, "env", "GOMOD")
	if err != nil {
		t.Fatal(err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD = %q: the test is not running inside the module", gomod)
	}
	return filepath.Dir(gomod)
}

// list returns the module's packages with their non-test imports, and
// which import paths are in the standard library, as go list sees them
// for goos with tags.
func list(t *testing.T, root, goos, tags string) ([]pkg, func(string) bool, error) {
	out, err := goCmd(t, root, []string{"GOOS=" + goos}, "list", "-e", "-deps", "-tags="+tags,
		"-json=ImportPath,Standard,Imports,Module,Error", "./...")
	if err != nil {
		return nil, nil, err
	}
	std := map[string]bool{}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Standard   bool
			Imports    []string
			Module     *struct{ Path string }
			Error      *struct{ Err string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("GOOS=%s go list: %v", goos, err)
		}
		switch {
		case p.Standard:
			std[p.ImportPath] = true
		case p.Module != nil && p.Module.Path == module:
			// A package of test files only (this one), or of files for
			// other systems only, imports nothing here; any other error is
			// the test's.
			if p.Error != nil && !strings.Contains(p.Error.Err, "no non-test Go files") &&
				!strings.Contains(p.Error.Err, "build constraints exclude all Go files") {
				return nil, nil, fmt.Errorf("GOOS=%s go list: %s: %s", goos, p.ImportPath, p.Error.Err)
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
			pkgs = append(pkgs, pkg{path: rel, imports: p.Imports})
		}
	}
	if len(pkgs) == 0 {
		return nil, nil, fmt.Errorf("GOOS=%s go list found no packages of %s in %s", goos, module, root)
	}
	return pkgs, func(path string) bool { return std[path] }, nil
}

// goCmd runs the go command in dir with env added to this process's.
func goCmd(t *testing.T, dir string, env []string, args ...string) ([]byte, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to list the packages with: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", strings.Join(env, " "), strings.Join(cmd.Args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// TestCheck runs check on made-up import graphs: the bottom of the stack
// importing a module dependency, and the stack importing upward, must
// fail naming the edge; the stack as the table draws it must pass.
func TestCheck(t *testing.T) {
	std := func(path string) bool { return !strings.Contains(strings.Split(path, "/")[0], ".") }
	ours := func(rel string) string { return module + "/" + rel }
	good := []pkg{
		{"bus", []string{"sync/atomic", "golang.org/x/sys/cpu"}},
		{"bus/scenario", []string{"fmt", ours("bus")}},
		{"affinity", []string{ours("bus"), "golang.org/x/sys/unix"}},
		{"probe", []string{ours("bus"), ours("affinity"), "github.com/prometheus/procfs"}},
		{"verify", []string{ours("bus"), ours("probe"), "github.com/anishathalye/porcupine"}},
		{"stress", []string{ours("bus"), "go.uber.org/goleak"}},
		{"cmd/busbench", []string{ours("bus/scenario"), "gonum.org/v1/plot/plotter"}},
	}
	if bad := check(rules, good, std); len(bad) != 0 {
		t.Errorf("the stack as the table draws it failed:\n%s", strings.Join(bad, "\n"))
	}
	for _, c := range []struct {
		name string
		pkgs []pkg
		want []string // the lines check must return, in order
	}{
		{"bus imports a module dependency",
			[]pkg{{"bus", []string{"os", "github.com/prometheus/procfs"}}},
			[]string{"bus imports github.com/prometheus/procfs, which the table does not allow; bus may import the standard library, golang.org/x/sys/cpu"}},
		{"probe imports upward",
			[]pkg{{"probe", []string{ours("bus"), ours("verify")}}},
			[]string{"probe imports verify, which the table does not allow; probe may import the standard library, bus, affinity, golang.org/x/sys/unix, github.com/klauspost/cpuid/v2, github.com/prometheus/procfs"}},
		{"stress imports verify, and verify a command",
			[]pkg{{"stress", []string{ours("verify")}}, {"verify", []string{ours("cmd/busverify")}}},
			[]string{
				"stress imports verify, which the table does not allow; stress may import the standard library, bus, affinity, probe, go.uber.org/goleak",
				"verify imports cmd/busverify, which the table does not allow; verify may import the standard library, bus, affinity, probe, github.com/anishathalye/porcupine",
			}},
		{"a pattern allows only what is below it",
			[]pkg{{"cmd/busbench", []string{"gonum.org/v1/plotter"}}},
			[]string{"cmd/busbench imports gonum.org/v1/plotter, which the table does not allow; cmd/busbench may import the standard library, bus, bus/scenario, bus/metrics, affinity, probe, verify, stress, github.com/HdrHistogram/hdrhistogram-go, github.com/schollz/progressbar/v3, gonum.org/v1/plot/..., github.com/prometheus/client_golang/..., github.com/prometheus/client_model/go"}},
		{"a package without a row",
			[]pkg{{"bus/internal/ring", []string{"sync"}}},
			[]string{"package bus/internal/ring has no row in the table: add one saying what it may import"}},
	} {
		if got := check(rules, c.pkgs, std); !slices.Equal(got, c.want) {
			t.Errorf("%s: check returned\n\t%s\nwant\n\t%s", c.name, strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
		}
	}
}

// TestTableIsLayered: the table's edges within the module go one way (no
// package may import, through any chain, a package that may import it),
// nothing may import a command, and every package it allows has a row.
func TestTableIsLayered(t *testing.T) {
	may := map[string][]string{}
	for _, r := range rules {
		if _, dup := may[r.pkg]; dup {
			t.Errorf("two rows for %s", r.pkg)
		}
		may[r.pkg] = r.ours
	}
	for _, r := range rules {
		for _, o := range r.ours {
			if _, ok := may[o]; !ok {
				t.Errorf("%s may import %s, which has no row", r.pkg, o)
			}
			if o == "cmd" || strings.HasPrefix(o, "cmd/") {
				t.Errorf("%s may import %s: nothing imports a command", r.pkg, o)
			}
		}
		// Walk everything r.pkg may reach; reaching r.pkg again is a cycle.
		seen := map[string]bool{}
		next := slices.Clone(r.ours)
		for len(next) > 0 {
			p := next[0]
			next = next[1:]
			if p == r.pkg {
				t.Errorf("%s may import itself through the packages it may import", r.pkg)
				break
			}
			if !seen[p] {
				seen[p] = true
				next = append(next, may[p]...)
			}
		}
	}
}

var update = flag.Bool("update", false, "rewrite the table in docs/architecture.md from rules")

// The table in docs/architecture.md lies between these lines.
const (
	docBegin = "<!-- begin deps table: written by cmd/deps_test.go from its rules; go test ./cmd -run ArchitectureDoc -update -->\n"
	docEnd   = "<!-- end deps table -->\n"
)

// docTable renders rules as the Markdown table of docs/architecture.md.
func docTable() string {
	var b strings.Builder
	b.WriteString("| package | may import of the module | may import from other modules |\n|---|---|---|\n")
	code := func(ps []string) string {
		if len(ps) == 0 {
			return "nothing"
		}
		return "`" + strings.Join(ps, "`, `") + "`"
	}
	for _, r := range rules {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.pkg, code(r.ours), code(r.others))
	}
	return b.String()
}

// TestArchitectureDoc checks that docs/architecture.md prints rules as
// they are; with -update it rewrites the table there.
func TestArchitectureDoc(t *testing.T) {
	file := filepath.Join(moduleRoot(t), "docs", "architecture.md")
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(doc), docBegin)
	old, after, ok2 := strings.Cut(rest, docEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s has no table between the lines\n%s%s", file, docBegin, docEnd)
	}
	want := docTable()
	if old == want {
		return
	}
	if !*update {
		t.Fatalf("the table in %s is not the rules of cmd/deps_test.go; run go test ./cmd -run ArchitectureDoc -update\nwant:\n%s", file, want)
	}
	if err := os.WriteFile(file, []byte(before+docBegin+want+docEnd+after), 0o644); err != nil {
		t.Fatal(err)
	}
}

// busBanned are standard-library packages that bus must not depend on,
// even indirectly: the foundation does no I/O and reads no files (fmt
// brings os), so that a program that imports only the bus links none of
// it, and the profile file format stays in affinity.
var busBanned = []string{"os", "encoding/json", "fmt", "net", "io/fs"}

// banned returns the packages of deps that are in ban.
func banned(deps, ban []string) []string {
	var out []string
	for _, d := range deps {
		if slices.Contains(ban, d) {
			out = append(out, d)
		}
	}
	return out
}

// TestBusDependsOnNoIO lists everything bus depends on, directly or not,
// in each of builds, and fails naming any package of busBanned.
func TestBusDependsOnNoIO(t *testing.T) {
	root := moduleRoot(t)
	if got := banned([]string{"sync", "os", "fmt"}, busBanned); !slices.Equal(got, []string{"os", "fmt"}) {
		t.Fatalf("banned found %v in a list holding os and fmt", got)
	}
	for _, b := range builds {
		out, err := goCmd(t, root, []string{"GOOS=" + b.goos}, "list", "-deps", "-tags="+b.tags, "./bus")
		if err != nil {
			t.Fatal(err)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, module+"/bus") {
			t.Fatalf("GOOS=%s go list -deps ./bus did not list bus itself: %v", b.goos, deps)
		}
		for _, d := range banned(deps, busBanned) {
			t.Errorf("GOOS=%s tags=%q: bus depends on %s (go list -deps ./bus)", b.goos, b.tags, d)
		}
	}
}
