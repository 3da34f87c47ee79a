package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	_ "unsafe" // for go:linkname

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

// The ping-pong: an initiator goroutine sends a value to an echo goroutine
// and waits for it to come back; each round trip's wall time goes into an
// HDR histogram. Three transports do it on the same two CPUs, one after
// the other: a bare CAS on a shared word (the core-to-core round trip, the
// physical limit), two buses (A carries the ping, B the pong, each with a
// poller driven by the goroutine that consumes it), and two unbuffered
// channels. Each round trip is timed with one read of the clock (see
// timeRoundTrips), which the three pay alike.

// histogram bounds: 1ns to 10s with 3 significant digits.
func newHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(1, int64(10*time.Second), 3) }

// warmup is how many round trips each ping-pong run leaves unrecorded.
const warmup = 100

// pair says where the two goroutines of a ping-pong run.
type pair struct {
	cpus   [2]int
	pinned bool
}

// pin pins the calling goroutine to the pair's i-th CPU, or does nothing
// for an unpinned pair.
func (p pair) pin(i int) (func(), error) {
	if !p.pinned {
		return func() {}, nil
	}
	return affinity.PinCPU(p.cpus[i])
}

// choosePair picks the ping-pong CPUs: the ones asked for, or the first two
// allowed. With fewer than two allowed CPUs (or pinning unsupported) the
// pair runs unpinned and note says why.
func choosePair(c *config) (pair, string, error) {
	allowed, err := affinity.Allowed()
	if err != nil {
		if c.cpus != nil {
			return pair{}, "", fmt.Errorf("-cpus: %w", err)
		}
		return pair{}, fmt.Sprintf("running unpinned: %v", err), nil
	}
	if c.cpus != nil {
		for _, cpu := range c.cpus {
			if !allowed.Contains(cpu) {
				return pair{}, "", fmt.Errorf("-cpus: cpu %d is not allowed (allowed %s)", cpu, allowed)
			}
		}
		return pair{cpus: [2]int{c.cpus[0], c.cpus[1]}, pinned: true}, "", nil
	}
	list := allowed.CPUs()
	if len(list) < 2 {
		return pair{}, fmt.Sprintf("running unpinned: only CPU set %q is allowed, and the two goroutines need two CPUs", allowed), nil
	}
	return pair{cpus: [2]int{list[0], list[1]}, pinned: true}, "", nil
}

// pingFunc is one transport's ping-pong: it runs round trips for lim and
// records each in h.
type pingFunc func(c *config, p pair, lim limit, h *hdrhistogram.Histogram) error

// twoGoroutines runs echo pinned to the pair's second CPU and initiate
// pinned to the first, and returns their errors. initiate must make echo
// return when it is done, also on error.
func twoGoroutines(p pair, echo, initiate func() error) error {
	var wg sync.WaitGroup
	var errEcho, errInit error
	ready := make(chan struct{})
	wg.Go(func() {
		release, err := p.pin(1)
		close(ready)
		if err != nil {
			errEcho = err
			return
		}
		defer release()
		errEcho = echo()
	})
	wg.Go(func() {
		<-ready
		release, err := p.pin(0)
		if err != nil {
			errInit = err
			return
		}
		defer release()
		errInit = initiate()
	})
	wg.Wait()
	return errors.Join(errInit, errEcho)
}

// nanotime is the runtime's monotonic clock: one read of it (about 33ns on
// a KVM guest) is half the cost of time.Now, which reads two clocks.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// timeRoundTrips calls trip(i) for i = 0, 1, ... until lim says stop and
// records each call's duration in h after the first warmup calls. It reads
// the clock once per round trip, after it, so each figure also holds one
// clock read, one histogram record and the loop: timeRoundTrips with an
// empty trip (the "clock only" row) shows what that costs.
func timeRoundTrips(lim limit, h *hdrhistogram.Histogram, trip func(i int64) error) error {
	var i int64
	prev := nanotime()
	for {
		k := roundTrips(lim, i)
		if k <= 0 {
			return nil
		}
		for end := i + k; i < end; i++ {
			if err := trip(i); err != nil {
				return err
			}
			now := nanotime()
			if i >= warmup {
				if err := h.RecordValue(max(now-prev, 1)); err != nil {
					_ = h.RecordValue(h.HighestTrackableValue())
				}
			}
			prev = now
		}
	}
}

