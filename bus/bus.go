package bus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Bus is a ring of events of type T with its sequencer and a graph of
// consumers: the LMAX Disruptor's DSL in Go. Build it with New, describe the
// consumers with HandleEventsWith, Then, HandleEventsWithWorkerPool and
// NewPoller, call Start, publish, and end with Shutdown or Halt.
//
// The zero value is not usable. Publishing methods may be called from one
// goroutine at a time unless the bus was built WithMultiProducer; all other
// methods are safe for concurrent use.
//
// Ordering: a successful Publish synchronizes before every handler call for
// that event, and a handler's call for an event synchronizes before the
// calls of the handlers that run after it (Then) for the same event.
type Bus[T any] struct {
	_    noCopy
	ring *Ring[T]
	sp   *SingleProducerSequencer // exactly one of sp and mp is set
	mp   *MultiProducerSequencer
	core *sequencerCore
	opts options

	mu        sync.Mutex
	consumers []runner
	started   bool
	wg        sync.WaitGroup
	cancel    context.CancelFunc
	nextIndex int

	endMu    sync.Mutex
	state    State // StateRunning until the end is decided, once
	err      error // the end's error
	ended    atomic.Bool
	done     chan struct{} // closed once the consumer goroutines ended, or Shutdown abandoned them
	doneOnce sync.Once
	shutOnce sync.Once
	shutDone chan struct{}
}

// runner is one consumer of a Bus: a batch event processor, a worker pool
// worker, or a poller (which has no goroutine of its own).
type runner interface {
	run(ctx context.Context, ready func(error)) error // calls ready after its start phase; nil for pollers
	progress() []*Sequence                            // the sequences downstream consumers and the producer wait on
	deps() []*Sequence                                // the sequences it waits on; none means the producer's
	halt()
	hasGoroutine() bool
	live() bool // its goroutine is running
	name() string
	counts() *counters // what Stats reports of it
}

// New returns a bus with no consumers. It accepts every Option; without
// any it has a single producer, DefaultSize slots, DefaultPad() padding and
// phased backoff. It refuses a ring whose slots would take more than
// MaxRingBytes (or the WithMaxRingBytes limit).
func New[T any](opts ...Option) (*Bus[T], error) {
	o, err := parseOptions(opts, optLast-1)
	if err != nil {
		return nil, err
	}
	var zero T
	if err := checkRingBytes(o.size, int64(unsafe.Sizeof(zero)), o.maxRingBytes); err != nil {
		return nil, errorf("New: %v", err)
	}
	b := &Bus[T]{opts: o, ring: newRing[T](o.size, o.pad), done: make(chan struct{}), shutDone: make(chan struct{})}
	if o.multi {
		b.mp = newMultiProducerSequencer(&o)
		b.core = &b.mp.sequencerCore
	} else {
		b.sp = newSingleProducerSequencer(&o)
		b.core = &b.sp.sequencerCore
	}
	return b, nil
}

// Ring returns the bus's ring, for preallocating what events point to.
func (b *Bus[T]) Ring() *Ring[T] { return b.ring }

// Cursor returns the highest sequence published (single producer) or
// claimed (multi producer) so far.
func (b *Bus[T]) Cursor() int64 { return b.core.Cursor() }

// RemainingCapacity returns how many events could be published now without
// waiting for consumers.
func (b *Bus[T]) RemainingCapacity() int64 {
	if b.sp != nil {
		return b.sp.RemainingCapacity()
	}
	return b.mp.RemainingCapacity()
}

// Group is a set of consumers added to a Bus together. Consumers added with
// its Then methods handle each event only after every consumer of the
// group has handled it.
type Group[T any] struct {
	bus  *Bus[T]
	seqs []*Sequence
}

// Sequences returns the progress sequences of the group's consumers.
func (g *Group[T]) Sequences() []*Sequence { return append([]*Sequence(nil), g.seqs...) }

// HandleEventsWith adds consumers that each see every event, in parallel,
// one goroutine each. It panics if called after Start.
func (b *Bus[T]) HandleEventsWith(handlers ...Handler[T]) *Group[T] {
	return b.addProcessors(nil, handlers)
}

