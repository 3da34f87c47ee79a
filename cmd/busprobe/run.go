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
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("busprobe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.root, "root", "/", "read the machine from a `directory` captured with -capture instead of this one")
	fs.BoolVar(&c.json, "json", false, "print the whole result as JSON instead of a report")
	fs.StringVar(&c.out, "o", "", "write the layout profile the bus loads to `file`")
	fs.StringVar(&c.capture, "capture", "", "copy the files the probe reads into `directory` (new or empty) and stop")
	fs.BoolVar(&c.measure, "measure", false, "measure core-to-core latency and false sharing on this machine")
	fs.DurationVar(&c.budget, "budget", probe.DefaultBudget, "time the measurements may take")
	fs.BoolVar(&c.progress, "progress", true, "show a progress bar on stderr while measuring")
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
	case c.capture != "" && (c.json || c.out != "" || c.measure):
		return c, errors.New("-capture only copies files; do not combine it with -json, -o or -measure")
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
	var m *probe.Measurements
	if c.measure {
		if m, err = measure(snap, c, stderr); err != nil {
			return fmt.Errorf("measuring: %w", err)
		}
	}
	rec, err := probe.Recommend(snap, m, probe.Options{Producers: c.producers, Consumers: c.consumers, EventSize: c.eventSize})
	if err != nil {
		return err
	}
	res := result{Snapshot: snap, Measurements: m, Recommendation: rec, Profile: rec.Profile(snap)}
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

// measure runs the measurements on the usable CPUs, with a progress bar on
// stderr when they take a second or more. Ctrl-C stops them early.
func measure(snap *probe.Snapshot, c config, stderr io.Writer) (*probe.Measurements, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opt := probe.MeasureOptions{Budget: c.budget}
	if c.progress && c.budget >= time.Second {
		bar := progressbar.NewOptions(1,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("measuring"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Close()
		opt.Progress = func(done, total int) {
			bar.ChangeMax(total)
			_ = bar.Set(done)
		}
	}
	return probe.Measure(ctx, snap.Usable(), opt)
}