// pingNone times round trips that do nothing: the cost of the timing.
func pingNone(_ *config, _ pair, lim limit, h *hdrhistogram.Histogram) error {
	return timeRoundTrips(lim, h, func(int64) error { return nil })
}

// roundTrips returns how many round trips a run may still make after i,
// like limit.next, counting the warmup on top of -events.
func roundTrips(lim limit, i int64) int64 {
	if lim.n > 0 {
		return min(chunk, lim.n+warmup-i)
	}
	return lim.next(i)
}

// paddedWord is a counter alone on its 128-byte pair of lines.
type paddedWord struct {
	_ [128]byte
	v atomic.Int64
	_ [120]byte
}

// spinFor spins until w holds want. It returns errStop once stop is set,
// and an error wrapping errStalled, naming the ping-pong what, when no
// answer came for stallLimit.
func spinFor(w *atomic.Int64, want int64, stop *atomic.Bool, what string) error {
	start := time.Now()
	for i := 1; ; i++ {
		if w.Load() == want {
			return nil
		}
		if i&1023 == 0 {
			if stop.Load() {
				return errStop
			}
			if time.Since(start) > stallLimit {
				return fmt.Errorf("%w: %s ping-pong: no answer for %v", errStalled, what, stallLimit)
			}
		}
	}
}

// echoLoop is the echo side of a raw ping-pong: it waits with spinFor for
// each value await(k) names, k = 0, 1, ..., and answers with reply(k),
// until stop is set. On a stall it sets stop, so that the initiator gives
// up too, and returns the error.
func echoLoop(stop *atomic.Bool, await func(k int64) error, reply func(k int64)) error {
	for k := int64(0); ; k++ {
		if err := await(k); err != nil {
			if err == errStop {
				return nil
			}
			stop.Store(true)
			return err
		}
		reply(k)
	}
}

// initiated is what the initiator of a raw ping-pong returns when its wait
// for an answer failed.
func initiated(err error, what string) error {
	if err == errStop {
		return fmt.Errorf("%s ping-pong: the echo goroutine stopped", what)
	}
	return err
}

// pingRaw ping-pongs a padded word with CAS: the initiator turns even
// values odd, the echo turns odd values even.
func pingRaw(_ *config, p pair, lim limit, h *hdrhistogram.Histogram) error {
	w := new(paddedWord)
	var stop atomic.Bool
	echo := func() error {
		return echoLoop(&stop,
			func(k int64) error { return spinFor(&w.v, 2*k+1, &stop, "raw") },
			func(k int64) { w.v.CompareAndSwap(2*k+1, 2*k+2) })
	}
	initiate := func() error {
		defer stop.Store(true)
		return timeRoundTrips(lim, h, func(i int64) error {
			w.v.CompareAndSwap(2*i, 2*i+1)
			return initiated(spinFor(&w.v, 2*i+2, &stop, "raw"), "raw")
		})
	}
	return twoGoroutines(p, echo, initiate)
}

var errStop = errors.New("stopped")

// paddedSlot is a plain int64, the payload of a slot, alone on its lines.
type paddedSlot struct {
	_ [128]byte
	v int64
	_ [120]byte
}

