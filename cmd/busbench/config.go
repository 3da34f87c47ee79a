package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

// config is the parsed command line.
type config struct {
	args      []string
	duration  time.Duration // per run, when events is 0
	events    int64         // per run; 0 means run for duration
	count     int
	size      int
	wait      bus.WaitKind
	pad       int
	batch     int
	profile   string
	prof      *affinity.Profile
	cpus      []int // the two ping-pong CPUs, nil for the first two allowed
	scenarios []string
	probe     bool
	json      bool
	plot      string
	cpuprof   string
	spin      time.Duration   // PhasedBackoffWait.SpinFor; 0 for its default
	yield     time.Duration   // PhasedBackoffWait.YieldFor; 0 for its default
	poll      time.Duration   // PhasedBackoffWait.Poll; 0 for its default
	set       map[string]bool // flags given explicitly
	// waitFn, when not nil, makes the wait strategy of every bus instead
	// of -wait: a seam for experiments in tests.
	waitFn func() bus.WaitStrategy
	// pollSpin makes the bus ping-pong spin on Poll instead of waiting
	// with Poller.Wait: another seam for experiments in tests.
	pollSpin bool

	metrics   string        // -metrics: the address to serve /metrics on
	dashboard string        // -dashboard: the PNG file to draw the metrics into
	sample    time.Duration // -sample: the dashboard's sampling interval
	// watch, when not nil, exports a throughput run's bus until the
	// function it returns is called (see watcher).
	watch func(name string, stats func() bus.Stats) (unwatch func())
}

// plotFormats lists the extensions -plot accepts.
var plotFormats = []string{".svg", ".png", ".pdf"}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{args: args, set: map[string]bool{}}
	fs := flag.NewFlagSet("busbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: busbench [flags]\n\nRuns the LMAX scenarios on the bus and on Go channels, and ping-pong latency\nbeside the raw core-to-core round trip.\n\n")
		fs.PrintDefaults()
	}
	var wait, cpus, scen string
	fs.DurationVar(&c.duration, "duration", 500*time.Millisecond, "how long each run lasts (ignored with -events)")
	fs.Int64Var(&c.events, "events", 0, "`N` events (round trips for pingpong) per run instead of -duration; 0 means use -duration")
	fs.IntVar(&c.count, "count", 3, "repetitions of each comparison")
	fs.IntVar(&c.size, "size", bus.DefaultSize, "ring size in slots, a power of two (also the channels' buffer)")
	fs.StringVar(&wait, "wait", string(bus.WaitPhasedBackoff), "wait strategy: "+kindList())
	fs.IntVar(&c.pad, "pad", bus.DefaultPad(), fmt.Sprintf("spacing of hot counters in bytes, one of %v", bus.ValidPads()))
	fs.IntVar(&c.batch, "batch", 16, "events per PublishBatch in the batched bus runs")
	fs.StringVar(&c.profile, "profile", "", "layout profile from `busprobe -o`: sets pad, size, wait and its -spin, -yield and -poll unless given, and pins the scenarios' consumers and producers as its plan says")
	fs.StringVar(&cpus, "cpus", "", "the two CPUs for pingpong, as `A,B` (default: the first two allowed)")
	fs.StringVar(&scen, "scenarios", strings.Join(scenarioNames, ","), "comma-separated scenarios to run")
	fs.BoolVar(&c.probe, "probe", true, "also run probe.Measure on the pingpong CPUs as a cross-check of the raw round trip")
	fs.BoolVar(&c.json, "json", false, "print machine-readable JSON instead of the table")
	fs.StringVar(&c.plot, "plot", "", "write a latency distribution plot to `FILE` (.svg, .png or .pdf)")
	fs.DurationVar(&c.spin, "spin", 0, "with -wait phased-backoff: how long to spin before yielding (0: the default, 2µs)")
	fs.DurationVar(&c.yield, "yield", 0, "with -wait phased-backoff: how long to yield before parking (0: the default, 20µs)")
	fs.DurationVar(&c.poll, "poll", 0, "with -wait phased-backoff: the longest pause between checks while spinning on a dense stream (0: the default, 1µs)")
	fs.StringVar(&c.cpuprof, "cpuprofile", "", "write a CPU profile of the whole run to `FILE`, for go tool pprof")
	fs.StringVar(&c.metrics, "metrics", "", "serve the throughput runs' bus metrics (Prometheus) on `ADDR`/metrics while they run, e.g. 127.0.0.1:9464")
	fs.StringVar(&c.dashboard, "dashboard", "", "sample the bus metrics during the runs and draw the dashboard's four panels into `FILE.png`")
	fs.DurationVar(&c.sample, "sample", 100*time.Millisecond, "with -dashboard: the sampling interval")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })

	switch {
	case c.events < 0:
		return nil, fmt.Errorf("-events %d: must not be negative", c.events)
	case c.events == 0 && c.duration <= 0:
		return nil, fmt.Errorf("-duration %v: must be positive", c.duration)
	case c.count < 1:
		return nil, fmt.Errorf("-count %d: must be at least 1", c.count)
	}
	if c.profile != "" {
		p, err := affinity.LoadProfile(c.profile)
		if err != nil {
			return nil, fmt.Errorf("-profile: %w", err)
		}
		c.prof = p
		if !c.set["size"] {
			c.size = p.Layout.RingSize
		}
		if !c.set["pad"] {
			c.pad = p.Layout.PadBytes
		}
		if !c.set["wait"] {
			wait = string(p.Layout.Wait)
			if !c.set["spin"] && !c.set["yield"] && !c.set["poll"] {
				c.spin, c.yield, c.poll = p.Layout.SpinFor, p.Layout.YieldFor, p.Layout.Poll
			}
		}
	}
	if c.size <= 0 || c.size&(c.size-1) != 0 || c.size > 1<<30 {
		return nil, fmt.Errorf("-size %d: the ring size must be a power of two between 1 and %d", c.size, 1<<30)
	}
	c.wait = bus.WaitKind(wait)
	if !c.wait.Valid() {
		return nil, fmt.Errorf("-wait %q: unknown wait strategy; use one of %s", wait, kindList())
	}
	if (c.spin != 0 || c.yield != 0 || c.poll != 0) && c.wait != bus.WaitPhasedBackoff {
		return nil, fmt.Errorf("-spin, -yield and -poll tune phased-backoff, not %s", c.wait)
	}
	if c.spin < 0 || c.yield < 0 || c.poll < 0 {
		return nil, fmt.Errorf("-spin %v, -yield %v, -poll %v: must not be negative", c.spin, c.yield, c.poll)
	}
	if !slices.Contains(bus.ValidPads(), c.pad) {
		return nil, fmt.Errorf("-pad %d: not one of %v", c.pad, bus.ValidPads())
	}
	if c.batch < 1 || c.batch > c.size {
		return nil, fmt.Errorf("-batch %d: must be between 1 and the ring size %d", c.batch, c.size)
	}
	if cpus != "" {
		var err error
		if c.cpus, err = parseCPUPair(cpus); err != nil {
			return nil, fmt.Errorf("-cpus %q: %w", cpus, err)
		}
	}
	for _, s := range strings.Split(scen, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(scenarioNames, s) {
			return nil, fmt.Errorf("-scenarios: unknown scenario %q; use some of %s", s, strings.Join(scenarioNames, ","))
		}
		if !slices.Contains(c.scenarios, s) {
			c.scenarios = append(c.scenarios, s)
		}
	}
	if len(c.scenarios) == 0 {
		return nil, fmt.Errorf("-scenarios %q: no scenario to run", scen)
	}
	if c.dashboard != "" && strings.ToLower(filepath.Ext(c.dashboard)) != ".png" {
		return nil, fmt.Errorf("-dashboard %s: the file name must end in .png", c.dashboard)
	}
	if c.sample <= 0 {
		return nil, fmt.Errorf("-sample %v: must be positive", c.sample)
	}
	if c.plot != "" {
		if ext := strings.ToLower(filepath.Ext(c.plot)); !slices.Contains(plotFormats, ext) {
			return nil, fmt.Errorf("-plot %s: the file name must end in one of %v", c.plot, plotFormats)
		}
		if !slices.Contains(c.scenarios, "pingpong") {
			return nil, fmt.Errorf("-plot draws the pingpong latencies; add pingpong to -scenarios")
		}
	}
	// Build one bus to check the combination, so a bad layout is reported
	// before anything runs.
	if _, err := bus.New[scenario.Event](c.busOptions(false)...); err != nil {
		return nil, err
	}
	return c, nil
}

