package scenario

import "github.com/eventbus/eventbus/bus"

// Consumers is a scenario's consumer graph on a bus.
type Consumers struct {
	// Leaves are the sequences of the consumers that no other consumer
	// follows: every event published up to sequence s has been handled
	// by all the consumers once each of them reaches s.
	Leaves []*bus.Sequence
	sums   []*int64 // each leaf's running sum, written by its goroutine
}

// Sums returns each leaf's sum, in the order of Leaves. Call it after
// Shutdown (or Halt and Wait) returned, which synchronizes before it.
func (c *Consumers) Sums() []int64 {
	out := make([]int64, len(c.sums))
	for i, s := range c.sums {
		out[i] = *s
	}
	return out
}

// The handlers: each is a concrete type, so the bus's call of OnEvent is
// the only call per event.

// sumV sums the producers' values.
type sumV struct{ sum int64 }

func (h *sumV) OnEvent(e *Event, _ int64, _ bool) error { h.sum += e.V; return nil }

// sumB sums the pipeline's last field, less the two its stages added.
type sumB struct{ sum int64 }

func (h *sumB) OnEvent(e *Event, _ int64, _ bool) error { h.sum += e.B - 2; return nil }

// sumAB sums both branches of the diamond, less the one each added.
type sumAB struct{ sum int64 }

func (h *sumAB) OnEvent(e *Event, _ int64, _ bool) error { h.sum += e.A + e.B - 2; return nil }

// setA writes A from V.
type setA struct{}

func (setA) OnEvent(e *Event, _ int64, _ bool) error { e.A = e.V + 1; return nil }

// setBFromA writes B from A: the pipeline's second stage.
type setBFromA struct{}

func (setBFromA) OnEvent(e *Event, _ int64, _ bool) error { e.B = e.A + 1; return nil }

// setBFromV writes B from V: the diamond's right branch.
type setBFromV struct{}

func (setBFromV) OnEvent(e *Event, _ int64, _ bool) error { e.B = e.V + 1; return nil }

// wireSum is unicast's graph and the sequencers': one consumer.
func wireSum(x *bus.Bus[Event]) *Consumers {
	h := &sumV{}
	return &Consumers{Leaves: x.HandleEventsWith(h).Sequences(), sums: []*int64{&h.sum}}
}

func wirePipeline(x *bus.Bus[Event]) *Consumers {
	last := &sumB{}
	g := x.HandleEventsWith(setA{}).Then(setBFromA{}).Then(last)
	return &Consumers{Leaves: g.Sequences(), sums: []*int64{&last.sum}}
}

func wireMulticast(x *bus.Bus[Event]) *Consumers {
	a, b, c := &sumV{}, &sumV{}, &sumV{}
	g := x.HandleEventsWith(a, b, c)
	return &Consumers{Leaves: g.Sequences(), sums: []*int64{&a.sum, &b.sum, &c.sum}}
}

func wireDiamond(x *bus.Bus[Event]) *Consumers {
	join := &sumAB{}
	g := x.HandleEventsWith(setA{}, setBFromV{}).Then(join)
	return &Consumers{Leaves: g.Sequences(), sums: []*int64{&join.sum}}
}
