package verify_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/verify"
)

var (
	flagOps     = flag.Int("verify.ops", 0, "claims or publishes per recorded history (0: 10000, or 3000 with -short)")
	flagTrials  = flag.Int("verify.trials", 0, "trials per litmus test (0: 5000, or 2000 with -short)")
	flagBig     = flag.Int("verify.big", 0, "operations in the large-history test (0: 1000000, or skipped with -short)")
	flagRuns    = flag.Int("verify.runs", 20, "runs per planted fault and GOMAXPROCS in the detection test")
	flagHTML    = flag.String("verify.html", "", "write the visualisation of a violation to this file")
	flagStall   = flag.Duration("verify.stall", 0, "no-progress time after which a run counts as stalled (0: 5s)")
	flagProfile = flag.String("verify.profile", "", "run every recorded history with the layout and affinity plan of this profile (busprobe -o)")
)

// testProfile returns the profile -verify.profile names, loaded with
// affinity.LoadProfile, or nil.
func testProfile(t *testing.T) *affinity.Profile {
	t.Helper()
	if *flagProfile == "" {
		return nil
	}
	p, err := affinity.LoadProfile(*flagProfile)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func suiteConfig() verify.SuiteConfig {
	c := verify.SuiteConfig{Claims: *flagOps, Trials: *flagTrials, Stall: *flagStall, Seed: uint64(time.Now().UnixNano())}
	if testing.Short() {
		if c.Claims == 0 {
			c.Claims = 3000
		}
		if c.Trials == 0 {
			c.Trials = 2000
		}
	}
	c.Options.HTML = *flagHTML
	return c
}

// TestSuite runs the whole suite against the correct sequencers: every
// recorded history must be linearizable and no litmus test may show a
// forbidden outcome.
func TestSuite(t *testing.T) {
	if err := verify.PlantFault("none"); err != nil {
		t.Fatal(err)
	}
	cfg := suiteConfig()
	cfg.Profile = testProfile(t)
	for _, o := range verify.RunSuite(cfg) {
		if !o.OK {
			t.Errorf("%v", o)
		} else {
			t.Logf("%v", o)
		}
	}
}

// TestLitmusTables prints the jcstress-style tables (with -v) and fails on
// any forbidden outcome.
func TestLitmusTables(t *testing.T) {
	trials := 2000
	if *flagTrials > 0 {
		trials = *flagTrials
	}
	for _, l := range verify.Litmuses() {
		r := l.Run(trials)
		if testing.Verbose() {
			var b strings.Builder
			r.WriteTable(&b)
			t.Log("\n" + b.String())
		}
		if f := r.Forbidden(); len(f) > 0 {
			t.Errorf("%s: forbidden outcomes %q", l.Name, f)
		}
		n := 0
		for _, c := range r.Counts {
			n += c
		}
		if n != trials {
			t.Errorf("%s: %d outcomes counted for %d trials", l.Name, n, trials)
		}
	}
}

// TestLargeHistory records and checks a history of about 1.6 million
// operations (-verify.big 1000000 by default; see below) as it goes, with
// VerifySequencer, and reports the throughput and the peak resident
// memory, which must stay under maxResident however many operations run.
func TestLargeHistory(t *testing.T) {
	n := *flagBig
	if n == 0 {
		if testing.Short() {
			t.Skip("large history skipped with -short")
		}
		n = 1_000_000
	}
	// The peak so far belongs to the tests before this one; start afresh.
	peakReset := resetPeak()
	start := time.Now()
	// n/6 claims, as before streaming, so that figures compare: with the
	// observations, handles and advances of two consumers a claim brings
	// about ten operations, so the history holds about 1.6n.
	cfg := verify.SeqConfig{Multi: true, Producers: 2, Consumers: 2, Claims: n / 6, Seed: 1}
	cfg = cfg.WithProfile(testProfile(t))
	rep, err := verify.VerifySequencer(t.Context(), cfg, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	mem, memErr := verify.ReadMemory()
	t.Logf("%d operations in %d rounds recorded and checked in %v: %.0f ops/s; peak resident memory %s",
		rep.Ops, rep.Rounds, took.Round(time.Millisecond), float64(rep.Ops)/took.Seconds(), mib(mem.Peak))
	for _, r := range rep.Results {
		if r.Verdict != porcupine.Ok {
			t.Errorf("%v", r)
		}
	}
	if rep.Ops < n/2 {
		t.Errorf("only %d operations recorded, want about %d", rep.Ops, n)
	}
	switch {
	case memErr != nil:
		t.Logf("peak memory not checked: %v", memErr)
	case peakReset != nil:
		t.Logf("peak memory not checked: the peak of earlier tests cannot be cleared: %v", peakReset)
	case mem.Peak > maxResident:
		t.Errorf("peak resident memory %s, want under %s", mib(mem.Peak), mib(maxResident))
	}
}

// maxResident is the most resident memory a streaming verification may
// take, however long it runs.
const maxResident = 100 << 20

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// resetPeak clears the process's peak resident memory (VmHWM) to its
// current size, as Linux allows since 4.0 by writing 5 to clear_refs.
func resetPeak() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func TestHTMLOnViolation(t *testing.T) {
	dir := t.TempDir()
	// Two claims that overlap: illegal.
	h := &verify.History{RingSize: 8, Ops: []porcupine.Operation{
		op(0, 1, 2, verify.Input{Kind: verify.Claim, N: 2}, verify.Output{Lo: 0, Hi: 1}),
		op(1, 3, 4, verify.Input{Kind: verify.Claim, N: 2}, verify.Output{Lo: 1, Hi: 2}),
	}}
	path := filepath.Join(dir, "claims.html")
	rs := verify.CheckClaims(h, verify.Options{HTML: path})
	if rs[0].Verdict != porcupine.Illegal || rs[0].HTML != path {
		t.Fatalf("got %v, want Illegal with visualisation in %s", rs[0], path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "<html") {
		t.Errorf("%s is not HTML", path)
	}
	small := filepath.Join(dir, "small.html")
	rs = verify.CheckClaims(h, verify.Options{HTML: small, HTMLLimit: 100})
	if rs[0].HTML != "" || !strings.Contains(rs[0].Detail, "cap") {
		t.Errorf("over the cap: got %v, want no file and a note", rs[0])
	}
	if _, err := os.Stat(small); !os.IsNotExist(err) {
		t.Errorf("%s written despite the cap", small)
	}
}

func op(client int, call, ret int64, in verify.Input, out verify.Output) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Call: call, Return: ret, Input: in, Output: out}
}
