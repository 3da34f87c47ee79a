// Package metrics exports what a running bus.Bus reports in its Stats as
// Prometheus metrics, through a prometheus.Collector for each bus.
//
// # Concepts
//
// A [Collector] reads one bus's Stats when Prometheus scrapes it, and
// only then: it runs no goroutine, keeps no state between scrapes and
// adds nothing to the bus's publishing or handling. It is given a name,
// which becomes the constant label bus="NAME" on every metric, so that
// several buses can be registered with one registry. Register it, serve
// the registry with promhttp, and the bus is watched:
//
//	b, _ := bus.New[Trade]()
//	b.HandleEventsWith(bus.Named("journal", journal))
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(metrics.NewCollector("trades", b.Stats))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// # The metrics
//
// Every metric has the label bus; the per-consumer ones also consumer,
// the consumer's name in bus.ConsumerStats (a name that repeats within a
// bus gets "#" and its position appended, so that label sets stay unique).
//
//	eventbus_cursor                          gauge      highest sequence published, every one below it published too
//	eventbus_ring_slots                      gauge      slots in the ring
//	eventbus_ring_free_slots                 gauge      slots producers could claim now without waiting
//	eventbus_state{state}                    gauge      1 for the bus's state, 0 for the others: running, draining, drained, halted, failed, abandoned
//	eventbus_producer_wait_seconds           histogram  producers' waits for room in a full ring
//	eventbus_consumer_sequence{consumer}     gauge      last sequence the consumer handled
//	eventbus_consumer_lag_events{consumer}   gauge      events published beyond the consumer's sequence
//	eventbus_consumer_handled_events_total   counter    events its handler was called for
//	eventbus_consumer_errors_total           counter    events whose handler returned an error
//	eventbus_consumer_panics_total           counter    events whose handler panicked
//	eventbus_consumer_skipped_events_total   counter    events passed because their producer's fill panicked
//	eventbus_consumer_parks_total            counter    times its wait strategy parked or slept its goroutine
//
// The ring's fill is 1 - eventbus_ring_free_slots / eventbus_ring_slots;
// producer waits per second are rate(eventbus_producer_wait_seconds_count),
// handler failures per second the rates of the errors and panics counters.
// The histogram's buckets are the bus's own: powers of two nanoseconds from
// about a microsecond to about 8.6 seconds.
//
// # Guarantees
//
// Collect may run concurrently with itself and with everything the bus
// does; each scrape is one bus.Stats snapshot (see its documentation for
// what a snapshot of a running bus means). Counters only grow, except that
// a consumer's handled count can drop back by the events of a batch in
// progress that passes skipped events.
package metrics
