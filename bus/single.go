package bus

import "context"

// SingleProducerSequencer hands out sequences to one producer goroutine. A
// claim is plain arithmetic on fields only the producer touches: no atomic
// read-modify-write, no CAS. Using it from more than one goroutine at a time
// is a data race; use MultiProducerSequencer for that. Create it with
// NewSingleProducerSequencer; the zero value is not usable.
//
// Publish synchronizes before any barrier WaitFor that observes the
// published sequence, so everything the producer wrote to the slots before
// publishing is visible to consumers that see it.
type SingleProducerSequencer struct {
	_ noCopy
	sequencerCore
	_      [maxPad]byte // the producer's own fields, 24 bytes alone on their line
	next   int64        // highest claimed sequence
	pub    int64        // highest published sequence (the cursor's value)
	cached int64        // lowest gating sequence seen at the last check
	_      [maxPad]byte
	waiter Waiter
}

// NewSingleProducerSequencer returns a sequencer for a ring of size slots
// (a power of two). It accepts WithWaitStrategy and WithPad.
func NewSingleProducerSequencer(size int, opts ...Option) (*SingleProducerSequencer, error) {
	return newSequencer(size, opts, newSingleProducerSequencer)
}

// newSingleProducerSequencer builds a sequencer from parsed options.
func newSingleProducerSequencer(o *options) *SingleProducerSequencer {
	s := &SingleProducerSequencer{}
	s.init(o)
	s.next, s.pub, s.cached = InitialSequence, InitialSequence, InitialSequence
	s.waiter = Waiter{core: &s.sequencerCore, producer: true}
	// Publish with a release store where the fences it needs are
	// available (see fence.go).
	s.notify.fence = relaxedPublishing()
	return s
}

// Next claims the next n slots, waiting with the wait strategy while the
// ring is full, and returns the first and last claimed sequence. It returns
// ErrClosed once the sequencer is closed, including while it waits, and an
// error wrapping ErrInvalid when n is below 1 or above the ring size.
func (s *SingleProducerSequencer) Next(n int) (lo, hi int64, err error) {
	if hi, ok := s.claimFast(n); ok {
		return hi - int64(n) + 1, hi, nil
	}
	return s.claim(context.Background(), n, true)
}

// claimFast is Next's fast path, free of calls and small enough to
// inline: it claims n slots and returns the last when n is valid, the
// cached gating sequence shows room and the sequencer is open, and
// otherwise claims nothing and returns false.
func (s *SingleProducerSequencer) claimFast(n int) (hi int64, ok bool) {
	next := s.next + int64(n)
	if uint64(n-1) >= uint64(s.size) || next-s.size > s.cached || s.cached > s.next || faultsEnabled || s.closed.raised.Load() {
		return 0, false
	}
	s.next = next
	return next, true
}

// TryNext claims the next n slots if the ring has room for them now, and
// returns ErrInsufficientCapacity without waiting if it has not.
func (s *SingleProducerSequencer) TryNext(n int) (lo, hi int64, err error) {
	return s.claim(context.Background(), n, false)
}

// claim is the whole claim: Next's slow path, and TryNext when wait is
// false. A wait also ends, claiming nothing, when ctx is done.
func (s *SingleProducerSequencer) claim(ctx context.Context, n int, wait bool) (lo, hi int64, err error) {
	if err := s.checkClaim(n); err != nil {
		return 0, 0, err
	}
	if s.closed.isRaised() {
		return 0, 0, ErrClosed
	}
	next := s.next + int64(n)
	if faultsEnabled && faultActive(faultNoGatingCheck) {
		s.next = next
		return next - int64(n) + 1, next, nil
	}
	if wrap := next - s.size; wrap > s.cached || s.cached > s.next {
		if faultsEnabled && faultActive(faultWrapOffByOne) {
			wrap--
		}
		if err := s.awaitCapacity(ctx, wrap, wait); err != nil {
			return 0, 0, err
		}
	}
	if faultsEnabled && faultActive(faultPublishEarly) {
		s.publishRange(next)
		s.notify.wake()
		faultYield()
	}
	s.next = next
	return next - int64(n) + 1, next, nil
}

