package bus

import (
	"context"
	"errors"
)

// worker is one member of a worker pool: the workers of a pool share a work
// sequence, and each claims the next event with a compare-and-swap on it,
// so every event is handled by exactly one worker.
type worker[T any] struct {
	ring    *Ring[T]
	barrier *Barrier
	handler Handler[T]
	seq     *Sequence // everything at or below it was claimed by some worker
	work    *Sequence // the highest sequence claimed by the pool
	cfg     ProcessorConfig
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
	for _, h := range workers {
		if h == nil {
			panic("bus: nil Handler")
		}
		h, cfg := b.config(h)
		if cfg.Name == "" {
			cfg.Name = handlerName(h, cfg.Index)
		}
		w := &worker[T]{ring: b.ring, barrier: b.core.NewBarrier(deps...), handler: h, seq: b.core.NewSequence(), work: work, cfg: cfg}
		b.consumers = append(b.consumers, w)
		g.seqs = append(g.seqs, w.seq)
	}
	return g
}

func (w *worker[T]) progress() []*Sequence { return []*Sequence{w.seq} }
func (w *worker[T]) deps() []*Sequence     { return w.barrier.waiter.deps }
func (w *worker[T]) halt()                 { w.barrier.Halt() }
func (w *worker[T]) hasGoroutine() bool    { return true }

func (w *worker[T]) run(ctx context.Context) error {
	if w.cfg.Pin != nil {
		release, err := w.cfg.Pin(w.cfg.Name, w.cfg.Index)
		if err != nil {
			return err
		}
		if release != nil {
			defer release()
		}
	}
	if s, ok := w.handler.(StartHandler); ok {
		if err := s.OnStart(); err != nil {
			return &EventError{Handler: w.cfg.Name, Seq: w.seq.Load(), Err: err}
		}
	}
	if s, ok := w.handler.(ShutdownHandler); ok {
		defer s.OnShutdown()
	}
	w.barrier.waiter.ctx = ctx
	avail := InitialSequence
	var next int64
	claimed := false
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
			if w.barrier.Halted() {
				return nil
			}
			if err := w.handle(next); err != nil {
				if err = w.failed(next, err); err != nil {
					return err
				}
			}
			claimed = false
			continue
		}
		a, err := w.barrier.WaitFor(next)
		if err != nil {
			switch {
			case errors.Is(err, ErrHalted):
				return nil
			case errors.Is(err, ErrTimeout):
				if th, ok := w.handler.(TimeoutHandler); ok {
					if err := th.OnTimeout(next - 1); err != nil {
						if err = w.failed(next-1, err); err != nil {
							return err
						}
					}
				}
				continue
			}
			return err
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

func (w *worker[T]) failed(seq int64, err error) error {
	e := &EventError{Handler: w.cfg.Name, Seq: seq, Err: err}
	if w.cfg.OnError == nil {
		return e
	}
	return w.cfg.OnError(e)
}
