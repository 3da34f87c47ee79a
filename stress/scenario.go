package stress

import (
	"fmt"
	"strings"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// PublishMode is how a scenario's producers publish.
type PublishMode string

// The publish modes a scenario can use.
const (
	PublishOne      PublishMode = "publish"      // Publish, one event at a time
	PublishBatch    PublishMode = "batch"        // PublishBatch of 1 to MaxBatch events
	PublishTry      PublishMode = "try"          // TryPublish, retried while the ring is full
	PublishTryBatch PublishMode = "try-batch"    // TryPublishBatch, retried while the ring is full
	PublishNext     PublishMode = "next-publish" // Next, writes through Ring().Get, PublishRange
)

var allPublishModes = []PublishMode{PublishOne, PublishBatch, PublishTry, PublishTryBatch, PublishNext}

// StageKind is what kind of consumers make up a Stage.
type StageKind string

// The kinds of stage.
const (
	StageHandlers StageKind = "handlers" // batch event processors, each sees every event (HandleEventsWith, Then)
	StagePool     StageKind = "pool"     // one worker pool, each event handled by one worker (HandleEventsWithWorkerPool, ThenWorkerPool)
	StagePoller   StageKind = "poller"   // pollers driven by goroutines of the run (NewPoller, ThenPoller); last stage only
)

// Stage is one level of a consumer graph: Width consumers of one kind that
// all follow every consumer of the stage before (none for the first stage).
// A pool stage is one logical consumer of Width workers.
type Stage struct {
	Kind  StageKind
	Width int
}

// FailMode is how a scenario's failing handler fails.
type FailMode string

// The failure modes.
const (
	FailNone  FailMode = ""      // no handler fails
	FailError FailMode = "error" // the handler returns an error
	FailPanic FailMode = "panic" // the handler panics
)

// Policy is the bus's error policy in a scenario.
type Policy string

// The error policies.
const (
	PolicyStop Policy = "stop" // bus.StopOnError (the default)
	PolicySkip Policy = "skip" // bus.SkipOnError
)

// Ending is how a scenario ends.
type Ending string

// The endings.
const (
	EndDrain    Ending = "drain"    // every producer publishes all its events, then Shutdown
	EndShutdown Ending = "shutdown" // Shutdown while producers are still publishing
	EndHalt     Ending = "halt"     // Halt while producers are still publishing
)

// Scenario is one randomized run of a bus: its configuration, consumer
// graph, load, faults to inject and ending. It is a plain value; Generate
// derives one from a seed and Run executes it. The zero value is not a
// valid scenario.
type Scenario struct {
	Seed       uint64       // the seed Generate derived it from
	Topology   string       // name of the consumer graph: parallel, pipeline, diamond, pool, poller, mixed
	Stages     []Stage      // the consumer graph, first stage first
	Producers  int          // producer goroutines, 1 to 8
	Multi      bool         // bus.WithMultiProducer; always true with more than one producer
	Publish    PublishMode  // how producers publish
	MaxBatch   int          // the largest batch a producer claims at once (batch modes), at most RingSize
	Events     int          // events each producer publishes unless the bus closes first
	RingSize   int          // bus.WithSize, 2 to 4096
	Pad        int          // bus.WithPad, one of bus.ValidPads; 0 for the bus's default
	Wait       bus.WaitKind // the bus's wait strategy
	BatchLimit int          // bus.WithBatchLimit, 0 for none
	GOMAXPROCS int          // runtime.GOMAXPROCS for the run
	SlowEvery  int          // every handler slows down on every SlowEvery-th event; 0 never
	SlowFor    time.Duration
	Fail       FailMode // how the failing consumer fails
	Policy     Policy   // the bus's error policy
	FailAt     int      // the consumer at index FailAt (see Consumers) fails
	FailEvery  int      // PolicySkip: fails on about one event in FailEvery; PolicyStop: on producer 0's event FailEvery
	End        Ending   // how the run ends
	EndAfter   int      // EndShutdown, EndHalt: the run ends once this many events were published
	PollBreak  int      // pollers stop a Poll call early every PollBreak events; 0 never
}

// Consumers returns the logical consumers of the scenario's graph, by the
// names a Violation uses: "s<stage>.h<i>" for a handler, "s<stage>.pool"
// for a worker pool (its workers are "s<stage>.w<i>"), "s<stage>.p<i>"
// for a poller. FailAt indexes this list.
func (s Scenario) Consumers() []string {
	var out []string
	for i, st := range s.Stages {
		switch st.Kind {
		case StagePool:
			out = append(out, fmt.Sprintf("s%d.pool", i))
		case StagePoller:
			for j := 0; j < st.Width; j++ {
				out = append(out, fmt.Sprintf("s%d.p%d", i, j))
			}
		default:
			for j := 0; j < st.Width; j++ {
				out = append(out, fmt.Sprintf("s%d.h%d", i, j))
			}
		}
	}
	return out
}

// fallible returns the indexes in Consumers of the consumers that may fail
// (all but pollers).
func (s Scenario) fallible() []int {
	var out []int
	i := 0
	for _, st := range s.Stages {
		n := st.Width
		if st.Kind == StagePool {
			n = 1
		}
		for j := 0; j < n; j++ {
			if st.Kind != StagePoller {
				out = append(out, i)
			}
			i++
		}
	}
	return out
}

// goroutines returns how many goroutines a run of s has: producers,
// processors, pool workers and pollers.
func (s Scenario) goroutines() int {
	n := s.Producers
	for _, st := range s.Stages {
		n += st.Width
	}
	return n
}

func (s Scenario) pollers() int {
	n := 0
	for _, st := range s.Stages {
		if st.Kind == StagePoller {
			n += st.Width
		}
	}
	return n
}

// maxConsumers bounds the logical consumers of a scenario: each has a mark
// in every event.
const maxConsumers = 16

// Validate reports what makes s impossible to run, or nil.
func (s Scenario) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("stress: invalid scenario (seed %d): "+format, append([]any{s.Seed}, args...)...)
	}
	switch {
	case s.Producers < 1 || s.Producers > 64:
		return bad("%d producers", s.Producers)
	case s.Producers > 1 && !s.Multi:
		return bad("%d producers on a single-producer bus", s.Producers)
	case s.Events < 1:
		return bad("%d events per producer", s.Events)
	case s.RingSize < 2 || s.RingSize&(s.RingSize-1) != 0:
		return bad("ring size %d", s.RingSize)
	case s.MaxBatch < 1 || s.MaxBatch > s.RingSize:
		return bad("batch of %d in a ring of %d", s.MaxBatch, s.RingSize)
	case !s.Wait.Valid():
		return bad("wait strategy %q", s.Wait)
	case s.GOMAXPROCS < 1:
		return bad("GOMAXPROCS %d", s.GOMAXPROCS)
	case len(s.Stages) == 0:
		return bad("no consumers")
	case s.BatchLimit < 0 || s.SlowEvery < 0 || s.EndAfter < 0 || s.PollBreak < 0:
		return bad("negative count")
	}
	if s.Pad != 0 {
		if err := (bus.Layout{PadBytes: s.Pad, RingSize: s.RingSize, Wait: s.Wait}).Validate(); err != nil {
			return bad("%v", err)
		}
	}
	switch s.Publish {
	case PublishOne, PublishBatch, PublishTry, PublishTryBatch, PublishNext:
	default:
		return bad("publish mode %q", s.Publish)
	}
	for i, st := range s.Stages {
		if st.Width < 1 {
			return bad("stage %d has width %d", i, st.Width)
		}
		switch st.Kind {
		case StageHandlers, StagePool:
		case StagePoller:
			if i != len(s.Stages)-1 {
				return bad("pollers in stage %d: pollers can only be the last stage", i)
			}
		default:
			return bad("stage %d is of kind %q", i, st.Kind)
		}
	}
	if n := len(s.Consumers()); n > maxConsumers {
		return bad("%d consumers, at most %d", n, maxConsumers)
	}
	switch s.Policy {
	case PolicyStop, PolicySkip:
	default:
		return bad("error policy %q", s.Policy)
	}
	switch s.Fail {
	case FailNone:
	case FailError, FailPanic:
		ok := false
		for _, i := range s.fallible() {
			ok = ok || i == s.FailAt
		}
		if !ok {
			return bad("consumer %d cannot fail", s.FailAt)
		}
		if s.Policy == PolicySkip && s.FailEvery < 1 {
			return bad("fails every %d events", s.FailEvery)
		}
	default:
		return bad("fail mode %q", s.Fail)
	}
	switch s.End {
	case EndDrain, EndShutdown, EndHalt:
	default:
		return bad("ending %q", s.End)
	}
	return nil
}

