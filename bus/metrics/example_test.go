package metrics_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/metrics"
)

type Trade struct{ Price, Qty int64 }

// Register a bus's collector and serve /metrics; a scrape then shows how
// far each consumer lags. Here a poller has taken one of three events.
func Example() {
	b, _ := bus.New[Trade](bus.WithSize(8))
	p := b.NewPoller()
	b.Start()
	defer func() { b.Halt(); b.Wait() }()
	for i := range 3 {
		b.Publish(func(t *Trade, _ int64) { t.Price, t.Qty = 100+int64(i), 5 })
	}
	p.Poll(func(*Trade, int64, bool) bool { return false }) // take one event

	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector("trades", b.Stats))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux) // a loopback address
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "eventbus_cursor") || strings.HasPrefix(line, "eventbus_ring") ||
			strings.HasPrefix(line, "eventbus_consumer_lag") || strings.HasPrefix(line, "eventbus_consumer_handled") {
			fmt.Println(line)
		}
	}
	// Output:
	// eventbus_consumer_handled_events_total{bus="trades",consumer="poller#0"} 1
	// eventbus_consumer_lag_events{bus="trades",consumer="poller#0"} 2
	// eventbus_cursor{bus="trades"} 2
	// eventbus_ring_free_slots{bus="trades"} 6
	// eventbus_ring_slots{bus="trades"} 8
}
