package probe

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/eventbus/eventbus/affinity"
)

// MeasureOptions bounds and reports on Measure. The zero value measures
// for DefaultBudget without progress reports.
type MeasureOptions struct {
	// Budget is the wall time the measurements may take in all; 0 means
	// DefaultBudget. Measure returns within about Budget plus the stall
	// timeouts of the runs under way when it ran out.
	Budget time.Duration
	// Runs is the number of independent runs per CPU pair, each on fresh
	// threads, used to tell stable from bimodal figures; 0 means 6.
	Runs int
	// MaxCPUs caps the CPUs whose pairs are measured; 0 means 8. With more
	// usable CPUs an evenly spread subset is measured.
	MaxCPUs int
	// Progress, when not nil, is called from the measuring goroutine after
	// each step with the steps done and the total.
	Progress func(done, total int)
}

// DefaultBudget is the measurement time used when MeasureOptions.Budget is 0.
const DefaultBudget = 8 * time.Second

// stallTimeouts bound the waits for the partner thread: a run that stalls
// is tried again with the next, longer bound, and a run that stalls under
// all of them leaves its pair (or its false-sharing round) unmeasured.
// A busy machine may keep a pinned thread off its CPU for a few hundred
// milliseconds; a vCPU the host has stopped can take seconds.
var stallTimeouts = []time.Duration{250 * time.Millisecond, time.Second, 4 * time.Second}

// Measurements holds what Measure found.
type Measurements struct {
	// Latency holds one entry per measured CPU pair.
	Latency []PairLatency `json:"latency,omitempty"`
	// FalseSharing is the false-sharing distance measurement, nil if it
	// could not run (fewer than two CPUs).
	FalseSharing *FalseSharing `json:"false_sharing,omitempty"`
	// ElapsedNS is the wall time the measurements took.
	ElapsedNS int64 `json:"elapsed_ns"`
}

// falseSharingSpacings are the counter distances tried, in bytes; the
// reference spacing is taken as free of any interference.
var falseSharingSpacings = []int{8, 64, 128, 256}

const falseSharingReference = 512

