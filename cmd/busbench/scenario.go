package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// event is what every scenario passes along: a value and two fields the
// upstream consumers of the pipeline and the diamond fill in (24 bytes).
type event struct{ v, a, b int64 }

// scenario is one of the LMAX throughput scenarios, on the bus and on
// channels.
type scenario struct {
	name      string
	title     string
	producers int
	consumers int
	// build adds the consumers to x and returns the leaf sequences and a
	// function that gives the sum each leaf saw, read after Shutdown.
	build func(x *bus.Bus[event]) (leaves []*bus.Sequence, sums func() []int64)
	// channel starts the consumers of the channel version and returns the
	// producers' send function, the function that closes the inputs once
	// every producer is done, and a channel that yields each leaf's sum.
	channel func(size int) (send func(v int64), closeAll func(), sums <-chan int64, leaves int)
	// factor is what each leaf's sum is in units of the sum of the values
	// published: the diamond's join adds two copies.
	factor int64
}

// adder is a handler that sums what f reads from each event.
type adder struct {
	sum int64
	f   func(e *event) int64
}

func (h *adder) OnEvent(e *event, _ int64, _ bool) error { h.sum += h.f(e); return nil }

func value(e *event) int64 { return e.v }

func scenarios() []scenario {
	return []scenario{
		{name: "unicast", title: "unicast 1P→1C", producers: 1, consumers: 1, factor: 1,
			build: func(x *bus.Bus[event]) ([]*bus.Sequence, func() []int64) {
				h := &adder{f: value}
				return x.HandleEventsWith(h).Sequences(), func() []int64 { return []int64{h.sum} }
			},
			channel: func(size int) (func(int64), func(), <-chan int64, int) {
				c := make(chan event, size)
				out := make(chan int64, 1)
				go sink(c, value, out)
				return func(v int64) { c <- event{v: v} }, func() { close(c) }, out, 1
			}},
		{name: "pipeline", title: "pipeline 1P→3C", producers: 1, consumers: 3, factor: 1,
			build: func(x *bus.Bus[event]) ([]*bus.Sequence, func() []int64) {
				last := &adder{f: func(e *event) int64 { return e.b - 2 }}
				g := x.HandleEventsWith(bus.HandlerFunc[event](func(e *event, _ int64, _ bool) error { e.a = e.v + 1; return nil })).
					Then(bus.HandlerFunc[event](func(e *event, _ int64, _ bool) error { e.b = e.a + 1; return nil })).
					Then(last)
				return g.Sequences(), func() []int64 { return []int64{last.sum} }
			},
			channel: func(size int) (func(int64), func(), <-chan int64, int) {
				c1, c2, c3 := make(chan event, size), make(chan event, size), make(chan event, size)
				out := make(chan int64, 1)
				go stage(c1, c2, func(e *event) { e.a = e.v + 1 })
				go stage(c2, c3, func(e *event) { e.b = e.a + 1 })
				go sink(c3, func(e *event) int64 { return e.b - 2 }, out)
				return func(v int64) { c1 <- event{v: v} }, func() { close(c1) }, out, 1
			}},
		{name: "multicast", title: "multicast 1P→3C", producers: 1, consumers: 3, factor: 1,
			build: func(x *bus.Bus[event]) ([]*bus.Sequence, func() []int64) {
				hs := []*adder{{f: value}, {f: value}, {f: value}}
				g := x.HandleEventsWith(hs[0], hs[1], hs[2])
				return g.Sequences(), func() []int64 { return []int64{hs[0].sum, hs[1].sum, hs[2].sum} }
			},
			channel: func(size int) (func(int64), func(), <-chan int64, int) {
				var cs [3]chan event
				out := make(chan int64, 3)
				for i := range cs {
					cs[i] = make(chan event, size)
					go sink(cs[i], value, out)
				}
				send := func(v int64) {
					cs[0] <- event{v: v}
					cs[1] <- event{v: v}
					cs[2] <- event{v: v}
				}
				return send, func() { close(cs[0]); close(cs[1]); close(cs[2]) }, out, 3
			}},
		{name: "diamond", title: "diamond 1P→3C", producers: 1, consumers: 3, factor: 2,
			build: func(x *bus.Bus[event]) ([]*bus.Sequence, func() []int64) {
				join := &adder{f: func(e *event) int64 { return e.a + e.b - 2 }}
				g := x.HandleEventsWith(
					bus.HandlerFunc[event](func(e *event, _ int64, _ bool) error { e.a = e.v + 1; return nil }),
					bus.HandlerFunc[event](func(e *event, _ int64, _ bool) error { e.b = e.v + 1; return nil }),
				).Then(join)
				return g.Sequences(), func() []int64 { return []int64{join.sum} }
			},
			channel: func(size int) (func(int64), func(), <-chan int64, int) {
				ca, cb := make(chan event, size), make(chan event, size)
				oa, ob := make(chan event, size), make(chan event, size)
				out := make(chan int64, 1)
				go stage(ca, oa, func(e *event) { e.a = e.v + 1 })
				go stage(cb, ob, func(e *event) { e.b = e.v + 1 })
				go func() {
					var s int64
					for a := range oa {
						b := <-ob
						s += a.a + b.b - 2
					}
					out <- s
				}()
				send := func(v int64) {
					ca <- event{v: v}
					cb <- event{v: v}
				}
				return send, func() { close(ca); close(cb) }, out, 1
			}},
		sequencer(2),
		sequencer(3),
	}
}

