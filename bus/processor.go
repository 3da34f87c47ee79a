package bus

import (
	"context"
	"errors"
	"sync/atomic"
	"unsafe"
)

// ProcessorConfig configures a BatchEventProcessor. The zero value gives
// unlimited batches, StopOnError, no name and no pinning.
type ProcessorConfig struct {
	// Name identifies the consumer in errors and in an affinity plan.
	// Empty means the handler's Name() if it has one, else "#Index".
	Name string
	// Index is the consumer's position in its bus, for an affinity plan.
	Index int
	// BatchLimit caps how many events one batch may hold; 0 means no cap.
	// A cap bounds how long the consumer's sequence lags behind, so that
	// upstream producers see free slots sooner.
	BatchLimit int
	// OnError decides what happens after the handler fails; nil means
	// StopOnError.
	OnError ErrorPolicy
	// Pin, when not nil, is called on the consumer's goroutine before its
	// first event; the release it returns runs when the consumer stops.
	Pin PinFunc
}

// BatchEventProcessor is a consumer: it waits on a barrier, runs a handler
// for each available event in sequence order, and then advances its own
// sequence, which the sequencer (or downstream barriers) gate on. Create it
// with NewBatchEventProcessor and run it with Run on its own goroutine.
//
// The handler's writes while handling sequence s synchronize before any
// downstream WaitFor that returns s or more.
type BatchEventProcessor[T any] struct {
	_ noCopy
	consumer
	ring    *Ring[T]
	handler Handler[T]
	running atomic.Int32
	cur     int64           // the sequence being handled, for a panic's report
	bh      BatchHandler[T] // handler's OnBatch, or nil
	_       [processorPad]byte
	sink    byte // keeps touch's loads
}

// processorPad makes BatchEventProcessor 128 bytes where pointers take 4
// bytes, as the fields above make it where they take 8 (see
// TestProcessorLayout). It stands before sink because a struct that ends
// in a field of size 0 grows by a word.
const processorPad = (8 - unsafe.Sizeof(uintptr(0))) * 15

// NewBatchEventProcessor returns a consumer of ring that waits on barrier
// and runs h. Its sequence comes from the barrier's sequencer, laid out
// with that sequencer's pad; add it to the sequencer's gating sequences (or
// to a downstream barrier) before publishing.
func NewBatchEventProcessor[T any](ring *Ring[T], barrier *Barrier, h Handler[T], cfg ProcessorConfig) (*BatchEventProcessor[T], error) {
	switch {
	case ring == nil:
		return nil, errorf("NewBatchEventProcessor: nil ring")
	case barrier == nil:
		return nil, errorf("NewBatchEventProcessor: nil barrier")
	case h == nil:
		return nil, errorf("NewBatchEventProcessor: nil handler")
	case cfg.BatchLimit < 0:
		return nil, errorf("NewBatchEventProcessor: batch limit %d is negative", cfg.BatchLimit)
	case int64(ring.Size()) != barrier.core.size:
		return nil, errorf("NewBatchEventProcessor: ring of %d slots with a sequencer of %d", ring.Size(), barrier.core.size)
	}
	return newBatchEventProcessor(ring, barrier, h, cfg), nil
}

// newBatchEventProcessor is NewBatchEventProcessor for arguments known to
// be valid.
func newBatchEventProcessor[T any](ring *Ring[T], barrier *Barrier, h Handler[T], cfg ProcessorConfig) *BatchEventProcessor[T] {
	bh, _ := h.(BatchHandler[T])
	return &BatchEventProcessor[T]{consumer: newConsumer(h, barrier, barrier.core.NewSequence(), cfg), ring: ring, handler: h, bh: bh}
}

