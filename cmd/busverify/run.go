package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/eventbus/eventbus/affinity"
)

type config struct {
	arches   []target
	short    bool
	faults   bool
	race     bool
	align    bool
	runs     int
	emuRuns  int
	html     string
	profile  string // absolute path for the native rows, or ""
	timeout  time.Duration
	jobs     int
	verbose  bool
	stderr   io.Writer
	root     string
	buildDir string
}

// row is one line of the table.
type row struct {
	arch, how      string
	passed, total  int
	caught, faults int // planted bugs caught (every GOMAXPROCS at >= 95%) of those planted
	runsCaught     int
	runs           int
	took           time.Duration
	skipped        string
	problems       []string
	skips          []string // top-level tests that skipped themselves, with their reasons
	htmls          []string
}

func (r *row) failed() bool {
	return r.skipped == "" && (len(r.problems) > 0 || r.passed < r.total || r.caught < r.faults)
}

// run is busverify with its arguments; Ctrl-C (SIGINT) ends a long run
// early, which then prints what ran.
func run(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// After the first Ctrl-C a second one kills the process as usual.
	context.AfterFunc(ctx, stop)
	return runContext(ctx, args, stdout, stderr)
}

func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("busverify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var names []string
	for _, t := range targets {
		names = append(names, t.name)
	}
	arch := fs.String("arch", strings.Join(names, ","), "comma-separated architectures to run")
	short := fs.Bool("short", false, "smaller histories and fewer detection runs")
	faults := fs.Bool("faults", true, "run the planted-bug detection test (-tags busfault)")
	race := fs.Bool("race", true, "add the race detector rows where it works")
	align := fs.Bool("align", true, "run the atomicalign analyzer for 386 and arm")
	runs := fs.Int("runs", 20, "detection runs per planted bug and GOMAXPROCS, native")
	emuRuns := fs.Int("emu-runs", 4, "detection runs per planted bug and GOMAXPROCS, under emulation")
	html := fs.String("html", "", "write the Porcupine visualisation of a violation to this file (one per architecture and history)")
	timeout := fs.Duration("timeout", 10*time.Minute, "limit for each test binary run")
	jobs := fs.Int("j", 2, "architectures run at once")
	verbose := fs.Bool("v", false, "print each step and the test output of failures")
	duration := fs.Duration("duration", 0, "instead of the table, verify streaming histories in this process for this long (e.g. 1h)")
	profile := fs.String("profile", "", "run every history with this profile's layout and affinity plan (busprobe -o); in the table, on the native rows of this architecture")
	seed := fs.Uint64("seed", 0, "with -duration: the seed the histories' configurations are drawn from (0: from the clock)")
	every := fs.Duration("progress", 5*time.Second, "with -duration: how often to print progress on stderr")
	asJSON := fs.Bool("json", false, "with -duration: print the final report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var prof *affinity.Profile
	if *profile != "" {
		p, err := affinity.LoadProfile(*profile)
		if err != nil {
			return fmt.Errorf("-profile: %w", err)
		}
		prof = p
	}
	switch {
	case *duration < 0:
		return fmt.Errorf("-duration %v is negative", *duration)
	case *duration > 0:
		if *every <= 0 {
			return fmt.Errorf("-progress %v must be positive", *every)
		}
		if *seed == 0 {
			*seed = uint64(time.Now().UnixNano())
		}
		return runLong(ctx, longConfig{duration: *duration, seed: *seed, profile: prof, name: *profile,
			every: *every, html: *html, json: *asJSON, stderr: stderr}, stdout)
	case *asJSON:
		return errors.New("-json needs -duration: the table has no JSON form")
	}
	if *runs < 1 || *emuRuns < 1 || *jobs < 1 {
		return errors.New("-runs, -emu-runs and -j must be at least 1")
	}
	cfg := config{short: *short, faults: *faults, race: *race, align: *align, runs: *runs, emuRuns: *emuRuns,
		html: *html, timeout: *timeout, jobs: *jobs, verbose: *verbose, stderr: stderr}
	if prof != nil {
		abs, err := filepath.Abs(*profile)
		if err != nil {
			return err
		}
		cfg.profile = abs
	}
	for _, a := range strings.Split(*arch, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		t, ok := lookup(a)
		if !ok {
			return fmt.Errorf("-arch: unknown architecture %q (known: %s)", a, strings.Join(names, ", "))
		}
		cfg.arches = append(cfg.arches, forHost(t, hostArch))
	}
	if len(cfg.arches) == 0 {
		return errors.New("-arch: no architectures")
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cfg.root = root
	cfg.buildDir, err = os.MkdirTemp("", "busverify")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cfg.buildDir)

	start := time.Now()
	rows := runAll(&cfg)
	fmt.Fprintf(stdout, "busverify: %d rows in %v\n\n", len(rows), time.Since(start).Round(time.Second))
	writeTable(stdout, rows)
	bad := 0
	for _, r := range rows {
		for _, h := range r.htmls {
			fmt.Fprintf(stdout, "visualisation of a violation (%s): %s\n", r.arch, h)
		}
		if r.failed() {
			bad++
			for _, p := range r.problems {
				fmt.Fprintf(stdout, "%s (%s): %s\n", r.arch, r.how, p)
			}
		}
	}
	for _, r := range rows {
		for _, s := range r.skips {
			fmt.Fprintf(stdout, "%s (%s): %s\n", r.arch, r.how, s)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d rows failed", bad, len(rows))
	}
	return nil
}

func lookup(name string) (target, bool) {
	for _, t := range targets {
		if t.name == name {
			return t, true
		}
	}
	return target{}, false
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside a module: run busverify from the eventbus module")
	}
	return filepath.Dir(mod), nil
}

// runAll runs every row, cfg.jobs at a time, and returns them in order.
func runAll(cfg *config) []*row {
	type job func() *row
	var jobs []job
	for _, t := range cfg.arches {
		jobs = append(jobs, func() *row { return runArch(cfg, t, false) })
		if cfg.race && t.race != nil {
			jobs = append(jobs, func() *row { return runArch(cfg, t, true) })
		}
	}
	if cfg.align {
		for _, a := range alignTargets {
			for _, t := range cfg.arches {
				if t.name == a {
					jobs = append(jobs, func() *row { return runAlign(cfg, t) })
				}
			}
		}
	}
	rows := make([]*row, len(jobs))
	sem := make(chan struct{}, cfg.jobs)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			rows[i] = j()
		}()
	}
	wg.Wait()
	return rows
}

