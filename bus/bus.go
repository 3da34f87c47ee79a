package bus

import (
	"context"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Bus is a ring of events of type T with its sequencer and a graph of
// consumers: the LMAX Disruptor's DSL in Go. Build it with New, describe the
// consumers with HandleEventsWith, Then, HandleEventsWithWorkerPool and
// NewPoller, call Start, publish, and end with Shutdown or Halt.
//
// The zero value is not usable. Publishing methods may be called from one
// goroutine at a time unless the bus was built WithMultiProducer; all other
// methods are safe for concurrent use.
//
// Ordering: a successful Publish synchronizes before every handler call for
// that event, and a handler's call for an event synchronizes before the
// calls of the handlers that run after it (Then) for the same event.
type Bus[T any] struct {
	_        noCopy
	ring     *Ring[T]
	sp       *SingleProducerSequencer // exactly one of sp and mp is set
	mp       *MultiProducerSequencer
	core     *sequencerCore
	shift    uint // log2 of the slots per cache line, for the prefetches of publish (see prefetch.go)
	prefetch bool // publishes prefetch the lines ahead (prefetchOn, when New ran)
	opts     options

	mu        sync.Mutex
	consumers []runner
	started   bool
	wg        sync.WaitGroup
	cancel    context.CancelFunc
	nextIndex int

	endMu    sync.Mutex
	state    State // StateRunning until the end is decided, once
	err      error // the end's error
	ended    atomic.Bool
	done     chan struct{} // closed once the consumer goroutines ended, or Shutdown abandoned them
	doneOnce sync.Once
	shutOnce sync.Once
	shutDone chan struct{}
}

// runner is one consumer of a Bus: a batch event processor, a worker pool
// worker, or a poller (which has no goroutine of its own).
type runner interface {
	run(ctx context.Context, ready func(error)) error // calls ready after its start phase; nil for pollers
	progress() []*Sequence                            // the sequences downstream consumers and the producer wait on
	deps() []*Sequence                                // the sequences it waits on; none means the producer's
	halt()
	hasGoroutine() bool
	live() bool // its goroutine is running
	name() string
	counts() *counters // what Stats reports of it
}

// New returns a bus with no consumers. It accepts every Option; without
// any it has a single producer, DefaultSize slots, DefaultPad() padding and
// phased backoff. It refuses a ring whose slots would take more than
// MaxRingBytes (or the WithMaxRingBytes limit).
func New[T any](opts ...Option) (*Bus[T], error) {
	o, err := parseOptions(opts, optLast-1)
	if err != nil {
		return nil, err
	}
	var zero T
	if err := checkRingBytes(o.size, int64(unsafe.Sizeof(zero)), o.maxRingBytes); err != nil {
		return nil, errorf("New: %v", err)
	}
	b := &Bus[T]{opts: o, ring: newRing[T](o.size, o.pad), shift: lineShift(unsafe.Sizeof(zero)), prefetch: prefetchOn(), done: make(chan struct{}), shutDone: make(chan struct{})}
	if o.multi {
		b.mp = newMultiProducerSequencer(&o)
		b.core = &b.mp.sequencerCore
	} else {
		b.sp = newSingleProducerSequencer(&o)
		b.core = &b.sp.sequencerCore
		if b.core.marks, err = marksOf(b.ring); err != nil {
			return nil, errorf("New: %v", err)
		}
	}
	return b, nil
}

// Ring returns the bus's ring, for preallocating what events point to.
func (b *Bus[T]) Ring() *Ring[T] { return b.ring }

// Cursor returns the highest sequence published (single producer) or
// claimed (multi producer) so far.
func (b *Bus[T]) Cursor() int64 { return b.core.Cursor() }

// RemainingCapacity returns how many events could be published now without
// waiting for consumers.
func (b *Bus[T]) RemainingCapacity() int64 {
	if b.sp != nil {
		return b.sp.RemainingCapacity()
	}
	return b.mp.RemainingCapacity()
}
