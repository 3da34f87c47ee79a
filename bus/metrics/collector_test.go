package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/metrics"
)

type event struct{ n int }

// nop handles events and does nothing.
type nop struct{}

func (nop) OnEvent(*event, int64, bool) error { return nil }

// panicAt panics on one sequence.
type panicAt struct{ seq int64 }

func (p panicAt) OnEvent(_ *event, seq int64, _ bool) error {
	if seq == p.seq {
		panic("boom")
	}
	return nil
}

func publish(t *testing.T, b *bus.Bus[event], n int) {
	t.Helper()
	for range n {
		if err := b.Publish(func(e *event, _ int64) { e.n++ }); err != nil {
			t.Fatal(err)
		}
	}
}

// compare fails t unless the collector's metrics named names are want, in
// the text exposition format without HELP and TYPE lines.
func compare(t *testing.T, c *metrics.Collector, want string, names ...string) {
	t.Helper()
	var help strings.Builder
	for _, n := range names {
		help.WriteString(header[n])
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(help.String()+want), names...); err != nil {
		t.Error(err)
	}
}

// header holds the HELP and TYPE lines of the metrics the tests compare.
var header = map[string]string{
	"eventbus_cursor":                        "# HELP eventbus_cursor The highest sequence published, every sequence below it published too.\n# TYPE eventbus_cursor gauge\n",
	"eventbus_ring_free_slots":               "# HELP eventbus_ring_free_slots The slots producers could claim now without waiting for consumers.\n# TYPE eventbus_ring_free_slots gauge\n",
	"eventbus_state":                         "# HELP eventbus_state 1 for the state the bus is in, 0 for the others.\n# TYPE eventbus_state gauge\n",
	"eventbus_consumer_lag_events":           "# HELP eventbus_consumer_lag_events The events published beyond the consumer's sequence.\n# TYPE eventbus_consumer_lag_events gauge\n",
	"eventbus_consumer_handled_events_total": "# HELP eventbus_consumer_handled_events_total The events the consumer's handler was called for.\n# TYPE eventbus_consumer_handled_events_total counter\n",
	"eventbus_consumer_panics_total":         "# HELP eventbus_consumer_panics_total The events whose handler panicked.\n# TYPE eventbus_consumer_panics_total counter\n",
	"eventbus_consumer_errors_total":         "# HELP eventbus_consumer_errors_total The events whose handler returned an error.\n# TYPE eventbus_consumer_errors_total counter\n",
	"eventbus_producer_wait_seconds":         "# HELP eventbus_producer_wait_seconds The producers' waits for room in a full ring.\n# TYPE eventbus_producer_wait_seconds histogram\n",
}

// awaitSeq waits until the consumer named name has handled seq.
func awaitSeq(t *testing.T, b *bus.Bus[event], name string, seq int64) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		for _, c := range b.Stats().Consumers {
			if c.Name == name && c.Seq >= seq {
				return
			}
		}
	}
	t.Fatalf("%s did not reach sequence %d", name, seq)
}