func kindList() string {
	var s []string
	for _, k := range bus.WaitKinds() {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

func parseCPUPair(s string) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return nil, fmt.Errorf("want two CPU numbers separated by a comma")
	}
	var out []int
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a CPU number", p)
		}
		out = append(out, n)
	}
	if out[0] == out[1] {
		return nil, fmt.Errorf("the two CPUs must differ")
	}
	return out, nil
}

// busOptions returns the options every bus of the run is built with.
func (c *config) busOptions(multi bool) []bus.Option {
	opts := []bus.Option{bus.WithSize(c.size), bus.WithPad(c.pad), bus.WithWaitStrategy(c.waitStrategy())}
	if multi {
		opts = append(opts, bus.WithMultiProducer())
	}
	return opts
}

// waitStrategy returns a new wait strategy as the flags and profile say.
func (c *config) waitStrategy() bus.WaitStrategy {
	ws, err := bus.NewWaitStrategy(c.wait)
	if err != nil {
		panic(err) // unreachable: c.wait was validated
	}
	if c.spin != 0 || c.yield != 0 || c.poll != 0 {
		ws = &bus.PhasedBackoffWait{SpinFor: c.spin, YieldFor: c.yield, Poll: c.poll}
	}
	if c.waitFn != nil {
		ws = c.waitFn()
	}
	return ws
}

// limit says when a producer stops: after n events, or at deadline when n
// is 0.
type limit struct {
	n        int64
	deadline time.Time
}

// chunk is how many events a producer publishes between looks at the clock.
const chunk = 1024

// next returns how many events a producer that has published done events
// may publish before asking again: at most chunk, and 0 when it must stop.
func (l limit) next(done int64) int64 {
	if l.n > 0 {
		return min(chunk, l.n-done)
	}
	if time.Now().After(l.deadline) {
		return 0
	}
	return chunk
}

// limits splits the run's work between producers: each gets an even share
// of -events (the first also the remainder), or the same deadline.
func (c *config) limits(producers int, start time.Time) []limit {
	out := make([]limit, producers)
	for i := range out {
		if c.events > 0 {
			out[i].n = c.events / int64(producers)
			if i == 0 {
				out[i].n += c.events % int64(producers)
			}
		} else {
			out[i].deadline = start.Add(c.duration)
		}
	}
	return out
}
