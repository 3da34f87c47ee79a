package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/probe"
)

// config is the parsed command line.
type config struct {
	root      string
	json      bool
	out       string
	capture   string
	measure   bool
	budget    time.Duration
	progress  bool
	producers int
	consumers int
	eventSize int
	tune      bool
	objective string
	shape     shape    // the consumer graph -tune measures, from -topology
	names     []string // -names: the consumers' names, in order
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var topology, names string
	fs := flag.NewFlagSet("busprobe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.root, "root", "/", "read the machine from a `directory` captured with -capture instead of this one")
	fs.BoolVar(&c.json, "json", false, "print the whole result as JSON instead of a report")
	fs.StringVar(&c.out, "o", "", "write the layout profile the bus loads to `file`")
	fs.StringVar(&c.capture, "capture", "", "copy the files the probe reads into `directory` (new or empty) and stop")
	fs.BoolVar(&c.measure, "measure", false, "measure core-to-core latency and false sharing on this machine")
	fs.DurationVar(&c.budget, "budget", probe.DefaultBudget, fmt.Sprintf("time the measurements may take (with -tune: time tuning may take, %v unless given)", probe.DefaultTuneBudget))
	fs.BoolVar(&c.progress, "progress", true, "show a progress bar on stderr while measuring or tuning")
	fs.BoolVar(&c.tune, "tune", false, "measure candidate layouts and plans on the bus, in the -topology shape, and keep one only if it beats the default beyond noise")
	fs.StringVar(&topology, "topology", "", "the consumer graph -tune measures: "+strings.Join(topologies(), ", ")+" (default unicast for 1 consumer, parallel for more)")
	fs.StringVar(&c.objective, "objective", "throughput", "what -tune minimizes: throughput (ns per event, ring kept full) or latency (ns from publish to handled, one event at a time)")
	fs.StringVar(&names, "names", "", "the consumers' names (bus.Named), comma-separated, `name,name,...`: the plan's placements carry them")
	fs.IntVar(&c.producers, "producers", 1, "number of producer goroutines to plan for")
	fs.IntVar(&c.consumers, "consumers", 1, "number of consumer goroutines to plan for")
	fs.IntVar(&c.eventSize, "event-size", 64, "size of one event (ring slot) in `bytes`")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: busprobe [flags]\n\nbusprobe reads the CPU topology and this process's limits and recommends\na bus layout and affinity plan, with reasons.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if names != "" {
		c.names = strings.Split(names, ",")
		for i, n := range c.names {
			c.names[i] = strings.TrimSpace(n)
			if c.names[i] == "" || slices.Contains(c.names[:i], c.names[i]) {
				return c, fmt.Errorf("-names %q: every name must be given once and not be empty", names)
			}
		}
		if !given["consumers"] && topology == "" {
			c.consumers = len(c.names)
		}
	}
	if c.tune && !given["budget"] {
		c.budget = probe.DefaultTuneBudget
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q (busprobe takes flags only)", fs.Arg(0))
	case c.producers < 1 || c.producers > 512:
		return c, fmt.Errorf("-producers %d: want 1 to 512", c.producers)
	case c.consumers < 1 || c.consumers > 512:
		return c, fmt.Errorf("-consumers %d: want 1 to 512", c.consumers)
	case c.eventSize < 1 || c.eventSize > 1<<20:
		return c, fmt.Errorf("-event-size %d: want 1 to %d bytes", c.eventSize, 1<<20)
	case c.budget < 100*time.Millisecond || c.budget > 5*time.Minute:
		return c, fmt.Errorf("-budget %v: want 100ms to 5m", c.budget)
	case c.measure && c.root != "/":
		return c, fmt.Errorf("-measure measures the machine it runs on and cannot be combined with -root %s", c.root)
	case c.tune && c.root != "/":
		return c, fmt.Errorf("-tune measures the machine it runs on and cannot be combined with -root %s", c.root)
	case c.capture != "" && (c.json || c.out != "" || c.measure || c.tune):
		return c, errors.New("-capture only copies files; do not combine it with -json, -o, -measure or -tune")
	case c.objective != "throughput" && c.objective != "latency":
		return c, fmt.Errorf("-objective %q: want throughput or latency", c.objective)
	case (topology != "" || given["objective"]) && !c.tune:
		return c, errors.New("-topology and -objective shape what -tune measures; add -tune")
	}
	if topology != "" || c.tune {
		var err error
		if c.shape, err = lookupShape(topology, c.producers, c.consumers, given); err != nil {
			return c, err
		}
		c.producers, c.consumers = c.shape.producers, c.shape.consumers
	}
	if c.names != nil && len(c.names) != c.consumers {
		return c, fmt.Errorf("-names gives %d names for %s", len(c.names), plural(c.consumers, "consumer"))
	}
	return c, nil
}

