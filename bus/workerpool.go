package bus

import (
	"context"
	"sync/atomic"
)

// worker is one member of a worker pool: the workers of a pool share a work
// sequence, and each claims the next event with a compare-and-swap on it,
// so every event is handled by exactly one worker. Its consumer's seq is the pool's progress as far as this worker knows:
// everything at or below it was claimed by some worker.
type worker[T any] struct {
	consumer
	ring    *Ring[T]
	handler Handler[T]
	work    *Sequence   // the highest sequence claimed by the pool
	active  atomic.Bool // its goroutine is in run
}

func (b *Bus[T]) addPool(deps []*Sequence, workers []Handler[T]) *Group[T] {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustNotBeStarted("adding consumers")
	if len(workers) == 0 {
		panic("bus: a worker pool needs at least one worker")
	}
	work := b.core.NewSequence()
	g := &Group[T]{bus: b}
	set := []*Sequence{work}
	from := len(b.consumers)
	for _, h := range workers {
		if h == nil {
			panic("bus: nil Handler")
		}
		h, cfg := b.config(h)
		c := newConsumer(h, b.core.NewBarrier(deps...), b.core.NewSequence(), cfg)
		w := &worker[T]{consumer: c, ring: b.ring, handler: h, work: work}
		w.counts().worker = true
		b.consumers = append(b.consumers, w)
		g.seqs = append(g.seqs, w.seq)
		set = append(set, w.seq)
	}
	b.join(deps, set)
	b.based(from)
	return g
}

func (w *worker[T]) live() bool { return w.active.Load() }

func (w *worker[T]) run(ctx context.Context, ready func(error)) (err error) {
	w.active.Store(true)
	defer w.active.Store(false)
	stop, err := w.start(ctx, w.handler)
	ready(err)
	if err != nil {
		return err
	}
	defer func() { err = ended(err, stop) }()
	avail := InitialSequence
	var next int64
	claimed := false
	handled := int64(0) // stored in the counters once per batch, and at the end
	defer func() { w.counts().handled.Store(handled) }()
	for {
		if !claimed {
			for {
				cur := w.work.Load()
				next = cur + 1
				w.seq.Store(cur)
				if w.work.CompareAndSwap(cur, next) {
					break
				}
			}
			w.barrier.core.notify.wake()
			claimed = true
		}
		if avail >= next {
			if f := w.barrier.flags.Load(); f != 0 {
				if f&flagHalted != 0 {
					return nil
				}
				if f&flagSkip != 0 && w.barrier.skip(next) {
					claimed = false
					continue
				}
			}
			handled++
			if err := w.handle(next); err != nil {
				if err = w.failed(next, err); err != nil {
					return err
				}
			}
			claimed = false
			continue
		}
		w.counts().handled.Store(handled)
		a, err := w.barrier.WaitFor(next)
		if err != nil {
			if end, err := w.waitFailed(w.handler, next-1, err); end {
				return err
			}
			continue
		}
		avail = a
	}
}

func (w *worker[T]) handle(seq int64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = newPanicError(r)
		}
	}()
	return w.handler.OnEvent(w.ring.Get(seq), seq, true)
}
