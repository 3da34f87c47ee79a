package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/schollz/progressbar/v3"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus/scenario"
	"github.com/eventbus/eventbus/probe"
)

// Report is everything one busbench run measured; -json prints it.
type Report struct {
	Command   string           `json:"command"`
	Machine   string           `json:"machine"`
	Config    ReportConfig     `json:"config"`
	LoadStart string           `json:"loadavg_start"`
	LoadEnd   string           `json:"loadavg_end"`
	Scenarios []ScenarioResult `json:"scenarios,omitempty"`
	BusRaw    *BusRawResult    `json:"bus_vs_raw,omitempty"`
	PingPong  *PingPongResult  `json:"pingpong,omitempty"`
	ElapsedNS int64            `json:"elapsed_ns"`
}

// ReportConfig is the setup the figures were measured with.
type ReportConfig struct {
	Events     int64  `json:"events_per_run,omitempty"`
	DurationNS int64  `json:"duration_per_run_ns,omitempty"`
	Count      int    `json:"count"`
	RingSize   int    `json:"ring_size"`
	PadBytes   int    `json:"pad_bytes"`
	Wait       string `json:"wait_strategy"`
	SpinNS     int64  `json:"spin_ns,omitempty"`
	YieldNS    int64  `json:"yield_ns,omitempty"`
	PollNS     int64  `json:"poll_ns,omitempty"`
	Batch      int    `json:"batch"`
	Profile    string `json:"profile,omitempty"`
	GOMAXPROCS int    `json:"gomaxprocs"`
}

// ScenarioResult is one throughput scenario: the channel version and the
// bus publishing one event and Batch events at a time.
type ScenarioResult struct {
	Name       string `json:"name"`
	Title      string `json:"title"`
	Producers  int    `json:"producers"`
	Consumers  int    `json:"consumers"`
	Channel    Impl   `json:"channel"`
	Bus        Impl   `json:"bus"`
	BusBatch   Impl   `json:"bus_batch"`
	BusRatio   Ratio  `json:"bus_to_channel"`
	BatchRatio Ratio  `json:"bus_batch_to_channel"`
}

// Impl is one implementation's runs of a scenario.
type Impl struct {
	Batch          int       `json:"batch,omitempty"`
	EventsPerSec   float64   `json:"events_per_sec"` // median of Runs
	Runs           []float64 `json:"runs_events_per_sec"`
	AllocsPerEvent float64   `json:"allocs_per_event"` // over all runs
	Events         int64     `json:"events"`           // over all runs
}

// Ratio is a ratio computed within each repetition: its median and range.
type Ratio struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Runs   []float64 `json:"runs"`
}

func newRatio(runs []float64) Ratio {
	if len(runs) == 0 {
		return Ratio{}
	}
	return Ratio{Median: median(runs), Min: slices.Min(runs), Max: slices.Max(runs), Runs: runs}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// PingPongResult is the round-trip latency of the three transports on the
// same two CPUs.
type PingPongResult struct {
	CPUs   [2]int `json:"cpus"`
	Pinned bool   `json:"pinned"`
	Note   string `json:"note,omitempty"`
	// Clock is the timing loop alone, with nothing in the round trip: what
	// each figure below holds besides the round trip itself.
	Clock   Latency `json:"clock_only"`
	Raw     Latency `json:"raw_cas"`
	Bus     Latency `json:"bus"`
	Channel Latency `json:"channel"`
	// TwoLines is the raw round trip of a ring's layout, slot and cursor
	// on two lines (see pingTwoLines), as the bus without bus.Mark has.
	TwoLines Latency `json:"raw_two_lines"`
	// OneLine is the raw round trip of two rings whose slots carry their
	// own marks (see pingOneLine): the floor for the bus with bus.Mark.
	OneLine Latency `json:"raw_one_line"`
	// Marked is the bus with events that embed bus.Mark, published
	// through their slots: one line a hand-off, as the raw CAS.
	Marked Latency `json:"bus_marked"`
	// BusToRaw, ChannelToRaw, TwoLinesToRaw and OneLineToRaw compare
	// medians within each repetition, BusToRawP99 the bus's p99 with the
	// raw p99.
	TwoLinesToRaw Ratio `json:"two_lines_to_raw_median"`
	OneLineToRaw  Ratio `json:"one_line_to_raw_median"`
	BusToRaw      Ratio `json:"bus_to_raw_median"`
	ChannelToRaw  Ratio `json:"channel_to_raw_median"`
	BusToRawP99   Ratio `json:"bus_to_raw_p99"`
	// MarkedToRaw and MarkedToRawP99 are the same for the marked bus.
	MarkedToRaw    Ratio `json:"bus_marked_to_raw_median"`
	MarkedToRawP99 Ratio `json:"bus_marked_to_raw_p99"`
	// Probe is probe.Measure's figure for the same pair, when asked for.
	Probe *probe.PairLatency `json:"probe,omitempty"`

	hists map[string]*hdrhistogram.Histogram
}

// Latency summarizes a round-trip histogram over all repetitions, in
// nanoseconds.
type Latency struct {
	Count  int64   `json:"count"`
	Median int64   `json:"median_ns"`
	P90    int64   `json:"p90_ns"`
	P99    int64   `json:"p99_ns"`
	P999   int64   `json:"p99_9_ns"`
	Max    int64   `json:"max_ns"`
	Mean   float64 `json:"mean_ns"`
}

func summarize(h *hdrhistogram.Histogram) Latency {
	return Latency{Count: h.TotalCount(), Median: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90),
		P99: h.ValueAtQuantile(99), P999: h.ValueAtQuantile(99.9), Max: h.Max(), Mean: h.Mean()}
}