func (cfg *config) logf(format string, args ...any) {
	if cfg.verbose {
		fmt.Fprintf(cfg.stderr, "busverify: "+format+"\n", args...)
	}
}

// runArch builds the test binaries for t and runs them: the bus's tests,
// the verify suite, and (unless race) the detection test.
func runArch(cfg *config, t target, race bool) *row {
	start := time.Now()
	r := &row{arch: t.name, how: "native"}
	if t.qemu != "" {
		r.how = "qemu-user"
	}
	emu := []string(nil)
	env := append([]string{"GOARCH=" + t.goarch, "CGO_ENABLED=0"}, t.env...)
	if race {
		r.arch += " -race"
		r.how = t.race.how
		env = append(env, t.race.env...)
		if t.race.cc != "" {
			if _, err := exec.LookPath(t.race.cc); err != nil {
				r.skipped = "skipped: no " + t.race.cc + " (apt-get install gcc-riscv64-linux-gnu)"
				return r
			}
		}
	}
	if t.qemu != "" {
		if _, err := exec.LookPath(t.qemu); err != nil {
			r.skipped = "skipped: no emulator (" + t.qemu + ")"
			return r
		}
		emu = append([]string{t.qemu}, nil...)
		if race {
			emu = append(emu, t.race.qemuArgs...)
		}
	}
	defer func() { r.took = time.Since(start) }()
	dir := filepath.Join(cfg.buildDir, strings.ReplaceAll(r.arch, " ", ""))
	buildArgs := []string{"test", "-c", "-o", dir + "/"}
	if race {
		buildArgs = append(buildArgs, "-race")
	}
	if out, err := goCmd(cfg, env, append(buildArgs, "./bus", "./verify")...); err != nil {
		r.problems = append(r.problems, "build: "+firstLines(out, 6))
		// The verify suite may still build on its own.
		if out, err := goCmd(cfg, env, append(buildArgs, "./verify")...); err != nil {
			r.problems = append(r.problems, "build verify: "+firstLines(out, 6))
			return r
		}
	}
	emulated := t.qemu != ""
	if !emulated && t.goarch != hostArch && nativeRefused(filepath.Join(dir, "verify.test")) {
		// An amd64 kernel built without 32-bit support refuses 386 binaries.
		q := emulatorFor(t.goarch)
		if _, err := exec.LookPath(q); err != nil {
			r.skipped = "skipped: this kernel runs no " + t.goarch + " binaries, and there is no emulator (" + q + ")"
			return r
		}
		// Go's asynchronous preemption signals crash 386 binaries under
		// qemu-i386 ("bad g in signal handler"): the emulated rows keep
		// the cooperative preemption points only.
		emu, emulated = []string{q, "-E", "GODEBUG=asyncpreemptoff=1"}, true
		r.how = "qemu-user, asyncpreemptoff (kernel runs no " + t.goarch + ")"
	}
	small := cfg.short || emulated || race
	// The bus's own tests.
	if exists(filepath.Join(dir, "bus.test")) {
		args := []string{"-test.short", "-test.v", "-test.timeout", cfg.timeout.String()}
		out, err := runTest(cfg, emu, dir, "bus.test", filepath.Join(cfg.root, "bus"), args)
		countTests(r, "bus", out, err)
	}
	// The verify suite.
	vargs := []string{"-test.v", "-test.timeout", cfg.timeout.String()}
	if small {
		vargs = append(vargs, "-test.short")
		if emulated || race {
			vargs = append(vargs, "-verify.ops", "1500", "-verify.trials", "1000")
		}
	}
	if cfg.html != "" {
		vargs = append(vargs, "-verify.html", htmlPath(cfg.html, r.arch))
	}
	if cfg.profile != "" && t.goarch == hostArch && !emulated {
		// The profile was made for this machine's own architecture.
		vargs = append(vargs, "-verify.profile", cfg.profile)
	}
	out, err := runTest(cfg, emu, dir, "verify.test", filepath.Join(cfg.root, "verify"), vargs)
	countTests(r, "verify", out, err)
	for _, m := range htmlRE.FindAllSubmatch(out, -1) {
		r.htmls = append(r.htmls, string(m[1]))
	}
	if !cfg.faults || race {
		return r
	}
	// Planted bugs.
	fdir := dir + "-fault"
	if out, err := goCmd(cfg, env, "test", "-c", "-tags", "busfault", "-o", fdir+"/", "./verify"); err != nil {
		r.problems = append(r.problems, "build -tags busfault: "+firstLines(out, 6))
		return r
	}
	n := cfg.runs
	if emulated {
		n = cfg.emuRuns
	} else if cfg.short {
		n = min(n, 5)
	}
	fargs := []string{"-test.v", "-test.timeout", cfg.timeout.String(), "-test.run", "TestDetection|TestLitmusDetection|TestCorrectNeverFlagged",
		"-verify.runs", strconv.Itoa(n)}
	if emulated {
		// Emulated goroutines can sit unscheduled for a while: give a
		// correct run more time before calling it stalled.
		fargs = append(fargs, "-verify.stall", "3s")
	}
	out, err = runTest(cfg, emu, fdir, "verify.test", filepath.Join(cfg.root, "verify"), fargs)
	countTests(r, "verify -tags busfault", out, err)
	countDetections(r, out)
	return r
}

