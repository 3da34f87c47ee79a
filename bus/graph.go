package bus

// This file holds the consumer graph of a Bus: groups, the consumers
// added to them, and the gating that holds from the moment each is added.

import (
	"context"
)

// Group is a set of consumers added to a Bus together. Consumers added with
// its Then methods handle each event only after every consumer of the
// group has handled it.
type Group[T any] struct {
	bus  *Bus[T]
	seqs []*Sequence
}

// Sequences returns the progress sequences of the group's consumers.
func (g *Group[T]) Sequences() []*Sequence { return append([]*Sequence(nil), g.seqs...) }

// HandleEventsWith adds consumers that each see every event, in parallel,
// one goroutine each. It panics if called after Start.
func (b *Bus[T]) HandleEventsWith(handlers ...Handler[T]) *Group[T] {
	return b.addProcessors(nil, handlers)
}

// Then adds consumers that each see every event after all of g's consumers
// have handled it. A consumer added to two groups' Then follows both (the
// diamond: HandleEventsWith(a, b).Then(c)).
func (g *Group[T]) Then(handlers ...Handler[T]) *Group[T] {
	return g.bus.addProcessors(g.seqs, handlers)
}

// After returns a group whose Then methods follow every consumer of groups,
// for graphs that join independent branches.
func (b *Bus[T]) After(groups ...*Group[T]) *Group[T] {
	g := &Group[T]{bus: b}
	for _, x := range groups {
		g.seqs = append(g.seqs, x.seqs...)
	}
	return g
}

// HandleEventsWithWorkerPool adds a pool of workers that share the events:
// each event is handled by exactly one of them. Workers run in parallel, so
// events are not handled in sequence order across the pool.
func (b *Bus[T]) HandleEventsWithWorkerPool(workers ...Handler[T]) *Group[T] {
	return b.addPool(nil, workers)
}

// ThenWorkerPool adds a worker pool that takes each event after all of g's
// consumers have handled it.
func (g *Group[T]) ThenWorkerPool(workers ...Handler[T]) *Group[T] {
	return g.bus.addPool(g.seqs, workers)
}

// NewPoller adds a consumer that the caller drives: its own goroutine calls
// Poll to drain available events. A poller gates the producer like any
// consumer, so a poller nobody polls eventually stops publishing.
func (b *Bus[T]) NewPoller() *Poller[T] { return b.addPoller(nil) }

// ThenPoller adds a poller that sees each event after all of g's consumers.
func (g *Group[T]) ThenPoller() *Poller[T] { return g.bus.addPoller(g.seqs) }

func (b *Bus[T]) mustNotBeStarted(what string) {
	if b.started {
		panic("bus: " + what + " after Start")
	}
}

func (b *Bus[T]) config(h Handler[T]) (Handler[T], ProcessorConfig) {
	cfg := ProcessorConfig{Index: b.nextIndex, BatchLimit: b.opts.batchLimit, OnError: b.opts.onError, Pin: b.opts.pin}
	b.nextIndex++
	if n, ok := h.(*named[T]); ok {
		cfg.Name, h = n.name, n.h
	}
	return h, cfg
}

func (b *Bus[T]) addProcessors(deps []*Sequence, handlers []Handler[T]) *Group[T] {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mustNotBeStarted("adding consumers")
	g := &Group[T]{bus: b}
	from := len(b.consumers)
	for _, h := range handlers {
		if h == nil {
			panic("bus: nil Handler")
		}
		h, cfg := b.config(h)
		p := newBatchEventProcessor(b.ring, b.core.NewBarrier(deps...), h, cfg)
		b.consumers = append(b.consumers, (*processorRunner[T])(p))
		g.seqs = append(g.seqs, p.seq)
	}
	b.join(deps, g.seqs)
	b.based(from)
	return g
}

// join makes consumers just added gate the producer from now on, as the
// LMAX Disruptor adds gating sequences as consumers are added: events
// published before Start wait in the ring for them. set holds their
// sequences (and a worker pool's work sequence), which start where deps
// stand, or at the cursor for consumers of the producer's events; the
// gating sequences become the leaves of the graph. It runs with b.mu held,
// before Start, so no consumer moves meanwhile but pollers, which no
// consumer follows.
//
// No producer overruns a new consumer: a producer's cached view of the
// gating sequences is at or below every consumer's sequence (each is at or
// above a leaf) and at or below the published cursor, and the new
// sequences start at one or the other; those that start at the cursor are
// set again after the swap, for publishes that ran meanwhile.
func (b *Bus[T]) join(deps, set []*Sequence) {
	if faultsEnabled && faultActive(faultGateAtStart) {
		return // the planted bug: Start adds the gating sequences
	}
	start := b.core.Cursor()
	if len(deps) > 0 {
		start = minSequence(deps, start)
	}
	for _, s := range set {
		s.Store(start)
	}
	b.core.setGating(b.leaves())
	if len(deps) == 0 {
		cur := b.core.Cursor()
		for _, s := range set {
			s.Store(max(s.Load(), cur))
		}
	}
}

// processorRunner adapts a BatchEventProcessor to runner.
type processorRunner[T any] BatchEventProcessor[T]

func (p *processorRunner[T]) run(ctx context.Context, ready func(error)) error {
	return (*BatchEventProcessor[T])(p).run(ctx, ready)
}

func (p *processorRunner[T]) live() bool {
	return (*BatchEventProcessor[T])(p).running.Load() == 1
}

// Named gives a handler a name, used in errors and to match the consumer
// with a profile's affinity plan. The bus unwraps it, so it costs nothing
// per event.
func Named[T any](name string, h Handler[T]) Handler[T] { return &named[T]{name: name, h: h} }

type named[T any] struct {
	name string
	h    Handler[T]
}

// OnEvent calls the wrapped handler; the bus unwraps named handlers, so
// this only runs when a named handler is used outside a Bus.
func (n *named[T]) OnEvent(ev *T, seq int64, end bool) error { return n.h.OnEvent(ev, seq, end) }