// Then adds consumers that each see every event after all of g's consumers
// have handled it. A consumer added to two groups' Then follows both (the
// diamond: HandleEventsWith(a, b).Then(c)).
func (g *Group[T]) Then(handlers ...Handler[T]) *Group[T] {
	return g.bus.addProcessors(g.seqs, handlers)
}

// After returns a group whose Then methods follow every consumer of groups,
// for graphs that join independent branches.
func (b *Bus[T]) After(groups ...*Group[T]) *Group[T] {
	g := &Group[T]{bus: b}
	for _, x := range groups {
		g.seqs = append(g.seqs, x.seqs...)
	}
	return g
}

// HandleEventsWithWorkerPool adds a pool of workers that share the events:
// each event is handled by exactly one of them. Workers run in parallel, so
// events are not handled in sequence order across the pool.
func (b *Bus[T]) HandleEventsWithWorkerPool(workers ...Handler[T]) *Group[T] {
	return b.addPool(nil, workers)
}

// ThenWorkerPool adds a worker pool that takes each event after all of g's
// consumers have handled it.
func (g *Group[T]) ThenWorkerPool(workers ...Handler[T]) *Group[T] {
	return g.bus.addPool(g.seqs, workers)
}

// NewPoller adds a consumer that the caller drives: its own goroutine calls
// Poll to drain available events. A poller gates the producer like any
// consumer, so a poller nobody polls eventually stops publishing.
func (b *Bus[T]) NewPoller() *Poller[T] { return b.addPoller(nil) }

// ThenPoller adds a poller that sees each event after all of g's consumers.
func (g *Group[T]) ThenPoller() *Poller[T] { return g.bus.addPoller(g.seqs) }

func (b *Bus[T]) mustNotBeStarted(what string) {
	if b.started {
		panic("bus: " + what + " after Start")
	}
}

func (b *Bus[T]) config(h Handler[T]) (Handler[T], ProcessorConfig) {
	cfg := ProcessorConfig{Index: b.nextIndex, BatchLimit: b.opts.batchLimit, OnError: b.opts.onError, Pin: b.opts.pin}
	b.nextIndex++
	if n, ok := h.(*named[T]); ok {
		cfg.Name, h = n.name, n.h
	}
	return h, cfg
}

func (b *Bus[T]) addProcessors(deps []*Sequence, handlers []Handler[T]) *Group[T] {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustNotBeStarted("adding consumers")
	g := &Group[T]{bus: b}
	from := len(b.consumers)
	for _, h := range handlers {
		if h == nil {
			panic("bus: nil Handler")
		}
		h, cfg := b.config(h)
		p := newBatchEventProcessor(b.ring, b.core.NewBarrier(deps...), h, cfg)
		b.consumers = append(b.consumers, (*processorRunner[T])(p))
		g.seqs = append(g.seqs, p.seq)
	}
	b.join(deps, g.seqs)
	b.based(from)
	return g
}

// join makes consumers just added gate the producer from now on, as the
// LMAX Disruptor adds gating sequences as consumers are added: events
// published before Start wait in the ring for them. set holds their
// sequences (and a worker pool's work sequence), which start where deps
// stand, or at the cursor for consumers of the producer's events; the
// gating sequences become the leaves of the graph. It runs with b.mu held,
// before Start, so no consumer moves meanwhile but pollers, which no
// consumer follows.
//
// No producer overruns a new consumer: a producer's cached view of the
// gating sequences is at or below every consumer's sequence (each is at or
// above a leaf) and at or below the published cursor, and the new
// sequences start at one or the other; those that start at the cursor are
// set again after the swap, for publishes that ran meanwhile.
func (b *Bus[T]) join(deps, set []*Sequence) {
	if faultsEnabled && faultActive(faultGateAtStart) {
		return // the planted bug: Start adds the gating sequences
	}
	start := b.core.Cursor()
	if len(deps) > 0 {
		start = minSequence(deps, start)
	}
	for _, s := range set {
		s.Store(start)
	}
	b.core.setGating(b.leaves())
	if len(deps) == 0 {
		cur := b.core.Cursor()
		for _, s := range set {
			s.Store(max(s.Load(), cur))
		}
	}
}

// processorRunner adapts a BatchEventProcessor to runner.
type processorRunner[T any] BatchEventProcessor[T]

