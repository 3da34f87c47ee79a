package stress

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// These tests run the bus in a testing/synctest bubble, where time is fake
// and synctest.Wait returns only once every goroutine of the bubble is
// durably blocked: timeouts fire at exact instants, and a wait that spins
// instead of parking hangs the test (and fails it at -timeout). Busy-spin
// strategies never park, so only the blocking ones are used here.

// clockHandler records when it handled each event and each timeout, as
// "seq@time since start".
type clockHandler struct {
	start    time.Time
	delay    time.Duration // each event takes this long
	mu       sync.Mutex
	events   []string
	timeouts []string
	block    map[int64]chan struct{} // sequences whose handling waits for the channel
}

func (h *clockHandler) OnEvent(e *event, seq int64, _ bool) error {
	if c := h.block[seq]; c != nil {
		<-c
	}
	if h.delay > 0 {
		time.Sleep(h.delay)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, fmt.Sprintf("%d@%v", seq, time.Since(h.start)))
	return nil
}

func (h *clockHandler) OnTimeout(seq int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.timeouts = append(h.timeouts, fmt.Sprintf("%d@%v", seq, time.Since(h.start)))
	return nil
}

func (h *clockHandler) got() (events, timeouts string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprint(h.events), fmt.Sprint(h.timeouts)
}

func noop(*event, int64) {}

// slowBus starts a bus of size slots that parks with BlockingWait (opts
// come after), whose one consumer takes a second over each event.
func slowBus(t *testing.T, size int, opts ...bus.Option) (*bus.Bus[event], *clockHandler) {
	b, err := bus.New[event](append([]bus.Option{bus.WithSize(size), bus.WithWaitStrategy(&bus.BlockingWait{})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h := &clockHandler{start: time.Now(), delay: time.Second}
	b.HandleEventsWith(h)
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	return b, h
}

func TestSyncTimeoutWaitFiresOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := bus.New[event](bus.WithSize(8), bus.WithWaitStrategy(&bus.TimeoutBlockingWait{Timeout: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		h := &clockHandler{start: time.Now()}
		b.HandleEventsWith(h)
		if err := b.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		if ev, to := h.got(); ev != "[]" || to != "[-1@1s -1@2s -1@3s]" {
			t.Fatalf("after 3.5s idle: events %s, timeouts %s; want timeouts at 1s, 2s, 3s", ev, to)
		}
		if err := b.Publish(noop); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1600 * time.Millisecond)
		synctest.Wait()
		// The event restarts the wait: the next timeout comes 1s after it.
		if ev, to := h.got(); ev != "[0@3.5s]" || to != "[-1@1s -1@2s -1@3s 0@4.5s]" {
			t.Fatalf("events %s, timeouts %s; want the event at 3.5s and a timeout at 4.5s", ev, to)
		}
		if err := b.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(h.start); el != 5100*time.Millisecond {
			t.Errorf("Shutdown of an idle bus took until %v, want no time at all", el)
		}
	})
}

// TestSyncShutdownDeadline: with a consumer stuck in its handler, Shutdown
// gives up at exactly the context's deadline, halts the bus so that no
// further event is handled, and returns DeadlineExceeded once the stuck
// handler returns.
func TestSyncShutdownDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := bus.New[event](bus.WithSize(8), bus.WithMultiProducer(), bus.WithWaitStrategy(&bus.BlockingWait{}))
		release := make(chan struct{})
		h := &clockHandler{start: time.Now(), block: map[int64]chan struct{}{0: release}}
		after := &clockHandler{start: h.start}
		b.HandleEventsWith(h).Then(after)
		b.Start()
		b.Publish(noop)
		synctest.Wait() // the handler is stuck on event 0, alone in its batch
		b.Publish(noop)
		b.Publish(noop)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var shutErr error
		var shutAt time.Duration
		done := make(chan struct{})
		go func() {
			shutErr = b.Shutdown(ctx)
			shutAt = time.Since(h.start)
			close(done)
		}()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		select {
		case <-done: // at its deadline, without waiting for the stuck handler
		default:
			t.Fatal("Shutdown waited past its deadline for a stuck handler")
		}
		if err := b.Publish(noop); !errors.Is(err, bus.ErrClosed) {
			t.Errorf("Publish during Shutdown = %v, want ErrClosed", err)
		}
		close(release)
		<-done
		synctest.Wait() // the released handler ends its event
		if !errors.Is(shutErr, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v, want DeadlineExceeded", shutErr)
		}
		if shutAt != 2*time.Second {
			t.Errorf("Shutdown returned at %v, want 2s, its deadline", shutAt)
		}
		ev, _ := h.got()
		evAfter, _ := after.got()
		if ev != "[0@10s]" || evAfter != "[]" {
			t.Errorf("after the deadline the consumers handled %s and %s; want only the stuck event, and nothing downstream", ev, evAfter)
		}
	})
}