// result is everything busprobe found, as -json prints it.
type result struct {
	Snapshot       *probe.Snapshot      `json:"snapshot"`
	Measurements   *probe.Measurements  `json:"measurements,omitempty"`
	Recommendation probe.Recommendation `json:"recommendation"`
	Profile        affinity.Profile     `json:"profile"`
}

// run is the whole command; main only maps its error to an exit status.
func run(args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	fsys := probe.NewDefaultFS()
	if c.root != "/" {
		if fsys, err = probe.NewFS(c.root); err != nil {
			return err
		}
	}
	if c.capture != "" {
		files, err := probe.Capture(fsys, c.capture)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "captured %d files into %s; read them back with busprobe -root %s\n", len(files), c.capture, c.capture)
		return nil
	}
	snap, err := fsys.Read()
	if err != nil {
		return err
	}
	ctx := context.Background()
	if c.measure || c.tune {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
	}
	start := time.Now()
	var m *probe.Measurements
	if c.measure {
		budget := c.budget
		if c.tune {
			budget = min(probe.DefaultBudget, c.budget/5)
		}
		if m, err = measure(ctx, snap, budget, c.progress, stderr); err != nil {
			return fmt.Errorf("measuring: %w", err)
		}
	}
	opt := probe.Options{Producers: c.producers, Consumers: c.consumers, EventSize: c.eventSize}
	rec, err := probe.Recommend(snap, m, opt)
	if err != nil {
		return err
	}
	res := result{Snapshot: snap, Measurements: m, Recommendation: rec, Profile: rec.Profile(snap)}
	if c.tune {
		t, chosen, err := tune(ctx, snap, rec, opt, c, c.budget-time.Since(start), stderr)
		if err != nil {
			return fmt.Errorf("tuning: %w", err)
		}
		res.Profile.Layout, res.Profile.Affinity, res.Profile.Tuning = chosen.Layout, chosen.Affinity, t
		res.Profile.Reasons = append(res.Profile.Reasons, affinity.Reason{Topic: "tuning", Text: t.Why})
	}
	nameConsumers(&res.Recommendation.Affinity, c.names)
	nameConsumers(&res.Profile.Affinity, c.names)
	if c.out != "" {
		b, err := res.Profile.MarshalIndent()
		if err != nil {
			return fmt.Errorf("layout profile: %w", err)
		}
		if _, err := affinity.ParseProfile(b); err != nil {
			return fmt.Errorf("layout profile does not read back: %w", err)
		}
		if err := os.WriteFile(c.out, b, 0o644); err != nil {
			return err
		}
	}
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	writeReport(stdout, c, res)
	if c.out != "" {
		fmt.Fprintf(stdout, "\nLayout profile written to %s.\n", c.out)
	}
	return nil
}

// measure runs the measurements on the usable CPUs for budget, with a
// progress bar on stderr when asked for and they take a second or more.
// Ctrl-C (ctx) stops them early.
func measure(ctx context.Context, snap *probe.Snapshot, budget time.Duration, progress bool, stderr io.Writer) (*probe.Measurements, error) {
	opt := probe.MeasureOptions{Budget: budget}
	if progress && budget >= time.Second {
		bar := newBar(stderr, "measuring")
		defer bar.Close()
		opt.Progress = func(done, total int) {
			bar.ChangeMax(total)
			_ = bar.Set(done)
		}
	}
	return probe.Measure(ctx, snap.Usable(), opt)
}

// newBar returns a progress bar on stderr that clears itself when done.
func newBar(stderr io.Writer, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions(1,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionClearOnFinish(),
	)
}

// nameConsumers gives the plan's placements the consumers' names, in
// order, so that affinity.PinPlan matches bus.Named consumers. A plan
// without placements (nothing pinned) stays without.
func nameConsumers(p *affinity.Plan, names []string) {
	for i := range min(len(names), len(p.Consumers)) {
		p.Consumers[i].Name = names[i]
	}
}
