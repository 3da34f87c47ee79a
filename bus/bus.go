package bus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
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
	errOnce   sync.Once
	err       error
	failed    atomic.Bool
	shutOnce  sync.Once
	shutErr   error
	shutDone  chan struct{}
	nextIndex int
}

// runner is one consumer of a Bus: a batch event processor, a worker pool
// worker, or a poller (which has no goroutine of its own).
type runner interface {
	run(ctx context.Context) error // nil for pollers
	progress() []*Sequence         // the sequences downstream consumers and the producer wait on
	deps() []*Sequence             // the sequences it waits on; none means the producer's
	halt()
	hasGoroutine() bool
}

// New returns a bus with no consumers. It accepts every Option; without
// any it has a single producer, DefaultSize slots, DefaultPad() padding and
// phased backoff.
func New[T any](opts ...Option) (*Bus[T], error) {
	o, err := parseOptions(opts, optLast-1)
	if err != nil {
		return nil, err
	}
	b := &Bus[T]{opts: o, ring: newRing[T](o.size, o.pad), shutDone: make(chan struct{})}
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
	for _, h := range handlers {
		if h == nil {
			panic("bus: nil Handler")
		}
		h, cfg := b.config(h)
		p := newBatchEventProcessor(b.ring, b.core.NewBarrier(deps...), h, cfg)
		b.consumers = append(b.consumers, (*processorRunner[T])(p))
		g.seqs = append(g.seqs, p.seq)
	}
	return g
}

// processorRunner adapts a BatchEventProcessor to runner.
type processorRunner[T any] BatchEventProcessor[T]

