package main

import (
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

// scrape returns the body of http://addr/metrics.
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

// TestWatcherServesWatchedBuses: a bus is on /metrics, with its lag, from
// watch until unwatch.
func TestWatcherServesWatchedBuses(t *testing.T) {
	w, err := startWatcher("127.0.0.1:0", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	b, _ := bus.New[scenario.Event](bus.WithSize(8))
	b.NewPoller()
	b.Start()
	defer func() { b.Halt(); b.Wait() }()
	for range 3 {
		b.Publish(func(*scenario.Event, int64) {})
	}
	unwatch := w.watch("unicast", b.Stats)
	if got, want := scrape(t, w.srv.Addr()), `eventbus_consumer_lag_events{bus="unicast",consumer="poller#0"} 3`; !strings.Contains(got, want) {
		t.Errorf("/metrics lacks %q:\n%s", want, got)
	}
	unwatch()
	if got := scrape(t, w.srv.Addr()); strings.Contains(got, "eventbus_") {
		t.Errorf("/metrics still shows the bus after unwatch:\n%s", got)
	}
}

// TestDashboard: a run with -metrics and -dashboard serves on a loopback
// port, says where, and draws a PNG.
func TestDashboard(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dash.png")
	_, errOut, err := runArgs(t, "-scenarios", "diamond", "-events", "2000000", "-metrics", "127.0.0.1:0", "-dashboard", file, "-sample", "5ms")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "serving metrics on http://127.0.0.1:") {
		t.Errorf("stderr does not say where metrics are served:\n%s", errOut)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if _, _, err := runArgs(t, "-dashboard", "dash.svg"); err == nil || !strings.Contains(err.Error(), ".png") {
		t.Errorf("-dashboard dash.svg: %v, want an error asking for .png", err)
	}
}
