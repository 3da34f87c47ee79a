package main

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/stress"
)

// maxFailures bounds the violations a report keeps, so that a run of hours
// that fails often stays in flat memory; Violations counts them all.
const maxFailures = 100

// report is what a run did: the summary busstress prints, and with -json
// its output.
type report struct {
	Profile            string         `json:"profile,omitempty"` // the -profile file
	Layout             *bus.Layout    `json:"layout,omitempty"`  // the profile's layout
	Plan               *affinity.Plan `json:"plan,omitempty"`    // the profile's pinning
	Race               bool           `json:"race"`
	GoVersion          string         `json:"go_version"`
	Replay             bool           `json:"replay"` // -seed: the same seed, -repeat times
	FirstSeed          uint64         `json:"first_seed"`
	LastSeed           uint64         `json:"last_seed"`
	Scenarios          int64          `json:"scenarios"`
	Published          int64          `json:"events_published"`
	Moved              int64          `json:"events_moved"`
	Violations         int64          `json:"violations"`
	Elapsed            float64        `json:"elapsed_seconds"`
	EventsPerSecond    float64        `json:"events_per_second"`
	ScenariosPerMinute float64        `json:"scenarios_per_minute"`
	RSS                int64          `json:"rss_bytes"`      // resident memory at the end
	PeakRSS            int64          `json:"peak_rss_bytes"` // the most resident memory sampled (every second)
	Interrupted        bool           `json:"interrupted"`
	Failures           []failure      `json:"failures,omitempty"` // the first maxFailures violations
}

// failure is one scenario that broke an invariant.
type failure struct {
	Seed      uint64           `json:"seed"`
	Scenario  string           `json:"scenario"`
	Invariant stress.Invariant `json:"invariant"`
	Error     string           `json:"error"`
}

func newReport(c config, p *affinity.Profile) *report {
	r := &report{Race: raceEnabled, GoVersion: runtime.Version(), Replay: c.replay, FirstSeed: c.base}
	if c.replay {
		r.FirstSeed = c.seed
	}
	r.LastSeed = r.FirstSeed
	if p != nil {
		r.Profile, r.Layout, r.Plan = c.profile, &p.Layout, &p.Affinity
	}
	return r
}

// totals is the report while the run goes on, shared by the loop that
// runs scenarios and the monitor that shows progress.
type totals struct {
	mu  sync.Mutex
	rep *report
}

// add counts one scenario's report; v is its violation, or nil.
func (t *totals) add(r stress.Report, s stress.Scenario, v *stress.Violation, seed uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rep.Scenarios++
	t.rep.Moved += r.Moved()
	t.rep.Published += r.Published
	t.rep.LastSeed = seed
	if v == nil {
		return
	}
	t.rep.Violations++
	if len(t.rep.Failures) < maxFailures {
		t.rep.Failures = append(t.rep.Failures, failure{Seed: s.Seed, Scenario: s.String(), Invariant: v.Invariant, Error: v.Error()})
	}
}

// sampleRSS records the resident memory now, and the peak so far.
func (t *totals) sampleRSS() {
	n := rss()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rep.RSS, t.rep.PeakRSS = n, max(t.rep.PeakRSS, n)
}

// line describes the run so far, elapsed into it, on one line.
func (t *totals) line(elapsed time.Duration) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := *t.rep
	r.rates(elapsed)
	return fmt.Sprintf("%d scenarios, %d events moved (%.0f events/s, %.0f scenarios/min), %d violations, RSS %s",
		r.Scenarios, r.Moved, r.EventsPerSecond, r.ScenariosPerMinute, r.Violations, mib(r.RSS))
}

// final returns the report of the whole run.
func (t *totals) final(elapsed time.Duration, interrupted bool) *report {
	t.sampleRSS()
	t.mu.Lock()
	defer t.mu.Unlock()
	r := *t.rep
	r.rates(elapsed)
	r.Interrupted = interrupted
	return &r
}

func (r *report) rates(elapsed time.Duration) {
	r.Elapsed = elapsed.Seconds()
	s := max(r.Elapsed, 1e-9)
	r.EventsPerSecond = float64(r.Moved) / s
	r.ScenariosPerMinute = float64(r.Scenarios) * 60 / s
}

// print writes the report as text.
func (r *report) print(w io.Writer) {
	race := ""
	if r.Race {
		race = " (race detector on)"
	}
	seeds := fmt.Sprintf("seeds %d to %d", r.FirstSeed, r.LastSeed)
	if r.Replay {
		seeds = fmt.Sprintf("seed %d", r.FirstSeed)
	}
	fmt.Fprintf(w, "busstress: %d scenarios, %d events moved (%.0f events/s, %.0f scenarios/min), %d violations in %v%s; %s\n",
		r.Scenarios, r.Moved, r.EventsPerSecond, r.ScenariosPerMinute, r.Violations,
		time.Duration(r.Elapsed*float64(time.Second)).Round(time.Millisecond), race, seeds)
	fmt.Fprintf(w, "busstress: memory: RSS %s at the end, %s at most\n", mib(r.RSS), mib(r.PeakRSS))
	if r.Profile != "" {
		fmt.Fprintf(w, "busstress: on profile %s: pad %d, ring %d, wait %s, producers on %v, consumers on %v\n",
			r.Profile, r.Layout.PadBytes, r.Layout.RingSize, r.Layout.Wait, r.Plan.Producers, r.Plan.Consumers)
	}
	if r.Interrupted {
		fmt.Fprintln(w, "busstress: interrupted")
	}
}

// mib writes n bytes in mebibytes.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