// String describes s on one line, seed first.
func (s Scenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed=%d %s[", s.Seed, s.Topology)
	for i, st := range s.Stages {
		if i > 0 {
			b.WriteString(" > ")
		}
		fmt.Fprintf(&b, "%s*%d", st.Kind, st.Width)
	}
	prod := "single"
	if s.Multi {
		prod = "multi"
	}
	fmt.Fprintf(&b, "] producers=%d(%s) %s", s.Producers, prod, s.Publish)
	if s.MaxBatch > 1 {
		fmt.Fprintf(&b, "<=%d", s.MaxBatch)
	}
	fmt.Fprintf(&b, " events=%d ring=%d", s.Events, s.RingSize)
	if s.Pad != 0 {
		fmt.Fprintf(&b, " pad=%d", s.Pad)
	}
	fmt.Fprintf(&b, " wait=%s procs=%d", s.Wait, s.GOMAXPROCS)
	if s.BatchLimit > 0 {
		fmt.Fprintf(&b, " batchlimit=%d", s.BatchLimit)
	}
	if s.SlowEvery > 0 {
		fmt.Fprintf(&b, " slow=1/%d:%v", s.SlowEvery, s.SlowFor)
	}
	fmt.Fprintf(&b, " policy=%s", s.Policy)
	if s.Fail != FailNone {
		cons := s.Consumers()
		name := "?"
		if s.FailAt >= 0 && s.FailAt < len(cons) {
			name = cons[s.FailAt]
		}
		if s.Policy == PolicySkip {
			fmt.Fprintf(&b, " fail=%s:%s:1/%d", s.Fail, name, s.FailEvery)
		} else {
			fmt.Fprintf(&b, " fail=%s:%s:@p0#%d", s.Fail, name, s.FailEvery)
		}
	}
	if s.PollBreak > 0 {
		fmt.Fprintf(&b, " pollbreak=%d", s.PollBreak)
	}
	fmt.Fprintf(&b, " end=%s", s.End)
	if s.End != EndDrain {
		fmt.Fprintf(&b, "@%d", s.EndAfter)
	}
	return b.String()
}
