package stress

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// This file holds the lifecycle scenarios: the parts of the bus's contract
// that the throughput scenarios never reach, because they always start the
// bus before publishing and end it cleanly. Each LifecycleScenario runs a
// small bus through one way of starting or ending and checks, with
// checkEnd, what the contract promises: an event whose Publish returned
// nil is handled by every consumer unless the bus reports otherwise; the
// bus's State, Err, Wait and Shutdown agree; and no goroutine outlives the
// bus but a stuck handler's, which Shutdown reported.

// LifecycleKind names one lifecycle scenario.
type LifecycleKind string

// The lifecycle scenarios.
const (
	// LifeBeforeStart publishes before Start, past the ring's capacity
	// at times (the producer then waits for Start), and drains.
	LifeBeforeStart LifecycleKind = "before-start"
	// LifeCallbackPanic panics in one lifecycle callback (pin, release,
	// OnStart, OnTimeout, the error policy, OnShutdown) of a processor or
	// a worker: the bus must fail with that panic, and the process live.
	LifeCallbackPanic LifecycleKind = "callback-panic"
	// LifeFillPanic panics in the fill function of some publishes: no
	// consumer may see those, and the bus must drain.
	LifeFillPanic LifecycleKind = "fill-panic"
	// LifeStuckHandler has a handler stop responding: Shutdown must return
	// at its deadline, abandoned, naming it.
	LifeStuckHandler LifecycleKind = "stuck-handler"
	// LifePollerShutdown ends the bus from the goroutine of its Poller:
	// Close, poll until PollClosed, Shutdown.
	LifePollerShutdown LifecycleKind = "poller-shutdown"
	// LifeProducerContext cancels the context of producers waiting on a
	// full ring: they return the context's error and claim nothing.
	LifeProducerContext LifecycleKind = "producer-context"
)

// LifecycleKinds lists every lifecycle scenario.
func LifecycleKinds() []LifecycleKind {
	return []LifecycleKind{LifeBeforeStart, LifeCallbackPanic, LifeFillPanic, LifeStuckHandler, LifePollerShutdown, LifeProducerContext}
}

// LifecycleScenario is one lifecycle run, derived from a seed by
// GenerateLifecycle.
type LifecycleScenario struct {
	Seed     uint64
	Kind     LifecycleKind
	RingSize int          // 4 to 32
	Multi    bool         // a multi-producer bus
	Wait     bus.WaitKind // the bus's wait strategy
	Pool     bool         // the consumer under test is a worker pool's worker, not a processor
	Before   int          // events published before Start
	Events   int          // events published in all
	Callback string       // LifeCallbackPanic: pin, release, start, timeout, policy or shutdown
	Every    int          // LifeFillPanic: every Every-th fill panics
	Deadline time.Duration
}

// String describes the scenario in one line, with its seed.
func (s LifecycleScenario) String() string {
	return fmt.Sprintf("lifecycle %s seed=%d ring=%d multi=%v wait=%s pool=%v before=%d events=%d callback=%s every=%d",
		s.Kind, s.Seed, s.RingSize, s.Multi, s.Wait, s.Pool, s.Before, s.Events, s.Callback, s.Every)
}

// GenerateLifecycle derives a scenario of the given kind from seed.
func GenerateLifecycle(seed uint64, kind LifecycleKind) LifecycleScenario {
	r := rand.New(rand.NewPCG(seed, uint64(len(kind))))
	s := LifecycleScenario{Seed: seed, Kind: kind, RingSize: 4 << r.IntN(4), Multi: r.IntN(2) == 0, Pool: r.IntN(2) == 0}
	waits := bus.WaitKinds()
	s.Wait = waits[r.IntN(len(waits))]
	s.Before = 1 + r.IntN(2*s.RingSize)
	s.Events = s.Before + 1 + r.IntN(4*s.RingSize)
	callbacks := []string{"pin", "release", "start", "timeout", "policy", "shutdown"}
	s.Callback = callbacks[r.IntN(len(callbacks))]
	s.Every = 2 + r.IntN(5)
	s.Deadline = time.Duration(10+r.IntN(40)) * time.Millisecond
	return s
}

// LifecycleViolation is a broken promise found by RunLifecycle.
type LifecycleViolation struct {
	Scenario LifecycleScenario
	Problems []string
}

// Error implements error.
func (v *LifecycleViolation) Error() string {
	return fmt.Sprintf("%v: %q", v.Scenario, v.Problems)
}

// shutdownBound is how long past its deadline Shutdown may take to return
// before a run reports it: far more than the scheduler needs on a loaded
// machine, far less than a Shutdown that waits for a stuck handler.
const shutdownBound = 2 * time.Second
