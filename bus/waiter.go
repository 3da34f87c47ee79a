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
	alert    *alert          // the consumer's own halt, or nil
	ctx      context.Context // ends the wait when done, or nil
	seq      int64           // the sequence waited for
	gap      int             // PhasedBackoffWait's pause between checks, in spin hints
	wakeCh   chan struct{}
	timer    *time.Timer
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
	c := w.core.cursor.Load()
	if w.core.avail != nil && c >= w.seq {
		return w.core.highestPublished(w.seq, c)
	}
	return c
}

// Err reports why the wait must end early, or nil: ErrClosed for a producer
// once the sequencer is closed, ErrHalted for a consumer once it or the bus
// is halted, or the context's error.
func (w *Waiter) Err() error {
	if w.producer {
		if w.core.closed.isRaised() {
			return ErrClosed
		}
	} else if w.core.halted.isRaised() || (w.alert != nil && w.alert.isRaised()) {
		return ErrHalted
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
	var stop, own, done <-chan struct{}
	if w.producer {
		stop = w.core.closed.ch
	} else {
		stop = w.core.halted.ch
		if w.alert != nil {
			own = w.alert.ch
		}
	}
	if w.ctx != nil {
		done = w.ctx.Done()
	}
	var expired <-chan time.Time
	if timeout > 0 {
		if w.timer == nil {
			w.timer = time.NewTimer(timeout)
		} else {
			w.timer.Reset(timeout)
		}
		defer w.timer.Stop()
		expired = w.timer.C
	}
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

// wait runs strategy s for sequence seq after the fast path failed.
func (w *Waiter) wait(s WaitStrategy, seq int64) (int64, error) {
	w.seq = seq
	return s.Wait(w)
}
