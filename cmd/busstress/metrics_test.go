package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/eventbus/eventbus/bus"
)

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s, %v", resp.Status, err)
	}
	return string(body)
}

// TestMetricsServerWatchesARun: a run's bus is served under its seed's
// name from the start of the run to its end.
func TestMetricsServerWatchesARun(t *testing.T) {
	m, err := serveMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b, _ := bus.New[int64](bus.WithSize(4))
	b.NewPoller()
	b.Start()
	defer func() { b.Halt(); b.Wait() }()
	b.Publish(func(*int64, int64) {})
	unwatch := m.watch(7)(b.Stats)
	if got, want := scrape(t, m.Addr()), `eventbus_consumer_lag_events{bus="seed-7",consumer="poller#0"} 1`; !strings.Contains(got, want) {
		t.Errorf("/metrics lacks %q:\n%s", want, got)
	}
	unwatch()
	if got := scrape(t, m.Addr()); strings.Contains(got, "eventbus_") {
		t.Errorf("/metrics still shows the bus after the run:\n%s", got)
	}
}

// TestRunWithMetrics: -metrics serves on a loopback port and says where.
func TestRunWithMetrics(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"-seed", "42", "-progress=false", "-metrics", "127.0.0.1:0"}, &out, &errb); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(errb.String(), "serving metrics on http://127.0.0.1:") {
		t.Errorf("stderr does not say where metrics are served: %q", errb.String())
	}
}
