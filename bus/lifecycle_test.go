package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// TestCallbackFailureNamesItsPhase checks the Phase of the *EventError
// of each callback that panics (see TestCallbackPanicIsContained).
func TestCallbackFailureNamesItsPhase(t *testing.T) {
	want := map[string]bus.Phase{"pin": bus.PhasePin, "release": bus.PhasePin, "start": bus.PhaseStart,
		"timeout": bus.PhaseTimeout, "policy": bus.PhasePolicy, "shutdown": bus.PhaseShutdown}
	for at, phase := range want {
		t.Run(at, func(t *testing.T) {
			opts := []bus.Option{bus.WithWaitStrategy(&bus.TimeoutBlockingWait{Timeout: time.Millisecond}),
				bus.WithPin(func(string, int) (func(), error) {
					if at == "pin" {
						panic("boom")
					}
					return func() {
						if at == "release" {
							panic("boom")
						}
					}, nil
				})}
			if at == "policy" {
				opts = append(opts, bus.WithErrorPolicy(func(*bus.EventError) error { panic("boom") }))
			}
			b, _ := bus.New[ev](opts...)
			b.HandleEventsWith(&panicky{at: at})
			err := b.Start()
			if err == nil {
				if at == "release" || at == "shutdown" {
					b.Shutdown(deadline(t))
				}
				err = b.Wait()
			}
			var ee *bus.EventError
			if !errors.As(err, &ee) || ee.Phase != phase || b.State() != bus.StateFailed {
				t.Fatalf("got %v (state %v), want an *EventError of phase %v", err, b.State(), phase)
			}
		})
	}
}

// TestShutdownBeforeStart: a producer waiting for room before Start is
// released by Shutdown, which reports the events nobody will handle.
func TestShutdownBeforeStart(t *testing.T) {
	b, _ := bus.New[ev](bus.WithSize(4))
	b.HandleEventsWith(&tally{})
	for i := 0; i < 4; i++ {
		if err := b.Publish(func(*ev, int64) {}); err != nil {
			t.Fatal(err)
		}
	}
	blocked := make(chan error, 1)
	go func() { blocked <- b.Publish(func(*ev, int64) {}) }()
	err := b.Shutdown(deadline(t))
	awaitErr(t, blocked, bus.ErrClosed, "Shutdown before Start")
	var se *bus.ShutdownError
	if !errors.As(err, &se) || !errors.Is(err, bus.ErrNotStarted) || se.Unhandled != 4 || b.State() != bus.StateAbandoned {
		t.Fatalf("Shutdown before Start = %v (state %v), want 4 events abandoned", err, b.State())
	}
	if err := b.Start(); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Start after Shutdown = %v", err)
	}
	// With nothing published, there is nothing to abandon.
	b, _ = bus.New[ev]()
	b.HandleEventsWith(&tally{})
	if err := b.Shutdown(deadline(t)); err != nil || b.State() != bus.StateDrained {
		t.Fatalf("Shutdown of an unused bus = %v (state %v)", err, b.State())
	}
}

// TestStateIsDecidedOnce checks State against Err for each end, and what
// an abandoned Shutdown reports.
func TestStateIsDecidedOnce(t *testing.T) {
	b, _ := bus.New[ev](bus.WithSize(8))
	b.HandleEventsWith(&tally{})
	b.Start()
	if b.State() != bus.StateRunning || b.Err() != nil {
		t.Fatalf("a running bus: %v, %v", b.State(), b.Err())
	}
	b.Publish(func(*ev, int64) {})
	if err := b.Shutdown(deadline(t)); err != nil || b.State() != bus.StateDrained || b.Wait() != nil {
		t.Fatalf("drained: %v, %v", err, b.State())
	}
	b.Halt() // too late to change the end
	if b.State() != bus.StateDrained || b.Err() != nil {
		t.Fatalf("Halt after the end changed it to %v, %v", b.State(), b.Err())
	}

	b, _ = bus.New[ev](bus.WithSize(8))
	s := newStuck()
	b.HandleEventsWith(bus.Named[ev]("stuck", s)).Then(bus.Named[ev]("after", &tally{}))
	b.Start()
	for i := 0; i < 6; i++ {
		b.Publish(func(*ev, int64) {})
	}
	<-s.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := b.Shutdown(ctx)
	var se *bus.ShutdownError
	if !errors.As(err, &se) || !errors.Is(err, context.Canceled) || se.Unhandled != 6 || b.State() != bus.StateAbandoned {
		t.Fatalf("abandoned: %v (state %v)", err, b.State())
	}
	// "after" is behind; its goroutine, idle, may or may not have ended.
	if c := se.Consumers; len(c) != 2 || c[0] != (bus.Progress{Name: "stuck", Seq: -1, Running: true}) || c[1].Name != "after" || c[1].Seq != -1 {
		t.Errorf("consumers not done: %v, want stuck and after at -1, stuck running", c)
	}
	close(s.release)
}

