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
	"syscall"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/stress"
)

// config is what the flags say.
type config struct {
	metrics  string // -metrics: the address to serve /metrics on; empty for none
	duration time.Duration
	base     uint64
	seed     uint64
	replay   bool // -seed was given
	repeat   int
	stall    time.Duration
	failfast bool
	verbose  bool
	progress bool
	every    time.Duration
	json     bool
	profile  string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("busstress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defStall := stress.DefaultStall
	if raceEnabled {
		defStall *= 3
	}
	fs.StringVar(&c.metrics, "metrics", "", "serve the running scenario's bus metrics (Prometheus) on `ADDR`/metrics, e.g. 127.0.0.1:9464")
	fs.DurationVar(&c.duration, "duration", time.Minute, "how long to run scenarios")
	fs.Uint64Var(&c.base, "base", 0, "the first seed to run, the next ones follow (default: from the clock)")
	fs.Uint64Var(&c.seed, "seed", 0, "replay the scenario of this seed (-repeat times) instead of generating new ones")
	fs.IntVar(&c.repeat, "repeat", 1, "with -seed, how many times to run the scenario")
	fs.DurationVar(&c.stall, "stall", defStall, "fail a scenario in which nothing moves for this long while work is pending")
	fs.BoolVar(&c.failfast, "failfast", false, "stop at the first violation")
	fs.BoolVar(&c.verbose, "v", false, "print every scenario and its result")
	fs.BoolVar(&c.progress, "progress", true, "show progress on stderr: a bar on a terminal, else a line every -every")
	fs.DurationVar(&c.every, "every", 10*time.Second, "how often to print a progress line when stderr is not a terminal")
	fs.BoolVar(&c.json, "json", false, "print the final report as JSON on stdout (scenario lines go to stderr)")
	fs.StringVar(&c.profile, "profile", "", "run every scenario on this machine profile (busprobe -o FILE): its layout and affinity plan")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { c.replay = c.replay || f.Name == "seed" })
	switch {
	case c.duration <= 0:
		return c, fmt.Errorf("-duration %v: must be positive", c.duration)
	case c.repeat < 1:
		return c, fmt.Errorf("-repeat %d: must be at least 1", c.repeat)
	case c.stall <= 0:
		return c, fmt.Errorf("-stall %v: must be positive", c.stall)
	case c.every <= 0:
		return c, fmt.Errorf("-every %v: must be positive", c.every)
	}
	if c.base == 0 {
		c.base = uint64(time.Now().UnixNano())
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var prof *affinity.Profile
	if c.profile != "" {
		if prof, err = affinity.LoadProfile(c.profile); err != nil {
			return err
		}
	}
	// The first SIGINT or SIGTERM ends the run with its report; after it,
	// the signals have their default effect again, so a second one kills.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)

	rep := newReport(c, prof)
	tot := &totals{rep: rep}
	start := time.Now()
	deadline := start.Add(c.duration)
	mon := startMonitor(c, tot, start, stderr)
	defer mon.stop()
	lines := stdout // per-scenario lines: stdout, or stderr under -json
	if c.json {
		lines = stderr
	}

	seed, runs := c.base, 0
	if c.replay {
		seed = c.seed
	}
	var srv *metricsServer
	if c.metrics != "" {
		if srv, err = serveMetrics(c.metrics); err != nil {
			return err
		}
		defer srv.Close()
		fmt.Fprintf(stderr, "busstress: serving metrics on http://%s/metrics\n", srv.Addr())
	}
	for ctx.Err() == nil {
		if c.replay && runs == c.repeat || !c.replay && runs > 0 && time.Now().After(deadline) {
			break
		}
		s := stress.Generate(seed)
		if prof != nil {
			s = stress.GenerateOn(seed, prof.Layout)
		}
		opts := stress.Options{Stall: c.stall, Profile: prof}
		if srv != nil {
			opts.Watch = srv.watch(s.Seed)
		}
		r, err := stress.Run(ctx, s, opts)
		runs++
		var v *stress.Violation
		failed := errors.As(err, &v)
		tot.add(r, s, v, seed)
		mon.ran(runs)
		switch {
		case failed:
			mon.clear()
			fmt.Fprintf(lines, "FAIL %v\n%v\nreplay: %s\n", s, err, replayCommand(c, s.Seed))
		case err != nil && ctx.Err() != nil:
			// interrupted: the report follows
		case err != nil:
			return err
		case c.verbose:
			mon.clear()
			fmt.Fprintf(lines, "ok   %v: %d published, %d moved in %v\n", s, r.Published, r.Moved(), r.Elapsed.Round(time.Millisecond))
		}
		if failed && c.failfast {
			break
		}
		if !c.replay {
			seed++
		}
	}
	mon.stop()
	rep = tot.final(time.Since(start), ctx.Err() != nil)
	if c.json {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		rep.print(stdout)
	}
	if rep.Violations > 0 {
		return fmt.Errorf("%d of %d scenarios broke an invariant", rep.Violations, rep.Scenarios)
	}
	return nil
}

// replayCommand is the command that replays seed as c ran it.
func replayCommand(c config, seed uint64) string {
	cmd := fmt.Sprintf("go run ./cmd/busstress -seed %d", seed)
	if raceEnabled {
		cmd = fmt.Sprintf("go run -race ./cmd/busstress -seed %d", seed)
	}
	if c.profile != "" {
		cmd += " -profile " + c.profile
	}
	return cmd
}
