package bus

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// noCopy may be embedded in structs that must not be copied after first
// use; go vet's copylocks check reports copies.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// sequencerCore holds what both sequencers share. These fields are set at
// construction and then only read (the notifier and the gating list change
// rarely), so they sit apart from the producer's hot fields.
type sequencerCore struct {
	size   int64
	mask   int64
	shift  uint
	pad    int
	wait   WaitStrategy
	cursor *Sequence // highest published (single) or claimed (multi) sequence
	avail  []atomic32
	marks  *marks // a single-producer bus's Marks, when its events embed Mark
	gating atomic.Pointer[[]*Sequence]
	notify notifier
	closed *alert // no more claims
	sealed *alert // raised after closed, once every publish that saw the sequencer open is visible
	halted *alert // consumers stop now
	skips  skipSet
	arena  *seqArena
	waits  *waitHistogram // the producers' waits for room

	barrierMu sync.Mutex
	barriers  []*Barrier // told by Halt
}

// init lays out the core from parsed options: o.size and o.pad are valid.
func (c *sequencerCore) init(o *options) {
	c.size = int64(o.size)
	c.mask = int64(o.size - 1)
	c.shift = uint(bits.TrailingZeros64(uint64(o.size)))
	c.pad = o.pad
	c.wait = o.wait
	c.arena = newSeqArena(o.pad)
	c.cursor = c.arena.next()
	c.closed = newAlert()
	c.sealed = newAlert()
	c.halted = newAlert()
	c.waits = &waitHistogram{}
	empty := []*Sequence{}
	c.gating.Store(&empty)
}

// BufferSize returns the number of slots the sequencer hands out.
func (c *sequencerCore) BufferSize() int { return int(c.size) }

// Cursor returns the sequencer's cursor: for the single-producer sequencer
// the highest published sequence, for the multi-producer sequencer the
// highest claimed one (use a Barrier to learn what is published).
func (c *sequencerCore) Cursor() int64 { return c.cursor.Load() }

// Pad returns the pad size, in bytes, between the sequences this sequencer
// lays out.
func (c *sequencerCore) Pad() int { return c.pad }

// WaitStrategy returns the strategy the sequencer's barriers and blocked
// producers use.
func (c *sequencerCore) WaitStrategy() WaitStrategy { return c.wait }

// NewSequence returns a sequence holding InitialSequence, laid out with the
// sequencer's pad, for a consumer to record its progress in.
func (c *sequencerCore) NewSequence() *Sequence { return c.arena.next() }

func (c *sequencerCore) gatingSeqs() []*Sequence { return *c.gating.Load() }

// AddGatingSequences makes the producer wait for seqs before reusing a
// slot: a slot is overwritten only after every gating sequence has passed
// it. A sequence added while the bus runs is first set to the cursor, so it
// does not gate on events published before it was added.
func (c *sequencerCore) AddGatingSequences(seqs ...*Sequence) {
	for {
		old := c.gating.Load()
		cur := c.cursor.Load()
		for _, s := range seqs {
			if s.Load() < cur {
				s.Store(cur)
			}
		}
		next := append(append(make([]*Sequence, 0, len(*old)+len(seqs)), *old...), seqs...)
		if c.gating.CompareAndSwap(old, &next) {
			return
		}
	}
}

// setGating makes seqs the gating sequences, replacing the old ones. The
// caller knows that each is at or below every producer's cached view of
// the old ones (Bus.join).
func (c *sequencerCore) setGating(seqs []*Sequence) {
	c.gating.Store(&seqs)
	c.notify.wakeAll()
}

// skipSet holds the ranges of sequences that were published without an
// event: the claims whose fill panicked (Bus.Publish). Consumers pass them
// without calling their handlers. It is touched only on that rare path
// and by consumers whose barrier's flagSkip is raised.
type skipSet struct {
	mu     sync.Mutex
	ranges [][2]int64
}

// markSkipped marks lo..hi, claimed and not yet published, as skipped, and
// raises flagSkip on every barrier, before the caller publishes them: a
// consumer that sees the publish sees the flag. Ranges every gating
// sequence has passed are dropped.
func (c *sequencerCore) markSkipped(lo, hi int64) {
	k := &c.skips
	k.mu.Lock()
	defer k.mu.Unlock()
	passed := minSequence(c.gatingSeqs(), lo-1)
	live := k.ranges[:0]
	for _, r := range k.ranges {
		if r[1] > passed {
			live = append(live, r)
		}
	}
	k.ranges = append(live, [2]int64{lo, hi})
	c.barrierMu.Lock()
	for _, b := range c.barriers {
		b.flags.Or(flagSkip)
	}
	c.barrierMu.Unlock()
}