// pingTwoLines is the raw round trip of a ring's layout: each direction
// writes its value to one line (the slot) and then publishes it with a
// release store to another (the cursor), as the bus does, and the reader,
// once it sees the cursor, reads the slot. It moves two cache lines in each
// direction where pingRaw moves one, as a bus without bus.Mark does; it
// reuses one slot where a ring moves on to the next, and the bus has
// measured below it. With a sequentially consistent store for the cursor
// instead (an XCHG on amd64, which waits for the slot's line before it
// asks for the cursor's) the round trip took 1.8x as long. Both figures
// are in docs/results.md.
func pingTwoLines(_ *config, p pair, lim limit, h *hdrhistogram.Histogram) error {
	slotA, slotB := new(paddedSlot), new(paddedSlot)
	curA, curB := new(paddedWord), new(paddedWord)
	curA.v.Store(-1)
	curB.v.Store(-1)
	var stop atomic.Bool
	echo := func() error {
		return echoLoop(&stop,
			func(k int64) error { return spinFor(&curA.v, k, &stop, "two-line") },
			func(k int64) {
				slotB.v = slotA.v
				storeRelease(&curB.v, k)
			})
	}
	initiate := func() error {
		defer stop.Store(true)
		return timeRoundTrips(lim, h, func(i int64) error {
			slotA.v = i
			storeRelease(&curA.v, i)
			if err := spinFor(&curB.v, i, &stop, "two-line"); err != nil {
				return initiated(err, "two-line")
			}
			if got := slotB.v; got != i {
				return fmt.Errorf("two-line ping-pong: sent %d, got %d back", i, got)
			}
			return nil
		})
	}
	return twoGoroutines(p, echo, initiate)
}

// markedSlot is a slot that carries its own publication mark, as an event
// that embeds bus.Mark does: 16 bytes, four to a 64-byte line.
type markedSlot struct {
	mark atomic.Int64 // the sequence published in the slot, plus one
	v    int64
}

// pingOneLine is the raw round trip of two rings whose slots carry their
// own marks, as two buses of events that embed bus.Mark are: each direction
// writes the next slot's value and then its mark, with a release store,
// and the reader spins on that mark and reads the value beside it. Each
// hand-off moves one line, as pingRaw's does, but each side writes the
// line the other last read, where pingRaw's CAS takes the line the other
// side last wrote: the floor for the marked bus.
func pingOneLine(c *config, p pair, lim limit, h *hdrhistogram.Histogram) error {
	a, b := make([]markedSlot, c.size), make([]markedSlot, c.size)
	mask := int64(c.size - 1)
	var stop atomic.Bool
	echo := func() error {
		return echoLoop(&stop,
			func(k int64) error { return spinFor(&a[k&mask].mark, k+1, &stop, "one-line") },
			func(k int64) {
				b[k&mask].v = a[k&mask].v
				storeRelease(&b[k&mask].mark, k+1)
			})
	}
	initiate := func() error {
		defer stop.Store(true)
		return timeRoundTrips(lim, h, func(i int64) error {
			a[i&mask].v = i
			storeRelease(&a[i&mask].mark, i+1)
			if err := spinFor(&b[i&mask].mark, i+1, &stop, "one-line"); err != nil {
				return initiated(err, "one-line")
			}
			if got := b[i&mask].v; got != i {
				return fmt.Errorf("one-line ping-pong: sent %d, got %d back", i, got)
			}
			return nil
		})
	}
	return twoGoroutines(p, echo, initiate)
}

// pingBus ping-pongs through two buses built as the throughput scenarios'
// buses are; both goroutines wait with the bus's wait strategy
// (Poller.Wait) and then Poll.
func pingBus(c *config, p pair, lim limit, h *hdrhistogram.Histogram) error {
	return pingBusOf(c, p, lim, h, func(e *scenario.Event) int64 { return e.V }, func(e *scenario.Event, v int64) { e.V = v })
}

// markedEvent is scenario.Event's value with a bus.Mark: a bus of them
// publishes through the slots (see bus.Mark).
type markedEvent struct {
	bus.Mark
	V int64
}

// pingMarked is pingBus with events that embed bus.Mark: each hand-off
// moves the slot's cache line alone.
func pingMarked(c *config, p pair, lim limit, h *hdrhistogram.Histogram) error {
	return pingBusOf(c, p, lim, h, func(e *markedEvent) int64 { return e.V }, func(e *markedEvent, v int64) { e.V = v })
}

