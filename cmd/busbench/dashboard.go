package main

import (
	"fmt"
	"image/color"
	"os"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// sampler gathers the watcher's registry at intervals, as Prometheus
// would scrape it, and keeps the four series of the dashboard
// (docs/grafana/eventbus.json): each consumer's lag, each bus's ring
// fill, and the rates of producer waits and handler failures.
type sampler struct {
	reg      prometheus.Gatherer
	start    time.Time
	interval time.Duration
	// panels holds, per panel, a series per bus (or bus/consumer).
	panels [4]map[string]plotter.XYs
	// last holds the previous sample of each counter a rate is made of,
	// keyed by panel and bus.
	last map[string]point
}

type point struct{ t, v float64 }

// The dashboard's panels, in the order they are drawn.
const (
	panelLag = iota
	panelFill
	panelWaits
	panelFailures
)

var panelTitles = [4]struct{ title, y string }{
	{"Lag per consumer", "events"},
	{"Ring fill", "fraction of slots in use"},
	{"Producer waits", "waits per second"},
	{"Handler failures", "errors + panics per second"},
}

func newSampler(reg prometheus.Gatherer, interval time.Duration) *sampler {
	s := &sampler{reg: reg, start: time.Now(), interval: interval, last: map[string]point{}}
	for i := range s.panels {
		s.panels[i] = map[string]plotter.XYs{}
	}
	return s
}

// run samples every interval until stop is closed.
func (s *sampler) run(stop <-chan struct{}) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.sample()
		}
	}
}

// sample gathers the registry once and adds a point to every series.
func (s *sampler) sample() {
	fams, err := s.reg.Gather()
	if err != nil {
		return // a bus unregistered mid-gather: the next sample will do
	}
	now := time.Since(s.start).Seconds()
	perBus := map[string]map[string]float64{} // bus → metric → value (summed over consumers)
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			b, consumer := label(m, "bus"), label(m, "consumer")
			if perBus[b] == nil {
				perBus[b] = map[string]float64{}
			}
			switch f.GetName() {
			case "eventbus_consumer_lag_events":
				s.add(panelLag, b+"/"+consumer, now, m.GetGauge().GetValue())
			case "eventbus_ring_slots", "eventbus_ring_free_slots":
				perBus[b][f.GetName()] = m.GetGauge().GetValue()
			case "eventbus_producer_wait_seconds":
				perBus[b]["waits"] = float64(m.GetHistogram().GetSampleCount())
			case "eventbus_consumer_errors_total", "eventbus_consumer_panics_total":
				perBus[b]["failures"] += m.GetCounter().GetValue()
			}
		}
	}
	for b, v := range perBus {
		if slots := v["eventbus_ring_slots"]; slots > 0 {
			s.add(panelFill, b, now, 1-v["eventbus_ring_free_slots"]/slots)
		}
		s.rate(panelWaits, b, now, v["waits"])
		s.rate(panelFailures, b, now, v["failures"])
	}
}

// label returns the value of m's label name.
func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func (s *sampler) add(panel int, key string, t, v float64) {
	s.panels[panel][key] = append(s.panels[panel][key], plotter.XY{X: t, Y: v})
}

// rate adds the per-second rate of a counter since its last sample, as
// Prometheus's rate() does: a counter that went down belongs to a new bus
// of the same name, and counts from zero. A sample less than half an
// interval after the last (a tick the loaded machine delayed) is skipped.
func (s *sampler) rate(panel int, b string, t, v float64) {
	k := fmt.Sprint(panel, b)
	prev, ok := s.last[k]
	if ok && t-prev.t < s.interval.Seconds()/2 {
		return // a late tick right after another: too short a window for a rate
	}
	s.last[k] = point{t, v}
	if !ok {
		return
	}
	if v < prev.v {
		prev.v = 0
	}
	s.add(panel, b, t, (v-prev.v)/(t-prev.t))
}

// writeDashboard draws the four panels, two by two, into a PNG file of
// width by height points.
func (s *sampler) writeDashboard(file, title string) error {
	const width, height = 1000, 640
	img := vgimg.NewWith(vgimg.UseWH(vg.Points(width), vg.Points(height)), vgimg.UseDPI(72))
	dc := draw.New(img)
	head := plot.New()
	head.Title.Text = title
	plots := make([][]*plot.Plot, 2)
	for i := range panelTitles {
		p, err := s.panel(i)
		if err != nil {
			return err
		}
		plots[i/2] = append(plots[i/2], p)
	}
	top := draw.Crop(dc, 0, 0, 0, -vg.Points(32))
	sty := head.Title.TextStyle
	sty.XAlign = draw.XCenter
	dc.FillText(sty, vg.Point{X: vg.Points(width) / 2, Y: vg.Points(height) - vg.Points(16)}, title)
	tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Points(12), PadY: vg.Points(12), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align(plots, tiles, top)
	for r := range plots {
		for c := range plots[r] {
			plots[r][c].Draw(canvases[r][c])
		}
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// panel draws one panel's series, one line each, in a stable order.
func (s *sampler) panel(i int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = panelTitles[i].title
	p.X.Label.Text = "seconds into the run"
	p.Y.Label.Text = panelTitles[i].y
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	keys := make([]string, 0, len(s.panels[i]))
	for k := range s.panels[i] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	top := 0.0
	for n, k := range keys {
		for j, seg := range s.segments(s.panels[i][k]) {
			l, err := plotter.NewLine(seg)
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", panelTitles[i].title, k, err)
			}
			l.Color = plotutil.Color(n)
			l.Width = vg.Points(1)
			p.Add(l)
			if j == 0 {
				p.Legend.Add(k, l)
			}
			for _, xy := range seg {
				top = max(top, xy.Y)
			}
		}
	}
	if top == 0 {
		p.Y.Max = 1 // a flat zero (no failures) at the bottom, not the middle
	}
	if len(keys) == 0 {
		p.Legend.Add("no samples", &plotter.Line{LineStyle: draw.LineStyle{Color: color.Gray{Y: 0x80}}})
	}
	return p, nil
}

// segments splits a series where samples are missing (between the runs
// of a bus: a new bus of the same name is another line).
func (s *sampler) segments(xys plotter.XYs) []plotter.XYs {
	gap := 3 * s.interval.Seconds()
	var out []plotter.XYs
	from := 0
	for i := 1; i <= len(xys); i++ {
		if i == len(xys) || xys[i].X-xys[i-1].X > gap {
			out = append(out, xys[from:i])
			from = i
		}
	}
	return out
}