func handlerName(h any, index int) string {
	if n, ok := h.(Namer); ok && n.Name() != "" {
		return n.Name()
	}
	return "#" + itoa(index)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// Sequence returns the consumer's progress: the last sequence it handled.
func (p *BatchEventProcessor[T]) Sequence() *Sequence { return p.seq }

// Name returns the consumer's name.
func (p *BatchEventProcessor[T]) Name() string { return p.cfg.Name }

// Halt makes Run return after the event being handled, leaving the rest
// of its batch unhandled. It may be
// called from any goroutine.
func (p *BatchEventProcessor[T]) Halt() { p.barrier.Halt() }

// Run handles events until the processor or its bus is halted (it returns
// nil), ctx is done (ctx.Err()), or the error policy stops it after a
// handler failure (an *EventError, or what the policy returned). Run calls
// the handler's OnStart before the first event and OnShutdown after the
// last, on the calling goroutine; a failure or a panic in either, in
// OnTimeout, in the error policy or in the pin function is returned as an
// *EventError naming its Phase. It must not be called twice.
func (p *BatchEventProcessor[T]) Run(ctx context.Context) error {
	return p.run(ctx, func(error) {})
}

// run is Run that calls ready with the outcome of the start phase (pin
// and OnStart) before handling events.
func (p *BatchEventProcessor[T]) run(ctx context.Context, ready func(error)) (err error) {
	if !p.running.CompareAndSwap(0, 1) {
		err := errorf("BatchEventProcessor %s: Run called twice", p.cfg.Name)
		ready(err)
		return err
	}
	defer p.running.Store(2)
	stop, err := p.start(ctx, p.handler)
	ready(err)
	if err != nil {
		return err
	}
	defer func() { err = ended(err, stop) }()
	next := p.seq.Load() + 1
	limit := int64(p.cfg.BatchLimit)
	// paced: the last batch took everything that was available, and the
	// wait for it needed the wait strategy (the consumer keeps up with
	// the stream). While the strategy paces a dense stream
	// (PhasedBackoffWait's gap is above one hint), it then also decides
	// when to look again: looking at once would take the cursor's line
	// from the producer for the one or two events published while the
	// batch was handled. A consumer that is behind looks at once.
	paced := false
	for {
		avail, waited, err := p.barrier.waitFor(next, !paced || p.barrier.waiter.gap <= 1)
		if err != nil {
			if end, err := p.waitFailed(p.handler, p.seq.Load(), err); end {
				return err
			}
			continue
		}
		paced = waited
		if limit > 0 && avail-next >= limit {
			avail = next + limit - 1
			paced = false
		}
		for next <= avail {
			at, herr := p.batch(next, avail)
			if herr == nil {
				break
			}
			if herr == errHaltedInBatch {
				p.seq.Store(at - 1)
				p.barrier.core.notify.wake()
				return nil
			}
			if err := p.failed(at, herr); err != nil {
				p.seq.Store(at - 1)
				return err
			}
			next = at + 1 // skip the failed event and go on with the batch
		}
		p.seq.Store(avail)
		p.barrier.core.notify.wake()
		next = avail + 1
	}
}

// batch handles lo..hi and returns the sequence and error of the first
// event whose handler failed, or (0, nil). A panic in the handler is
// recovered here and reported at the sequence being handled.
func (p *BatchEventProcessor[T]) batch(lo, hi int64) (at int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			at, err = p.cur, newPanicError(r)
		}
	}()
	return p.handle(lo, hi)
}

// handle is the per-event loop, kept apart from batch's deferred recover
// so that its variables live in registers. p.cur is the one store per
// event: the sequence a panic is reported at.
func (p *BatchEventProcessor[T]) handle(lo, hi int64) (int64, error) {
	if p.bh != nil {
		return p.handleRuns(lo, hi)
	}
	h, entries, mask, flags := p.handler, p.ring.entries, p.ring.mask, &p.barrier.flags
	p.touch(lo, hi)
	for seq := lo; seq <= hi; seq++ {
		if f := flags.Load(); f != 0 {
			if f&flagHalted != 0 && seq != lo {
				return seq, errHaltedInBatch
			}
			if f&flagSkip != 0 && p.barrier.skip(seq) {
				continue
			}
		}
		p.cur = seq
		if e := h.OnEvent(&entries[seq&mask], seq, seq == hi); e != nil {
			return seq, e
		}
	}
	return 0, nil
}

// touch reads one byte of each cache line of the slots lo..hi (up to 64
// lines) before the handler runs, for events smaller than a line (larger
// ones are left to the handler). The loads do not depend on each other,
// so the core fetches the lines from the producer's cache in parallel;
// the handler calls, each waiting for the one before, would fetch them
// one after another.
func (p *BatchEventProcessor[T]) touch(lo, hi int64) {
	var zero T
	sz := int64(unsafe.Sizeof(zero))
	if sz == 0 || sz >= 64 {
		return
	}
	step := 64 / sz
	hi = min(hi, lo+64*step)
	entries, mask := p.ring.entries, p.ring.mask
	var x byte
	for s := lo; s <= hi; s += step {
		x += *(*byte)(unsafe.Pointer(&entries[s&mask]))
	}
	p.sink = x
}

// handleRuns hands lo..hi to the handler's OnBatch as runs of contiguous
// slots: one run, or two where the range wraps around the ring.
func (p *BatchEventProcessor[T]) handleRuns(lo, hi int64) (int64, error) {
	entries, mask := p.ring.entries, p.ring.mask
	for seq := lo; seq <= hi; {
		// The run ends at hi or at the ring's last slot, whichever is first.
		i := seq & mask
		n := min(hi-seq+1, mask+1-i)
		if f := p.barrier.flags.Load(); f != 0 {
			if f&flagHalted != 0 && seq != lo {
				return seq, errHaltedInBatch
			}
			if f&flagSkip != 0 {
				if p.barrier.skip(seq) {
					seq++
					continue
				}
				for k := int64(1); k < n; k++ {
					if p.barrier.skipped(seq + k) {
						n = k // the run ends before the skipped sequence
						break
					}
				}
			}
		}
		p.cur = seq
		done, e := p.bh.OnBatch(entries[i:i+n:i+n], seq, seq+n-1 == hi)
		if e != nil {
			if done < 0 || int64(done) >= n {
				done = 0 // a count that names no event of the run: blame its first
			}
			return seq + int64(done), e
		}
		seq += n
	}
	return 0, nil
}

// errHaltedInBatch stops a batch whose processor was halted part way.
var errHaltedInBatch = errors.New("bus: halted in a batch")
