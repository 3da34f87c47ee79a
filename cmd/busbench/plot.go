package main

import (
	"fmt"
	"image/color"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// writePlot draws the ping-pong latency distributions as percentile
// curves, HDR histogram style: the x axis is the percentile on a scale
// that gives each extra nine the same width (1/(1-q), logarithmic), the y
// axis the round trip in nanoseconds, logarithmic. The format follows the
// file name's extension.
func writePlot(file string, p *PingPongResult) error {
	pl := plot.New()
	where := fmt.Sprintf("CPUs %d and %d", p.CPUs[0], p.CPUs[1])
	if !p.Pinned {
		where = "unpinned"
	}
	pl.Title.Text = "Ping-pong round trip by percentile (" + where + ")"
	pl.X.Label.Text = "percentile"
	pl.Y.Label.Text = "round trip"
	pl.X.Scale, pl.Y.Scale = plot.LogScale{}, plot.LogScale{}
	pl.Y.Tick.Marker = durationTicks{}
	var ticks []plot.Tick
	for _, t := range []struct {
		q     float64
		label string
	}{{0, "0%"}, {0.5, "50%"}, {0.9, "90%"}, {0.99, "99%"}, {0.999, "99.9%"}, {0.9999, "99.99%"}, {0.99999, "99.999%"}} {
		ticks = append(ticks, plot.Tick{Value: 1 / (1 - t.q), Label: t.label})
	}
	pl.X.Tick.Marker = plot.ConstantTicks(ticks)
	pl.Add(plotter.NewGrid())
	pl.Legend.Top, pl.Legend.Left = false, false // bottom right: the curves rise to the top there

	series := []struct {
		key, name string
		color     color.RGBA
		dashes    []vg.Length
	}{
		{"raw", "raw CAS (core to core)", color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}, []vg.Length{vg.Points(4), vg.Points(2)}},
		{"bus", "bus", color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, nil},
		{"marked", "bus, events with bus.Mark", color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, nil},
		{"channel", "channel", color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, nil},
	}
	for _, s := range series {
		h := p.hists[s.key]
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		// Percentiles up to the last one the sample count resolves.
		maxQ := 1 - 1/float64(h.TotalCount())
		var xys plotter.XYs
		for e := 0.0; ; e += 0.02 {
			q := 1 - math.Pow(10, -e) // e nines
			if q > maxQ {
				break
			}
			xys = append(xys, plotter.XY{X: 1 / (1 - q), Y: float64(max(h.ValueAtQuantile(q*100), 1))})
		}
		xys = append(xys, plotter.XY{X: 1 / (1 - maxQ), Y: float64(max(h.Max(), 1))})
		line, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		line.Color = s.color
		line.Width = vg.Points(2)
		line.Dashes = s.dashes
		pl.Add(line)
		pl.Legend.Add(fmt.Sprintf("%s: median %d ns", s.name, h.ValueAtQuantile(50)), line)
	}
	pl.Legend.ThumbnailWidth = vg.Points(24)
	pl.Legend.Padding = vg.Points(2)
	return pl.Save(9*vg.Inch, 5.5*vg.Inch, file)
}

// durationTicks marks a logarithmic nanosecond axis with durations: 100ns,
// 1µs, 10µs, ...
type durationTicks struct{}

func (durationTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = time.Duration(t.Value).String()
		}
	}
	return ticks
}