func (p *processorRunner[T]) run(ctx context.Context, ready func(error)) error {
	return (*BatchEventProcessor[T])(p).run(ctx, ready)
}

func (p *processorRunner[T]) live() bool {
	return (*BatchEventProcessor[T])(p).running.Load() == 1
}

// Named gives a handler a name, used in errors and to match the consumer
// with a profile's affinity plan. The bus unwraps it, so it costs nothing
// per event.
func Named[T any](name string, h Handler[T]) Handler[T] { return &named[T]{name: name, h: h} }

type named[T any] struct {
	name string
	h    Handler[T]
}

// OnEvent calls the wrapped handler; the bus unwraps named handlers, so
// this only runs when a named handler is used outside a Bus.
func (n *named[T]) OnEvent(ev *T, seq int64, end bool) error { return n.h.OnEvent(ev, seq, end) }

// Start starts one goroutine per consumer (pollers excepted) and waits
// until each has pinned itself and run its handler's OnStart. If one of
// them failed (an *EventError of PhasePin or PhaseStart), Start stops the
// others, waits for their goroutines, and returns the failure: the bus is
// then ended (StateFailed) and publishing returns ErrClosed. Start also
// returns an error if the bus was already started or shut down.
func (b *Bus[T]) Start() error {
	b.mu.Lock()
	if b.started {
		b.mu.Unlock()
		return errorf("Start: the bus was already started")
	}
	if b.core.Closed() {
		b.mu.Unlock()
		return ErrClosed
	}
	b.started = true
	if faultsEnabled && faultActive(faultGateAtStart) {
		b.core.AddGatingSequences(b.leaves()...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	ready := make(chan error, len(b.consumers))
	n := 0
	for _, c := range b.consumers {
		if !c.hasGoroutine() {
			continue
		}
		n++
		b.wg.Add(1)
		go func(c runner) {
			defer b.wg.Done()
			if err := c.run(ctx, func(err error) { ready <- err }); err != nil {
				b.fail(err)
			}
		}(c)
	}
	b.mu.Unlock()
	go func() {
		b.wg.Wait()
		b.doneOnce.Do(func() { close(b.done) })
	}()
	var failed error
	for range n {
		if err := <-ready; err != nil && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		b.fail(failed)
		<-b.done
		return b.Err()
	}
	return nil
}

// leaves returns the progress sequences no other consumer waits on.
func (b *Bus[T]) leaves() []*Sequence {
	followed := map[*Sequence]bool{}
	for _, c := range b.consumers {
		for _, d := range c.deps() {
			followed[d] = true
		}
	}
	var out []*Sequence
	for _, c := range b.consumers {
		for _, s := range c.progress() {
			if !followed[s] {
				out = append(out, s)
			}
		}
	}
	return out
}

// State says how a bus ended, or that it has not.
type State uint8

// The states of a Bus, as State reports them. A bus is StateRunning until
// the first of its ends happens; that one is its end for good.
const (
	// StateRunning: the bus has not ended (it may not be started yet).
	StateRunning State = iota
	// StateDrained: Shutdown returned nil: every event published was
	// handled by every consumer that should see it, and every consumer
	// goroutine ended.
	StateDrained
	// StateHalted: Halt stopped the bus; events may be left unhandled.
	StateHalted
	// StateFailed: a consumer failed (an *EventError, or what an error
	// policy returned) and the bus halted.
	StateFailed
	// StateAbandoned: Shutdown's context ended first; the *ShutdownError
	// says how many events were left unhandled and which consumers were
	// still running.
	StateAbandoned
)

var stateNames = [...]string{StateRunning: "running", StateDrained: "drained", StateHalted: "halted", StateFailed: "failed", StateAbandoned: "abandoned"}

// String returns the state's name.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + itoa(int(s)) + ")"
}

// ShutdownError is the error of a Shutdown whose context ended before the
// consumers had handled everything and ended: the bus is StateAbandoned.
type ShutdownError struct {
	Err       error      // the context's error
	Unhandled int64      // events published that some consumer had not handled
	Consumers []Progress // the consumers still running or behind
}

// Progress is how far one consumer got.
type Progress struct {
	Name    string // the consumer's name: its handler's, or "#N", or "poller#N"
	Seq     int64  // the last sequence it handled
	Running bool   // its goroutine had not ended (a handler that does not return)
}

// Error implements error.
func (e *ShutdownError) Error() string {
	msg := format("bus: Shutdown abandoned with %d events unhandled: %v", e.Unhandled, e.Err)
	for i, c := range e.Consumers {
		sep := ", "
		if i == 0 {
			sep = "; consumers not done: "
		}
		msg += sep + format("%s at sequence %d", c.Name, c.Seq)
		if c.Running {
			msg += " (running)"
		}
	}
	return msg
}

// Unwrap returns the context's error.
func (e *ShutdownError) Unwrap() error { return e.Err }

// finish decides the bus's end, if it is not decided yet.
func (b *Bus[T]) finish(s State, err error) {
	b.endMu.Lock()
	defer b.endMu.Unlock()
	if b.state == StateRunning {
		b.state, b.err = s, err
		b.ended.Store(true)
	}
}

// fail records a consumer failure as the bus's end, unless it has ended
// already, and halts the bus.
func (b *Bus[T]) fail(err error) {
	b.finish(StateFailed, err)
	b.stop()
}

// stop halts the sequencer and every consumer, without deciding the end.
func (b *Bus[T]) stop() {
	b.core.Halt()
	b.mu.Lock()
	for _, c := range b.consumers {
		c.halt()
	}
	b.mu.Unlock()
}

// State returns how the bus ended, or StateRunning if it has not.
// State and Err change together, once: Err is nil for StateRunning and
// StateDrained, ErrHalted for StateHalted, the failure for StateFailed and
// a *ShutdownError for StateAbandoned.
func (b *Bus[T]) State() State {
	b.endMu.Lock()
	defer b.endMu.Unlock()
	return b.state
}

// Err returns how the bus ended, as an error: nil while it runs and after
// it drained, ErrHalted after Halt, the failure that stopped it (an
// *EventError, or what an error policy returned), or a *ShutdownError
// after a Shutdown whose context ended first. Shutdown and Wait return
// the same error.
func (b *Bus[T]) Err() error {
	if !b.ended.Load() {
		return nil
	}
	b.endMu.Lock()
	defer b.endMu.Unlock()
	return b.err
}

// Halt stops the bus now: claims fail with ErrClosed (a producer blocked on
// a full ring is released), and every consumer returns after the event it
// is handling, whatever is left in its batch and in the ring. The bus ends
// StateHalted, unless it had ended already. Use Wait to wait for the
// consumers' goroutines to end. Halt is idempotent.
func (b *Bus[T]) Halt() {
	b.finish(StateHalted, ErrHalted)
	b.stop()
}

// Wait waits for every consumer goroutine to end (after Halt, Shutdown or a
// failure), or for a Shutdown to abandon them, and returns Err: nil if the
// bus drained, or why it did not. It returns at once if the bus was never
// started.
func (b *Bus[T]) Wait() error {
	b.mu.Lock()
	started := b.started
	b.mu.Unlock()
	if started {
		<-b.done
		b.cancel()
	}
	return b.Err()
}

// Close stops accepting events without waiting for anything: claims
// return ErrClosed from now on and producers blocked on a full ring are
// released, while consumers go on handling what was published. It is the
// first step of ending a bus from a Poller's own goroutine: Close, Poll
// until Poll returns PollClosed, then Shutdown (see the Poller example).
// Close is idempotent.
func (b *Bus[T]) Close() { b.core.Close() }

// Shutdown stops accepting events, waits until every consumer has handled
// everything published, then stops the consumers and waits for their
// goroutines to end, and returns Err: nil when the bus drained. A Publish
// that returned nil before Shutdown was called, or concurrently with it,
// is handled by every consumer that should see it, unless Shutdown
// returns an error.
//
// Like http.Server.Shutdown, it never waits past ctx: when ctx ends first
// it halts the bus and returns a *ShutdownError (wrapping ctx.Err()) that
// says how many events were left unhandled and names the consumers not
// done, with the sequence each reached, without waiting for a handler
// that does not return. After Halt or a failure it does not wait for the
// consumers to drain the ring: it returns ErrHalted or the failure as
// soon as their goroutines end. Before Start, nothing handles what was
// published: Shutdown ends the bus, abandoned if events were published
// to a consumer. Calling Shutdown again returns the first call's result
// once it is known.
//
// A consumer driven by a Poller must be drained by its own goroutine: see
// Close.
func (b *Bus[T]) Shutdown(ctx context.Context) error {
	b.shutOnce.Do(func() {
		b.shutdown(ctx)
		close(b.shutDone)
	})
	<-b.shutDone
	return b.Err()
}

func (b *Bus[T]) shutdown(ctx context.Context) {
	b.core.Close()
	b.mu.Lock()
	started := b.started
	b.mu.Unlock()
	// Every Publish that saw the bus open is covered by this cursor: its
	// store came before its check of the closed flag, and Close came before
	// this load (both sequentially consistent, or fenced).
	target := b.core.Cursor()
	if !started {
		b.stop()
		if n := target - minSequence(b.progressSeqs(), target); n > 0 {
			b.abandon(ErrNotStarted, target)
		}
		b.finish(StateDrained, nil)
		return
	}
	progress := b.progressSeqs()
	wait := time.Microsecond * 50
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for minSequence(progress, target) < target && !b.ended.Load() {
		select {
		case <-ctx.Done():
			if faultsEnabled && faultActive(faultShutdownIgnoresContext) {
				b.stop()
				<-b.done // the planted bug: wait for the goroutines, whatever ctx says
			}
			b.abandon(ctx.Err(), target)
			return
		case <-timer.C:
		}
		if wait < 5*time.Millisecond {
			wait *= 2
		}
		timer.Reset(wait)
	}
	b.stop()
	select {
	case <-b.done:
		b.finish(StateDrained, nil)
	case <-ctx.Done():
		b.abandon(ctx.Err(), target)
	}
}

// abandon ends the bus StateAbandoned with a *ShutdownError for cause,
// target being the last sequence published, halts it, and lets Wait
// return without waiting for the goroutines.
func (b *Bus[T]) abandon(cause error, target int64) {
	e := &ShutdownError{Err: cause}
	b.mu.Lock()
	low := target
	for _, c := range b.consumers {
		seq := minSequence(c.progress(), target)
		low = min(low, seq)
		if run := c.live(); run || seq < target {
			e.Consumers = append(e.Consumers, Progress{Name: c.name(), Seq: seq, Running: run})
		}
	}
	b.mu.Unlock()
	e.Unhandled = target - low
	b.finish(StateAbandoned, e)
	b.stop()
	b.doneOnce.Do(func() { close(b.done) })
}

func (b *Bus[T]) progressSeqs() []*Sequence {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*Sequence
	for _, c := range b.consumers {
		out = append(out, c.progress()...)
	}
	return out
}

// Publish claims the next slot, calls fill to write the event in place, and
// publishes it; fill must not retain the pointer. Publish waits with the
// wait strategy while the ring is full (before Start too, until Start and
// the consumers make room). It returns ErrClosed once the bus is shut
// down, closed or halted (also to a producer released from a full ring by
// Shutdown, Close or Halt). A nil return means the event will be handled
// by every consumer that should see it, unless the bus reports otherwise
// (see the package documentation); ErrClosed returned after fill ran
// means the bus closed concurrently and the event may or may not be
// handled.
//
// If fill panics, the claimed slot is published marked as skipped, so
// that no consumer's handler sees it and no other producer waits for it,
// and the panic goes on in the caller. (A batch whose last event is a
// skipped slot ends without a call with endOfBatch set.)
func (b *Bus[T]) Publish(fill func(ev *T, seq int64)) error {
	return b.publish(context.Background(), 1, fill, true)
}

// PublishContext is Publish that gives up waiting for room when ctx is
// done: it then returns ctx.Err() and claims nothing, as
// semaphore.Acquire does. A ring with room is claimed even if ctx is done.
func (b *Bus[T]) PublishContext(ctx context.Context, fill func(ev *T, seq int64)) error {
	return b.publish(ctx, 1, fill, true)
}

// PublishBatch claims n slots at once, calls fill for each in sequence
// order and publishes them together: cheaper per event than n Publish calls,
// and consumers see the events as one batch. n must be between 1 and the
// ring size. If fill panics, all n slots are published marked as skipped.
func (b *Bus[T]) PublishBatch(n int, fill func(ev *T, seq int64)) error {
	return b.publish(context.Background(), n, fill, true)
}

// TryPublish is Publish that never waits: it returns ErrInsufficientCapacity
// when the ring is full.
func (b *Bus[T]) TryPublish(fill func(ev *T, seq int64)) error {
	return b.publish(context.Background(), 1, fill, false)
}

// TryPublishBatch is PublishBatch that never waits: it returns
// ErrInsufficientCapacity when the ring lacks n free slots.
func (b *Bus[T]) TryPublishBatch(n int, fill func(ev *T, seq int64)) error {
	return b.publish(context.Background(), n, fill, false)
}

func (b *Bus[T]) publish(ctx context.Context, n int, fill func(*T, int64), wait bool) error {
	lo, hi, err := b.claim(ctx, n, wait)
	if err != nil {
		return err
	}
	// If fill panics (or exits the goroutine), unfilled publishes lo..hi
	// marked as skipped on the way out, and the panic goes on: the claim
	// does not wedge the ring, and no consumer takes an unfilled slot for
	// an event. A deferred method call with its arguments is open-coded: a
	// direct call at the return, with no closure.
	filled := false
	defer b.unfilled(lo, hi, &filled)
	for s := lo; s <= hi; s++ {
		fill(b.ring.Get(s), s)
	}
	filled = true
	b.commit(lo, hi)
	b.core.notify.wake()
	return b.published()
}

// unfilled publishes lo..hi marked as skipped unless *filled: the claim of
// a publish whose fill did not return.
func (b *Bus[T]) unfilled(lo, hi int64, filled *bool) {
	if !*filled {
		b.skip(lo, hi)
	}
}

// skip publishes lo..hi, claimed, marked as skipped.
func (b *Bus[T]) skip(lo, hi int64) {
	if !faultsEnabled || !faultActive(faultFillPanicUnmarked) {
		b.core.markSkipped(lo, hi)
	}
	b.commit(lo, hi)
	b.core.notify.wakeAll()
}

// claim claims n slots from the bus's sequencer, waiting for room if wait
// is set: the sequencer's Next, or TryNext. A wait ends when ctx is done.
func (b *Bus[T]) claim(ctx context.Context, n int, wait bool) (lo, hi int64, err error) {
	if b.mp != nil {
		return b.mp.claim(ctx, n, wait)
	}
	if hi, ok := b.sp.claimFast(n); ok {
		return hi - int64(n) + 1, hi, nil
	}
	return b.sp.claim(ctx, n, wait)
}

// commit publishes lo..hi, which claim returned.
func (b *Bus[T]) commit(lo, hi int64) {
	if b.mp != nil {
		b.mp.publishRange(lo, hi)
	} else {
		b.sp.publishRange(hi)
	}
}

// published is what a publish returns once its events are published:
// ErrClosed if the bus closed meanwhile, since the events may then not be
// handled, and nil otherwise.
func (b *Bus[T]) published() error {
	if b.core.closed.isRaised() {
		return ErrClosed
	}
	return nil
}

// Next claims n slots for a producer that writes events itself through
// Ring().Get and then calls PublishRange; prefer Publish, which cannot
// leave a claim unpublished. It returns ErrClosed after Shutdown, Close or
// Halt.
func (b *Bus[T]) Next(n int) (lo, hi int64, err error) {
	return b.claim(context.Background(), n, true)
}

// NextContext is Next that gives up waiting for room when ctx is done: it
// then returns ctx.Err() and claims nothing.
func (b *Bus[T]) NextContext(ctx context.Context, n int) (lo, hi int64, err error) {
	return b.claim(ctx, n, true)
}

// PublishRange publishes slots claimed with Next. It returns an error
// wrapping ErrInvalid for a range that was not claimed, and ErrClosed when
// the bus closed concurrently (the events may or may not be handled).
func (b *Bus[T]) PublishRange(lo, hi int64) error {
	var err error
	if b.mp != nil {
		err = b.mp.Publish(lo, hi)
	} else {
		err = b.sp.Publish(lo, hi)
	}
	if err != nil {
		return err
	}
	return b.published()
}