// slowShutdown publishes five events to a consumer that takes a second of
// fake time over each, calls Shutdown with a 2.5s deadline, and returns
// when Shutdown returned, the events handled by then, and what it returned.
func slowShutdown(t *testing.T, opts ...bus.Option) (at time.Duration, handled string, err error) {
	b, h := slowBus(t, 8, opts...)
	for range 5 {
		if err := b.Publish(noop); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	err = b.Shutdown(ctx)
	at = time.Since(h.start)
	handled, _ = h.got()
	time.Sleep(time.Second) // the event in hand ends, and with it the consumer
	synctest.Wait()
	return at, handled, err
}

// TestSyncShutdownDeadlineInstant: Shutdown notices its deadline at the
// deadline itself, halts the bus and returns, without waiting for the
// event in hand, whether its batches hold one event or all five.
func TestSyncShutdownDeadlineInstant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, opts := range [][]bus.Option{{bus.WithBatchLimit(1)}, nil} {
			at, handled, err := slowShutdown(t, opts...)
			if !errors.Is(err, context.DeadlineExceeded) || at != 2500*time.Millisecond || handled != "[0@1s 1@2s]" {
				t.Errorf("batch limit %v: Shutdown = %v at %v after handling %s; want DeadlineExceeded at the 2.5s deadline, without waiting for the event in hand", opts != nil, err, at, handled)
			}
		}
	})
}

// TestSyncHaltReleasesBlockedProducer: a producer parked on a full ring is
// released by Halt at the instant of the Halt, with ErrClosed, for both
// sequencers and both parking strategies.
func TestSyncHaltReleasesBlockedProducer(t *testing.T) {
	for _, multi := range []bool{false, true} {
		for _, ws := range []bus.WaitStrategy{&bus.BlockingWait{}, &bus.TimeoutBlockingWait{Timeout: 3 * time.Millisecond}} {
			t.Run(fmt.Sprintf("multi=%v/%T", multi, ws), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					opts := []bus.Option{bus.WithSize(4), bus.WithWaitStrategy(ws)}
					if multi {
						opts = append(opts, bus.WithMultiProducer())
					}
					b, _ := bus.New[event](opts...)
					release := make(chan struct{})
					h := &clockHandler{start: time.Now(), block: map[int64]chan struct{}{0: release}}
					b.HandleEventsWith(h)
					b.Start()
					b.Publish(noop)
					synctest.Wait() // the consumer is stuck on event 0, alone in its batch
					published := 1
					var pubErr error
					var pubAt time.Duration
					done := make(chan struct{})
					go func() {
						defer close(done)
						for {
							if pubErr = b.Publish(noop); pubErr != nil {
								pubAt = time.Since(h.start)
								return
							}
							published++
						}
					}()
					time.Sleep(time.Second)
					synctest.Wait()
					select {
					case <-done:
						t.Fatalf("the producer returned %v after %d events on a ring of 4", pubErr, published)
					default:
					}
					if published != 4 {
						t.Errorf("the producer published %d events into a ring of 4 whose consumer is stuck", published)
					}
					b.Halt()
					<-done
					if !errors.Is(pubErr, bus.ErrClosed) || pubAt != time.Second {
						t.Errorf("the blocked Publish returned %v at %v, want ErrClosed at the Halt, 1s", pubErr, pubAt)
					}
					close(release)
					if err := b.Wait(); !errors.Is(err, bus.ErrHalted) {
						t.Errorf("Wait = %v, want ErrHalted", err)
					}
					if ev, _ := h.got(); ev != "[0@1s]" {
						t.Errorf("after Halt the consumer handled %s, want only the event it was stuck on", ev)
					}
				})
			})
		}
	}
}

