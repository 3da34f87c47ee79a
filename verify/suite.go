package verify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eventbus/eventbus/affinity"
)

// SuiteConfig sizes a RunSuite. The zero value runs the default sizes.
type SuiteConfig struct {
	// Claims is how many claims (or publishes) each recorded history
	// holds; 0 means 10,000.
	Claims int
	// Trials is how many trials each litmus test runs; 0 means 5,000.
	Trials int
	// Stall is how long a recorded run may make no progress before it is
	// declared stalled (lost events); 0 means 5s.
	Stall time.Duration
	// Seed seeds the recorders' random choices.
	Seed uint64
	// Options tune the linearizability checks.
	Options Options
	// FirstFailure stops the suite at the first entry that fails, for
	// runs that only ask whether a planted bug is caught.
	FirstFailure bool
	// Profile, when not nil, runs every recorded history with its layout
	// (pad, ring size, wait strategy) and affinity plan (SeqConfig.WithProfile, BusConfig.WithProfile).
	Profile *affinity.Profile
}

// Outcome is the verdict of one entry of the suite.
type Outcome struct {
	// Name is the entry: "history/…" for a recorded history, "litmus/…"
	// for a litmus test.
	Name string
	// OK is true when every check of the entry passed.
	OK bool
	// Failed names the checks that did not pass and why.
	Failed []string
	// Ops is the size of the recorded history, or the litmus trials.
	Ops int
	// Took is how long recording and checking took.
	Took time.Duration
}

// String returns the entry, ok or FAILED, and what failed.
func (o Outcome) String() string {
	if o.OK {
		return fmt.Sprintf("%s: ok (%d ops, %v)", o.Name, o.Ops, o.Took.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: FAILED (%d ops, %v): %s", o.Name, o.Ops, o.Took.Round(time.Millisecond), strings.Join(o.Failed, "; "))
}

// History entries of the suite.
var suiteHistories = []struct {
	name string
	seq  *SeqConfig
	bus  *BusConfig
}{
	{name: "history/single-producer", seq: &SeqConfig{Consumers: 2}},
	{name: "history/multi-producer-2", seq: &SeqConfig{Multi: true, Producers: 2, Consumers: 2}},
	{name: "history/multi-producer-4", seq: &SeqConfig{Multi: true, Producers: 4, Consumers: 1, RingSize: 32, MaxBatch: 8}},
	{name: "bus/single-producer", bus: &BusConfig{}},
	{name: "bus/single-producer-marked", bus: &BusConfig{Marked: true}},
	{name: "bus/multi-producer-3", bus: &BusConfig{Producers: 3}},
}

// RunSuite records a history from the real bus for each configuration
// (single- and multi-producer sequencers, and the Bus end to end, one of
// them with marked events: BusConfig.Marked), checks
// each with every applicable model and oracle as it is recorded
// (VerifySequencer, VerifyBus), and runs every
// litmus test (Litmuses). It returns one Outcome per entry.
func RunSuite(cfg SuiteConfig) []Outcome {
	if cfg.Claims <= 0 {
		cfg.Claims = 10000
	}
	if cfg.Trials <= 0 {
		cfg.Trials = 5000
	}
	var out []Outcome
	for i, e := range suiteHistories {
		start := time.Now()
		opts := cfg.Options
		if opts.HTML != "" {
			opts.HTML = htmlName(opts.HTML, e.name)
		}
		var rep *Report
		var err error
		if e.seq != nil {
			c := *e.seq
			c.Claims, c.Stall, c.Seed = cfg.Claims, cfg.Stall, cfg.Seed+uint64(i)
			c = c.WithProfile(cfg.Profile)
			rep, err = VerifySequencer(context.Background(), c, opts)
		} else {
			c := *e.bus
			c.Events, c.Stall, c.Seed = cfg.Claims, cfg.Stall, cfg.Seed+uint64(i)
			c = c.WithProfile(cfg.Profile)
			rep, err = VerifyBus(context.Background(), c, opts)
		}
		o := Outcome{Name: e.name, OK: true}
		if err != nil {
			o.OK, o.Failed = false, []string{err.Error()}
		} else {
			o.Ops = rep.Ops
			for _, r := range Failed(rep.Results) {
				o.OK = false
				o.Failed = append(o.Failed, r.String())
			}
		}
		o.Took = time.Since(start)
		out = append(out, o)
		if cfg.FirstFailure && !o.OK {
			return out
		}
	}
	for _, l := range Litmuses() {
		start := time.Now()
		r := l.Run(cfg.Trials)
		o := Outcome{Name: "litmus/" + l.Name, OK: true, Ops: cfg.Trials}
		for _, f := range r.Forbidden() {
			o.OK = false
			o.Failed = append(o.Failed, fmt.Sprintf("forbidden outcome %q seen %d times", f, r.Counts[f]))
		}
		o.Took = time.Since(start)
		out = append(out, o)
		if cfg.FirstFailure && !o.OK {
			return out
		}
	}
	return out
}

// htmlName gives each history its own visualisation file: entry's name is
// inserted before the extension of path.
func htmlName(path, entry string) string {
	tag := strings.NewReplacer("/", "-", " ", "-").Replace(entry)
	if i := strings.LastIndex(path, "."); i > strings.LastIndex(path, "/") {
		return path[:i] + "-" + tag + path[i:]
	}
	return path + "-" + tag
}