// pingBusOf is pingBus for events of type E, whose value get reads and
// set writes. A fill writes its slot without reading it first, as a
// fill that assigns fields does: reading the slot's line before writing
// it (as a function returning a pointer into the event, which must check
// it for nil, does) costs a cache-line transfer of its own, which was a
// third of the marked round trip on a 2-vCPU guest (docs/results.md).
func pingBusOf[E any](c *config, p pair, lim limit, h *hdrhistogram.Histogram, get func(*E) int64, set func(*E, int64)) error {
	a, err := bus.New[E](c.busOptions(false)...)
	if err != nil {
		return err
	}
	b, err := bus.New[E](c.busOptions(false)...)
	if err != nil {
		return err
	}
	pa, pb := a.NewPoller(), b.NewPoller()
	if err := a.Start(); err != nil {
		return err
	}
	if err := b.Start(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	echo := func() (err error) {
		defer func() {
			if err != nil {
				b.Halt() // releases the initiator waiting for the pong
			}
		}()
		var v int64
		take := func(e *E, _ int64, _ bool) bool { v = get(e); return true }
		reply := func(e *E, _ int64) { set(e, v) }
		for {
			if err := await(ctx, pa, take, c.pollSpin); err != nil {
				// The initiator halts a when it is done; a poller of a
				// halted bus may report it closed (ErrClosed) or halted.
				if errors.Is(err, bus.ErrHalted) || errors.Is(err, bus.ErrClosed) {
					return nil
				}
				return err
			}
			if err := b.Publish(reply); err != nil {
				return err
			}
		}
	}
	initiate := func() error {
		defer a.Halt()
		var sent, got int64
		ping := func(e *E, _ int64) { set(e, sent) }
		take := func(e *E, _ int64, _ bool) bool { got = get(e); return true }
		return timeRoundTrips(lim, h, func(i int64) error {
			sent = i
			if err := a.Publish(ping); err != nil {
				return err
			}
			if err := await(ctx, pb, take, c.pollSpin); err != nil {
				return err
			}
			if got != i {
				return fmt.Errorf("bus ping-pong: sent %d, got %d back", i, got)
			}
			return nil
		})
	}
	err = twoGoroutines(p, echo, initiate)
	b.Halt()
	a.Wait()
	b.Wait()
	return err
}

// await waits for an event on p and hands it to take: with the bus's wait
// strategy (Poller.Wait, then Poll), or, when spin is set, by calling Poll
// until it processes something (an experiment that leaves the wait
// strategy out). Poll hands over every available event; a ping-pong has at
// most one in flight.
func await[E any](ctx context.Context, p *bus.Poller[E], take func(*E, int64, bool) bool, spin bool) error {
	if !spin {
		if err := p.Wait(ctx); err != nil {
			return err
		}
		_, err := p.Poll(take)
		return err
	}
	for {
		st, err := p.Poll(take)
		if err != nil {
			return err
		}
		if st == bus.PollProcessing {
			return nil
		}
	}
}

// pingChan ping-pongs through two unbuffered channels.
func pingChan(_ *config, p pair, lim limit, h *hdrhistogram.Histogram) error {
	ping, pong := make(chan int64), make(chan int64)
	echo := func() error {
		for v := range ping {
			pong <- v
		}
		return nil
	}
	initiate := func() error {
		defer close(ping)
		return timeRoundTrips(lim, h, func(i int64) error {
			ping <- i
			if got := <-pong; got != i {
				return fmt.Errorf("channel ping-pong: sent %d, got %d back", i, got)
			}
			return nil
		})
	}
	return twoGoroutines(p, echo, initiate)
}

// runPing runs one transport's ping-pong once.
func runPing(c *config, p pair, f pingFunc) (*hdrhistogram.Histogram, error) {
	if runtime.GOMAXPROCS(0) < 2 {
		return nil, errors.New("ping-pong needs GOMAXPROCS of at least 2: both goroutines spin at once")
	}
	h := newHistogram()
	lim := limit{n: c.events, deadline: time.Now().Add(c.duration)}
	if err := f(c, p, lim, h); err != nil {
		return nil, err
	}
	return h, nil
}
