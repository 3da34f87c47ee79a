package bus

import (
	"context"
	"sync/atomic"
)

// Barrier is what a consumer waits on: the sequencer's published events,
// or the progress of the consumers it must follow. It is created by a
// sequencer's NewBarrier and used by one goroutine at a time.
//
// A Publish (or an upstream consumer's Sequence.Store) synchronizes before
// any WaitFor that returns a sequence at or above the one it made available.
type Barrier struct {
	_      noCopy
	flags  atomic.Uint32 // flagHalted and flagSkip: one load per check
	core   *sequencerCore
	wait   WaitStrategy
	alert  *alert
	waiter Waiter
}

// The flags of a barrier, which its consumer reads once per event (or
// per run, or per poll) in one load.
const (
	// flagHalted: the barrier or its sequencer was halted.
	flagHalted uint32 = 1 << iota
	// flagSkip: a sequence this barrier's consumer has not passed yet may
	// be marked skipped (see sequencerCore.markSkipped).
	flagSkip
)

// skipped reports whether seq was marked skipped, so that the consumer
// passes it without calling its handler. It is the slow path of a
// consumer that saw flagSkip, and lowers the flag once seq is at or past
// every marked sequence.
func (b *Barrier) skipped(seq int64) bool {
	k := &b.core.skips
	k.mu.Lock()
	defer k.mu.Unlock()
	in, last := false, InitialSequence
	for _, r := range k.ranges {
		in = in || (r[0] <= seq && seq <= r[1])
		last = max(last, r[1])
	}
	if seq >= last {
		b.flags.And(^flagSkip)
	}
	return in
}

// WaitFor waits until seq is available and returns the highest sequence
// available, which may be well past seq: the consumer handles everything up
// to it as one batch. It returns ErrHalted promptly once the barrier or the
// bus is halted, and ErrTimeout when a timeout wait strategy gives up. An
// available sequence is returned without touching the wait strategy.
func (b *Barrier) WaitFor(seq int64) (int64, error) {
	a, _, err := b.waitFor(seq, true)
	return a, err
}

// waitFor is WaitFor that reports whether the wait strategy ran. With
// look false it skips the first look and lets the strategy decide when
// to look.
func (b *Barrier) waitFor(seq int64, look bool) (avail int64, waited bool, err error) {
	if b.flags.Load()&flagHalted != 0 {
		return 0, false, ErrHalted
	}
	b.waiter.seq = seq
	if look {
		if a := b.waiter.Available(); a >= seq {
			return a, false, nil
		}
	}
	avail, err = b.wait.Wait(&b.waiter)
	return avail, true, err
}

// WaitForContext is WaitFor that also returns ctx.Err() once ctx is done.
func (b *Barrier) WaitForContext(ctx context.Context, seq int64) (int64, error) {
	prev := b.waiter.ctx
	b.waiter.ctx = ctx
	defer func() { b.waiter.ctx = prev }()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return b.WaitFor(seq)
}

// Available returns the highest sequence available now, without waiting.
// It is below seq when seq is not available yet.
func (b *Barrier) Available(seq int64) int64 {
	b.waiter.seq = seq
	return b.waiter.Available()
}

// Halt makes this barrier's current and future waits return ErrHalted.
// It may be called from any goroutine and is idempotent.
func (b *Barrier) Halt() {
	b.flags.Or(flagHalted)
	b.alert.raise()
	b.core.notify.wakeAll()
}

// Halted reports whether the barrier or its bus has been halted.
func (b *Barrier) Halted() bool { return b.flags.Load()&flagHalted != 0 }

// Cursor returns the sequencer's cursor.
func (b *Barrier) Cursor() int64 { return b.core.cursor.Load() }
