package bus

// This file holds the producer side of a Bus: Publish and its variants,
// and the claim, fill and commit steps they share.

import (
	"context"
)

// Publish claims the next slot, calls fill to write the event in place, and
// publishes it; fill must not retain the pointer. Publish waits with the
// wait strategy while the ring is full (before Start too, until Start and
// the consumers make room). It returns ErrClosed once the bus is shut
// down, closed or halted (also to a producer released from a full ring by
// Shutdown, Close or Halt, having claimed nothing: with WithMultiProducer
// too, Publish claims only once the ring has room). A nil return means the event will be handled
// by every consumer that should see it, unless the bus reports otherwise
// (see the package documentation); ErrClosed returned after fill ran
// means the bus closed concurrently and the event may or may not be
// handled.
//
// If fill panics, the panic goes on in the caller and the claimed slot
// is marked as skipped, so that no consumer's handler sees it: with
// WithMultiProducer it is published so at once, so that no other
// producer waits for it; with one producer it stays unpublished, which
// holds up nobody, until the producer's next claim publishes it. (A batch
// whose last event is a skipped slot ends without a call with endOfBatch
// set.)
func (b *Bus[T]) Publish(fill func(ev *T, seq int64)) error {
	return b.publish(context.Background(), 1, fill, nil, true)
}

// PublishContext is Publish that gives up waiting for room when ctx is
// done: it then returns ctx.Err() and claims nothing, as
// semaphore.Acquire does. A ring with room is claimed even if ctx is done.
func (b *Bus[T]) PublishContext(ctx context.Context, fill func(ev *T, seq int64)) error {
	return b.publish(ctx, 1, fill, nil, true)
}

// PublishBatch claims n slots at once, calls fill for each in sequence
// order and publishes them together: cheaper per event than n Publish calls,
// and consumers see the events as one batch. n must be between 1 and the
// ring size. If fill panics, all n slots are published marked as skipped.
func (b *Bus[T]) PublishBatch(n int, fill func(ev *T, seq int64)) error {
	return b.publish(context.Background(), n, fill, nil, true)
}

// PublishSlices is PublishBatch with one call of fill per run of slots
// instead of one per event: it claims n slots, calls fill with them as
// slices in sequence order (once, or twice when the claim wraps past the
// ring's last slot), first being the sequence of evs[0], and publishes
// them together. For small events the calls are most of PublishBatch's
// cost. fill must not retain evs. If fill panics, all n slots are
// marked as skipped, as with PublishBatch.
func (b *Bus[T]) PublishSlices(n int, fill func(evs []T, first int64)) error {
	return b.publish(context.Background(), n, nil, fill, true)
}

// TryPublish is Publish that never waits: it returns ErrInsufficientCapacity
// when the ring is full.
func (b *Bus[T]) TryPublish(fill func(ev *T, seq int64)) error {
	return b.publish(context.Background(), 1, fill, nil, false)
}

// TryPublishBatch is PublishBatch that never waits: it returns
// ErrInsufficientCapacity when the ring lacks n free slots.
func (b *Bus[T]) TryPublishBatch(n int, fill func(ev *T, seq int64)) error {
	return b.publish(context.Background(), n, fill, nil, false)
}

// publish is every Publish variant: fill is called per event, or runs
// per run of slots when fill is nil.
func (b *Bus[T]) publish(ctx context.Context, n int, fill func(*T, int64), runs func([]T, int64), wait bool) error {
	if b.mp != nil {
		return b.publishMulti(ctx, n, fill, runs, wait)
	}
	// One producer: a fill that panics leaves its claim unpublished (the
	// cursor has not moved, so nothing waits for it), and the next claim
	// publishes it marked as skipped. No defer is needed, which keeps this
	// path as short as the sequencer's Next and Publish (docs/results.md).
	s := b.sp
	hi, ok := s.claimFast(n)
	if !ok || hi-int64(n) != s.pub {
		if ok {
			s.next -= int64(n) // claim again after the abandoned slots
		}
		var err error
		if _, hi, err = b.claim(ctx, n, wait); err != nil {
			return err
		}
	}
	if b.prefetches(n, hi) {
		b.prefetchClaim(n, hi)
	}
	switch {
	case n == 1 && fill != nil:
		fill(b.ring.Get(hi), hi)
	case fill != nil:
		for seq := hi - int64(n) + 1; seq <= hi; seq++ {
			fill(b.ring.Get(seq), seq)
		}
	case runs != nil:
		b.fillRuns(hi-int64(n)+1, hi, runs)
	default:
		s.next -= int64(n) // claim nothing
		return errNilFill
	}
	if s.marks != nil {
		s.publishMarks(hi)
	}
	s.publishCursor(hi)
	s.notify.wake()
	if s.closed.isRaised() { // published, as b.published says
		return ErrClosed
	}
	return nil
}

// publishMulti is publish on a multi-producer bus. A fill that panics
// must publish its claim at once (marked as skipped): other producers'
// later claims cannot be consumed until it is.
func (b *Bus[T]) publishMulti(ctx context.Context, n int, fill func(*T, int64), runs func([]T, int64), wait bool) error {
	if fill == nil && runs == nil {
		return errNilFill
	}
	lo, hi, err := b.mp.claim(ctx, n, wait)
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
	if b.prefetches(n, hi) {
		b.prefetchClaim(n, hi)
	}
	if fill == nil {
		b.fillRuns(lo, hi, runs)
	} else {
		for s := lo; s <= hi; s++ {
			fill(b.ring.Get(s), s)
		}
	}
	filled = true
	b.mp.publishRange(lo, hi)
	b.core.notify.wake()
	return b.published()
}

// errNilFill is what a publish with a nil fill function returns.
var errNilFill = errorf("publish: the fill function is nil")

// fillRuns calls fill for lo..hi, claimed, as slices of the ring: one,
// or two when the range wraps past the ring's last slot.
func (b *Bus[T]) fillRuns(lo, hi int64, fill func([]T, int64)) {
	entries, mask := b.ring.entries, b.ring.mask
	for seq := lo; seq <= hi; {
		i := seq & mask
		n := min(hi-seq+1, mask+1-i)
		fill(entries[i:i+n:i+n], seq)
		seq += n
	}
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
// With one producer, slots claimed and left unpublished (by a fill that
// panicked, or a Next without its PublishRange) are first published
// marked as skipped.
func (b *Bus[T]) claim(ctx context.Context, n int, wait bool) (lo, hi int64, err error) {
	if b.mp != nil {
		return b.mp.claim(ctx, n, wait)
	}
	s := b.sp
	if s.next != s.pub && !s.closed.isRaised() {
		b.skip(s.pub+1, s.next)
	}
	if hi, ok := s.claimFast(n); ok {
		return hi - int64(n) + 1, hi, nil
	}
	return s.claim(ctx, n, wait)
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
// leave a claim unpublished. Without WithMultiProducer, publish each
// claim before the next: the next Next or Publish publishes slots still
// unpublished marked as skipped. It returns ErrClosed after Shutdown,
// Close or Halt.
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
