package bus

import (
	"context"
	"math"
	"time"
)

// Waiter is what a wait strategy waits on: the sequences a barrier or a
// producer depends on, the conditions that end the wait (halt, close, a
// context), and a way to park until something moves. Barriers and
// sequencers create Waiters; a WaitStrategy only uses them. A Waiter is
// used by one goroutine at a time.
type Waiter struct {
	core     *sequencerCore
	deps     []*Sequence     // consumer: sequences that must reach seq; empty means the cursor
	producer bool            // a producer waiting for free slots: watches the gating sequences
	holds    bool            // the producer already holds its claim: only a halt ends its wait (see MultiProducerSequencer.Next)
	poller   bool            // a Poller's wait: also ends once the bus is closed and drained
	alert    *alert          // the consumer's own halt, or nil
	ctx      context.Context // ends the wait when done, or nil
	seq      int64           // the sequence waited for
	gap      int             // PhasedBackoffWait's pause between checks, in spin hints
	wakeCh   chan struct{}
	timer    *time.Timer
	count    counters // its consumer's counts (see Stats); a producer's are unused
}

// Seq returns the sequence the current wait is for.
func (w *Waiter) Seq() int64 { return w.seq }

// Available returns the highest sequence available right now: for a
// consumer, the highest published sequence (or the lowest progress of the
// consumers it depends on); for a producer waiting on a full ring, the
// lowest progress of the gating consumers. The wait is over once
// Available() >= Seq().
func (w *Waiter) Available() int64 {
	if w.producer {
		return minSequence(w.core.gatingSeqs(), math.MaxInt64)
	}
	if len(w.deps) > 0 {
		return minSequence(w.deps, math.MaxInt64)
	}
	if m := w.core.marks; m != nil {
		return m.highest(w.seq)
	}
	if w.core.avail != nil {
		// A multi-producer ring: the slots' flags say what is published,
		// and the cursor (what is claimed) is not read. Reading it would
		// pull its cache line away from the producers, whose next claim,
		// a locked instruction, would then wait for it to come back.
		return w.core.highestPublished(w.seq, w.seq+w.core.size-1)
	}
	return w.core.cursor.Load()
}

// Err reports why the wait must end early, or nil: ErrClosed for a producer
// once the sequencer is closed (for a producer that already holds its
// claim, only once the sequencer is halted), ErrHalted for a consumer once
// it or the bus is halted, ErrClosed for a Poller once the bus is closed
// and nothing it waits for will be published, or the context's error.
func (w *Waiter) Err() error {
	if w.producer {
		if w.holdsClaim() {
			if w.core.halted.isRaised() {
				return ErrClosed
			}
		} else if w.core.closed.isRaised() {
			return ErrClosed
		}
	} else if w.core.halted.isRaised() || (w.alert != nil && w.alert.isRaised()) {
		return ErrHalted
	} else if w.poller && w.core.sealed.isRaised() && w.core.cursor.Load() < w.seq {
		return ErrClosed
	}
	if w.ctx != nil {
		return w.ctx.Err()
	}
	return nil
}

// Block parks the calling goroutine until a sequence it may depend on
// advances, the wait must end (see Err), or timeout passes (0 means no
// timeout). It returns nil when woken, which may be spuriously: callers
// check Available again. It returns ErrTimeout after the timeout and Err's
// error when the wait must end. Parking costs no CPU; publishers and
// consumers wake parked goroutines only when some are parked.
func (w *Waiter) Block(timeout time.Duration) error {
	if w.wakeCh == nil {
		w.wakeCh = make(chan struct{}, 1)
	}
	n := &w.core.notify
	n.park(w.wakeCh, !w.producer && len(w.deps) == 0)
	defer n.unpark(w.wakeCh)
	if w.Available() >= w.seq {
		return nil
	}
	if err := w.Err(); err != nil {
		return err
	}
	var expired <-chan time.Time
	if timeout > 0 {
		expired = w.arm(timeout)
		defer w.timer.Stop()
	}
	w.count.parks.Add(1)
	stop, own, done := w.exits()
	select {
	case <-w.wakeCh:
		return nil
	case <-stop:
	case <-own:
	case <-done:
	case <-expired:
		return ErrTimeout
	}
	return w.Err()
}

// Sleep pauses the calling goroutine for d, but no longer than the wait
// may last: it returns nil after d, and Err's error as soon as the wait
// must end (a halt, a close, the context), however long d is. Unlike
// Block, it is not woken by publishes.
func (w *Waiter) Sleep(d time.Duration) error {
	if err := w.Err(); err != nil {
		return err
	}
	w.count.parks.Add(1)
	expired := w.arm(d)
	defer w.timer.Stop()
	stop, own, done := w.exits()
	select {
	case <-stop:
	case <-own:
	case <-done:
	case <-expired:
		return nil
	}
	return w.Err()
}

// arm starts the waiter's timer for d and returns its channel.
func (w *Waiter) arm(d time.Duration) <-chan time.Time {
	if w.timer == nil {
		w.timer = time.NewTimer(d)
	} else {
		w.timer.Reset(d)
	}
	return w.timer.C
}

// exits returns the channels closed when the wait must end: the
// sequencer's close (producers) or halt (consumers, and producers that
// hold their claim), or the bus's seal (pollers, until it is raised); the
// consumer's own halt; the context's end.
func (w *Waiter) exits() (stop, own, done <-chan struct{}) {
	switch {
	case w.producer && w.holdsClaim():
		stop = w.core.halted.ch
	case w.producer:
		stop = w.core.closed.ch
	case w.poller && !w.core.sealed.isRaised():
		stop, own = w.core.sealed.ch, w.alert.ch // the seal may end the wait: look at Err again then
	default:
		stop = w.core.halted.ch
		if w.alert != nil {
			own = w.alert.ch
		}
	}
	if w.ctx != nil {
		done = w.ctx.Done()
	}
	return stop, own, done
}

// holdsClaim reports whether the waiter is a producer that claimed before
// waiting for room, whose wait Close must not end: other producers' later
// claims, and Shutdown's drain, wait for its range to be published.
func (w *Waiter) holdsClaim() bool {
	if faultsEnabled && faultActive(faultCloseDropsClaim) {
		return false // the planted bug: Close releases it like any producer
	}
	return w.holds
}

// wait runs strategy s for a producer waiting for room up to sequence seq,
// after the fast path failed, and records the wait (see Stats).
func (w *Waiter) wait(s WaitStrategy, seq int64) (int64, error) {
	w.seq = seq
	start := time.Now()
	a, err := s.Wait(w)
	w.core.waits.record(time.Since(start))
	return a, err
}
