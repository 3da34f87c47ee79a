// Command busbench runs the performance scenarios the LMAX Disruptor
// publishes figures for, each on the bus and on an idiomatic Go-channel
// equivalent doing the same work, one after another in a single process,
// and prints their throughput side by side with the bus-to-channel ratio.
// It then measures ping-pong latency between two pinned goroutines through
// two buses, through two channels, and through a bare CAS on a shared word
// (the core-to-core round trip: the physical limit the bus cannot beat),
// and prints each distribution from an HDR histogram.
//
// Usage:
//
//	busbench [-duration D | -events N] [-count N] [-size SLOTS] [-wait KIND]
//	         [-spin D] [-yield D] [-pad BYTES] [-batch N] [-profile layout.json] [-cpus A,B]
//	         [-scenarios LIST] [-probe] [-json] [-plot FILE.svg|.png|.pdf]
//	         [-cpuprofile FILE] [-metrics ADDR] [-dashboard FILE.png [-sample D]]
//
// Scenarios (-scenarios takes a comma-separated subset):
//
//	unicast    1 producer, 1 consumer
//	pipeline   1 producer, 3 consumers one after another
//	multicast  1 producer, 3 consumers each seeing every event
//	diamond    1 producer, 2 consumers in parallel, then 1 that joins them
//	seq2, seq3 2 or 3 producers (a multi-producer bus), 1 consumer
//	busraw     the Bus API against the raw sequencer path it wraps: one
//	           producer writes an int64 per slot, one OnBatch consumer sums
//	           (the Go peers' workload); bus/raw is the time-per-event ratio
//	pingpong   round-trip latency: raw CAS, the raw layouts of a marked
//	           ring (one line a hand-off) and of a slot+cursor ring (two),
//	           bus, bus with events that embed bus.Mark, channel; each
//	           bus's median and p99 over the raw CAS's
//
// Each throughput run is repeated -count times; the runs of one repetition
// (channel, bus publishing one event at a time, bus publishing -batch events
// at a time) follow each other, and the ratios printed are the medians of
// the ratios within each repetition, so that a machine busy with other work
// skews both sides alike. The allocs/ev columns are the process's mallocs
// during a run divided by its events.
//
// A layout profile written by `busprobe -o` sets the pad, ring size and wait
// strategy (flags given explicitly override it); its affinity plan is not
// applied, since it is made for one count of producers and consumers. The
// throughput scenarios run unpinned; the ping-pong pins its two goroutines
// to two allowed CPUs (-cpus, or the first two).
//
// With -metrics ADDR, busbench serves each throughput run's bus on
// http://ADDR/metrics while it runs (package bus/metrics, labelled
// bus="SCENARIO"), for Prometheus or curl; with -dashboard FILE.png it
// samples the same metrics and draws the four panels of the Grafana
// dashboard in docs/grafana (lag per consumer, ring fill, producer waits
// and handler failures per second) into FILE.png.
//
// Runs that last more than a second show a progress bar on stderr. busbench
// is for comparing setups and machines; the bus package's testing.B
// benchmarks are for benchstat.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "busbench:", err)
		os.Exit(1)
	}
}

// run is the whole command; main only maps its error to an exit status.
func run(args []string, stdout, stderr io.Writer) (err error) {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.cpuprof != "" {
		f, err := os.Create(c.cpuprof)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if c.metrics != "" || c.dashboard != "" {
		w, werr := startWatcher(c.metrics, c.dashboard != "", c.sample)
		if werr != nil {
			return werr
		}
		c.watch = w.watch
		if w.srv != nil {
			fmt.Fprintf(stderr, "busbench: serving metrics on http://%s/metrics\n", w.srv.Addr())
		}
		defer func() {
			err = errors.Join(err, w.close())
			if c.dashboard != "" && err == nil {
				if err = w.sampler.writeDashboard(c.dashboard, "eventbus: busbench "+strings.Join(c.args, " ")); err != nil {
					err = fmt.Errorf("-dashboard: %w", err)
				}
			}
		}()
	}
	rep, err := runSuite(c, stderr)
	if err != nil {
		return err
	}
	if c.plot != "" {
		if rep.PingPong == nil {
			return errors.New("-plot needs the pingpong scenario")
		}
		if err := writePlot(c.plot, rep.PingPong); err != nil {
			return fmt.Errorf("-plot %s: %w", c.plot, err)
		}
	}
	if c.json {
		return writeJSON(stdout, rep)
	}
	writeTable(stdout, rep)
	if c.plot != "" {
		fmt.Fprintf(stdout, "\nLatency plot written to %s.\n", c.plot)
	}
	return nil
}
