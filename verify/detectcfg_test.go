package verify_test

import (
	"flag"
	"runtime"
	"testing"
	"time"

	"github.com/eventbus/eventbus/verify"
)

var flagAll = flag.Bool("verify.all", false, "detection runs check every suite entry instead of stopping at the first failure")

// detectConfig is the suite, scaled down for the many detection runs.
func detectConfig(seed uint64) verify.SuiteConfig {
	// The suite stops at the first failing entry: the recorded histories
	// come first, so a catch is by the linearizability checks whenever
	// they can make it, and a fault that stalls a run costs one Stall.
	// -verify.all runs every entry, to see which layers catch each bug.
	c := verify.SuiteConfig{Claims: 500, Trials: 300, Stall: time.Second, Seed: seed, FirstFailure: !*flagAll}
	if *flagOps > 0 {
		c.Claims = *flagOps
	}
	if *flagTrials > 0 {
		c.Trials = *flagTrials
	}
	if *flagStall > 0 {
		c.Stall = *flagStall
	}
	return c
}

// TestCorrectNeverFlagged runs the scaled-down suite of the detection
// test, with no bug planted, as often as the detection test runs each
// fault (3 times with -short, 5 in a normal build unless -verify.runs is
// given): no run may fail. It runs in normal and busfault builds alike.
func TestCorrectNeverFlagged(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	if err := verify.PlantFault("none"); err != nil {
		t.Fatal(err)
	}
	runs := *flagRuns
	switch {
	case testing.Short():
		runs = min(runs, 3)
	case !verify.FaultsCompiled && !flagSet("verify.runs"):
		runs = 5 // a normal go test ./verify stays quick
	}
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		flagged := 0
		for run := range runs {
			cfg := detectConfig(uint64(run))
			if !flagSet("verify.stall") {
				// A correct run never stalls, so a long window costs
				// nothing; the 1s one of the fault runs false-flags a
				// correct run descheduled on a loaded machine.
				cfg.Stall = 10 * time.Second
			}
			for _, o := range verify.RunSuite(cfg) {
				if !o.OK {
					flagged++
					t.Errorf("GOMAXPROCS=%d run %d: %v", procs, run, o)
				}
			}
		}
		t.Logf("DETECT fault=none procs=%d flagged=%d runs=%d", procs, flagged, runs)
	}
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
