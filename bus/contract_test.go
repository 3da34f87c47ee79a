package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// The tests of this file hold the bus to its contract (see the package
// documentation) through the API it had before the contract was written
// down, so that each also shows the bug it guards against on a bus
// without the fix.

// valued is a pointer to an event of these tests, E, which carries an
// int value.
type valued[E any] interface {
	*E
	value() int
}

func (e *ev) value() int     { return e.n }
func (e *marked) value() int { return e.n }

// tallyOf records the values a consumer handled, in order.
type tallyOf[E any, P valued[E]] struct {
	mu  sync.Mutex
	got []int
}

// tally and markedTally are the tallyOf of the ev and marked tests.
type (
	tally       = tallyOf[ev, *ev]
	markedTally = tallyOf[marked, *marked]
)

func (c *tallyOf[E, P]) OnEvent(e *E, _ int64, _ bool) error {
	c.mu.Lock()
	c.got = append(c.got, P(e).value())
	c.mu.Unlock()
	return nil
}

func (c *tallyOf[E, P]) values() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.got...)
}

// wantValues fails t unless got is 1..n in order.
func wantValues(t *testing.T, who string, got []int, n int) {
	t.Helper()
	ok := len(got) == n
	for i := 0; ok && i < n; i++ {
		ok = got[i] == i+1
	}
	if !ok {
		t.Fatalf("%s handled %v, want 1..%d in order", who, got, n)
	}
}

func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestPublishBeforeStartIsHandled is numbered case 1: consumers gate the
// ring from the moment they are added, so what is published before Start
// is handled after it, through a pipeline; past the ring's capacity,
// Publish waits for Start and the consumers to make room.
func TestPublishBeforeStartIsHandled(t *testing.T) {
	for _, before := range []int{3, 20} {
		for _, multi := range []bool{false, true} {
			t.Run(fmt.Sprintf("before=%d/multi=%v", before, multi), func(t *testing.T) {
				opts := []bus.Option{bus.WithSize(8)}
				if multi {
					opts = append(opts, bus.WithMultiProducer())
				}
				b, err := bus.New[ev](opts...)
				if err != nil {
					t.Fatal(err)
				}
				first, second := &tally{}, &tally{}
				b.HandleEventsWith(first).Then(second)
				const total = 25
				published := make(chan error, 1)
				next := 1
				go func() {
					for ; next <= before; next++ {
						if err := b.Publish(func(e *ev, _ int64) { e.n = next }); err != nil {
							published <- err
							return
						}
					}
					published <- nil
				}()
				if before <= 8 {
					awaitErr(t, published, nil, "publishing into a ring with room before Start")
				}
				if err := b.Start(); err != nil {
					t.Fatal(err)
				}
				if before > 8 {
					awaitErr(t, published, nil, "Start, with a producer waiting for room")
				}
				for ; next <= total; next++ {
					if err := b.Publish(func(e *ev, _ int64) { e.n = next }); err != nil {
						t.Fatal(err)
					}
				}
				if err := b.Shutdown(deadline(t)); err != nil {
					t.Fatal(err)
				}
				wantValues(t, "the first consumer", first.values(), total)
				wantValues(t, "the second consumer", second.values(), total)
			})
		}
	}
}

// panicky panics in the hook named by at.
type panicky struct{ at string }

func (p *panicky) OnStart() error {
	if p.at == "start" {
		panic("boom in OnStart")
	}
	return nil
}

func (p *panicky) OnShutdown() {
	if p.at == "shutdown" {
		panic("boom in OnShutdown")
	}
}

func (p *panicky) OnTimeout(int64) error {
	switch p.at {
	case "timeout":
		panic("boom in OnTimeout")
	case "policy":
		return errors.New("timeout hook failed")
	}
	return nil
}

func (p *panicky) OnEvent(*ev, int64, bool) error { return nil }

