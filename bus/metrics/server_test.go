package metrics_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/metrics"
)

func TestServeServesTheRegistry(t *testing.T) {
	b, err := bus.New[int64](bus.WithSize(8))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector("served", b.Stats))
	s, err := metrics.Serve("127.0.0.1:0", reg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `eventbus_ring_slots{bus="served"} 8`) {
		t.Fatalf("GET /metrics: %v, %d\n%s", err, resp.StatusCode, body)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := http.Get("http://" + s.Addr() + "/metrics"); err == nil {
		t.Fatal("the server still answers after Close")
	}
	if _, err := metrics.Serve("127.0.0.1:-1", reg); err == nil {
		t.Fatal("Serve on a bad address did not fail")
	}
}
