package bus

import "context"

// PollState says what a Poll call found.
type PollState int

// The results of Poll.
const (
	// PollProcessing means events were handed to the callback.
	PollProcessing PollState = iota
	// PollGating means events are published but an upstream consumer has
	// not handled them yet.
	PollGating
	// PollIdle means nothing new has been published.
	PollIdle
	// PollClosed means the bus was closed (Close, Shutdown) and the poller
	// has taken every event published: nothing more will come.
	PollClosed
)

// String returns the state's name.
func (s PollState) String() string {
	switch s {
	case PollProcessing:
		return "processing"
	case PollGating:
		return "gating"
	case PollIdle:
		return "idle"
	case PollClosed:
		return "closed"
	}
	return "PollState(" + itoa(int(s)) + ")"
}

// Poller is a consumer driven by the caller's goroutine instead of one the
// bus starts: Poll hands the available events to a callback in sequence
// order, and Wait blocks until there is something to poll. It is for code
// that owns its goroutine (an event loop, a game tick). One goroutine at a
// time may use a Poller.
//
// A Publish synchronizes before the Poll call that hands its event over.
type Poller[T any] struct {
	ring    *Ring[T]
	barrier *Barrier
	seq     *Sequence
	label   string // "poller#N", N its position in the bus
}

func (b *Bus[T]) addPoller(deps []*Sequence) *Poller[T] {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustNotBeStarted("adding consumers")
	p := &Poller[T]{ring: b.ring, barrier: b.core.NewBarrier(deps...), seq: b.core.NewSequence(), label: "poller#" + itoa(b.nextIndex)}
	b.nextIndex++
	p.barrier.waiter.poller = true
	b.consumers = append(b.consumers, p)
	b.join(deps, []*Sequence{p.seq})
	b.based(len(b.consumers) - 1)
	return p
}

func (p *Poller[T]) run(context.Context, func(error)) error { return nil }
func (p *Poller[T]) progress() []*Sequence                  { return []*Sequence{p.seq} }
func (p *Poller[T]) deps() []*Sequence                      { return p.barrier.waiter.deps }
func (p *Poller[T]) halt()                                  { p.barrier.Halt() }
func (p *Poller[T]) hasGoroutine() bool                     { return false }
func (p *Poller[T]) live() bool                             { return false }
func (p *Poller[T]) name() string                           { return p.label }
func (p *Poller[T]) counts() *counters                      { return &p.barrier.waiter.count }

// Sequence returns the poller's progress: the last sequence handed over.
func (p *Poller[T]) Sequence() *Sequence { return p.seq }

// Poll calls fn for each available event in sequence order, until fn
// returns false or the available events run out, and then marks the events
// handed over as consumed. endOfBatch is true for the last available event.
// It returns ErrHalted once the bus is halted. If fn panics, the events
// before the panicking one are marked consumed and the panic goes on.
func (p *Poller[T]) Poll(fn func(ev *T, seq int64, endOfBatch bool) bool) (PollState, error) {
	if p.barrier.Halted() {
		return PollIdle, ErrHalted
	}
	cur := p.seq.Load()
	next := cur + 1
	avail := p.barrier.Available(next)
	if avail < next {
		// sealed first: once it is raised, the cursor covers every
		// publish that returned nil.
		sealed := p.barrier.core.sealed.isRaised()
		if !sealed && p.barrier.core.marks != nil && len(p.barrier.waiter.deps) == 0 {
			// A poller that follows the producer through the Marks is
			// never gated (the cursor passes next only after next's
			// Mark), and reading the cursor would pull its line away
			// from the producer.
			return PollIdle, nil
		}
		switch {
		case p.barrier.Cursor() >= next:
			return PollGating, nil
		case sealed:
			return PollClosed, nil
		}
		return PollIdle, nil
	}
	skip := p.barrier.flags.Load()&flagSkip != 0
	done := cur
	defer func() {
		p.seq.Store(done)
		p.barrier.core.notify.wake()
	}()
	for s := next; s <= avail; s++ {
		if skip && p.barrier.skip(s) {
			done = s
			continue
		}
		more := fn(p.ring.Get(s), s, s == avail)
		done = s
		if !more {
			break
		}
	}
	return PollProcessing, nil
}

// Wait blocks, with the bus's wait strategy, until an event is available
// to Poll. It returns ErrHalted once the bus is halted, ErrClosed once the
// bus is closed and nothing more will come, ctx.Err() when ctx ends, and
// ErrTimeout if a timeout wait strategy gave up.
func (p *Poller[T]) Wait(ctx context.Context) error {
	_, err := p.barrier.WaitForContext(ctx, p.seq.Load()+1)
	return err
}