// TestCallbackPanicIsContained is numbered case 2: a panic in any
// callback of a consumer's lifecycle, for a batch processor and a worker
// pool alike, is reported by the bus as a *PanicError, and the process
// goes on.
func TestCallbackPanicIsContained(t *testing.T) {
	for _, at := range []string{"pin", "release", "start", "timeout", "policy", "shutdown"} {
		for _, pool := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/pool=%v", at, pool), func(t *testing.T) {
				opts := []bus.Option{bus.WithSize(8), bus.WithWaitStrategy(&bus.TimeoutBlockingWait{Timeout: time.Millisecond})}
				opts = append(opts, bus.WithPin(func(string, int) (func(), error) {
					if at == "pin" {
						panic("boom in the pin")
					}
					return func() {
						if at == "release" {
							panic("boom in the release")
						}
					}, nil
				}))
				if at == "policy" {
					opts = append(opts, bus.WithErrorPolicy(func(e *bus.EventError) error { panic("boom in the policy") }))
				}
				b, err := bus.New[ev](opts...)
				if err != nil {
					t.Fatal(err)
				}
				h := bus.Named[ev]("hooked", &panicky{at: at})
				if pool {
					b.HandleEventsWithWorkerPool(h)
				} else {
					b.HandleEventsWith(h)
				}
				err = b.Start()
				switch {
				case err != nil:
				case at == "timeout" || at == "policy":
					err = b.Wait() // the idle consumer's wait times out every millisecond
				default:
					b.Publish(func(*ev, int64) {})
					err = b.Shutdown(deadline(t))
				}
				var pe *bus.PanicError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), "hooked") || !strings.Contains(fmt.Sprint(pe.Value), "boom") {
					t.Fatalf("the bus reported %v, want the panic of %s naming the handler", err, at)
				}
				if werr := b.Wait(); werr != err && !errors.Is(werr, pe) {
					t.Fatalf("Wait = %v, want %v", werr, err)
				}
			})
		}
	}
}

// TestFillPanicNeitherWedgesNorLeaks is numbered case 3: a fill that
// panics loses its claim (no consumer handles the unfilled slot, for
// either sequencer), the panic reaches the caller, and the bus goes on.
func TestFillPanicNeitherWedgesNorLeaks(t *testing.T) {
	for _, multi := range []bool{false, true} {
		for _, batch := range []int{1, 3} {
			t.Run(fmt.Sprintf("multi=%v/batch=%d", multi, batch), func(t *testing.T) {
				opts := []bus.Option{bus.WithSize(8)}
				if multi {
					opts = append(opts, bus.WithMultiProducer())
				}
				b, _ := bus.New[ev](opts...)
				c, d := &tally{}, &tally{}
				b.HandleEventsWith(c).Then(d)
				pool := &tally{}
				b.HandleEventsWithWorkerPool(pool)
				poller := b.NewPoller()
				if err := b.Start(); err != nil {
					t.Fatal(err)
				}
				var polled []int
				poll := func() {
					poller.Poll(func(e *ev, _ int64, _ bool) bool { polled = append(polled, e.n); return true })
				}
				// The first lap leaves every slot holding an event, so that
				// an unfilled slot handed over would show as a repeat.
				n := 0
				errc := make(chan error, 1)
				go func() {
					for i := 0; i < 30; i++ {
						if i%7 == 3 {
							func() {
								defer func() {
									if r := recover(); r != "fill failed" {
										errc <- fmt.Errorf("recover() = %v, want the fill's panic", r)
									}
								}()
								b.PublishBatch(batch, func(e *ev, seq int64) {
									if seq%int64(batch) == int64(batch-1) {
										panic("fill failed")
									}
									e.n = -1
								})
							}()
							continue
						}
						n++
						if err := b.Publish(func(e *ev, _ int64) { e.n = n }); err != nil {
							errc <- err
							return
						}
					}
					errc <- nil
				}()
				for done := false; !done; {
					select {
					case err := <-errc:
						if err != nil {
							t.Fatal(err)
						}
						done = true
					case <-time.After(time.Millisecond):
					}
					poll()
				}
				for b.Cursor() > poller.Sequence().Load() {
					poll()
				}
				if err := b.Shutdown(deadline(t)); err != nil {
					t.Fatal(err)
				}
				wantValues(t, "the consumer", c.values(), n)
				wantValues(t, "the downstream consumer", d.values(), n)
				wantValues(t, "the worker pool", pool.values(), n)
				wantValues(t, "the poller", polled, n)
			})
		}
	}
}

// stuck is a handler that does not return from its first event until
// released.
type stuck struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newStuck() *stuck { return &stuck{entered: make(chan struct{}), release: make(chan struct{})} }

func (s *stuck) OnEvent(*ev, int64, bool) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return nil
}