// Measure measures core-to-core latency between pairs of cpus and the
// false-sharing distance between two of them, pinning one OS thread per
// CPU. It needs Linux, two CPUs and GOMAXPROCS of at least 2
// (ErrUnsupported otherwise). It observes ctx and every wait in it is
// bounded in time. A run whose partner thread stops answering is tried
// again with a longer wait (stallTimeouts); a pair that never answers is
// reported with Unmeasured set and the rest goes on, so a busy machine
// costs figures, not the result. It fails only when ctx is done, a CPU
// cannot be pinned, or nothing at all could be measured (ErrStalled).
func Measure(ctx context.Context, cpus affinity.CPUSet, opt MeasureOptions) (*Measurements, error) {
	if _, err := affinity.Allowed(); errors.Is(err, affinity.ErrUnsupported) {
		return nil, fmt.Errorf("%w: measurements pin threads: %w", ErrUnsupported, err)
	}
	if cpus.Len() < 2 {
		return nil, fmt.Errorf("%w: measurements need two usable CPUs, have %q", ErrUnsupported, cpus)
	}
	if g := runtime.GOMAXPROCS(0); g < 2 {
		return nil, fmt.Errorf("%w: GOMAXPROCS is %d, and the two measuring threads must run at once", ErrUnsupported, g)
	}
	if opt.Budget <= 0 {
		opt.Budget = DefaultBudget
	}
	if opt.Runs <= 0 {
		opt.Runs = 6
	}
	if opt.MaxCPUs < 2 {
		opt.MaxCPUs = 8
	}
	start := time.Now()
	list := spread(cpus.CPUs(), opt.MaxCPUs)
	var pairs [][2]int
	for i := range list {
		for j := i + 1; j < len(list); j++ {
			pairs = append(pairs, [2]int{list[i], list[j]})
		}
	}
	const fsRounds = 7
	fsPair := [2]int{list[len(list)-2], list[len(list)-1]}
	total := len(pairs)*opt.Runs + fsRounds*(len(falseSharingSpacings)+1)
	done := 0
	step := func() {
		done++
		if opt.Progress != nil {
			opt.Progress(done, total)
		}
	}
	// Each run gets an equal share of the time left to its phase, so that
	// thread start-up and retried stalls eat into later runs rather than
	// past the budget: 60% for latency, the rest for false sharing.
	latEnd, end := start.Add(opt.Budget*6/10), start.Add(opt.Budget)
	share := func(until time.Time, left int) time.Duration {
		return max(time.Until(until)/time.Duration(max(left, 1)), 5*time.Millisecond)
	}

	m := &Measurements{}
	for _, p := range pairs {
		runs := make([][]float64, 0, opt.Runs)
		var stalled error
		for range opt.Runs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			latRun := share(latEnd, len(pairs)*opt.Runs-done)
			if stalled == nil {
				r, err := retryStalled(func(stall time.Duration) ([]float64, error) { return runPingPong(ctx, p[0], p[1], latRun, stall) })
				switch {
				case errors.Is(err, ErrStalled):
					stalled = err // the pair's remaining runs are skipped
				case err != nil:
					return nil, err
				default:
					runs = append(runs, r)
				}
			}
			step()
		}
		l := summarizePair(p[0], p[1], runs)
		if stalled != nil && len(runs) == 0 {
			l.Unmeasured = stalled.Error()
		}
		m.Latency = append(m.Latency, l)
	}
	rounds := make([]fsRound, 0, fsRounds)
	var stalled error
	for range fsRounds {
		round := fsRound{ns: make([]float64, len(falseSharingSpacings))}
		ok := true
		for i, sp := range slices.Concat(falseSharingSpacings, []int{falseSharingReference}) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			fsRun := share(end, total-done)
			if ok {
				ns, err := retryStalled(func(stall time.Duration) (float64, error) { return runContend(ctx, fsPair, sp, fsRun, stall) })
				switch {
				case errors.Is(err, ErrStalled):
					stalled, ok = err, false // the round is dropped
				case err != nil:
					return nil, err
				case sp == falseSharingReference:
					round.ref = ns
				default:
					round.ns[i] = ns
				}
			}
			step()
		}
		if ok {
			rounds = append(rounds, round)
		}
	}
	fs := summarizeSpacings(fsPair, falseSharingSpacings, falseSharingReference, rounds)
	if len(rounds) == 0 && stalled != nil {
		fs.Unmeasured = stalled.Error()
	}
	m.FalseSharing = &fs
	m.ElapsedNS = time.Since(start).Nanoseconds()
	if fs.Unmeasured != "" && !slices.ContainsFunc(m.Latency, func(l PairLatency) bool { return l.Unmeasured == "" }) {
		return nil, fmt.Errorf("nothing could be measured: %w", stalled)
	}
	return m, nil
}

// runPingPong and runContend are the two measurements Measure runs; tests
// replace them with partners that never answer.
var (
	runPingPong = pingPong
	runContend  = contend
)

// retryStalled runs f with each of stallTimeouts in turn while it fails
// with ErrStalled: a thread kept off its CPU for a moment should cost a
// run, not the whole measurement. The last error names every bound tried.
func retryStalled[T any](f func(stall time.Duration) (T, error)) (T, error) {
	var v T
	var err error
	for _, stall := range stallTimeouts {
		v, err = f(stall)
		if !errors.Is(err, ErrStalled) {
			return v, err
		}
	}
	return v, fmt.Errorf("%w (tried %d times, waiting up to %v)", err, len(stallTimeouts), stallTimeouts[len(stallTimeouts)-1])
}

// spread returns at most n of cpus, evenly spaced, keeping the first and
// the last.
func spread(cpus []int, n int) []int {
	if len(cpus) <= n {
		return cpus
	}
	out := make([]int, n)
	for i := range n {
		out[i] = cpus[i*(len(cpus)-1)/(n-1)]
	}
	return out
}

// paddedWord is an int64 alone on its own 256-byte block on both sides, so
// that nothing else shares its line on any architecture.
type paddedWord struct {
	_ [256]byte
	v atomic.Int64
	_ [256 - 8]byte
}

// stopFlag is a stop flag on its own lines.
type stopFlag struct {
	_ [256]byte
	v atomic.Bool
	_ [256 - 4]byte
}

// pinned runs f on a new goroutine pinned to cpu by affinity.PinCPU. It
// never releases the pin: the goroutine ends locked, so its thread exits
// with it and every run starts on fresh threads. A CPU that cannot be
// pinned (offline, not allowed, not confirmed) gives an error wrapping
// ErrUnsupported and the affinity package's error.
func pinned(wg *sync.WaitGroup, cpu int, errs chan<- error, f func()) {
	wg.Go(func() {
		if _, err := affinity.PinCPU(cpu); err != nil {
			errs <- fmt.Errorf("%w: %w", ErrUnsupported, err)
			return
		}
		f()
	})
}