// TestPollerOwnerEndsTheBus is numbered case 6: the goroutine that drives
// a Poller closes the bus, polls until PollClosed, and shuts down.
func TestPollerOwnerEndsTheBus(t *testing.T) {
	for _, multi := range []bool{false, true} {
		t.Run(fmt.Sprintf("multi=%v", multi), func(t *testing.T) {
			opts := []bus.Option{bus.WithSize(8), bus.WithWaitStrategy(&bus.BlockingWait{})}
			if multi {
				opts = append(opts, bus.WithMultiProducer())
			}
			b, _ := bus.New[ev](opts...)
			up := &tally{}
			p := b.HandleEventsWith(up).ThenPoller()
			b.Start()
			for i := 1; i <= 5; i++ {
				b.Publish(func(e *ev, _ int64) { e.n = i })
			}
			b.Close()
			if err := b.Publish(func(*ev, int64) {}); !errors.Is(err, bus.ErrClosed) {
				t.Fatalf("Publish after Close = %v", err)
			}
			var got []int
			for {
				st, err := p.Poll(func(e *ev, _ int64, _ bool) bool { got = append(got, e.n); return true })
				if err != nil {
					t.Fatal(err)
				}
				if st == bus.PollClosed {
					break
				}
				if st != bus.PollProcessing {
					if err := p.Wait(deadline(t)); err != nil && !errors.Is(err, bus.ErrClosed) {
						t.Fatal(err)
					}
				}
			}
			if err := p.Wait(deadline(t)); !errors.Is(err, bus.ErrClosed) {
				t.Fatalf("Wait on a drained poller = %v, want ErrClosed", err)
			}
			if err := b.Shutdown(deadline(t)); err != nil {
				t.Fatal(err)
			}
			wantValues(t, "the poller", got, 5)
		})
	}
}

// TestRingLargerThanMemoryIsRefused is numbered case 7.
func TestRingLargerThanMemoryIsRefused(t *testing.T) {
	if bus.MaxRingBytes() == 0 {
		t.Skip("the memory of this process is unknown")
	}
	if _, err := bus.New[[1 << 20]byte](bus.WithSize(1 << 30)); !errors.Is(err, bus.ErrInvalid) {
		t.Fatalf("New with a petabyte ring = %v, want an error", err)
	}
	if _, err := bus.NewRing[[1 << 20]byte](1<<30, 64); !errors.Is(err, bus.ErrInvalid) {
		t.Fatalf("NewRing of a petabyte = %v, want an error", err)
	}
	l := bus.Layout{PadBytes: 64, RingSize: 1 << 30, EventSize: 1 << 20, Wait: bus.WaitBlocking}
	if err := l.Validate(); !errors.Is(err, bus.ErrInvalid) {
		t.Fatalf("Validate of a petabyte layout = %v, want an error", err)
	}
	if _, err := bus.New[[64]byte](bus.WithSize(1024), bus.WithMaxRingBytes(1<<15)); err == nil {
		t.Fatal("New ignored WithMaxRingBytes")
	}
	if _, err := bus.New[[64]byte](bus.WithSize(1024), bus.WithMaxRingBytes(1<<16)); err != nil {
		t.Fatalf("New with a ring at the limit: %v", err)
	}
	if _, err := bus.New[[64]byte](bus.WithLayout(bus.Layout{PadBytes: 64, RingSize: 1024, Wait: bus.WaitBlocking}), bus.WithMaxRingBytes(1<<16)); err != nil {
		t.Fatalf("WithLayout then WithMaxRingBytes: %v", err)
	}
}

// TestProducerContext is numbered case 8: a producer waiting on a full
// ring returns its context's error and claims nothing.
func TestProducerContext(t *testing.T) {
	for _, multi := range []bool{false, true} {
		t.Run(fmt.Sprintf("multi=%v", multi), func(t *testing.T) {
			opts := []bus.Option{bus.WithSize(4)}
			if multi {
				opts = append(opts, bus.WithMultiProducer())
			}
			b, _ := bus.New[ev](opts...)
			g := &slowGate{release: make(chan struct{})}
			c := &tally{}
			b.HandleEventsWith(g, c)
			b.Start()
			for i := 1; i <= 4; i++ {
				b.Publish(func(e *ev, _ int64) { e.n = i })
			}
			// One producer at a time (the single-producer bus allows no
			// more): a waiting PublishContext, then a waiting NextContext.
			ctx1, cancel1 := context.WithCancel(context.Background())
			ctx2, cancel2 := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				errc <- b.PublishContext(ctx1, func(e *ev, _ int64) { e.n = -1 })
				_, _, err := b.NextContext(ctx2, 2)
				errc <- err
			}()
			cancel1()
			awaitErr(t, errc, context.Canceled, "cancelling a waiting PublishContext")
			cancel2()
			awaitErr(t, errc, context.Canceled, "cancelling a waiting NextContext")
			if got := b.Cursor(); got != 3 {
				t.Fatalf("cursor %d after cancelled claims, want 3: they claimed something", got)
			}
			close(g.release)
			if err := b.PublishContext(context.Background(), func(e *ev, _ int64) { e.n = 5 }); err != nil {
				t.Fatal(err)
			}
			if err := b.Shutdown(deadline(t)); err != nil {
				t.Fatal(err)
			}
			wantValues(t, "the consumer", c.values(), 5)
		})
	}
}
