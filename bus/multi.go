package bus

import (
	"context"
	"sync"
)

// MultiProducerSequencer hands out sequences to any number of producer
// goroutines. Next claims with one atomic add on the cursor and then waits
// for room, so concurrent claims never retry; TryNext, and claims that
// must be able to give up (Bus.PublishContext, Bus.NextContext), check for
// room first and claim with a compare-and-swap on the cursor. Both move
// the same cursor, so the two kinds of claim mix freely. Publishing marks
// each slot available in a per-slot flag holding the slot's lap number, so
// a consumer never sees a slot before its own producer published it, even
// when producers publish out of claim order. Consumers read the flags and
// never the cursor, which the producers' claims keep to themselves.
// Create it with NewMultiProducerSequencer; the zero value is not usable.
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
	// Publish the flags with release stores where the fences they need
	// are available (see fence.go).
	s.notify.fence = relaxedPublishing()
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
// different goroutines never overlap and together leave no gap.
//
// The claim is one atomic add on the cursor, made before looking for room,
// as in the LMAX Disruptor: a Next that then finds the ring full already
// holds its slots, and later claims and Shutdown's drain wait for them to
// be published. So Close does not release it: it waits until the
// consumers make room, then publishes its slots marked as skipped (no
// handler sees them) and returns ErrClosed. Halt releases it at once with
// ErrClosed, leaving its slots unpublished: nothing consumes after a halt.
// Next returns ErrClosed, claiming nothing, once the sequencer is closed,
// and an error wrapping ErrInvalid when n is below 1 or above the ring
// size.
func (s *MultiProducerSequencer) Next(n int) (lo, hi int64, err error) {
	return s.next(n)
}

// TryNext claims the next n slots if the ring has room for them now, and
// returns ErrInsufficientCapacity without waiting, claiming nothing, if it
// has not. It checks for room first and claims with a compare-and-swap on
// the cursor, retried while other producers move the cursor.
func (s *MultiProducerSequencer) TryNext(n int) (lo, hi int64, err error) {
	return s.claim(context.Background(), n, false)
}

// next claims n slots with one atomic add on the cursor, then waits for
// the gating sequences to pass the slots' previous lap (see Next).
func (s *MultiProducerSequencer) next(n int) (lo, hi int64, err error) {
	if err := s.checkClaim(n); err != nil {
		return 0, 0, err
	}
	if s.closed.isRaised() {
		return 0, 0, ErrClosed
	}
	if faultsEnabled && faultActive(faultClaimNoCAS) {
		cur := s.cursor.Load()
		faultYield()
		s.cursor.Store(cur + int64(n))
		hi = cur + int64(n)
	} else {
		hi = s.cursor.Add(int64(n))
	}
	lo = hi - int64(n) + 1
	wrap := hi - s.size
	if faultsEnabled && faultActive(faultWrapOffByOne) {
		wrap--
	}
	gated := !faultsEnabled || !faultActive(faultNoGatingCheck)
	if cached := s.cachedGating.Load(); gated && (wrap > cached || cached > lo-1) {
		if err := s.awaitRoom(lo, hi, wrap); err != nil {
			return 0, 0, err
		}
	}
	if faultsEnabled && faultActive(faultPublishEarly) {
		s.publishRange(lo, hi)
		s.notify.wake()
		faultYield()
	}
	return lo, hi, nil
}

// awaitRoom waits until every gating sequence has passed wrap, for the
// claim lo..hi, which the cursor already holds. Only a halt ends the wait
// early (ErrClosed, the claim abandoned). A claim that had to wait and
// finds the sequencer closed once it has room is published marked as
// skipped, and awaitRoom returns ErrClosed.
func (s *MultiProducerSequencer) awaitRoom(lo, hi, wrap int64) error {
	min := minSequence(s.gatingSeqs(), lo-1)
	if wrap <= min {
		s.cachedGating.Store(min)
		return nil
	}
	w := s.waiters.Get().(*Waiter)
	w.holds = true
	var err error
	for {
		if _, err = w.wait(s.wait, wrap); err != nil && err != ErrTimeout {
			break // halted: nobody will consume the claim
		}
		err = nil
		if min = minSequence(s.gatingSeqs(), lo-1); wrap <= min {
			break
		}
	}
	w.holds = false
	s.waiters.Put(w)
	if err != nil {
		return err
	}
	s.cachedGating.Store(min)
	if s.closed.isRaised() {
		// Close came while the claim waited. The claim must still be
		// published, or later claims and Shutdown's drain would wait for
		// it forever; marked as skipped, no handler takes it for an event.
		if !faultsEnabled || !faultActive(faultCloseDropsClaim) {
			s.markSkipped(lo, hi)
			s.publishRange(lo, hi)
			s.notify.wakeAll()
		}
		return ErrClosed
	}
	return nil
}

// claim is TryNext when wait is false, and otherwise a Bus's claim: it
// waits for room, giving up when ctx is done or the sequencer closes, and
// claims nothing until the ring has room; then it claims with a
// compare-and-swap on the cursor. A Bus claims so, not with Next's atomic
// add, because a claim that can be abandoned lets Close and a done ctx
// release a producer at once, and because with more producers than CPUs
// the add made the Bus slower: producers that claimed ahead of the room
// hold up every later claim while they wait (docs/results.md).
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

// awaitCapacity waits, before a claim, until the gating sequences pass
// wrap, the sequencer is closed, or ctx is done.
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
// Each flag is a release store where the fences allow it (see fence.go):
// consumers poll the flags, and a sequentially consistent store, an XCHG
// on amd64, would wait for each flag's cache line to come back from them
// before the producer's next claim could start.
func (s *MultiProducerSequencer) publishRange(lo, hi int64) {
	if relaxedStoreSupported && s.notify.fence {
		for seq := lo; seq <= hi; seq++ {
			storeRelease32(&s.avail[seq&s.mask], int32(seq>>s.shift))
		}
		return
	}
	for seq := lo; seq <= hi; seq++ {
		s.avail[seq&s.mask].Store(int32(seq >> s.shift))
	}
}

// RemainingCapacity returns how many slots could be claimed without
// waiting, as far as the gating sequences show right now: 0 while claims
// made with Next wait for room.
func (s *MultiProducerSequencer) RemainingCapacity() int64 {
	cur := s.cursor.Load()
	return max(s.size-(cur-minSequence(s.gatingSeqs(), cur)), 0)
}