// progress shows a bar on stderr once the run has lasted a second, so that
// short runs print nothing. It is advanced only between runs, never while
// one is measured.
type progress struct {
	w     io.Writer
	start time.Time
	done  int
	total int
	bar   *progressbar.ProgressBar
}

func (p *progress) step(what string) {
	p.done++
	if p.bar == nil && time.Since(p.start) >= time.Second {
		p.bar = progressbar.NewOptions(p.total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	if p.bar != nil {
		_ = p.bar.Set(p.done)
		p.bar.Describe(fmt.Sprintf("%-28s", what))
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// runSuite runs the scenarios c asks for.
func runSuite(c *config, stderr io.Writer) (*Report, error) {
	start := time.Now()
	r := &Report{
		Command: strings.TrimSpace("busbench " + strings.Join(c.args, " ")),
		Machine: describeMachine(),
		Config: ReportConfig{Events: c.events, Count: c.count, RingSize: c.size, PadBytes: c.pad,
			Wait: string(c.wait), Batch: c.batch, Profile: c.profile, GOMAXPROCS: runtime.GOMAXPROCS(0),
			SpinNS: c.spin.Nanoseconds(), YieldNS: c.yield.Nanoseconds(), PollNS: c.poll.Nanoseconds()},
		LoadStart: loadAvg(),
	}
	if c.events == 0 {
		r.Config.DurationNS = c.duration.Nanoseconds()
	}
	var todo []scenario.Scenario
	for _, sc := range scenario.All() {
		if slices.Contains(c.scenarios, sc.Name) {
			todo = append(todo, sc)
		}
	}
	ping := slices.Contains(c.scenarios, "pingpong")
	busRaw := slices.Contains(c.scenarios, "busraw")
	pg := &progress{w: stderr, start: start, total: 3 * c.count * len(todo)}
	if busRaw {
		pg.total += 4 * c.count
	}
	if ping {
		pg.total += 4 * c.count
		if c.probe {
			pg.total++
		}
	}
	defer pg.finish()
	for _, sc := range todo {
		res, err := runScenario(c, sc, pg)
		if err != nil {
			return nil, err
		}
		r.Scenarios = append(r.Scenarios, res)
	}
	if busRaw {
		br, err := runBusRaw(c, pg)
		if err != nil {
			return nil, err
		}
		r.BusRaw = br
	}
	if ping {
		pp, err := runPingPong(c, pg)
		if err != nil {
			return nil, err
		}
		r.PingPong = pp
	}
	r.LoadEnd = loadAvg()
	r.ElapsedNS = time.Since(start).Nanoseconds()
	return r, nil
}

func runScenario(c *config, sc scenario.Scenario, pg *progress) (ScenarioResult, error) {
	res := ScenarioResult{Name: sc.Name, Title: sc.Title, Producers: sc.Producers, Consumers: sc.Consumers}
	res.Bus.Batch, res.BusBatch.Batch = 1, c.batch
	var mallocs [3]uint64
	var busR, batchR []float64
	for range c.count {
		ch, err := runChannel(c, sc)
		if err != nil {
			return res, err
		}
		pg.step(sc.Name + " channel")
		b1, err := runBus(c, sc, 1)
		if err != nil {
			return res, err
		}
		pg.step(sc.Name + " bus")
		bn, err := runBus(c, sc, c.batch)
		if err != nil {
			return res, err
		}
		pg.step(fmt.Sprintf("%s bus batch %d", sc.Name, c.batch))
		for i, x := range []struct {
			impl *Impl
			st   runStats
		}{{&res.Channel, ch}, {&res.Bus, b1}, {&res.BusBatch, bn}} {
			x.impl.Runs = append(x.impl.Runs, x.st.perSecond())
			x.impl.Events += x.st.events
			mallocs[i] += x.st.mallocs
		}
		busR = append(busR, b1.perSecond()/ch.perSecond())
		batchR = append(batchR, bn.perSecond()/ch.perSecond())
	}
	for i, impl := range []*Impl{&res.Channel, &res.Bus, &res.BusBatch} {
		impl.EventsPerSec = median(impl.Runs)
		if impl.Events > 0 {
			impl.AllocsPerEvent = float64(mallocs[i]) / float64(impl.Events)
		}
	}
	res.BusRatio, res.BatchRatio = newRatio(busR), newRatio(batchR)
	return res, nil
}

func runPingPong(c *config, pg *progress) (*PingPongResult, error) {
	p, note, err := choosePair(c)
	if err != nil {
		return nil, err
	}
	res := &PingPongResult{CPUs: p.cpus, Pinned: p.pinned, Note: note, hists: map[string]*hdrhistogram.Histogram{}}
	names := []string{"clock", "raw", "bus", "channel", "twolines", "marked", "oneline"}
	funcs := []pingFunc{pingNone, pingRaw, pingBus, pingChan, pingTwoLines, pingMarked, pingOneLine}
	for _, n := range names {
		res.hists[n] = newHistogram()
	}
	var busR, chanR, twoR, busP99, markR, markP99, oneR []float64
	for range c.count {
		var med, p99 [7]float64
		for i, f := range funcs {
			h, err := runPing(c, p, f)
			if err != nil {
				return nil, fmt.Errorf("ping-pong %s: %w", names[i], err)
			}
			if i > 0 {
				pg.step("pingpong " + names[i])
			}
			res.hists[names[i]].Merge(h)
			med[i] = float64(h.ValueAtQuantile(50))
			p99[i] = float64(h.ValueAtQuantile(99))
		}
		busR = append(busR, med[2]/med[1])
		busP99 = append(busP99, p99[2]/p99[1])
		chanR = append(chanR, med[3]/med[1])
		twoR = append(twoR, med[4]/med[1])
		markR = append(markR, med[5]/med[1])
		markP99 = append(markP99, p99[5]/p99[1])
		oneR = append(oneR, med[6]/med[1])
	}
	res.TwoLines, res.TwoLinesToRaw = summarize(res.hists["twolines"]), newRatio(twoR)
	res.OneLine, res.OneLineToRaw = summarize(res.hists["oneline"]), newRatio(oneR)
	res.Clock = summarize(res.hists["clock"])
	res.Raw, res.Bus, res.Channel = summarize(res.hists["raw"]), summarize(res.hists["bus"]), summarize(res.hists["channel"])
	res.BusToRaw, res.ChannelToRaw, res.BusToRawP99 = newRatio(busR), newRatio(chanR), newRatio(busP99)
	res.Marked, res.MarkedToRaw, res.MarkedToRawP99 = summarize(res.hists["marked"]), newRatio(markR), newRatio(markP99)
	if c.probe && p.pinned {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		m, err := probe.Measure(ctx, affinity.NewCPUSet(p.cpus[0], p.cpus[1]), probe.MeasureOptions{Budget: time.Second, Runs: 3})
		if err != nil {
			res.Note = strings.TrimSpace(res.Note + " probe.Measure: " + err.Error())
		} else if len(m.Latency) > 0 {
			res.Probe = &m.Latency[0]
		}
		pg.step("probe.Measure")
	}
	return res, nil
}

// describeMachine says what busprobe's first line says: host, processor,
// architecture and hypervisor, with the CPUs this process may use.
func describeMachine() string {
	s, err := probe.NewDefaultFS().Read()
	if err != nil {
		return fmt.Sprintf("%s, %d CPUs (probe: %v)", runtime.GOARCH, runtime.NumCPU(), err)
	}
	var what []string
	for _, f := range []probe.Fact[string]{s.Hardware.Model, s.Hardware.Arch} {
		if f.Value != "" {
			what = append(what, f.Value)
		}
	}
	switch s.Hardware.Hypervisor.Value {
	case "":
	case "unknown":
		what = append(what, "virtualized")
	default:
		what = append(what, "virtualized by "+s.Hardware.Hypervisor.Value)
	}
	host := s.OS.Hostname.Value
	if host == "" {
		host = "unknown host"
	}
	return fmt.Sprintf("%s (%s), online CPUs %s, usable %s, GOMAXPROCS %d", host, strings.Join(what, ", "),
		s.OS.Online.Value, s.Usable(), runtime.GOMAXPROCS(0))
}

// loadAvg returns the first three fields of /proc/loadavg, or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