// TestEveryWaitHasAnExit is numbered case 4: Halt and Shutdown end waits
// whatever the wait strategy's parameters, and Shutdown returns when its
// context ends even with a handler that does not return.
func TestEveryWaitHasAnExit(t *testing.T) {
	t.Run("sleeping an hour", func(t *testing.T) {
		b, _ := bus.New[ev](bus.WithSize(4), bus.WithWaitStrategy(&bus.SleepingWait{Spins: 1, Yields: 1, Sleep: time.Hour}))
		g := &slowGate{release: make(chan struct{})}
		idle := &tally{}
		b.HandleEventsWith(g, idle)
		b.Start()
		for i := 0; i < 4; i++ {
			b.Publish(func(*ev, int64) {})
		}
		blocked := make(chan error, 1)
		go func() { blocked <- b.Publish(func(*ev, int64) {}) }()
		halted := make(chan error, 1)
		go func() {
			time.Sleep(10 * time.Millisecond) // let the waits reach their sleep
			b.Halt()
			close(g.release)
			halted <- b.Wait()
		}()
		awaitErr(t, blocked, bus.ErrClosed, "Halt, with a producer sleeping on a full ring")
		select {
		case <-halted:
		case <-time.After(5 * time.Second):
			t.Fatal("Halt did not end a consumer's hour-long sleep")
		}
	})
	t.Run("extreme parameters", func(t *testing.T) {
		for _, w := range []bus.WaitStrategy{
			&bus.BusySpinWait{},
			&bus.YieldingWait{SpinTries: 1 << 30},
			&bus.SleepingWait{Spins: 1 << 30},
			&bus.SleepingWait{Spins: 1, Yields: 1, Sleep: time.Hour},
			&bus.BlockingWait{},
			&bus.TimeoutBlockingWait{Timeout: time.Hour},
			&bus.PhasedBackoffWait{SpinFor: time.Hour},
			&bus.PhasedBackoffWait{SpinFor: time.Millisecond, YieldFor: time.Millisecond, Poll: time.Hour},
		} {
			b, _ := bus.New[ev](bus.WithSize(2), bus.WithWaitStrategy(w))
			g := &slowGate{release: make(chan struct{})}
			b.HandleEventsWith(g, &tally{})
			p := b.NewPoller()
			b.Start()
			b.Publish(func(*ev, int64) {})
			b.Publish(func(*ev, int64) {})
			p.Poll(func(*ev, int64, bool) bool { return true })
			blocked := make(chan error, 2)
			go func() { blocked <- b.Publish(func(*ev, int64) {}) }()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			go func() { blocked <- p.Wait(ctx) }()
			awaitErr(t, blocked, context.DeadlineExceeded, fmt.Sprintf("%T%+v: a poller's context", w, w))
			time.Sleep(10 * time.Millisecond) // let the waits reach their longest phase
			b.Halt()
			cancel()
			close(g.release)
			select {
			case <-blocked:
			case <-time.After(5 * time.Second):
				t.Fatalf("%T%+v: Halt did not release a producer or a poller", w, w)
			}
			halted := make(chan error, 1)
			go func() { halted <- b.Wait() }()
			select {
			case <-halted:
			case <-time.After(5 * time.Second):
				t.Fatalf("%T%+v: Halt did not end the consumers' waits", w, w)
			}
		}
	})
	t.Run("stuck handler", func(t *testing.T) {
		b, _ := bus.New[ev](bus.WithSize(4))
		s := newStuck()
		b.HandleEventsWith(bus.Named[ev]("stuck", s))
		b.Start()
		defer close(s.release) // let the goroutine end for the leak check
		b.Publish(func(*ev, int64) {})
		<-s.entered
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- b.Shutdown(ctx) }()
		select {
		case err := <-errc:
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stuck") {
				t.Fatalf("Shutdown = %v, want DeadlineExceeded naming the stuck consumer", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Shutdown waited past its context for a handler that does not return")
		}
	})
}

// TestEndStateAgrees is numbered case 5: Shutdown, Wait and Err say the
// same about how the bus ended.
func TestEndStateAgrees(t *testing.T) {
	t.Run("halted", func(t *testing.T) {
		b, _ := bus.New[ev](bus.WithSize(8))
		b.HandleEventsWith(&tally{})
		b.Start()
		b.Publish(func(*ev, int64) {})
		b.Halt()
		w, e, s := b.Wait(), b.Err(), b.Shutdown(deadline(t))
		if !errors.Is(w, bus.ErrHalted) || !errors.Is(e, bus.ErrHalted) || !errors.Is(s, bus.ErrHalted) {
			t.Fatalf("after Halt: Wait %v, Err %v, Shutdown %v; want ErrHalted from each", w, e, s)
		}
	})
	t.Run("abandoned", func(t *testing.T) {
		b, _ := bus.New[ev](bus.WithSize(8))
		s := newStuck()
		b.HandleEventsWith(s)
		b.Start()
		defer close(s.release)
		for i := 0; i < 5; i++ {
			b.Publish(func(*ev, int64) {})
		}
		<-s.entered
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		sh := b.Shutdown(ctx)
		w, e := b.Wait(), b.Err()
		if sh == nil || w != sh || e != sh || !strings.Contains(sh.Error(), "5 events unhandled") {
			t.Fatalf("after an abandoned Shutdown: Shutdown %v, Wait %v, Err %v; want one error saying 5 events were left", sh, w, e)
		}
	})
	t.Run("start fails", func(t *testing.T) {
		b, _ := bus.New[ev](bus.WithSize(8))
		b.HandleEventsWith(&panicky{at: "start"})
		err := b.Start()
		if err == nil || strings.Contains(err.Error(), "-1") {
			t.Fatalf("Start = %v, want the OnStart failure, naming no sequence", err)
		}
		if perr := b.Publish(func(*ev, int64) {}); !errors.Is(perr, bus.ErrClosed) {
			t.Fatalf("Publish after a failed Start = %v, want ErrClosed", perr)
		}
		if w, s := b.Wait(), b.Shutdown(deadline(t)); w != err || s != err {
			t.Fatalf("Wait %v, Shutdown %v; want Start's %v", w, s, err)
		}
	})
}

