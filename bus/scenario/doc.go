// Package scenario builds the LMAX Disruptor's performance-test shapes on a
// bus, and the same work on goroutines and buffered channels, so that a
// benchmark and a command measure the bus against a channel baseline from
// one table.
//
// # Concepts
//
// A [Scenario] is one of the Disruptor's throughput tests: how many
// producers publish, and how the consumers are wired. [All] lists them in
// the order they are usually run:
//
//	unicast    1 producer, 1 consumer
//	pipeline   1 producer, 3 consumers in a chain, each filling in a field
//	multicast  1 producer, 3 consumers each seeing every event
//	diamond    1 producer, 2 consumers in parallel, then a third after both
//	seq2       2 producers, 1 consumer (the multi-producer sequencer)
//	seq3       3 producers, 1 consumer
//
// Every producer publishes the values 0, 1, 2, ... in the V field of an
// [Event]. Every leaf consumer (one that no other consumer follows) sums
// what reaches it, so the sum proves that each event arrived once and
// passed through every stage before it: [Scenario.Want] is what each leaf
// must report.
//
// [Scenario.Wire] adds the consumers to a bus that has not started; the
// returned [Consumers] holds the leaves' sequences, to wait on, and their
// sums, to read once the bus has shut down. [Scenario.Channels] starts the
// same graph on channels; [Channels.Send] is the producers' side.
//
// # Guarantees
//
// On the bus every consumer is a concrete handler type, so the bus's own
// call of OnEvent is the only call per event; neither side allocates per
// event. What is measured is the bus or the channels, not this package. A
// consumer's sum is written only by its own goroutine; Shutdown of the bus
// (or the Sums channel of the channel version) synchronizes before reading
// it.
//
// # Example
//
//	sc, _ := scenario.Lookup("pipeline")
//	x, _ := bus.New[scenario.Event](bus.WithSize(1024))
//	c := sc.Wire(x)
//	x.Start()
//	for i := range 1000 {
//		x.Publish(func(e *scenario.Event, _ int64) { e.V = int64(i) })
//	}
//	x.Shutdown(context.Background())
//	fmt.Println(c.Sums()[0] == sc.Want(1000)) // true
package scenario