// roundTrips is the number of round trips timed as one sample.
const roundTrips = 100

// pingPong runs one latency run: a thread on cpu a and one on cpu b take
// turns incrementing a shared word by CAS, a turning even values odd and b odd values even,
// for about d. It returns one sample per roundTrips round trips, in
// nanoseconds per round trip, or ErrStalled when the partner does not
// answer within stall.
func pingPong(ctx context.Context, a, b int, d, stall time.Duration) ([]float64, error) {
	var w paddedWord
	var stop stopFlag
	w.v.Store(-2) // b sets -1 when pinned; a sets 0 to start
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	var samples []float64

	// waitFor spins until w equals want. Every 1024 spins it checks the
	// stop stopFlag and the stall bound, so it never spins unbounded.
	waitFor := func(want int64) error {
		deadline := time.Now().Add(stall)
		for i := 1; ; i++ {
			if w.v.Load() == want {
				return nil
			}
			if i&1023 == 0 {
				if stop.v.Load() {
					return errStop
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("%w: cpu %d and %d: no answer within %v", ErrStalled, a, b, stall)
				}
			}
		}
	}
	pinned(&wg, b, errs, func() {
		defer stop.v.Store(true)
		w.v.Store(-1)
		for odd := int64(1); ; odd += 2 {
			if err := waitFor(odd); err != nil {
				if err != errStop {
					errs <- err
				}
				return
			}
			w.v.CompareAndSwap(odd, odd+1)
		}
	})
	pinned(&wg, a, errs, func() {
		defer stop.v.Store(true)
		if err := waitFor(-1); err != nil {
			errs <- err
			return
		}
		w.v.Store(0)
		end := time.Now().Add(d)
		for v := int64(0); ; {
			t0 := time.Now()
			for range roundTrips {
				if err := waitFor(v); err != nil {
					errs <- err
					return
				}
				w.v.CompareAndSwap(v, v+1)
				v += 2
			}
			t1 := time.Now()
			samples = append(samples, float64(t1.Sub(t0).Nanoseconds())/roundTrips)
			if t1.After(end) {
				return
			}
			if err := ctx.Err(); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return samples, nil
}

var errStop = errors.New("stopped")

// contend runs two threads on the CPUs of pair, each incrementing its own
// counter with atomic adds, the counters spacing bytes apart, for about d.
// It returns the mean time of one increment over both threads, or
// ErrStalled when the partner does not start within stall.
func contend(ctx context.Context, pair [2]int, spacing int, d, stall time.Duration) (float64, error) {
	if spacing%8 != 0 || spacing < 8 || spacing > 1024 {
		return 0, fmt.Errorf("%w: spacing %d", ErrMalformed, spacing)
	}
	buf := make([]byte, 2048+512)
	base := 512 - int(uintptr(unsafe.Pointer(&buf[0]))%512)
	ctr := [2]*atomic.Int64{
		(*atomic.Int64)(unsafe.Pointer(&buf[base])),
		(*atomic.Int64)(unsafe.Pointer(&buf[base+spacing])),
	}
	var ready atomic.Int32
	var stop stopFlag
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	var ns [2]float64
	for i := range 2 {
		pinned(&wg, pair[i], errs, func() {
			ready.Add(1)
			deadline := time.Now().Add(stall)
			for ready.Load() < 2 {
				if time.Now().After(deadline) || stop.v.Load() {
					errs <- fmt.Errorf("%w: cpu %d: partner on cpu %d did not start within %v", ErrStalled, pair[i], pair[1-i], stall)
					stop.v.Store(true)
					return
				}
			}
			c := ctr[i]
			t0 := time.Now()
			end := t0.Add(d)
			ops := 0
			for {
				for range 256 {
					c.Add(1)
				}
				ops += 256
				if stop.v.Load() {
					break
				}
				if ops&(1<<12-1) == 0 && time.Now().After(end) {
					stop.v.Store(true)
					break
				}
			}
			ns[i] = float64(time.Since(t0).Nanoseconds()) / float64(ops)
		})
	}
	wg.Wait()
	runtime.KeepAlive(buf)
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return (ns[0] + ns[1]) / 2, nil
}