// RemoveGatingSequence stops the producer from waiting for s, and reports
// whether s was a gating sequence.
func (c *sequencerCore) RemoveGatingSequence(s *Sequence) bool {
	for {
		old := c.gating.Load()
		next := make([]*Sequence, 0, len(*old))
		for _, g := range *old {
			if g != s {
				next = append(next, g)
			}
		}
		if len(next) == len(*old) {
			return false
		}
		if c.gating.CompareAndSwap(old, &next) {
			c.notify.wakeAll()
			return true
		}
	}
}

// NewBarrier returns a barrier for a consumer that handles an event after
// the consumers whose sequences are deps; with no deps it waits for the
// producers' publishes.
func (c *sequencerCore) NewBarrier(deps ...*Sequence) *Barrier {
	b := &Barrier{core: c, wait: c.wait, alert: newAlert()}
	b.waiter = Waiter{core: c, deps: append([]*Sequence(nil), deps...), alert: b.alert}
	c.barrierMu.Lock()
	c.barriers = append(c.barriers, b)
	c.barrierMu.Unlock()
	if c.halted.isRaised() {
		b.flags.Or(flagHalted)
	}
	return b
}

// closeFence is heavyFence, in a variable so that a test can plant the
// bug of leaving it out (see TestCloseSeesEveryPublishThatSawItOpen).
var closeFence = heavyFence

// Close stops the sequencer accepting claims: Next and TryNext return
// ErrClosed from now on, and producers blocked in Next on a full ring return
// ErrClosed (a multi-producer Next that already holds its claim only once
// it has room: see MultiProducerSequencer.Next). Events already claimed
// can still be published, and consumers go on until they are halted.
// Close is idempotent.
func (c *sequencerCore) Close() {
	c.closed.raise()
	if c.notify.fence {
		closeFence() // a release-store Publish is now visible, or sees closed
	}
	c.sealed.raise()
	c.notify.wakeAll()
}

// Closed reports whether Close or Halt has been called. A producer that
// reads false after a Publish knows that a Close that follows will see its
// event: Publish synchronizes before Close's read of the cursor.
func (c *sequencerCore) Closed() bool { return c.closed.isRaised() }

// Halt closes the sequencer, releases every producer waiting for room
// (with ErrClosed, a claim it holds left unpublished), and makes every
// barrier's wait return ErrHalted promptly, whatever its wait strategy.
// Halt is idempotent.
func (c *sequencerCore) Halt() {
	c.closed.raise()
	if c.notify.fence {
		closeFence()
	}
	c.sealed.raise()
	c.halted.raise()
	c.barrierMu.Lock()
	for _, b := range c.barriers {
		b.flags.Or(flagHalted)
	}
	c.barrierMu.Unlock()
	c.notify.wakeAll()
}

// Signal wakes the goroutines parked by a blocking wait strategy so that
// they look at their sequences again. Publish and the event processors
// call it; call it after advancing a gating Sequence by hand. It costs one
// atomic load when nobody is parked.
func (c *sequencerCore) Signal() { c.notify.wake() }

// highestPublished returns the highest sequence s in [lo, hi] such that
// every sequence from lo to s has been published, or lo-1.
func (c *sequencerCore) highestPublished(lo, hi int64) int64 {
	for s := lo; s <= hi; s++ {
		if c.avail[s&c.mask].Load() != int32(s>>c.shift) {
			return s - 1
		}
	}
	return hi
}

// IsAvailable reports whether sequence seq has been published (and not yet
// overwritten by a later lap of the ring).
func (c *sequencerCore) IsAvailable(seq int64) bool {
	if c.avail == nil {
		cur := c.cursor.Load()
		return seq <= cur && seq > cur-c.size
	}
	return c.avail[seq&c.mask].Load() == int32(seq>>c.shift)
}

func (c *sequencerCore) checkClaim(n int) error {
	if n < 1 || int64(n) > c.size {
		return errorf("claim of %d slots: n must be between 1 and the ring size %d", n, c.size)
	}
	return nil
}

// atomic32 is a slot's availability flag in the multi-producer sequencer.
type atomic32 = atomic.Int32
