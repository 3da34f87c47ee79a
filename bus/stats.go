package bus

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a Bus, taken by Bus.Stats: how far the producers
// got, how full the ring is, how the bus ended, and what each consumer has
// done. The fields are read one after another while the bus runs, not at
// one instant: each is exact when read, and the consumers' figures may be
// off by the batch each is handling.
type Stats struct {
	// State is the bus's end, or StateRunning.
	State State
	// Closed says the bus accepts no more events (Shutdown, Close, Halt or
	// a failure); a closed bus whose State is StateRunning is draining.
	Closed bool
	// Size is the number of slots in the ring.
	Size int64
	// Cursor is the highest sequence published such that every sequence
	// before it is published too (InitialSequence before the first).
	Cursor int64
	// Free is how many slots producers could claim now without waiting,
	// as the claims made and the slowest gating consumer show it: Size
	// minus the slots claimed and not yet passed by every consumer.
	Free int64
	// Producers counts the producers' waits for room in a full ring.
	Producers ProducerStats
	// Consumers holds one entry per consumer (processors, worker pool
	// workers and pollers), in the order they were added to the bus.
	Consumers []ConsumerStats
}

// ConsumerStats is what one consumer of a Bus has done.
type ConsumerStats struct {
	// Name is the consumer's name: its handler's, "#N", or "poller#N".
	Name string
	// Seq is the last sequence it handled (for a worker pool worker, the
	// pool's progress as far as the worker knows: every sequence at or
	// below it was taken by some worker of the pool).
	Seq int64
	// Lag is how many events published are beyond Seq: Cursor - Seq.
	Lag int64
	// Handled counts the events its handler was called for (a poller:
	// the events handed to Poll's callback). For a processor or a poller
	// it is derived from the sequence's progress since the consumer was
	// added, less the skipped events; a worker counts its own events and
	// updates the count once per batch.
	Handled int64
	// Errors counts the events whose handler returned an error.
	Errors int64
	// Panics counts the events whose handler panicked.
	Panics int64
	// Skipped counts the events it passed without calling its handler
	// because the producer's fill function panicked (see Publish).
	Skipped int64
	// Parks counts the times its wait strategy parked its goroutine
	// (BlockingWait and TimeoutBlockingWait, and PhasedBackoffWait's
	// fallback) or put it to sleep (SleepingWait).
	Parks int64
}

// ProducerStats counts the waits of producers for room in a full ring:
// claims (Publish, PublishBatch, Next and their Context variants) that
// found the ring full and ran the wait strategy. A try (TryPublish,
// TryNext) that finds the ring full does not wait and is not counted.
type ProducerStats struct {
	// Waits counts the waits.
	Waits int64
	// WaitTime is the time spent in them, in all.
	WaitTime time.Duration
	// Buckets is the distribution of the waits' durations: Buckets[i].Count
	// waits took at most Buckets[i].UpTo, the bounds doubling from about a
	// microsecond to about 8.6 seconds. Waits longer than the last bound
	// are counted only in Waits.
	Buckets []WaitBucket
}

// WaitBucket is one bucket of ProducerStats.Buckets: Count waits took at
// most UpTo (so counts grow from one bucket to the next).
type WaitBucket struct {
	UpTo  time.Duration
	Count int64
}

// Stats returns a snapshot of the bus. It takes no lock that publishing or
// handling events takes (only the bus's own, which adding consumers and
// ending the bus take), reads each consumer's sequence and counters once,
// and may be called from any goroutine, at any time, as often as a
// monitoring system scrapes.
func (b *Bus[T]) Stats() Stats {
	s := Stats{State: b.State(), Closed: b.core.Closed(), Size: b.core.size}
	b.mu.Lock()
	s.Consumers = make([]ConsumerStats, 0, len(b.consumers))
	for _, c := range b.consumers {
		s.Consumers = append(s.Consumers, c.counts().snapshot(c.name(), c.progress()[0].Load()))
	}
	b.mu.Unlock()
	// The consumers' sequences were read first, so every one is at or
	// below the cursors read now.
	claimed := b.core.Cursor()
	low := minSequence(b.core.gatingSeqs(), claimed)
	s.Cursor = claimed
	if b.core.avail != nil && low < claimed {
		s.Cursor = b.core.highestPublished(low+1, claimed)
	}
	s.Free = max(s.Size-(claimed-low), 0)
	for i := range s.Consumers {
		s.Consumers[i].Lag = max(s.Cursor-s.Consumers[i].Seq, 0)
	}
	s.Producers = b.core.waits.snapshot()
	return s
}