// TestSyncBlockingBusIdles: every consumer kind of a BlockingWait bus
// parks when there is nothing to do (synctest.Wait returns), and wakes at
// the instant of the next publish, an hour later.
func TestSyncBlockingBusIdles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := bus.New[event](bus.WithSize(16), bus.WithMultiProducer(), bus.WithWaitStrategy(&bus.BlockingWait{}))
		start := time.Now()
		a, c := &clockHandler{start: start}, &clockHandler{start: start}
		w1, w2 := &clockHandler{start: start}, &clockHandler{start: start}
		p := b.HandleEventsWith(a).Then(c).ThenWorkerPool(w1, w2)
		poller := p.ThenPoller()
		b.Start()
		var polled []string
		pollDone := make(chan error, 1)
		go func() {
			for {
				if err := poller.Wait(context.Background()); err != nil {
					pollDone <- err
					return
				}
				poller.Poll(func(e *event, seq int64, _ bool) bool {
					polled = append(polled, fmt.Sprintf("%d@%v", seq, time.Since(start)))
					return true
				})
			}
		}()
		synctest.Wait() // every goroutine parked: nothing spins
		time.Sleep(time.Hour)
		b.Publish(noop)
		b.Publish(noop)
		synctest.Wait()
		for name, h := range map[string]*clockHandler{"a": a, "c": c} {
			if ev, _ := h.got(); ev != "[0@1h0m0s 1@1h0m0s]" {
				t.Errorf("consumer %s handled %s, want both events at 1h", name, ev)
			}
		}
		e1, _ := w1.got()
		e2, _ := w2.got()
		if e1+e2 != "[0@1h0m0s 1@1h0m0s][]" && e1+e2 != "[][0@1h0m0s 1@1h0m0s]" &&
			e1+e2 != "[0@1h0m0s][1@1h0m0s]" && e1+e2 != "[1@1h0m0s][0@1h0m0s]" {
			t.Errorf("the pool's workers handled %s and %s, want each event once at 1h", e1, e2)
		}
		if fmt.Sprint(polled) != "[0@1h0m0s 1@1h0m0s]" {
			t.Errorf("the poller got %v", polled)
		}
		if err := b.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Shutdown closes the bus, then halts it once everything is
		// handled: the poller's Wait sees one or the other first.
		if err := <-pollDone; !errors.Is(err, bus.ErrHalted) && !errors.Is(err, bus.ErrClosed) {
			t.Errorf("Poller.Wait after Shutdown = %v, want ErrClosed or ErrHalted", err)
		}
		if el := time.Since(start); el != time.Hour {
			t.Errorf("Shutdown of a drained bus took until %v", el)
		}
	})
}

// TestSyncPollerWait: Poller.Wait ends at exactly its strategy's timeout,
// its context's deadline, or the Halt.
func TestSyncPollerWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := bus.New[event](bus.WithSize(4), bus.WithWaitStrategy(&bus.TimeoutBlockingWait{Timeout: 250 * time.Millisecond}))
		p := b.NewPoller()
		b.Start()
		start := time.Now()
		if err := p.Wait(context.Background()); !errors.Is(err, bus.ErrTimeout) || time.Since(start) != 250*time.Millisecond {
			t.Errorf("Wait = %v after %v, want ErrTimeout after 250ms", err, time.Since(start))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start = time.Now()
		if err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 100*time.Millisecond {
			t.Errorf("Wait = %v after %v, want DeadlineExceeded after 100ms", err, time.Since(start))
		}
		time.AfterFunc(70*time.Millisecond, b.Halt)
		start = time.Now()
		if err := p.Wait(context.Background()); !errors.Is(err, bus.ErrHalted) || time.Since(start) != 70*time.Millisecond {
			t.Errorf("Wait = %v after %v, want ErrHalted at the Halt, 70ms", err, time.Since(start))
		}
		b.Wait()
	})
}

// TestSyncShutdownWaitsForSlowConsumers: Shutdown returns nil once slow
// consumers have handled everything published before it, a few
// milliseconds of polling at most after the last one.
func TestSyncShutdownWaitsForSlowConsumers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, h := slowBus(t, 4)
		for range 3 {
			b.Publish(noop)
		}
		if err := b.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if handled, _ := h.got(); handled != "[0@1s 1@2s 2@3s]" {
			t.Errorf("handled %v", handled)
		}
		if el := time.Since(h.start); el < 3*time.Second || el > 3*time.Second+5*time.Millisecond {
			t.Errorf("Shutdown returned at %v, want within 5ms of the last event, 3s", el)
		}
	})
}

// TestSyncHaltStopsMidBatch: a consumer halted in the middle of a batch
// returns after the event in hand, as Halt says, not at the end of the
// batch (which, with slow handlers and a big ring, made Shutdown overrun
// its deadline by a ring's worth of events until bus commit c65a4ca).
func TestSyncHaltStopsMidBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, h := slowBus(t, 8)
		b.Publish(noop)
		synctest.Wait() // the consumer is in event 0's handler
		for range 4 {
			b.Publish(noop) // events 1-4 wait in the ring: the next batch
		}
		time.Sleep(time.Second)
		synctest.Wait() // event 0 done; the consumer took 1-4 as one batch
		b.Halt()
		err := b.Wait()
		got, _ := h.got()
		if at := time.Since(h.start); !errors.Is(err, bus.ErrHalted) || at != 2*time.Second || got != "[0@1s 1@2s]" {
			t.Errorf("halted at 1s, in event 1's handler: Wait = %v at %v after handling %v; want ErrHalted at 2s after [0@1s 1@2s]", err, at, got)
		}
	})
}