// startTallied starts a bus of size slots (multi-producer if multi)
// whose one consumer is the tally it returns.
func startTallied(t *testing.T, size int, multi bool) (*bus.Bus[ev], *tally) {
	t.Helper()
	opts := []bus.Option{bus.WithSize(size)}
	if multi {
		opts = append(opts, bus.WithMultiProducer())
	}
	b, err := bus.New[ev](opts...)
	if err != nil {
		t.Fatal(err)
	}
	c := &tally{}
	b.HandleEventsWith(c)
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	return b, c
}

// TestPublishNilFill: every publish refuses a nil fill function with an
// error wrapping ErrInvalid, claims nothing, and the bus goes on.
func TestPublishNilFill(t *testing.T) {
	for _, multi := range []bool{false, true} {
		b, _ := startTallied(t, 4, multi)
		calls := map[string]error{
			"Publish":         b.Publish(nil),
			"PublishContext":  b.PublishContext(context.Background(), nil),
			"PublishBatch":    b.PublishBatch(2, nil),
			"PublishSlices":   b.PublishSlices(2, nil),
			"TryPublish":      b.TryPublish(nil),
			"TryPublishBatch": b.TryPublishBatch(2, nil),
		}
		for name, err := range calls {
			if !errors.Is(err, bus.ErrInvalid) || !strings.Contains(err.Error(), "fill function is nil") {
				t.Errorf("multi=%v: %s(nil) = %v, want ErrInvalid naming the nil fill", multi, name, err)
			}
		}
		if got := b.Cursor(); got != bus.InitialSequence {
			t.Errorf("multi=%v: cursor %d after refused publishes, want %d", multi, got, bus.InitialSequence)
		}
		publishN(t, b, 1)
		if err := b.Shutdown(deadline(t)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPublishSlices: PublishSlices hands fill the claimed slots as one
// slice, or two when the claim wraps past the ring's last slot, with the
// sequence of each slice's first slot; consumers see every event once,
// in order; a fill that panics has all n slots skipped, on either
// sequencer.
func TestPublishSlices(t *testing.T) {
	for _, multi := range []bool{false, true} {
		t.Run(fmt.Sprintf("multi=%v", multi), func(t *testing.T) {
			b, c := startTallied(t, 8, multi)
			n := 0
			var calls [][2]int64 // first sequence and length of each slice
			fill := func(evs []ev, first int64) {
				calls = append(calls, [2]int64{first, int64(len(evs))})
				for i := range evs {
					n++
					evs[i].n = n
				}
			}
			// 5 + 5 + 6 events: the second claim (5..9) wraps past slot 7.
			for _, k := range []int{5, 5} {
				if err := b.PublishSlices(k, fill); err != nil {
					t.Fatal(err)
				}
			}
			func() {
				defer func() {
					if r := recover(); r != "fill" {
						t.Errorf("recover() = %v, want the fill's panic", r)
					}
				}()
				b.PublishSlices(3, func(evs []ev, _ int64) {
					evs[0].n = -1
					panic("fill")
				})
			}()
			if err := b.PublishSlices(6, fill); err != nil {
				t.Fatal(err)
			}
			if err := b.Shutdown(deadline(t)); err != nil {
				t.Fatal(err)
			}
			want := [][2]int64{{0, 5}, {5, 3}, {8, 2}, {13, 3}, {16, 3}}
			if !slices.Equal(calls, want) {
				t.Errorf("fill calls (first, len) = %v, want %v", calls, want)
			}
			wantValues(t, "the consumer", c.values(), 16)
		})
	}
}