// counters are one consumer's counts, kept in its own barrier's waiter:
// they sit on the consumer's own cache lines, beside the fields its waits
// write, and are written only on slow paths (a park, a failure, a skipped
// event), or once per batch (a worker's handled count). Stats reads them
// from any goroutine.
type counters struct {
	parks   atomic.Int64
	errors  atomic.Int64
	panics  atomic.Int64
	skipped atomic.Int64
	handled atomic.Int64 // a worker pool worker's events, stored once per batch
	worker  bool         // handled is counted, not derived from the sequence
	base    int64        // the consumer's sequence once it joined the bus; set before Start
}

// failed counts a handler's failure on an event: a panic (a *PanicError,
// as the consumer recovered it) or a returned error.
func (c *counters) failed(err error) {
	if _, ok := err.(*PanicError); ok {
		c.panics.Add(1)
	} else {
		c.errors.Add(1)
	}
}

// snapshot returns the consumer's figures, seq being its sequence.
func (c *counters) snapshot(name string, seq int64) ConsumerStats {
	cs := ConsumerStats{Name: name, Seq: seq, Errors: c.errors.Load(), Panics: c.panics.Load(), Skipped: c.skipped.Load(), Parks: c.parks.Load()}
	if c.worker {
		cs.Handled = c.handled.Load()
	} else {
		cs.Handled = max(seq-c.base-cs.Skipped, 0)
	}
	return cs
}

// based records where the consumers added since the first from start
// counting, once join has placed their sequences. It runs with b.mu held,
// before Start.
func (b *Bus[T]) based(from int) {
	for _, c := range b.consumers[from:] {
		c.counts().base = c.progress()[0].Load()
	}
}

// skip reports whether seq was marked skipped, as skipped does, and counts
// it as an event the consumer passed.
func (b *Barrier) skip(seq int64) bool {
	if !b.skipped(seq) {
		return false
	}
	b.waiter.count.skipped.Add(1)
	return true
}

func (c *consumer) counts() *counters { return &c.barrier.waiter.count }

// The bounds of a waitHistogram's buckets: 2^waitShift ns (about 1µs) for
// the first, doubling waitBuckets-1 times (to about 8.6s).
const (
	waitShift   = 10
	waitBuckets = 24
)

// waitHistogram counts producers' waits for room and their durations, in
// buckets whose bounds are powers of two nanoseconds. Producers write it
// only when they wait, sharing it under a multi-producer sequencer; it sits
// on lines of its own, away from the sequencer's read-mostly fields.
type waitHistogram struct {
	_      [maxPad]byte
	nanos  atomic.Int64
	counts [waitBuckets + 1]atomic.Int64 // counts[i]: waits in (2^(waitShift+i-1), 2^(waitShift+i)] ns; the last, longer ones
	_      [maxPad]byte
}

// record counts a wait of d.
func (h *waitHistogram) record(d time.Duration) {
	h.nanos.Add(int64(d))
	i := 0
	if d > 1 {
		i = max(bits.Len64(uint64(d-1))-waitShift, 0)
	}
	h.counts[min(i, waitBuckets)].Add(1)
}

// snapshot returns the waits recorded so far.
func (h *waitHistogram) snapshot() ProducerStats {
	p := ProducerStats{WaitTime: time.Duration(h.nanos.Load()), Buckets: make([]WaitBucket, waitBuckets)}
	for i := range h.counts {
		p.Waits += h.counts[i].Load()
		if i < waitBuckets {
			p.Buckets[i] = WaitBucket{UpTo: time.Duration(1) << (waitShift + i), Count: p.Waits}
		}
	}
	return p
}
