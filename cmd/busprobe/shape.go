package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

// shape is the consumer graph that -tune measures candidates on: one of
// package scenario's LMAX shapes, parallel consumers that each see every
// event, or a worker pool that shares them.
type shape struct {
	name      string // as -topology names it
	title     string // name and shape, for the report: "unicast 1P→1C"
	producers int
	consumers int
	wire      func(x *bus.Bus[scenario.Event]) wired
}

// wired is a shape's consumers on one bus.
type wired struct {
	// leaves are the sequences of the consumers no other consumer
	// follows: an event is through the graph once all of them reach it.
	leaves []*bus.Sequence
	// check reports whether the consumers saw exactly the events the
	// producers published (published[p] events each, values 0, 1, ...);
	// call it after Shutdown.
	check func(published []int64) error
}

// topologies lists what -topology accepts.
func topologies() []string {
	var names []string
	for _, sc := range scenario.All() {
		names = append(names, sc.Name)
	}
	return append(names, "parallel", "pool")
}

// lookupShape returns the shape -topology names for the given producers
// and consumers. An empty topology is unicast for one consumer (the
// sequencer shape for several producers) and parallel consumers for more.
// The scenario shapes fix their producers and consumers; explicit values
// (counted, given) that differ are an error.
func lookupShape(topology string, producers, consumers int, given map[string]bool) (shape, error) {
	if topology == "" {
		topology = "parallel"
		if consumers == 1 {
			topology = "unicast"
		}
	}
	switch topology {
	case "parallel":
		return shape{name: topology, title: fmt.Sprintf("parallel %dP→%dC", producers, consumers), producers: producers, consumers: consumers,
			wire: func(x *bus.Bus[scenario.Event]) wired { return wireParallel(x, consumers) }}, nil
	case "pool":
		return shape{name: topology, title: fmt.Sprintf("worker pool %dP→%dW", producers, consumers), producers: producers, consumers: consumers,
			wire: func(x *bus.Bus[scenario.Event]) wired { return wirePool(x, consumers) }}, nil
	}
	sc, ok := scenario.Lookup(topology)
	if !ok {
		return shape{}, fmt.Errorf("-topology %q: want one of %s", topology, strings.Join(topologies(), ", "))
	}
	if topology == "unicast" && producers > 1 {
		// One consumer fed by several producers is the sequencer shape
		// with another producer count.
		sc.Producers, sc.Title = producers, fmt.Sprintf("sequencer %dP→1C", producers)
	}
	if given["producers"] && producers != sc.Producers {
		return shape{}, fmt.Errorf("-topology %s has %d producers, not -producers %d", topology, sc.Producers, producers)
	}
	if given["consumers"] && consumers != sc.Consumers {
		return shape{}, fmt.Errorf("-topology %s has %d consumers, not -consumers %d", topology, sc.Consumers, consumers)
	}
	return shape{name: topology, title: sc.Title, producers: sc.Producers, consumers: sc.Consumers, wire: func(x *bus.Bus[scenario.Event]) wired {
		c := sc.Wire(x)
		return wired{leaves: c.Leaves, check: func(published []int64) error {
			want := sc.Want(published...)
			if got := c.Sums(); slices.ContainsFunc(got, func(s int64) bool { return s != want }) {
				return fmt.Errorf("%s: leaf sums %v, want %d each", sc.Title, got, want)
			}
			return nil
		}}
	}}, nil
}

// sum adds up the values of the events it handles.
type sum struct{ v int64 }

// OnEvent implements bus.Handler.
func (s *sum) OnEvent(e *scenario.Event, _ int64, _ bool) error { s.v += e.V; return nil }

// want is the sum of the values 0..n-1 of each producer.
func want(published []int64) int64 {
	var w int64
	for _, n := range published {
		w += n * (n - 1) / 2
	}
	return w
}

// wireParallel adds n consumers that each see every event.
func wireParallel(x *bus.Bus[scenario.Event], n int) wired {
	sums := make([]*sum, n)
	hs := make([]bus.Handler[scenario.Event], n)
	for i := range hs {
		sums[i] = &sum{}
		hs[i] = sums[i]
	}
	return wired{leaves: x.HandleEventsWith(hs...).Sequences(), check: func(published []int64) error {
		for i, s := range sums {
			if w := want(published); s.v != w {
				return fmt.Errorf("parallel consumer %d summed %d, want %d", i, s.v, w)
			}
		}
		return nil
	}}
}

// wirePool adds a pool of n workers that share the events.
func wirePool(x *bus.Bus[scenario.Event], n int) wired {
	sums := make([]*sum, n)
	hs := make([]bus.Handler[scenario.Event], n)
	for i := range hs {
		sums[i] = &sum{}
		hs[i] = sums[i]
	}
	return wired{leaves: x.HandleEventsWithWorkerPool(hs...).Sequences(), check: func(published []int64) error {
		var total int64
		for _, s := range sums {
			total += s.v
		}
		if w := want(published); total != w {
			return fmt.Errorf("worker pool summed %d, want %d", total, w)
		}
		return nil
	}}
}
