package stress

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/goleak"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// DefaultStall is how long a run may go without any event being published
// or handled, while work is pending, before the watchdog fails it.
const DefaultStall = 10 * time.Second

// Options configures Run. The zero value is ready to use: DefaultStall and
// the goroutine-leak check on.
type Options struct {
	// Watch, when not nil, is called with the Stats method of the run's
	// bus once it is built, and the function it returns when the run
	// ends: busstress -metrics exports each run's bus with it.
	Watch func(stats func() bus.Stats) (unwatch func())
	// Stall is how long nothing may move while work is pending before the
	// run fails with a Progress violation and a goroutine dump; 0 means
	// DefaultStall.
	Stall time.Duration
	// NoLeakCheck turns off the check that every goroutine the run started
	// (the bus's included) has ended when it returns.
	NoLeakCheck bool
	// Profile, when not nil, is the machine profile the scenario runs
	// under: the bus is built with affinity.WithProfile (the profile's
	// layout, and each consumer pinned as its plan says) and each producer
	// pins itself with affinity.PinProducer. Pollers run unpinned. The
	// scenario must have been drawn on the profile's layout (GenerateOn);
	// Run rejects one whose pad, ring size or wait strategy differ.
	Profile *affinity.Profile
}

// Report says what a run did.
type Report struct {
	Scenario  Scenario
	Published int64         // events whose Publish returned nil
	Handled   int64         // handler calls and polled events, over all consumers
	Failures  int64         // injected handler failures (errors and panics)
	BusErr    error         // what Shutdown (or Wait, after Halt) returned
	Elapsed   time.Duration // from Start to the end of the checks
}

// Moved returns the events moved by the run: published events times the
// consumers that handled them, as counted by Handled.
func (r Report) Moved() int64 { return r.Handled }

// Run builds the bus s describes, runs it to its end and checks every
// invariant. It returns a *Violation for the first invariant broken (with
// the count of others), a validation error for a scenario that cannot run,
// or ctx.Err() if ctx ended first. Run sets GOMAXPROCS for the run and
// restores it; runs must not overlap.
func Run(ctx context.Context, s Scenario, opts Options) (Report, error) {
	rep := Report{Scenario: s}
	if err := s.Validate(); err != nil {
		return rep, err
	}
	if p := opts.Profile; p != nil {
		if l := p.Layout; s.Pad != l.PadBytes || s.RingSize != l.RingSize || s.Wait != l.Wait {
			return rep, fmt.Errorf("stress: seed %d: the scenario's pad %d, ring %d and wait %s are not the profile's %d, %d and %s: draw it with GenerateOn",
				s.Seed, s.Pad, s.RingSize, s.Wait, l.PadBytes, l.RingSize, l.Wait)
		}
	}
	stall := opts.Stall
	if stall <= 0 {
		stall = DefaultStall
	}
	var before goleak.Option
	if !opts.NoLeakCheck {
		before = goleak.IgnoreCurrent()
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(s.GOMAXPROCS))

	r, err := newRun(ctx, s, opts.Profile)
	if err != nil {
		return rep, err
	}
	defer r.cancel()
	if opts.Watch != nil {
		defer opts.Watch(r.b.Stats)()
	}
	start := time.Now()
	if err := r.b.Start(); err != nil {
		return rep, fmt.Errorf("stress: seed %d: Start: %w", s.Seed, err)
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		r.drive()
	}()
	abandoned := r.watch(ctx, stall, finished)
	if abandoned {
		// The bus did not stop after the watchdog halted it: report the stall
		// and leave its goroutines behind (and busErr, which drive may still
		// write, unread).
		return r.report(rep, start), r.result()
	}
	rep.BusErr = r.busErr
	if err := r.pinErr(); err != nil {
		return r.report(rep, start), fmt.Errorf("stress: seed %d: %w", s.Seed, err)
	}
	r.check()
	if ctx.Err() != nil && r.firstViolation() == nil {
		return r.report(rep, start), ctx.Err()
	}
	if !opts.NoLeakCheck && r.firstViolation() == nil {
		if err := goleak.Find(before); err != nil {
			r.violateDump(Leak, "goroutines outlived the run", err.Error())
		}
	}
	return r.report(rep, start), r.result()
}

// run is one execution of a Scenario: its bus, consumers and producers,
// how it ends, and the violations it found.
type run struct {
	s        Scenario
	b        *bus.Bus[event]
	ctx      context.Context // cancelled to stop the run
	cancel   context.CancelFunc
	cons     []*consumer
	handlers []*handler // of processors and pool workers
	prods    []*producer
	poll     []func()
	plan     *affinity.Plan                                                      // the producers' pinning, or nil
	hook     func(ctx context.Context, handler string, e *event, seq int64) bool // seeHook when the run started

	published atomic.Int64
	trigger   chan struct{}
	trigOnce  sync.Once
	busErr    error

	mu     sync.Mutex
	first  *Violation
	more   int
	pinned error // the first producer that could not pin itself

	stopFail struct { // the failure of a PolicyStop scenario, once it happened
		sync.Mutex
		done   bool
		worker string
		seq    int64
		p      int
		n      int64
	}
}

// drive runs the producers and pollers, ends the bus as the scenario says
// and waits for every goroutine it started.
func (r *run) drive() {
	var prods, polls sync.WaitGroup
	prodsDone := make(chan struct{})
	for _, pr := range r.prods {
		prods.Go(pr.run)
	}
	for _, f := range r.poll {
		polls.Go(f)
	}
	go func() { prods.Wait(); close(prodsDone) }()
	if r.s.End != EndDrain {
		select {
		case <-r.trigger:
		case <-prodsDone:
		}
	} else {
		<-prodsDone
	}
	if r.s.End == EndHalt {
		r.b.Halt()
		r.busErr = r.b.Wait()
	} else {
		r.busErr = r.b.Shutdown(r.ctx)
	}
	<-prodsDone
	polls.Wait()
}

func (r *run) report(rep Report, start time.Time) Report {
	rep.Elapsed = time.Since(start)
	for _, pr := range r.prods {
		rep.Published += pr.pub.Load()
	}
	for _, c := range r.cons {
		rep.Handled += c.handled.Load()
		rep.Failures += c.failures.Load()
	}
	return rep
}
