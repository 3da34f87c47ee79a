package bus

import (
	"context"
	"sync"
)

// MultiProducerSequencer hands out sequences to any number of producer
// goroutines. A claim is a compare-and-swap on the cursor; publishing marks
// each slot available in a per-slot flag holding the slot's lap number, so
// a consumer never sees a slot before its own producer published it, even
// when producers publish out of claim order. Create it with
// NewMultiProducerSequencer; the zero value is not usable.
//
// Publish synchronizes before any barrier WaitFor that observes the
// published sequence.
type MultiProducerSequencer struct {
	_ noCopy
	sequencerCore
	cachedGating *Sequence // lowest gating sequence last seen, shared by producers
	waiters      sync.Pool // *Waiter for producers blocked on a full ring
}

// NewMultiProducerSequencer returns a sequencer for a ring of size slots
// (a power of two). It accepts WithWaitStrategy and WithPad.
func NewMultiProducerSequencer(size int, opts ...Option) (*MultiProducerSequencer, error) {
	return newSequencer(size, opts, newMultiProducerSequencer)
}

// newMultiProducerSequencer builds a sequencer from parsed options.
func newMultiProducerSequencer(o *options) *MultiProducerSequencer {
	s := &MultiProducerSequencer{}
	s.init(o)
	s.cachedGating = s.arena.next()
	s.avail = make([]atomic32, o.size)
	for i := range s.avail {
		s.avail[i].Store(-1)
	}
	s.waiters.New = func() any { return &Waiter{core: &s.sequencerCore, producer: true} }
	return s
}

// Next claims the next n slots, waiting with the wait strategy while the
// ring is full, and returns the first and last claimed sequence. Claims by
// different goroutines never overlap and together leave no gap. It returns
// ErrClosed once the sequencer is closed, including while it waits, and an
// error wrapping ErrInvalid when n is below 1 or above the ring size.
func (s *MultiProducerSequencer) Next(n int) (lo, hi int64, err error) {
	return s.claim(context.Background(), n, true)
}

// TryNext claims the next n slots if the ring has room for them now, and
// returns ErrInsufficientCapacity without waiting if it has not.
func (s *MultiProducerSequencer) TryNext(n int) (lo, hi int64, err error) {
	return s.claim(context.Background(), n, false)
}

// claim is Next, or TryNext when wait is false. A wait also ends,
// claiming nothing, when ctx is done.
func (s *MultiProducerSequencer) claim(ctx context.Context, n int, wait bool) (lo, hi int64, err error) {
	if err := s.checkClaim(n); err != nil {
		return 0, 0, err
	}
	for {
		if s.closed.isRaised() {
			return 0, 0, ErrClosed
		}
		cur := s.cursor.Load()
		next := cur + int64(n)
		wrap := next - s.size
		if faultsEnabled && faultActive(faultWrapOffByOne) {
			wrap--
		}
		gated := !faultsEnabled || !faultActive(faultNoGatingCheck)
		if cached := s.cachedGating.Load(); gated && (wrap > cached || cached > cur) {
			min := minSequence(s.gatingSeqs(), cur)
			if wrap > min {
				if !wait {
					return 0, 0, ErrInsufficientCapacity
				}
				if err := s.awaitCapacity(ctx, wrap); err != nil {
					return 0, 0, err
				}
				continue
			}
			s.cachedGating.Store(min)
			continue // re-read the cursor: another producer may have claimed meanwhile
		}
		if faultsEnabled && faultActive(faultClaimNoCAS) {
			faultYield()
			s.cursor.Store(next)
			return cur + 1, next, nil
		}
		if s.cursor.CompareAndSwap(cur, next) {
			if faultsEnabled && faultActive(faultPublishEarly) {
				s.publishRange(cur+1, next)
				s.notify.wake()
				faultYield()
			}
			return cur + 1, next, nil
		}
	}
}

func (s *MultiProducerSequencer) awaitCapacity(ctx context.Context, wrap int64) error {
	w := s.waiters.Get().(*Waiter)
	w.ctx = ctx
	_, err := w.wait(s.wait, wrap)
	w.ctx = nil
	s.waiters.Put(w)
	if err == ErrTimeout {
		return nil // a timeout only means "look again" to a producer
	}
	return err
}

// Publish makes the claimed sequences lo..hi available to consumers. The
// range must have been claimed and not yet published; anything else is a
// programming error and returns an error wrapping ErrInvalid that names the
// range. Producers may publish in any order; consumers see a sequence only
// once it and every sequence before it are published.
func (s *MultiProducerSequencer) Publish(lo, hi int64) error {
	if faultsEnabled && faultActive(faultPublishEarly) {
		return nil // published at claim time
	}
	if hi < lo || hi-lo >= s.size || hi > s.cursor.Load() || lo < 0 {
		return errorf("Publish(%d, %d): not a claimed range (cursor %d, ring size %d)", lo, hi, s.cursor.Load(), s.size)
	}
	for seq := lo; seq <= hi; seq++ {
		if s.avail[seq&s.mask].Load() == int32(seq>>s.shift) {
			return errorf("Publish(%d, %d): sequence %d is already published", lo, hi, seq)
		}
	}
	s.publishRange(lo, hi)
	s.notify.wake()
	return nil
}

// publishRange marks lo..hi available; the caller knows they were claimed.
func (s *MultiProducerSequencer) publishRange(lo, hi int64) {
	for seq := lo; seq <= hi; seq++ {
		s.avail[seq&s.mask].Store(int32(seq >> s.shift))
	}
}

// RemainingCapacity returns how many slots could be claimed without
// waiting, as far as the gating sequences show right now.
func (s *MultiProducerSequencer) RemainingCapacity() int64 {
	cur := s.cursor.Load()
	return s.size - (cur - minSequence(s.gatingSeqs(), cur))
}