var (
	testLine    = regexp.MustCompile(`(?m)^--- (PASS|FAIL|SKIP): (\S+)`)
	testHeader  = regexp.MustCompile(`^=== (?:RUN|CONT|NAME) +(\S+)`)
	testMessage = regexp.MustCompile(`^\s+\S+\.go:\d+: `)
	detectLine  = regexp.MustCompile(`DETECT fault=(\S+) procs=(\d+) caught=(\d+) runs=(\d+)`)
	htmlRE      = regexp.MustCompile(`visualisation in (\S+)`)
)

// countTests adds the top-level tests of a test binary's -test.v output to
// r: each PASS is a check passed, each FAIL a check failed, reported with
// the first messages its test (or its subtests) logged, and each SKIP a
// check not run, listed with the reason its test gave. A binary that
// failed without a FAIL line (a crash, a timeout) counts as one failed
// check.
func countTests(r *row, what string, out []byte, err error) {
	messages := testMessages(out)
	fails := 0
	for _, m := range testLine.FindAllSubmatch(out, -1) {
		switch string(m[1]) {
		case "PASS":
			r.passed++
			r.total++
		case "FAIL":
			r.total++
			fails++
			r.problems = append(r.problems, outcome(what, string(m[2]), "failed", messages))
		case "SKIP":
			r.skips = append(r.skips, outcome(what, string(m[2]), "skipped", messages))
		}
	}
	if err != nil && fails == 0 {
		r.total++
		r.problems = append(r.problems, what+": "+err.Error()+": "+lastLines(out, 8))
	}
}

// outcome is the line that reports test's outcome ("failed", "skipped")
// in the binary what, with the first messages the test logged.
func outcome(what, test, verb string, messages map[string][]string) string {
	s := what + ": " + test + " " + verb
	if msgs := messages[test]; len(msgs) > 0 {
		s += ": " + strings.Join(msgs, " | ")
	}
	return s
}

// maxMessages is how many of a test's messages its problem or skip quotes.
const maxMessages = 3

// testMessages returns the first maxMessages lines that each top-level
// test logged ("    file.go:12: ..."), in a test binary's -test.v output:
// each line belongs to the test named by the "=== RUN", "=== CONT" or
// "=== NAME" line above it, and a subtest's lines to its top-level test.
func testMessages(out []byte) map[string][]string {
	msgs := map[string][]string{}
	current := ""
	for line := range strings.Lines(string(out)) {
		if m := testHeader.FindStringSubmatch(line); m != nil {
			current, _, _ = strings.Cut(m[1], "/")
			continue
		}
		if current != "" && testMessage.MatchString(line) && len(msgs[current]) < maxMessages {
			msgs[current] = append(msgs[current], strings.TrimSpace(line))
		}
	}
	return msgs
}

