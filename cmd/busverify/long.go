package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/verify"
)

// longConfig is a long run: streaming verification in this process for a
// duration, drawing a configuration for each history from a seed.
type longConfig struct {
	duration time.Duration
	seed     uint64
	profile  *affinity.Profile // nil: layouts are drawn too
	name     string            // the profile's file, for the report
	every    time.Duration     // progress interval
	html     string
	json     bool
	stderr   io.Writer
}

// maxFailures is how many failed histories a long run's report lists; it
// counts the rest.
const maxFailures = 20

// longReport is what a long run prints at its end, and with -json encodes.
type longReport struct {
	Profile     string        `json:"profile"`
	Seed        uint64        `json:"seed"`
	GOARCH      string        `json:"goarch"`
	GOMAXPROCS  int           `json:"gomaxprocs"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	Histories   int           `json:"histories"`
	Operations  int64         `json:"operations"`
	Rounds      int64         `json:"rounds"`
	OpsPerSec   float64       `json:"ops_per_sec"`
	Violations  int           `json:"violations"` // histories with a failed check
	Failures    []failure     `json:"failures,omitempty"`
	PeakRSS     int64         `json:"peak_rss_bytes"`
	Interrupted bool          `json:"interrupted"`
}

// failure is one history that failed a check.
type failure struct {
	History int      `json:"history"`
	Config  string   `json:"config"`
	Checks  []string `json:"checks"`
	HTML    []string `json:"html,omitempty"`
}

// runLong verifies histories until cfg.duration has passed or ctx ends,
// printing progress to cfg.stderr every cfg.every, then prints the report
// to stdout. It fails when any history failed.
func runLong(parent context.Context, cfg longConfig, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(parent, cfg.duration)
	defer cancel()
	start := time.Now()
	rep := longReport{Profile: "none (layouts drawn)", Seed: cfg.seed, GOARCH: runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if cfg.profile != nil {
		rep.Profile = cfg.name
	}
	var st verify.Stats
	// histories is read by the progress goroutine while the loop counts.
	var histories atomic.Int64
	progress := make(chan struct{})
	go func() {
		defer close(progress)
		tick := time.NewTicker(cfg.every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				fmt.Fprintln(cfg.stderr, progressLine(time.Since(start), &st, histories.Load()))
			}
		}
	}()
	for i := 0; ctx.Err() == nil; i++ {
		o := verify.Options{Stats: &st}
		if cfg.html != "" {
			o.HTML = htmlPath(cfg.html, fmt.Sprintf("h%d", i))
		}
		r, err := runHistory(ctx, draw(cfg.seed, i, cfg.profile), o)
		if err != nil {
			cancel()
			<-progress
			return fmt.Errorf("history %d: %w", i, err)
		}
		histories.Add(1)
		if bad := verify.Failed(r.Results); len(bad) > 0 {
			rep.Violations++
			if len(rep.Failures) < maxFailures {
				f := failure{History: i, Config: r.Config}
				for _, b := range bad {
					f.Checks = append(f.Checks, b.String())
					if b.HTML != "" {
						f.HTML = append(f.HTML, b.HTML)
					}
				}
				rep.Failures = append(rep.Failures, f)
			}
		}
		if r.Interrupted {
			break
		}
	}
	cancel()
	<-progress
	// A run that reached its duration ended as asked; one stopped by the
	// caller's context (Ctrl-C) was interrupted.
	rep.Interrupted = parent.Err() != nil
	rep.Elapsed = time.Since(start)
	rep.Histories = int(histories.Load())
	rep.Operations, rep.Rounds = st.Ops(), st.Rounds()
	rep.OpsPerSec = float64(rep.Operations) / rep.Elapsed.Seconds()
	if m, err := verify.ReadMemory(); err == nil {
		rep.PeakRSS = m.Peak
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeLongReport(stdout, &rep)
	}
	if rep.Violations > 0 {
		return fmt.Errorf("%d of %d histories failed (seed %d)", rep.Violations, rep.Histories, rep.Seed)
	}
	return nil
}

// history is one drawn configuration: a sequencer run or a bus run.
type history struct {
	seq *verify.SeqConfig
	bus *verify.BusConfig
}

func runHistory(ctx context.Context, h history, o verify.Options) (*verify.Report, error) {
	if h.seq != nil {
		return verify.VerifySequencer(ctx, *h.seq, o)
	}
	return verify.VerifyBus(ctx, *h.bus, o)
}

// draw returns the configuration of history i of a run seeded with seed:
// the shape (single- or multi-producer sequencer, or the bus end to end,
// with or without marked events),
// producers, consumers, ring size, batch sizes, TryNext share, round
// length, pad and wait strategy. With a profile, its layout and plan
// replace the drawn ring size, pad and wait strategy.
func draw(seed uint64, i int, p *affinity.Profile) history {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	pick := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	ring := 1 << pick(2, 6)
	batch := pick(1, min(8, ring))
	waits := bus.WaitKinds()
	wait := waits[rng.IntN(len(waits))]
	// A busy-spinning goroutine gives up its CPU only when the scheduler
	// preempts it (every 10ms): with fewer CPUs than spinners a round
	// takes minutes, so busy-spin is drawn only where each spinner (the
	// bus's six consumers and its producers, at most ten) has a CPU.
	if wait == bus.WaitBusySpin && runtime.GOMAXPROCS(0) < 10 {
		wait = bus.WaitYielding
	}
	pads := bus.ValidPads()
	pad := pads[rng.IntN(len(pads))]
	seedI := rng.Uint64()
	// Between 10,000 and 100,000 claims or events: a few seconds each, so
	// that an hour covers many configurations.
	n := pick(10, 100) * 1000
	switch rng.IntN(3) {
	case 0, 1:
		c := verify.SeqConfig{Multi: rng.IntN(2) == 1, Producers: 1, Consumers: pick(1, 4), RingSize: ring, Claims: n,
			MaxBatch: batch, TryEvery: pick(2, 8), Round: pick(50, 400), Seed: seedI, Pad: pad, Wait: wait}
		if c.Multi {
			c.Producers = pick(2, 4)
		}
		c = c.WithProfile(p)
		return history{seq: &c}
	default:
		c := verify.BusConfig{Producers: pick(1, 4), RingSize: ring, Events: n, MaxBatch: batch, Round: pick(50, 400),
			Seed: seedI, Pad: pad, Wait: wait}
		c.Marked = rng.IntN(2) == 1 // drawn last: the other draws stay those of the seed
		c = c.WithProfile(p)
		return history{bus: &c}
	}
}

func progressLine(elapsed time.Duration, st *verify.Stats, histories int64) string {
	mem := "n/a"
	if m, err := verify.ReadMemory(); err == nil {
		mem = fmt.Sprintf("%s (peak %s)", mib(m.RSS), mib(m.Peak))
	}
	return fmt.Sprintf("busverify: %v: %d ops (%.0f ops/s), %d rounds, %d histories, %d violations, RSS %s",
		elapsed.Round(time.Second), st.Ops(), float64(st.Ops())/elapsed.Seconds(), st.Rounds(), histories, st.Violations(), mem)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func writeLongReport(w io.Writer, r *longReport) {
	status := "ok"
	switch {
	case r.Violations > 0:
		status = "FAILED"
	case r.Interrupted:
		status = "ok (interrupted)"
	}
	peak := "n/a"
	if r.PeakRSS > 0 {
		peak = mib(r.PeakRSS)
	}
	fmt.Fprintf(w, "busverify: %s\n", status)
	fmt.Fprintf(w, "  profile     %s\n", r.Profile)
	fmt.Fprintf(w, "  seed        %d (GOARCH %s, GOMAXPROCS %d)\n", r.Seed, r.GOARCH, r.GOMAXPROCS)
	fmt.Fprintf(w, "  elapsed     %v\n", r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  histories   %d\n", r.Histories)
	fmt.Fprintf(w, "  operations  %d (%.0f ops/s)\n", r.Operations, r.OpsPerSec)
	fmt.Fprintf(w, "  rounds      %d\n", r.Rounds)
	fmt.Fprintf(w, "  violations  %d\n", r.Violations)
	fmt.Fprintf(w, "  peak memory %s resident\n", peak)
	for _, f := range r.Failures {
		fmt.Fprintf(w, "history %d: %s\n  %s\n", f.History, f.Config, strings.Join(f.Checks, "\n  "))
	}
	if n := r.Violations - len(r.Failures); n > 0 {
		fmt.Fprintf(w, "(%d more failed histories not listed)\n", n)
	}
}