func sequencer(producers int) scenario {
	return scenario{name: fmt.Sprintf("seq%d", producers), title: fmt.Sprintf("sequencer %dP→1C", producers),
		producers: producers, consumers: 1, factor: 1,
		build: func(x *bus.Bus[event]) ([]*bus.Sequence, func() []int64) {
			h := &adder{f: value}
			return x.HandleEventsWith(h).Sequences(), func() []int64 { return []int64{h.sum} }
		},
		channel: func(size int) (func(int64), func(), <-chan int64, int) {
			c := make(chan event, size)
			out := make(chan int64, 1)
			go sink(c, value, out)
			return func(v int64) { c <- event{v: v} }, func() { close(c) }, out, 1
		}}
}

func stage(in <-chan event, out chan<- event, f func(e *event)) {
	for e := range in {
		f(&e)
		out <- e
	}
	close(out)
}

func sink(in <-chan event, f func(e *event) int64, out chan<- int64) {
	var s int64
	for e := range in {
		s += f(&e)
	}
	out <- s
}

// runStats is what one run measured.
type runStats struct {
	events  int64
	elapsed time.Duration
	mallocs uint64
}

func (r runStats) perSecond() float64 { return float64(r.events) / r.elapsed.Seconds() }

func (r runStats) allocsPerEvent() float64 {
	if r.events == 0 {
		return 0
	}
	return float64(r.mallocs) / float64(r.events)
}

// stallLimit bounds every wait of a run for progress that does not come.
const stallLimit = 10 * time.Second

// errStalled reports a run that made no progress for stallLimit.
var errStalled = errors.New("no progress")

// sumOf is the sum of the values 0..n-1 that one producer publishes.
func sumOf(n int64) int64 { return n * (n - 1) / 2 }

// measure releases producers goroutines at once, each running produce
// with its share of the run's limit, then calls wait with the number of
// events published to wait until the consumers have handled them all. It
// returns the events, the wall time from release to the end of wait and
// the process's mallocs in between, and the sum of the values published
// (each producer publishes 0, 1, 2, ...).
func measure(c *config, producers int, produce func(p int, l limit) (int64, error), wait func(total int64) error) (runStats, int64, error) {
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
	var total, want int64
	for p := range producers {
		total += counts[p]
		want += sumOf(counts[p])
	}
	if err := errors.Join(errs...); err != nil {
		return runStats{}, 0, err
	}
	if err := wait(total); err != nil {
		return runStats{}, 0, err
	}
	el := time.Since(start)
	runtime.ReadMemStats(&m1)
	return runStats{events: total, elapsed: el, mallocs: m1.Mallocs - m0.Mallocs}, want, nil
}

// runBus runs sc on a bus, publishing batch events per PublishBatch.
func runBus(c *config, sc scenario, batch int) (runStats, error) {
	x, err := bus.New[event](c.busOptions(sc.producers > 1)...)
	if err != nil {
		return runStats{}, err
	}
	leaves, sums := sc.build(x)
	if err := x.Start(); err != nil {
		return runStats{}, err
	}
	defer x.Halt()
	produce := func(_ int, l limit) (int64, error) {
		var i int64
		fill := func(e *event, _ int64) { e.v, e.a, e.b = i, 0, 0; i++ }
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
	wait := func(total int64) error { return waitSequences(leaves, total-1) }
	st, want, err := measure(c, sc.producers, produce, wait)
	if err != nil {
		return runStats{}, fmt.Errorf("%s on the bus: %w", sc.title, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stallLimit)
	defer cancel()
	if err := x.Shutdown(ctx); err != nil {
		return runStats{}, fmt.Errorf("%s on the bus: shutdown: %w", sc.title, err)
	}
	for i, s := range sums() {
		if s != want*sc.factor {
			return runStats{}, fmt.Errorf("%s on the bus: leaf %d summed %d, want %d: events were lost or repeated", sc.title, i, s, want*sc.factor)
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
func runChannel(c *config, sc scenario) (runStats, error) {
	send, closeAll, sums, leaves := sc.channel(c.size)
	produce := func(_ int, l limit) (int64, error) {
		var i int64
		for {
			k := l.next(i)
			if k <= 0 {
				return i, nil
			}
			for end := i + k; i < end; i++ {
				send(i)
			}
		}
	}
	got := make([]int64, 0, leaves)
	wait := func(int64) error {
		closeAll()
		timer := time.NewTimer(stallLimit)
		defer timer.Stop()
		for range leaves {
			select {
			case s := <-sums:
				got = append(got, s)
			case <-timer.C:
				return fmt.Errorf("%w: channel consumers did not finish within %v", errStalled, stallLimit)
			}
		}
		return nil
	}
	st, want, err := measure(c, sc.producers, produce, wait)
	if err != nil {
		return runStats{}, fmt.Errorf("%s on channels: %w", sc.title, err)
	}
	for i, s := range got {
		if s != want*sc.factor {
			return runStats{}, fmt.Errorf("%s on channels: leaf %d summed %d, want %d", sc.title, i, s, want*sc.factor)
		}
	}
	return st, nil
}
