package stress

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// newRun builds the bus s describes, on profile p if it is not nil, its
// consumers (the handlers of its processors and pool workers, and its
// pollers) and its producers, none of them started.
func newRun(ctx context.Context, s Scenario, p *affinity.Profile) (*run, error) {
	opts := []bus.Option{bus.WithBatchLimit(s.BatchLimit)}
	if p != nil {
		opts = append(opts, affinity.WithProfile(p))
	} else {
		wait, err := bus.NewWaitStrategy(s.Wait)
		if err != nil {
			return nil, err
		}
		opts = append(opts, bus.WithSize(s.RingSize), bus.WithWaitStrategy(wait))
		if s.Pad != 0 {
			opts = append(opts, bus.WithPad(s.Pad))
		}
	}
	if s.Multi {
		opts = append(opts, bus.WithMultiProducer())
	}
	if s.Policy == PolicySkip {
		opts = append(opts, bus.WithErrorPolicy(bus.SkipOnError))
	} else {
		opts = append(opts, bus.WithErrorPolicy(bus.StopOnError))
	}
	b, err := bus.New[event](opts...)
	if err != nil {
		return nil, fmt.Errorf("stress: seed %d: %w", s.Seed, err)
	}
	r := &run{s: s, b: b, trigger: make(chan struct{}), hook: seeHook}
	if p != nil {
		r.plan = &p.Affinity
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	names := s.Consumers()
	newConsumer := func(ordered bool, deps []*consumer) *consumer {
		c := &consumer{r: r, idx: len(r.cons), name: names[len(r.cons)], ordered: ordered, deps: deps, lastSeq: -1}
		c.fails = s.Fail != FailNone && s.FailAt == c.idx
		c.counts = make([][]atomic.Uint32, s.Producers)
		c.lastN = make([]int64, s.Producers)
		for p := range c.counts {
			c.counts[p] = make([]atomic.Uint32, s.Events)
			c.lastN[p] = -1
		}
		r.cons = append(r.cons, c)
		return c
	}
	var group *bus.Group[event]
	var prev []*consumer
	for i, st := range s.Stages {
		var cur []*consumer
		switch st.Kind {
		case StageHandlers:
			hs := make([]bus.Handler[event], st.Width)
			for j := range hs {
				c := newConsumer(true, prev)
				h := &handler{c: c, name: c.name, lastSeq: -1, lifecycle: true}
				r.handlers = append(r.handlers, h)
				hs[j] = bus.Named[event](c.name, h)
				cur = append(cur, c)
			}
			if group == nil {
				group = b.HandleEventsWith(hs...)
			} else {
				group = group.Then(hs...)
			}
		case StagePool:
			c := newConsumer(false, prev)
			hs := make([]bus.Handler[event], st.Width)
			for j := range hs {
				h := &handler{c: c, name: fmt.Sprintf("s%d.w%d", i, j), lastSeq: -1, lifecycle: true}
				r.handlers = append(r.handlers, h)
				hs[j] = bus.Named[event](h.name, h)
			}
			if group == nil {
				group = b.HandleEventsWithWorkerPool(hs...)
			} else {
				group = group.ThenWorkerPool(hs...)
			}
			cur = append(cur, c)
		case StagePoller:
			for range st.Width {
				c := newConsumer(true, prev)
				var p *bus.Poller[event]
				if group == nil {
					p = b.NewPoller()
				} else {
					p = group.ThenPoller()
				}
				h := &handler{c: c, name: c.name, lastSeq: -1}
				r.poll = append(r.poll, func() { r.runPoller(p, h) })
				cur = append(cur, c)
			}
		}
		prev = cur
	}
	for p := range s.Producers {
		pr := &producer{r: r, id: p, rng: rand.New(rand.NewPCG(s.Seed, uint64(p)))}
		pr.fillFn = pr.fill
		r.prods = append(r.prods, pr)
	}
	if s.End != EndDrain && s.EndAfter == 0 {
		close(r.trigger)
		r.trigOnce.Do(func() {})
	}
	return r, nil
}
