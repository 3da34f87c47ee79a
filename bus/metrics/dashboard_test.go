package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/metrics"
)

// TestDashboardQueriesExportedMetrics: every metric the Grafana dashboard
// in docs/grafana queries is one the collector exports, and it has the
// four panels docs/bus.md promises.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../docs/grafana/eventbus.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	b, _ := bus.New[event]()
	b.HandleEventsWith(nop{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector("b", b.Stats))
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range fams {
		exported[f.GetName()] = true
	}
	name := regexp.MustCompile(`eventbus_[a-z_]+`)
	var titles []string
	for _, p := range d.Panels {
		titles = append(titles, p.Title)
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				base := n
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					if h, ok := strings.CutSuffix(n, suffix); ok && exported[h] {
						base = h
					}
				}
				if !exported[base] {
					t.Errorf("panel %q queries %s, which the collector does not export", p.Title, n)
				}
			}
		}
	}
	if got, want := strings.Join(titles, ", "), "Lag per consumer, Ring fill, Producer waits, Handler failures"; got != want {
		t.Errorf("panels %s, want %s", got, want)
	}
}