// countDetections reads the DETECT lines: a planted bug counts as caught
// when every GOMAXPROCS caught it in at least 95% of its runs.
func countDetections(r *row, out []byte) {
	type agg struct{ ok bool }
	faults := map[string]*agg{}
	var order []string
	for _, m := range detectLine.FindAllSubmatch(out, -1) {
		name := string(m[1])
		caught, _ := strconv.Atoi(string(m[3]))
		runs, _ := strconv.Atoi(string(m[4]))
		a, ok := faults[name]
		if !ok {
			a = &agg{ok: true}
			faults[name] = a
			order = append(order, name)
		}
		r.runsCaught += caught
		r.runs += runs
		if caught*100 < 95*runs {
			a.ok = false
			r.problems = append(r.problems, fmt.Sprintf("planted bug %s caught in %s of %s runs at GOMAXPROCS=%s", name, m[3], m[4], m[2]))
		}
	}
	for _, name := range order {
		r.faults++
		if faults[name].ok {
			r.caught++
		}
	}
	if r.faults == 0 {
		r.problems = append(r.problems, "no detection results (DETECT lines) in the busfault test output")
	}
}

// runAlign runs the atomicalign analyzer over ./bus and ./verify with
// GOARCH set to t, where field offsets are those of a 32-bit target.
func runAlign(cfg *config, t target) *row {
	start := time.Now()
	r := &row{arch: t.name, how: "atomicalign (go vet)"}
	defer func() { r.took = time.Since(start) }()
	tool := filepath.Join(cfg.buildDir, "alignvet")
	alignOnce.Do(func() {
		alignOut, alignErr = goCmd(cfg, nil, "build", "-o", tool, "./cmd/busverify/internal/alignvet")
	})
	if alignErr != nil {
		r.total++
		r.problems = append(r.problems, "build alignvet: "+firstLines(alignOut, 6))
		return r
	}
	env := append([]string{"GOARCH=" + t.goarch, "CGO_ENABLED=0"}, t.env...)
	for _, pkg := range []string{"./bus", "./verify"} {
		r.total++
		out, err := goCmd(cfg, env, "vet", "-vettool="+tool, pkg)
		if err != nil {
			r.problems = append(r.problems, "atomicalign "+pkg+": "+firstLines(out, 6))
			continue
		}
		r.passed++
	}
	return r
}

var (
	alignOnce sync.Once
	alignOut  []byte
	alignErr  error
)

func goCmd(cfg *config, env []string, args ...string) ([]byte, error) {
	cfg.logf("go %s (%s)", strings.Join(args, " "), strings.Join(env, " "))
	cmd := exec.Command("go", args...)
	cmd.Dir = cfg.root
	cmd.Env = append(os.Environ(), env...)
	return cmd.CombinedOutput()
}

// runTest runs a test binary, under the emulator emu when not nil, in dir
// (the package's directory, as go test would).
func runTest(cfg *config, emu []string, binDir, bin, dir string, args []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout+time.Minute)
	defer cancel()
	argv := append(append(append([]string(nil), emu...), filepath.Join(binDir, bin)), args...)
	cfg.logf("%s", strings.Join(argv, " "))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	if err != nil && cfg.verbose {
		fmt.Fprintf(cfg.stderr, "busverify: %s failed: %v\n%s\n", strings.Join(argv, " "), err, lastLines(buf.Bytes(), 40))
	}
	return buf.Bytes(), err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func htmlPath(path, arch string) string {
	tag := strings.NewReplacer(" ", "", "-", "").Replace(arch)
	if i := strings.LastIndex(path, "."); i > strings.LastIndex(path, "/") {
		return path[:i] + "-" + tag + path[i:]
	}
	return path + "-" + tag
}

func firstLines(b []byte, n int) string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() && len(out) < n {
		out = append(out, sc.Text())
	}
	return strings.Join(out, " | ")
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func writeTable(w io.Writer, rows []*row) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARCH\tHOW\tCHECKS PASSED\tPLANTED BUGS CAUGHT\tTIME\t")
	for _, r := range rows {
		if r.skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t\n", r.arch, r.skipped)
			continue
		}
		bugs := "-"
		if r.faults > 0 {
			bugs = fmt.Sprintf("%d/%d (%d/%d runs)", r.caught, r.faults, r.runsCaught, r.runs)
		}
		status := ""
		if len(r.skips) > 0 {
			status = fmt.Sprintf(", %d skipped", len(r.skips))
		}
		if r.failed() {
			status += "  FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d%s\t%s\t%v\t\n", r.arch, r.how, r.passed, r.total, status, bugs, r.took.Round(time.Second))
	}
	tw.Flush()
}
