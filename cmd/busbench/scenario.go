package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

// scenarioNames lists what -scenarios accepts, in the order they run:
// package scenario's table, the Bus API against the raw sequencer, then
// the ping-pong.
var scenarioNames = append(tableNames(), "busraw", "pingpong")

func tableNames() []string {
	var names []string
	for _, sc := range scenario.All() {
		names = append(names, sc.Name)
	}
	return names
}

// runStats is what one run measured.
type runStats struct {
	events  int64
	elapsed time.Duration
	mallocs uint64
}

func (r runStats) perSecond() float64 { return float64(r.events) / r.elapsed.Seconds() }

// stallLimit bounds every wait of a run for progress that does not come.
const stallLimit = 10 * time.Second

// errStalled reports a run that made no progress for stallLimit.
var errStalled = errors.New("no progress")

// measure releases producers goroutines at once, each running produce
// with its share of the run's limit, then calls wait with the number of
// events published to wait until the consumers have handled them all. It
// returns the events, the wall time from release to the end of wait and
// the process's mallocs in between, and how many events each producer
// published (each publishes 0, 1, 2, ...).
func measure(c *config, producers int, produce func(p int, l limit) (int64, error), wait func(total int64) error) (runStats, []int64, error) {
	gate := make(chan struct{})
	var lims []limit
	counts := make([]int64, producers)
	errs := make([]error, producers)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			<-gate
			counts[p], errs[p] = produce(p, lims[p])
		})
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	lims = c.limits(producers, start)
	close(gate)
	wg.Wait()
	var total int64
	for _, n := range counts {
		total += n
	}
	if err := errors.Join(errs...); err != nil {
		return runStats{}, nil, err
	}
	if err := wait(total); err != nil {
		return runStats{}, nil, err
	}
	el := time.Since(start)
	runtime.ReadMemStats(&m1)
	return runStats{events: total, elapsed: el, mallocs: m1.Mallocs - m0.Mallocs}, counts, nil
}

// runBus runs sc on a bus, publishing batch events per PublishBatch.
func runBus(c *config, sc scenario.Scenario, batch int) (runStats, error) {
	opts := c.busOptions(sc.Producers > 1)
	if c.prof != nil {
		opts = append(opts, bus.WithPin(affinity.PinPlan(c.prof.Affinity)))
	}
	x, err := bus.New[scenario.Event](opts...)
	if err != nil {
		return runStats{}, err
	}
	cons := sc.Wire(x)
	if c.watch != nil {
		defer c.watch(sc.Name, x.Stats)()
	}
	if err := x.Start(); err != nil {
		return runStats{}, err
	}
	defer x.Halt()
	produce := func(p int, l limit) (int64, error) {
		if c.prof != nil {
			release, err := affinity.PinProducer(c.prof.Affinity, p)
			if err != nil {
				return 0, err
			}
			defer release()
		}
		var i int64
		fill := func(e *scenario.Event, _ int64) { *e = scenario.Event{V: i}; i++ }
		for {
			k := l.next(i)
			if k <= 0 {
				return i, nil
			}
			for k > 0 {
				n := min(int64(batch), k)
				if err := x.PublishBatch(int(n), fill); err != nil {
					return i, err
				}
				k -= n
			}
		}
	}
	wait := func(total int64) error { return waitSequences(cons.Leaves, total-1) }
	st, counts, err := measure(c, sc.Producers, produce, wait)
	if err != nil {
		return runStats{}, fmt.Errorf("%s on the bus: %w", sc.Title, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stallLimit)
	defer cancel()
	if err := x.Shutdown(ctx); err != nil {
		return runStats{}, fmt.Errorf("%s on the bus: shutdown: %w", sc.Title, err)
	}
	want := sc.Want(counts...)
	for i, s := range cons.Sums() {
		if s != want {
			return runStats{}, fmt.Errorf("%s on the bus: leaf %d summed %d, want %d: events were lost or repeated", sc.Title, i, s, want)
		}
	}
	return st, nil
}

// waitSequences waits until every sequence reaches target, sleeping
// between looks so that the waiting goroutine leaves the CPUs to the
// consumers. It gives up after stallLimit without progress.
func waitSequences(seqs []*bus.Sequence, target int64) error {
	last, since := int64(-2), time.Now()
	for {
		low := target
		for _, s := range seqs {
			low = min(low, s.Load())
		}
		if low >= target {
			return nil
		}
		if low != last {
			last, since = low, time.Now()
		} else if time.Since(since) > stallLimit {
			return fmt.Errorf("%w: consumers stuck at sequence %d of %d for %v", errStalled, low, target, stallLimit)
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// runChannel runs sc on channels.
func runChannel(c *config, sc scenario.Scenario) (runStats, error) {
	ch := sc.Channels(c.size)
	produce := func(p int, l limit) (int64, error) {
		if c.prof != nil {
			release, err := affinity.PinProducer(c.prof.Affinity, p)
			if err != nil {
				return 0, err
			}
			defer release()
		}
		var i int64
		for {
			k := l.next(i)
			if k <= 0 {
				return i, nil
			}
			for end := i + k; i < end; i++ {
				ch.Send(i)
			}
		}
	}
	got := make([]int64, 0, ch.Leaves)
	wait := func(int64) error {
		ch.Close()
		timer := time.NewTimer(stallLimit)
		defer timer.Stop()
		for range ch.Leaves {
			select {
			case s := <-ch.Sums:
				got = append(got, s)
			case <-timer.C:
				return fmt.Errorf("%w: channel consumers did not finish within %v", errStalled, stallLimit)
			}
		}
		return nil
	}
	st, counts, err := measure(c, sc.Producers, produce, wait)
	if err != nil {
		return runStats{}, fmt.Errorf("%s on channels: %w", sc.Title, err)
	}
	want := sc.Want(counts...)
	for i, s := range got {
		if s != want {
			return runStats{}, fmt.Errorf("%s on channels: leaf %d summed %d, want %d", sc.Title, i, s, want)
		}
	}
	return st, nil
}