func (p *processorRunner[T]) run(ctx context.Context) error {
	return (*BatchEventProcessor[T])(p).Run(ctx)
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

// Start starts one goroutine per consumer (pollers excepted) and makes the
// leaf consumers gate the producer. It returns an error if the bus was
// already started or shut down.
func (b *Bus[T]) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return errorf("Start: the bus was already started")
	}
	if b.core.Closed() {
		return ErrClosed
	}
	b.started = true
	b.core.AddGatingSequences(b.leaves()...)
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	for _, c := range b.consumers {
		if !c.hasGoroutine() {
			continue
		}
		b.wg.Add(1)
		go func(c runner) {
			defer b.wg.Done()
			if err := c.run(ctx); err != nil {
				b.fail(err)
			}
		}(c)
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

// fail records the first consumer failure and halts the bus.
func (b *Bus[T]) fail(err error) {
	b.errOnce.Do(func() {
		b.err = err
		b.failed.Store(true)
	})
	b.core.Halt()
}

// Err returns the failure that stopped the bus, or nil.
func (b *Bus[T]) Err() error {
	if b.failed.Load() {
		return b.err
	}
	return nil
}

// Halt stops the bus now: claims fail with ErrClosed (a producer blocked on
// a full ring is released), and every consumer returns after the event it
// is handling, whatever is left in its batch and in the ring. Use Wait to wait for the
// consumers' goroutines to end. Halt is idempotent.
func (b *Bus[T]) Halt() {
	b.core.Halt()
	b.mu.Lock()
	for _, c := range b.consumers {
		c.halt()
	}
	b.mu.Unlock()
}

// Wait waits for every consumer goroutine to end (after Halt, Shutdown or a
// failure) and returns the failure that stopped the bus, if any: an
// *EventError whose Err is the handler's error or a *PanicError.
func (b *Bus[T]) Wait() error {
	b.wg.Wait()
	if b.cancel != nil {
		b.cancel()
	}
	return b.Err()
}

// Shutdown stops accepting events, waits until every consumer has handled
// everything published, then stops the consumers and waits for their
// goroutines to end. It returns the failure that stopped the bus, if any,
// or ctx.Err() if ctx ended first, in which case it halts the bus and still
// waits for the consumer goroutines before returning. A Publish that returned
// nil before Shutdown was called, or concurrently with it, is handled by
// every consumer that should see it. Calling Shutdown again returns the
// first call's result once it is known. After Halt, Shutdown does not wait
// for the halted consumers to drain the ring: it returns ErrHalted (or the
// failure that halted the bus) as soon as the consumer goroutines end.
func (b *Bus[T]) Shutdown(ctx context.Context) error {
	b.shutOnce.Do(func() {
		b.shutErr = b.shutdown(ctx)
		close(b.shutDone)
	})
	<-b.shutDone
	return b.shutErr
}

func (b *Bus[T]) shutdown(ctx context.Context) error {
	b.core.Close()
	b.mu.Lock()
	started := b.started
	b.mu.Unlock()
	if !started {
		b.Halt()
		return nil
	}
	// Every Publish that saw the bus open is covered by this cursor: its
	// store came before its check of the closed flag, and Close came before
	// this load (both sequentially consistent).
	target := b.core.Cursor()
	progress := b.progressSeqs()
	wait := time.Microsecond * 50
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for minSequence(progress, target) < target {
		if b.failed.Load() {
			break
		}
		if b.core.halted.isRaised() {
			// Halted consumers will not drain the ring: report it at once.
			if err := b.Wait(); err != nil {
				return err
			}
			return ErrHalted
		}
		select {
		case <-ctx.Done():
			b.Halt()
			b.Wait()
			return ctx.Err()
		case <-timer.C:
		}
		if wait < 5*time.Millisecond {
			wait *= 2
		}
		timer.Reset(wait)
	}
	b.Halt()
	return b.Wait()
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
// wait strategy while the ring is full. It returns ErrClosed once the bus
// is shut down or halted (also to a producer released from a full ring by
// Shutdown or Halt). A nil return means the event will be handled by every
// consumer that should see it; ErrClosed returned after fill ran means the
// bus closed concurrently and the event may or may not be handled.
func (b *Bus[T]) Publish(fill func(ev *T, seq int64)) error {
	return b.publish(1, fill, true)
}

// PublishBatch claims n slots at once, calls fill for each in sequence
// order and publishes them together: cheaper per event than n Publish calls,
// and consumers see the events as one batch. n must be between 1 and the
// ring size.
func (b *Bus[T]) PublishBatch(n int, fill func(ev *T, seq int64)) error {
	return b.publish(n, fill, true)
}

// TryPublish is Publish that never waits: it returns ErrInsufficientCapacity
// when the ring is full.
func (b *Bus[T]) TryPublish(fill func(ev *T, seq int64)) error {
	return b.publish(1, fill, false)
}

// TryPublishBatch is PublishBatch that never waits: it returns
// ErrInsufficientCapacity when the ring lacks n free slots.
func (b *Bus[T]) TryPublishBatch(n int, fill func(ev *T, seq int64)) error {
	return b.publish(n, fill, false)
}

func (b *Bus[T]) publish(n int, fill func(*T, int64), wait bool) error {
	lo, hi, err := b.claim(n, wait)
	if err != nil {
		return err
	}
	for s := lo; s <= hi; s++ {
		fill(b.ring.Get(s), s)
	}
	b.commit(lo, hi)
	b.core.notify.wake()
	return b.published()
}

// claim claims n slots from the bus's sequencer, waiting for room if wait
// is set: the sequencer's Next, or TryNext.
func (b *Bus[T]) claim(n int, wait bool) (lo, hi int64, err error) {
	if b.mp != nil {
		return b.mp.claim(n, wait)
	}
	if hi, ok := b.sp.claimFast(n); ok {
		return hi - int64(n) + 1, hi, nil
	}
	return b.sp.claim(n, wait)
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
// leave a claim unpublished. It returns ErrClosed after Shutdown or Halt.
func (b *Bus[T]) Next(n int) (lo, hi int64, err error) {
	return b.claim(n, true)
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
