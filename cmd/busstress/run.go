package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

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
	fs.BoolVar(&c.progress, "progress", true, "show a progress bar on stderr")
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
	}
	if c.base == 0 {
		c.base = uint64(time.Now().UnixNano())
	}
	return c, nil
}

// totals are the running counts, read by the progress bar's goroutine.
type totals struct {
	mu         sync.Mutex
	scenarios  int64
	moved      int64
	published  int64
	violations int
}

func (t *totals) add(rep stress.Report, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scenarios++
	t.moved += rep.Moved()
	t.published += rep.Published
	if failed {
		t.violations++
	}
}

func (t *totals) line(elapsed time.Duration) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := elapsed.Seconds()
	if s <= 0 {
		s = 1e-9
	}
	return fmt.Sprintf("%d scenarios, %d events moved (%.0f events/s, %.0f scenarios/min), %d violations",
		t.scenarios, t.moved, float64(t.moved)/s, float64(t.scenarios)*60/s, t.violations)
}

func run(args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var tot totals
	start := time.Now()
	deadline := start.Add(c.duration)
	var bar *progressbar.ProgressBar
	stopBar := func() {}
	if c.progress {
		max := int64(c.duration / time.Second)
		if c.replay {
			max = int64(c.repeat)
		}
		bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetWidth(20),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetDescription("busstress"),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionShowDescriptionAtLineEnd())
		done := make(chan struct{})
		var wg sync.WaitGroup
		var once sync.Once
		stopBar = func() {
			once.Do(func() {
				close(done)
				wg.Wait()
				bar.Describe(tot.line(time.Since(start)))
				bar.Finish()
				fmt.Fprintln(stderr)
			})
		}
		defer stopBar()
		wg.Go(func() {
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
				}
				el := time.Since(start)
				bar.Describe(tot.line(el))
				if !c.replay {
					bar.Set64(min(int64(el/time.Second), max))
				}
			}
		})
	}

	failures := 0
	seed, runs := c.base, 0
	if c.replay {
		seed = c.seed
	}
	var srv *metricsServer
	if c.metrics != "" {
		if srv, err = serveMetrics(c.metrics); err != nil {
			return err
		}
		defer srv.close()
		fmt.Fprintf(stderr, "busstress: serving metrics on http://%s/metrics\n", srv.addr)
	}
	for ctx.Err() == nil {
		if c.replay && runs == c.repeat || !c.replay && runs > 0 && time.Now().After(deadline) {
			break
		}
		s := stress.Generate(seed)
		opts := stress.Options{Stall: c.stall}
		if srv != nil {
			opts.Watch = srv.watch(s.Seed)
		}
		rep, err := stress.Run(ctx, s, opts)
		runs++
		var v *stress.Violation
		failed := errors.As(err, &v)
		tot.add(rep, failed)
		if bar != nil && c.replay {
			bar.Set(runs)
		}
		switch {
		case failed:
			failures++
			if bar != nil {
				bar.Clear()
			}
			fmt.Fprintf(stdout, "FAIL %v\n%v\nreplay: go run ./cmd/busstress -seed %d\n", s, err, s.Seed)
		case err != nil && ctx.Err() != nil:
			// interrupted: the summary follows
		case err != nil:
			return err
		case c.verbose:
			fmt.Fprintf(stdout, "ok   %v: %d published, %d moved in %v\n", s, rep.Published, rep.Moved(), rep.Elapsed.Round(time.Millisecond))
		}
		if failed && c.failfast {
			break
		}
		if !c.replay {
			seed++
		}
	}
	stopBar()
	el := time.Since(start)
	fmt.Fprintf(stdout, "busstress: %s in %v", tot.line(el), el.Round(time.Millisecond))
	switch {
	case c.replay:
		fmt.Fprintf(stdout, "; seed %d\n", c.seed)
	case runs > 0:
		fmt.Fprintf(stdout, "; seeds %d to %d\n", c.base, seed-1)
	default:
		fmt.Fprintln(stdout)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "busstress: interrupted")
	}
	if failures > 0 {
		return fmt.Errorf("%d of %d scenarios broke an invariant", failures, runs)
	}
	return nil
}
