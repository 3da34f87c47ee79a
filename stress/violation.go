package stress

import (
	"fmt"
	"strings"
)

// Invariant names a property every run must keep.
type Invariant string

// The invariants Run checks.
const (
	// Lost: an event whose Publish returned nil was not handled by a
	// consumer that should see it, or a consumer skipped past an event.
	Lost Invariant = "lost"
	// Duplicated: a consumer (or a worker pool as a whole) handled an
	// event twice.
	Duplicated Invariant = "duplicated"
	// Reordered: a consumer saw a producer's events out of order.
	Reordered Invariant = "reordered"
	// ForwardOnly: a consumer's sequence went backwards or skipped.
	ForwardOnly Invariant = "forward-only"
	// Integrity: a consumer saw an event that no producer wrote: a torn,
	// stale or never-published slot.
	Integrity Invariant = "integrity"
	// Dependency: a consumer handled an event before a consumer it
	// follows had, or after that consumer stopped on it.
	Dependency Invariant = "dependency"
	// Outcome: the bus ended with the wrong error, or accepted a Publish
	// after it was shut down.
	Outcome Invariant = "outcome"
	// Lifecycle: a handler's OnStart or OnShutdown did not run exactly
	// once, before its first event and after its last.
	Lifecycle Invariant = "lifecycle"
	// Progress: nothing moved for the stall time while work was pending
	// (a deadlock or a livelock).
	Progress Invariant = "progress"
	// Leak: a goroutine outlived the run.
	Leak Invariant = "leak"
)

// Violation is an invariant broken by a run. Run returns it as its error;
// use errors.As to get it.
type Violation struct {
	Seed      uint64    // the scenario's seed: Generate(Seed) replays it
	Invariant Invariant // what was broken
	Consumer  string    // the consumer that saw it (Scenario.Consumers' names, or a pool worker), or ""
	Producer  int       // the producer of the event, or -1
	Event     int64     // the producer's counter of the event, or -1
	Seq       int64     // the ring sequence, or -1
	Detail    string    // what was seen, in words
	Dump      string    // all goroutines' stacks, for Progress and Leak
	More      int       // how many further violations the run saw
}

// Error describes the violation on one line, followed by the goroutine
// dump if there is one.
func (v *Violation) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stress: seed %d: invariant %q violated", v.Seed, v.Invariant)
	if v.Consumer != "" {
		fmt.Fprintf(&b, ": consumer %s", v.Consumer)
	}
	if v.Producer >= 0 {
		fmt.Fprintf(&b, ", producer %d", v.Producer)
	}
	if v.Event >= 0 {
		fmt.Fprintf(&b, ", event %d", v.Event)
	}
	if v.Seq >= 0 {
		fmt.Fprintf(&b, ", sequence %d", v.Seq)
	}
	fmt.Fprintf(&b, ": %s", v.Detail)
	if v.More > 0 {
		fmt.Fprintf(&b, " (and %d more violations)", v.More)
	}
	if v.Dump != "" {
		b.WriteString("\n")
		b.WriteString(v.Dump)
	}
	return b.String()
}