// awaitCapacity waits, if wait is set, until the gating sequences have
// passed wrap, and refreshes the cached gating sequence. Without wait it
// returns ErrInsufficientCapacity when they have not. The wait ends with
// ctx's error when ctx is done.
func (s *SingleProducerSequencer) awaitCapacity(ctx context.Context, wrap int64, wait bool) error {
	s.waiter.ctx = ctx
	defer func() { s.waiter.ctx = nil }()
	for {
		min := minSequence(s.gatingSeqs(), s.next)
		s.cached = min
		if wrap <= min {
			return nil
		}
		if !wait {
			return ErrInsufficientCapacity
		}
		if _, err := s.waiter.wait(s.wait, wrap); err != nil && err != ErrTimeout {
			return err
		}
	}
}

// Publish makes the claimed sequences lo..hi available to consumers. The
// range must start right after the last published sequence and end at or
// before the last claimed one; anything else is a programming error and
// returns an error wrapping ErrInvalid that names both ranges.
func (s *SingleProducerSequencer) Publish(lo, hi int64) error {
	// The fast path, free of calls: a valid range, published, with nobody
	// parked to wake (or every parked goroutine woken already; see
	// notifier).
	bad := lo != s.pub+1 || hi < lo || hi > s.next || faultsEnabled
	if !bad {
		if s.marks != nil {
			s.publishMarks(hi)
		}
		s.publishCursor(hi)
		if s.notify.waiters.Load() == 0 || s.notify.woken.Load() {
			return nil
		}
	}
	return s.publishSlow(lo, hi, bad)
}

// publishSlow reports a bad range, or wakes the parked goroutines after a
// publish.
func (s *SingleProducerSequencer) publishSlow(lo, hi int64, bad bool) error {
	if !bad {
		s.notify.wakeAll()
		return nil
	}
	if faultsEnabled && faultActive(faultPublishEarly) {
		return nil // published at claim time
	}
	if lo != s.pub+1 || hi < lo || hi > s.next {
		return errorf("Publish(%d, %d): the claimed, unpublished range is %d..%d", lo, hi, s.pub+1, s.next)
	}
	s.publishRange(hi)
	s.notify.wake()
	return nil
}

// publishRange publishes up to hi, which the caller knows was claimed:
// the Marks, if any, then the cursor. It is too large to inline (the call
// to publishMarks alone costs most of the budget), so the hot paths
// (Publish, Bus's publish) make the same two steps themselves, with
// publishCursor inlined.
func (s *SingleProducerSequencer) publishRange(hi int64) {
	if s.marks != nil {
		s.publishMarks(hi)
	}
	s.publishCursor(hi)
}

// publishCursor publishes the cursor up to hi, whose Marks (if any) are
// written. It is small enough to inline.
func (s *SingleProducerSequencer) publishCursor(hi int64) {
	s.pub = hi
	if relaxedStoreSupported && s.notify.fence {
		s.cursor.storeRelease(hi)
		return
	}
	s.cursor.Store(hi)
}

// publishMarks writes the Marks of pub+1..hi, before the cursor: kept
// out of line so that the hot paths that call it only when a ring has
// Marks carry no loop for the rings that have none.
//
//go:noinline
func (s *SingleProducerSequencer) publishMarks(hi int64) {
	s.marks.publish(s.pub+1, hi, relaxedStoreSupported && s.notify.fence)
}

// RemainingCapacity returns how many slots could be claimed without
// waiting, as far as the gating sequences show right now.
func (s *SingleProducerSequencer) RemainingCapacity() int64 {
	return s.size - (s.next - minSequence(s.gatingSeqs(), s.next))
}