// TestLint: the metrics follow Prometheus's naming rules.
func TestLint(t *testing.T) {
	b, _ := bus.New[event]()
	b.HandleEventsWith(bus.Named[event]("journal", nop{}))
	problems, err := testutil.CollectAndLint(metrics.NewCollector("orders", b.Stats))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// TestLagOfAHeldBackConsumer: a poller nobody polls, held back by 5
// events, shows lag 5 beside a processor that keeps up; the ring's free
// slots and the cursor follow.
func TestLagOfAHeldBackConsumer(t *testing.T) {
	b, _ := bus.New[event](bus.WithSize(8))
	b.HandleEventsWith(bus.Named[event]("journal", nop{}))
	b.NewPoller()
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { b.Halt(); b.Wait() }()
	c := metrics.NewCollector("orders", b.Stats)
	publish(t, b, 5)
	awaitSeq(t, b, "journal", 4)
	compare(t, c, `
eventbus_cursor{bus="orders"} 4
eventbus_ring_free_slots{bus="orders"} 3
eventbus_consumer_lag_events{bus="orders",consumer="journal"} 0
eventbus_consumer_lag_events{bus="orders",consumer="poller#1"} 5
eventbus_consumer_handled_events_total{bus="orders",consumer="journal"} 5
eventbus_consumer_handled_events_total{bus="orders",consumer="poller#1"} 0
eventbus_state{bus="orders",state="abandoned"} 0
eventbus_state{bus="orders",state="drained"} 0
eventbus_state{bus="orders",state="draining"} 0
eventbus_state{bus="orders",state="failed"} 0
eventbus_state{bus="orders",state="halted"} 0
eventbus_state{bus="orders",state="running"} 1
`, "eventbus_cursor", "eventbus_ring_free_slots", "eventbus_consumer_lag_events", "eventbus_consumer_handled_events_total", "eventbus_state")
}

// TestPanicCounted: a handler that panics on one event, under
// SkipOnError, counts one panic and goes on; a Shutdown drains the bus.
func TestPanicCounted(t *testing.T) {
	b, _ := bus.New[event](bus.WithErrorPolicy(bus.SkipOnError))
	b.HandleEventsWith(bus.Named[event]("risky", panicAt{seq: 1}), bus.Named[event]("journal", nop{}))
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	publish(t, b, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	compare(t, metrics.NewCollector("orders", b.Stats), `
eventbus_consumer_panics_total{bus="orders",consumer="journal"} 0
eventbus_consumer_panics_total{bus="orders",consumer="risky"} 1
eventbus_consumer_errors_total{bus="orders",consumer="journal"} 0
eventbus_consumer_errors_total{bus="orders",consumer="risky"} 0
eventbus_state{bus="orders",state="abandoned"} 0
eventbus_state{bus="orders",state="drained"} 1
eventbus_state{bus="orders",state="draining"} 0
eventbus_state{bus="orders",state="failed"} 0
eventbus_state{bus="orders",state="halted"} 0
eventbus_state{bus="orders",state="running"} 0
`, "eventbus_consumer_panics_total", "eventbus_consumer_errors_total", "eventbus_state")
}

// TestFromStats: a snapshot given by hand becomes the metrics it says:
// draining, the waits' histogram in seconds with cumulative buckets, and
// a repeated consumer name made unique.
func TestFromStats(t *testing.T) {
	ms := time.Millisecond
	s := bus.Stats{State: bus.StateRunning, Closed: true, Size: 16, Cursor: 40, Free: 2,
		Producers: bus.ProducerStats{Waits: 3, WaitTime: 7 * ms, Buckets: []bus.WaitBucket{{UpTo: ms, Count: 1}, {UpTo: 2 * ms, Count: 2}, {UpTo: 4 * ms, Count: 3}}},
		Consumers: []bus.ConsumerStats{{Name: "w", Seq: 38, Lag: 2}, {Name: "w", Seq: 30, Lag: 10}, {Name: "x", Seq: 40}},
	}
	c := metrics.NewCollector("b", func() bus.Stats { return s })
	compare(t, c, `
eventbus_producer_wait_seconds_bucket{bus="b",le="0.001"} 1
eventbus_producer_wait_seconds_bucket{bus="b",le="0.002"} 2
eventbus_producer_wait_seconds_bucket{bus="b",le="0.004"} 3
eventbus_producer_wait_seconds_bucket{bus="b",le="+Inf"} 3
eventbus_producer_wait_seconds_sum{bus="b"} 0.007
eventbus_producer_wait_seconds_count{bus="b"} 3
eventbus_consumer_lag_events{bus="b",consumer="w#0"} 2
eventbus_consumer_lag_events{bus="b",consumer="w#1"} 10
eventbus_consumer_lag_events{bus="b",consumer="x"} 0
eventbus_state{bus="b",state="abandoned"} 0
eventbus_state{bus="b",state="drained"} 0
eventbus_state{bus="b",state="draining"} 1
eventbus_state{bus="b",state="failed"} 0
eventbus_state{bus="b",state="halted"} 0
eventbus_state{bus="b",state="running"} 0
`, "eventbus_producer_wait_seconds", "eventbus_consumer_lag_events", "eventbus_state")
	if n := testutil.CollectAndCount(c); n != 3+6+1+3*7 {
		t.Errorf("%d metrics collected, want %d", n, 3+6+1+3*7)
	}
}
