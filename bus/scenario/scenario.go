package scenario

import (
	"fmt"

	"github.com/eventbus/eventbus/bus"
)

// Event is what every scenario passes along: the value a producer
// publishes and two fields that upstream consumers of the pipeline and
// the diamond fill in. It occupies 24 bytes.
type Event struct {
	V int64 // the producer's value: 0, 1, 2, ... from each producer
	A int64 // the pipeline's first stage and the diamond's left branch write V+1
	B int64 // the pipeline's second stage writes A+1; the diamond's right branch writes V+1
}

// Scenario is one of the LMAX Disruptor's throughput tests. Get one from
// All or Lookup: the zero value has no consumers to wire and is not
// usable.
type Scenario struct {
	Name      string // short name, as commands take it: "unicast", "seq2"
	Title     string // name and shape: "unicast 1P→1C"
	Producers int    // producing goroutines; above 1 the bus needs bus.WithMultiProducer
	Consumers int    // consumers on the bus, leaves included

	// factor is each leaf's sum in units of the sum of the values
	// published: the diamond's join adds two copies.
	factor int64
	wire   func(x *bus.Bus[Event]) *Consumers
	chans  func(size int) *Channels
}

// All returns the scenarios, in the order they are usually run.
func All() []Scenario {
	return []Scenario{
		{Name: "unicast", Title: "unicast 1P→1C", Producers: 1, Consumers: 1, factor: 1,
			wire: wireSum, chans: chanSum},
		{Name: "pipeline", Title: "pipeline 1P→3C", Producers: 1, Consumers: 3, factor: 1,
			wire: wirePipeline, chans: chanPipeline},
		{Name: "multicast", Title: "multicast 1P→3C", Producers: 1, Consumers: 3, factor: 1,
			wire: wireMulticast, chans: chanMulticast},
		{Name: "diamond", Title: "diamond 1P→3C", Producers: 1, Consumers: 3, factor: 2,
			wire: wireDiamond, chans: chanDiamond},
		sequencer(2),
		sequencer(3),
	}
}

// sequencer is the scenario of producers publishing to one consumer.
func sequencer(producers int) Scenario {
	return Scenario{Name: fmt.Sprintf("seq%d", producers), Title: fmt.Sprintf("sequencer %dP→1C", producers),
		Producers: producers, Consumers: 1, factor: 1, wire: wireSum, chans: chanSum}
}

// Lookup returns the scenario called name, and whether there is one.
func Lookup(name string) (Scenario, bool) {
	for _, s := range All() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Want returns the sum each leaf consumer reports after the producers
// published published[p] events each (producer p publishing the values 0
// to published[p]-1), whether on the bus or on channels.
func (s Scenario) Want(published ...int64) int64 {
	var sum int64
	for _, n := range published {
		sum += n * (n - 1) / 2
	}
	return sum * s.factor
}

// Wire adds the scenario's consumers to x, which must not have started,
// and returns them.
func (s Scenario) Wire(x *bus.Bus[Event]) *Consumers { return s.wire(x) }

// Channels starts the scenario's consumers as goroutines reading buffered
// channels of size events, and returns the producers' side. The
// goroutines end after Close once they have drained their input.
func (s Scenario) Channels(size int) *Channels { return s.chans(size) }
