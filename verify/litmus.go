package verify

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// Grade says what an outcome of a litmus test means.
type Grade uint8

// Grades, as jcstress names them.
const (
	// Acceptable outcomes are allowed by the bus's guarantees.
	Acceptable Grade = iota
	// Interesting outcomes are allowed but worth a look (rare
	// interleavings the test hopes to see).
	Interesting
	// Forbidden outcomes break a guarantee: one is a failure.
	Forbidden
)

// String returns the grade in capitals, as jcstress prints it.
func (g Grade) String() string {
	switch g {
	case Acceptable:
		return "ACCEPTABLE"
	case Interesting:
		return "INTERESTING"
	case Forbidden:
		return "FORBIDDEN"
	}
	return fmt.Sprintf("Grade(%d)", uint8(g))
}

// Litmus is a concurrency test in the style of OpenJDK's jcstress: actors
// run concurrently against fresh state, many times, and the outcome of
// each trial is counted and graded. The zero value is not usable.
type Litmus struct {
	// Name and Description say what is tested.
	Name, Description string
	// New returns the state of one trial; it runs before the actors.
	New func() any
	// Actors run concurrently on one trial's state, each on its own
	// goroutine, released together.
	Actors []func(state any)
	// Arbiter runs after every actor of a trial has returned and names
	// the trial's outcome.
	Arbiter func(state any) string
	// Outcomes grades the outcomes; one not listed has grade Other.
	Outcomes map[string]Grade
	// Other is the grade of unlisted outcomes; the zero value makes them
	// Acceptable, so most tests set it to Forbidden.
	Other Grade
}

// LitmusResult counts the outcomes of a litmus test's trials.
type LitmusResult struct {
	Name   string
	Trials int
	// Counts maps each outcome seen to how many trials had it.
	Counts map[string]int
	// Grades maps each outcome seen to its grade.
	Grades map[string]Grade
}

// Forbidden returns the forbidden outcomes seen, sorted.
func (r LitmusResult) Forbidden() []string {
	var out []string
	for o, g := range r.Grades {
		if g == Forbidden {
			out = append(out, o)
		}
	}
	sort.Strings(out)
	return out
}

// WriteTable writes the outcome table in jcstress's layout: each outcome,
// how often it was seen, its grade.
func (r LitmusResult) WriteTable(w io.Writer) {
	outs := make([]string, 0, len(r.Counts))
	for o := range r.Counts {
		outs = append(outs, o)
	}
	sort.Strings(outs)
	fmt.Fprintf(w, "%s (%d trials)\n", r.Name, r.Trials)
	fmt.Fprintf(w, "  %-40s %10s  %s\n", "RESULT", "SAMPLES", "EXPECT")
	for _, o := range outs {
		fmt.Fprintf(w, "  %-40s %10d  %s\n", o, r.Counts[o], r.Grades[o])
	}
}

// litmusBatch is how many trials' states are prepared at once.
const litmusBatch = 256

// Run runs trials trials of l and counts their outcomes. Each trial's
// actors wait for each other at a spin barrier before they run, so that
// they overlap even when GOMAXPROCS is 1 (the barrier yields).
func (l *Litmus) Run(trials int) LitmusResult {
	res := LitmusResult{Name: l.Name, Trials: trials, Counts: map[string]int{}, Grades: map[string]Grade{}}
	type trial struct {
		state any
		ready atomic.Int32
	}
	batch := make([]trial, litmusBatch)
	for done := 0; done < trials; {
		n := min(litmusBatch, trials-done)
		for i := range n {
			batch[i].state = l.New()
			batch[i].ready.Store(0)
		}
		var wg sync.WaitGroup
		for _, act := range l.Actors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range n {
					t := &batch[i]
					t.ready.Add(1)
					for spins := 0; t.ready.Load() < int32(len(l.Actors)); spins++ {
						if spins&63 == 63 {
							runtime.Gosched()
						}
					}
					act(t.state)
				}
			}()
		}
		wg.Wait()
		for i := range n {
			o := l.Arbiter(batch[i].state)
			res.Counts[o]++
			g, ok := l.Outcomes[o]
			if !ok {
				g = l.Other
			}
			res.Grades[o] = g
		}
		done += n
	}
	return res
}
