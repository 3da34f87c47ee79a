package bus

// This file holds how a Bus starts and ends: Start, the end states, Halt,
// Wait, Close and Shutdown.

import (
	"context"
	"time"
)

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
	Unhandled int64      // events published (with WithMultiProducer, slots claimed) that some consumer had not handled
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
// released at once, having claimed nothing and called no fill, while
// consumers go on handling what was published. It is the first step of ending a bus from a Poller's own goroutine: Close, Poll
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
