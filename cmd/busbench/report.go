package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

func writeJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeTable prints the report for a person.
func writeTable(w io.Writer, r *Report) {
	c := r.Config
	fmt.Fprintf(w, "busbench: %s\n", r.Machine)
	per := fmt.Sprintf("%v per run", time.Duration(c.DurationNS))
	if c.Events > 0 {
		per = fmt.Sprintf("%d events per run", c.Events)
	}
	prof := ""
	if c.Profile != "" {
		prof = ", profile " + c.Profile
	}
	wait := c.Wait
	if c.SpinNS != 0 || c.YieldNS != 0 || c.PollNS != 0 {
		wait += fmt.Sprintf(" (spin %v, yield %v, poll %v; 0 is the default)", time.Duration(c.SpinNS), time.Duration(c.YieldNS), time.Duration(c.PollNS))
	}
	fmt.Fprintf(w, "%s, %d repetitions; ring %d slots, pad %d bytes, wait %s%s\n", per, c.Count, c.RingSize, c.PadBytes, wait, prof)
	fmt.Fprintf(w, "load average %s at the start, %s at the end\n", r.LoadStart, r.LoadEnd)

	if len(r.Scenarios) > 0 {
		fmt.Fprintf(w, "\nThroughput (events/s, median of %d; ratios are medians of each repetition's bus/channel, min-max in brackets)\n", c.Count)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "scenario\tthreads\tchannel\tbus\tbus/chan\tbus batch %d\tbatch/chan\tallocs/ev chan\tbus\tbatch\t\n", c.Batch)
		for _, s := range r.Scenarios {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t\n", s.Title, s.Producers+s.Consumers,
				rate(s.Channel.EventsPerSec), rate(s.Bus.EventsPerSec), ratio(s.BusRatio, c.Count),
				rate(s.BusBatch.EventsPerSec), ratio(s.BatchRatio, c.Count),
				s.Channel.AllocsPerEvent, s.Bus.AllocsPerEvent, s.BusBatch.AllocsPerEvent)
		}
		tw.Flush()
	}
	if b := r.BusRaw; b != nil {
		fmt.Fprintf(w, "\nBus API against the raw sequencer path it wraps (1 producer writes an int64 per slot, 1 OnBatch consumer sums; ring %d; events/s, median of %d; bus/raw is the Bus's time per event over the raw path's, median of each repetition's, min-max in brackets)\n", c.RingSize, c.Count)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "events per claim\traw Next/Publish\tBus.Publish(Batch|Slices)\tbus/raw time\tallocs/ev raw\tbus\t\n")
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.3f\t%.3f\t\n", 1, rate(b.Raw.EventsPerSec), rate(b.Bus.EventsPerSec), ratio(b.BusToRaw, c.Count), b.Raw.AllocsPerEvent, b.Bus.AllocsPerEvent)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.3f\t%.3f\t\n", c.Batch, rate(b.RawBatch.EventsPerSec), rate(b.BusBatch.EventsPerSec), ratio(b.BatchToRaw, c.Count), b.RawBatch.AllocsPerEvent, b.BusBatch.AllocsPerEvent)
		fmt.Fprintf(tw, "%d, PublishSlices\t%s\t%s\t%s\t%.3f\t%.3f\t\n", c.Batch, rate(b.RawBatch.EventsPerSec), rate(b.BusSlices.EventsPerSec), ratio(b.SlicesToRaw, c.Count), b.RawBatch.AllocsPerEvent, b.BusSlices.AllocsPerEvent)
		tw.Flush()
	}
	if p := r.PingPong; p != nil {
		where := fmt.Sprintf("goroutines pinned to CPUs %d and %d", p.CPUs[0], p.CPUs[1])
		if !p.Pinned {
			where = "goroutines not pinned"
		}
		fmt.Fprintf(w, "\nPing-pong round trip (ns; %s; %d repetitions merged)\n", where, c.Count)
		if p.Note != "" {
			fmt.Fprintf(w, "note: %s\n", p.Note)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "transport\tround trips\tmedian\tp90\tp99\tp99.9\tmax\tmedian/raw\tp99/raw\t\n")
		row := func(name string, l Latency, rt, rt99 string) {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", name, l.Count, l.Median, l.P90, l.P99, l.P999, l.Max, rt, rt99)
		}
		row("clock only (timing cost)", p.Clock, "", "")
		row("raw CAS (core to core)", p.Raw, "1x", "1x")
		row("raw marked slots (1 line)", p.OneLine, ratio(p.OneLineToRaw, c.Count), "")
		row("raw slot+cursor (2 lines)", p.TwoLines, ratio(p.TwoLinesToRaw, c.Count), "")
		row("bus (2 buses, pollers)", p.Bus, ratio(p.BusToRaw, c.Count), ratio(p.BusToRawP99, c.Count))
		row("bus, events with bus.Mark (1 line)", p.Marked, ratio(p.MarkedToRaw, c.Count), ratio(p.MarkedToRawP99, c.Count))
		row("channel (2 unbuffered)", p.Channel, ratio(p.ChannelToRaw, c.Count), "")
		tw.Flush()
		if p.Probe != nil {
			fmt.Fprintf(w, "probe.Measure on CPUs %d-%d: %s (each sample the mean of 100 round trips)\n", p.Probe.A, p.Probe.B, p.Probe.Summary())
		}
	}
	fmt.Fprintf(w, "\ntook %v\n", time.Duration(r.ElapsedNS).Round(time.Millisecond))
}

// rate formats events per second with an SI suffix.
func rate(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func ratio(r Ratio, count int) string {
	if count <= 1 || len(r.Runs) <= 1 {
		return fmt.Sprintf("%.2fx", r.Median)
	}
	return fmt.Sprintf("%.2fx [%.2f-%.2f]", r.Median, r.Min, r.Max)
}
