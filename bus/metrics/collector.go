package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventbus/eventbus/bus"
)

// Collector is a prometheus.Collector for one bus: it reads the bus's
// Stats at every scrape and turns them into the package's metrics. Create
// it with NewCollector; the zero value is not usable. It is safe for
// concurrent use.
type Collector struct {
	stats     func() bus.Stats
	cursor    *prometheus.Desc
	slots     *prometheus.Desc
	free      *prometheus.Desc
	state     *prometheus.Desc
	waits     *prometheus.Desc
	consumers []consumerMetric
}

// consumerMetric is one per-consumer metric: its description, its type
// and the figure of bus.ConsumerStats it reports.
type consumerMetric struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(bus.ConsumerStats) int64
}

// NewCollector returns a collector for the bus whose Stats method is
// stats (pass b.Stats), labelling every metric bus="name".
func NewCollector(name string, stats func() bus.Stats) *Collector {
	bl := prometheus.Labels{"bus": name}
	desc := func(metric, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("eventbus_"+metric, help, labels, bl)
	}
	consumer := func(metric, help string, typ prometheus.ValueType, value func(bus.ConsumerStats) int64) consumerMetric {
		return consumerMetric{desc: desc(metric, help, "consumer"), typ: typ, value: value}
	}
	return &Collector{
		stats:  stats,
		cursor: desc("cursor", "The highest sequence published, every sequence below it published too."),
		slots:  desc("ring_slots", "The number of slots in the ring."),
		free:   desc("ring_free_slots", "The slots producers could claim now without waiting for consumers."),
		state:  desc("state", "1 for the state the bus is in, 0 for the others.", "state"),
		waits:  desc("producer_wait_seconds", "The producers' waits for room in a full ring."),
		consumers: []consumerMetric{
			consumer("consumer_sequence", "The last sequence the consumer handled.", prometheus.GaugeValue,
				func(c bus.ConsumerStats) int64 { return c.Seq }),
			consumer("consumer_lag_events", "The events published beyond the consumer's sequence.", prometheus.GaugeValue,
				func(c bus.ConsumerStats) int64 { return c.Lag }),
			consumer("consumer_handled_events_total", "The events the consumer's handler was called for.", prometheus.CounterValue,
				func(c bus.ConsumerStats) int64 { return c.Handled }),
			consumer("consumer_errors_total", "The events whose handler returned an error.", prometheus.CounterValue,
				func(c bus.ConsumerStats) int64 { return c.Errors }),
			consumer("consumer_panics_total", "The events whose handler panicked.", prometheus.CounterValue,
				func(c bus.ConsumerStats) int64 { return c.Panics }),
			consumer("consumer_skipped_events_total", "The events the consumer passed because their producer's fill panicked.", prometheus.CounterValue,
				func(c bus.ConsumerStats) int64 { return c.Skipped }),
			consumer("consumer_parks_total", "The times the consumer's wait strategy parked or slept its goroutine.", prometheus.CounterValue,
				func(c bus.ConsumerStats) int64 { return c.Parks }),
		},
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.cursor, c.slots, c.free, c.state, c.waits} {
		ch <- d
	}
	for _, m := range c.consumers {
		ch <- m.desc
	}
}

// states lists the values of eventbus_state's label: bus.State's names,
// with draining (a closed bus that has not ended) after running.
var states = []string{bus.StateRunning.String(), "draining", bus.StateDrained.String(),
	bus.StateHalted.String(), bus.StateFailed.String(), bus.StateAbandoned.String()}

// stateName returns the eventbus_state label value for s.
func stateName(s bus.Stats) string {
	if s.State == bus.StateRunning && s.Closed {
		return "draining"
	}
	return s.State.String()
}

// Collect implements prometheus.Collector: it takes one snapshot of the
// bus and sends every metric of it.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.cursor, prometheus.GaugeValue, float64(s.Cursor))
	ch <- prometheus.MustNewConstMetric(c.slots, prometheus.GaugeValue, float64(s.Size))
	ch <- prometheus.MustNewConstMetric(c.free, prometheus.GaugeValue, float64(s.Free))
	now := stateName(s)
	for _, st := range states {
		v := 0.0
		if st == now {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, st)
	}
	p := s.Producers
	buckets := make(map[float64]uint64, len(p.Buckets))
	for _, b := range p.Buckets {
		buckets[b.UpTo.Seconds()] = uint64(b.Count)
	}
	ch <- prometheus.MustNewConstHistogram(c.waits, uint64(p.Waits), p.WaitTime.Seconds(), buckets)
	for i, name := range consumerLabels(s.Consumers) {
		for _, m := range c.consumers {
			ch <- prometheus.MustNewConstMetric(m.desc, m.typ, float64(m.value(s.Consumers[i])), name)
		}
	}
}

// consumerLabels returns the consumer label of each consumer: its name,
// with "#" and its position appended where the name repeats.
func consumerLabels(cs []bus.ConsumerStats) []string {
	n := map[string]int{}
	for _, c := range cs {
		n[c.Name]++
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
		if n[c.Name] > 1 {
			out[i] += "#" + strconv.Itoa(i)
		}
	}
	return out
}
