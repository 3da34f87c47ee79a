package verify_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/eventbus/eventbus/verify"
)

var (
	flagOps    = flag.Int("verify.ops", 0, "claims or publishes per recorded history (0: 10000, or 3000 with -short)")
	flagTrials = flag.Int("verify.trials", 0, "trials per litmus test (0: 5000, or 2000 with -short)")
	flagBig    = flag.Int("verify.big", 0, "operations in the large-history test (0: 1000000, or skipped with -short)")
	flagRuns   = flag.Int("verify.runs", 20, "runs per planted fault and GOMAXPROCS in the detection test")
	flagHTML   = flag.String("verify.html", "", "write the visualisation of a violation to this file")
	flagStall  = flag.Duration("verify.stall", 0, "no-progress time after which a run counts as stalled (0: 5s)")
)

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
	for _, o := range verify.RunSuite(suiteConfig()) {
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

// TestLargeHistory records and checks a history of a million operations
// (by default) in rounds.
func TestLargeHistory(t *testing.T) {
	n := *flagBig
	if n == 0 {
		if testing.Short() {
			t.Skip("large history skipped with -short")
		}
		n = 1_000_000
	}
	start := time.Now()
	// About six operations per claim: claim, publish, observe, handle,
	// advance, over two consumers.
	h, err := verify.RecordSequencer(verify.SeqConfig{Multi: true, Producers: 2, Consumers: 2, Claims: n / 6, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec := time.Since(start)
	rs := verify.CheckAll(h, verify.Options{})
	t.Logf("%d operations recorded in %v, checked in %v", len(h.Ops), rec, time.Since(start)-rec)
	for _, r := range rs {
		if r.Verdict != porcupine.Ok {
			t.Errorf("%v", r)
		}
	}
	if len(h.Ops) < n/2 {
		t.Errorf("only %d operations recorded, want about %d", len(h.Ops), n)
	}
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
