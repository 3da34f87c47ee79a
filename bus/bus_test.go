package bus_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

type ev struct {
	producer int
	n        int
}

// seen records, per consumer, which (producer, n) events it handled.
type seen struct {
	mu   sync.Mutex
	got  map[[2]int]int
	last int64
	bad  string
}

func newSeen() *seen { return &seen{got: map[[2]int]int{}, last: -1} }

func (s *seen) OnEvent(e *ev, seq int64, _ bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got[[2]int{e.producer, e.n}]++
	if seq <= s.last && s.bad == "" {
		s.bad = fmt.Sprintf("sequence %d after %d", seq, s.last)
	}
	s.last = seq
	return nil
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		opts []bus.Option
		want string
	}{
		{[]bus.Option{bus.WithSize(100)}, "ring size 100 is not a power of two"},
		{[]bus.Option{bus.WithSize(-4)}, "ring size -4 must be positive"},
		{[]bus.Option{bus.WithPad(32)}, "pad size 32"},
		{[]bus.Option{bus.WithBatchLimit(-1)}, "WithBatchLimit(-1)"},
		{[]bus.Option{bus.WithLayout(bus.Layout{PadBytes: 64, RingSize: 8, Wait: "snooze"})}, `WithLayout: bus: invalid argument: wait_strategy "snooze"`},
		{[]bus.Option{nil}, "nil Option"},
	} {
		_, err := bus.New[ev](tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New = %v, want an error naming %q", err, tc.want)
		}
	}
	if _, err := bus.NewSingleProducerSequencer(8, bus.WithSize(8)); err == nil || !strings.Contains(err.Error(), "WithSize does not apply") {
		t.Errorf("sequencer given WithSize: %v", err)
	}
}

// TestShutdownUnderLoadLosesNothing publishes from several producers while
// Shutdown runs, and checks that every event whose Publish returned nil was
// handled by every consumer of a diamond and a worker pool.
func TestShutdownUnderLoadLosesNothing(t *testing.T) {
	for _, ws := range []bus.WaitKind{bus.WaitPhasedBackoff, bus.WaitBlocking, bus.WaitYielding} {
		t.Run(string(ws), func(t *testing.T) {
			w, _ := bus.NewWaitStrategy(ws)
			b, err := bus.New[ev](bus.WithSize(64), bus.WithMultiProducer(), bus.WithWaitStrategy(w))
			if err != nil {
				t.Fatal(err)
			}
			a, c, d, poolSeen := newSeen(), newSeen(), newSeen(), newSeen()
			poolSeen.last = -1 << 62 // workers run out of order
			var poolMu sync.Mutex
			pool := bus.HandlerFunc[ev](func(e *ev, seq int64, end bool) error {
				poolMu.Lock()
				defer poolMu.Unlock()
				poolSeen.got[[2]int{e.producer, e.n}]++
				return nil
			})
			b.HandleEventsWith(a, c).Then(d)
			b.HandleEventsWithWorkerPool(pool, pool)
			if err := b.Start(); err != nil {
				t.Fatal(err)
			}
			const producers = 4
			ok := make([][]int, producers)
			var wg sync.WaitGroup
			for p := 0; p < producers; p++ {
				wg.Add(1)
				go func(p int) {
					defer wg.Done()
					for n := 0; ; n++ {
						err := b.Publish(func(e *ev, _ int64) { e.producer, e.n = p, n })
						if errors.Is(err, bus.ErrClosed) {
							return
						}
						if err != nil {
							t.Error(err)
							return
						}
						ok[p] = append(ok[p], n)
					}
				}(p)
			}
			time.Sleep(20 * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := b.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			total := 0
			for p := range ok {
				total += len(ok[p])
				for _, n := range ok[p] {
					for name, s := range map[string]*seen{"a": a, "c": c, "d (after a and c)": d, "pool": poolSeen} {
						if got := s.got[[2]int{p, n}]; got != 1 {
							t.Fatalf("consumer %s handled producer %d's event %d %d times", name, p, n, got)
						}
					}
				}
			}
			for name, s := range map[string]*seen{"a": a, "c": c, "d": d} {
				if s.bad != "" {
					t.Errorf("consumer %s saw %s", name, s.bad)
				}
			}
			if total == 0 {
				t.Fatal("no event was published before Shutdown")
			}
			if err := b.Publish(func(*ev, int64) {}); !errors.Is(err, bus.ErrClosed) {
				t.Fatalf("Publish after Shutdown = %v", err)
			}
			if _, _, err := b.Next(1); !errors.Is(err, bus.ErrClosed) {
				t.Fatalf("Next after Shutdown = %v", err)
			}
			t.Logf("%d events published and handled by all 4 consumers", total)
		})
	}
}

// slowGate is a handler that blocks until released, to fill the ring.
type slowGate struct{ release chan struct{} }

func (g *slowGate) OnEvent(*ev, int64, bool) error { <-g.release; return nil }

func TestHaltReleasesProducerBlockedOnFullRing(t *testing.T) {
	for _, k := range bus.WaitKinds() {
		t.Run(string(k), func(t *testing.T) {
			w, _ := bus.NewWaitStrategy(k)
			b, _ := bus.New[ev](bus.WithSize(4), bus.WithWaitStrategy(w))
			g := &slowGate{release: make(chan struct{})}
			b.HandleEventsWith(g)
			b.Start()
			for i := 0; i < 4; i++ {
				if err := b.Publish(func(*ev, int64) {}); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.TryPublish(func(*ev, int64) {}); !errors.Is(err, bus.ErrInsufficientCapacity) {
				t.Fatalf("TryPublish on a full ring = %v", err)
			}
			done := make(chan error, 1)
			go func() { done <- b.Publish(func(*ev, int64) {}) }()
			time.Sleep(10 * time.Millisecond)
			b.Halt()
			awaitErr(t, done, bus.ErrClosed, "Halt with a producer blocked on a full ring")
			close(g.release)
			if err := b.Wait(); !errors.Is(err, bus.ErrHalted) {
				t.Fatalf("Wait after Halt = %v, want ErrHalted", err)
			}
		})
	}
}

func TestShutdownHonoursContext(t *testing.T) {
	b, _ := bus.New[ev](bus.WithSize(4))
	g := &slowGate{release: make(chan struct{})}
	b.HandleEventsWith(g)
	b.Start()
	b.Publish(func(*ev, int64) {})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- b.Shutdown(ctx) }()
	time.Sleep(60 * time.Millisecond)
	close(g.release) // the handler finishes its event; Shutdown then waits for the goroutine
	if err := <-errc; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
}

// failAt fails (by error or panic) on one sequence.
type failAt struct {
	seq    int64
	panics bool
	seen   []int64
}

func (f *failAt) OnEvent(_ *ev, seq int64, _ bool) error {
	if seq == f.seq {
		if f.panics {
			panic("boom at " + fmt.Sprint(seq))
		}
		return fmt.Errorf("bad event %d", seq)
	}
	f.seen = append(f.seen, seq)
	return nil
}

func TestErrorPolicies(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(fmt.Sprintf("stop/panic=%v", panics), func(t *testing.T) {
			b, _ := bus.New[ev](bus.WithSize(8))
			f := &failAt{seq: 5, panics: panics}
			down := &failAt{seq: -1}
			b.HandleEventsWith(bus.Named[ev]("risk", f)).Then(down)
			b.Start()
			var pubErr error
			for i := 0; i < 100 && pubErr == nil; i++ {
				pubErr = b.Publish(func(*ev, int64) {})
			}
			if !errors.Is(pubErr, bus.ErrClosed) {
				t.Fatalf("publishing past a stopped consumer: %v, want ErrClosed", pubErr)
			}
			err := b.Shutdown(context.Background())
			var ee *bus.EventError
			if !errors.As(err, &ee) || ee.Seq != 5 || ee.Handler != "risk" {
				t.Fatalf("Shutdown = %v, want an EventError for risk at 5", err)
			}
			var pe *bus.PanicError
			if panics != errors.As(err, &pe) {
				t.Fatalf("panic error = %v", err)
			}
			if panics && !strings.Contains(string(pe.Stack), "failAt") {
				t.Fatalf("the panic's stack does not name the handler:\n%s", pe.Stack)
			}
			// Stopping halts the bus at once: the downstream consumer saw a
			// prefix of what the failed one completed, never the failed event.
			for i, s := range down.seen {
				if s != int64(i) || s >= 5 {
					t.Fatalf("the downstream consumer saw %v, want a prefix of 0..4", down.seen)
				}
			}
			if !errors.Is(b.Wait(), ee) && b.Wait() != err {
				t.Fatalf("Wait = %v", b.Wait())
			}
		})
	}
	t.Run("skip", func(t *testing.T) {
		b, _ := bus.New[ev](bus.WithSize(8), bus.WithErrorPolicy(bus.SkipOnError))
		f := &failAt{seq: 5, panics: true}
		down := &failAt{seq: -1}
		b.HandleEventsWith(f).Then(down)
		b.Start()
		for i := 0; i < 20; i++ {
			if err := b.Publish(func(e *ev, seq int64) { e.n = int(seq) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(f.seen) != 19 || len(down.seen) != 20 {
			t.Fatalf("failing handler saw %d, downstream %d; want 19 and 20", len(f.seen), len(down.seen))
		}
	})
	t.Run("callback", func(t *testing.T) {
		var calls []int64
		policy := func(e *bus.EventError) error {
			calls = append(calls, e.Seq)
			if e.Seq >= 9 {
				return fmt.Errorf("giving up: %w", e)
			}
			return nil
		}
		b, _ := bus.New[ev](bus.WithSize(16), bus.WithErrorPolicy(policy))
		b.HandleEventsWith(bus.HandlerFunc[ev](func(_ *ev, seq int64, _ bool) error {
			if seq%3 == 0 {
				return errors.New("multiple of three")
			}
			return nil
		}))
		b.Start()
		for i := 0; i < 12; i++ {
			if err := b.Publish(func(*ev, int64) {}); err != nil && !errors.Is(err, bus.ErrClosed) {
				t.Fatal(err)
			}
		}
		err := b.Shutdown(context.Background())
		if err == nil || !strings.Contains(err.Error(), "giving up") || fmt.Sprint(calls) != "[0 3 6 9]" {
			t.Fatalf("Shutdown = %v after policy calls %v", err, calls)
		}
	})
}

type hooks struct {
	events  atomic.Int64
	order   []string
	mu      sync.Mutex
	timeout atomic.Int64
}

func (h *hooks) note(s string) { h.mu.Lock(); h.order = append(h.order, s); h.mu.Unlock() }
func (h *hooks) OnStart() error {
	h.note("start")
	return nil
}
func (h *hooks) OnShutdown() { h.note("shutdown") }
func (h *hooks) OnEvent(*ev, int64, bool) error {
	if h.events.Add(1) == 1 {
		h.note("event")
	}
	return nil
}
func (h *hooks) OnTimeout(int64) error { h.timeout.Add(1); return nil }

func TestHandlerHooksAndPinning(t *testing.T) {
	var mu sync.Mutex
	var pinned, released []string
	pin := func(name string, index int) (func(), error) {
		mu.Lock()
		pinned = append(pinned, fmt.Sprintf("%s@%d", name, index))
		mu.Unlock()
		return func() { mu.Lock(); released = append(released, name); mu.Unlock() }, nil
	}
	b, _ := bus.New[ev](bus.WithSize(8), bus.WithPin(pin), bus.WithWaitStrategy(&bus.TimeoutBlockingWait{Timeout: time.Millisecond}))
	h := &hooks{}
	b.HandleEventsWith(bus.Named[ev]("journal", h)).ThenWorkerPool(bus.Named[ev]("w", bus.HandlerFunc[ev](func(*ev, int64, bool) error { return nil })))
	b.Start()
	time.Sleep(20 * time.Millisecond) // idle: the timeout strategy fires
	for i := 0; i < 3; i++ {
		b.Publish(func(*ev, int64) {})
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(h.order, ","); got != "start,event,shutdown" {
		t.Errorf("hooks ran as %s", got)
	}
	if h.timeout.Load() == 0 {
		t.Error("OnTimeout never ran on an idle bus with a timeout wait strategy")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pinned) != 2 || len(released) != 2 || !strings.Contains(strings.Join(pinned, " "), "journal@0") || !strings.Contains(strings.Join(pinned, " "), "w@1") {
		t.Errorf("pinned %v, released %v", pinned, released)
	}
}

func TestPinFailureStopsBus(t *testing.T) {
	b, _ := bus.New[ev](bus.WithPin(func(string, int) (func(), error) { return nil, errors.New("cpu 7 is offline") }))
	b.HandleEventsWith(newSeen())
	b.Start()
	if err := b.Wait(); err == nil || !strings.Contains(err.Error(), "cpu 7 is offline") {
		t.Fatalf("Wait = %v", err)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// idleCPU returns the CPU the process used while a bus with strategy w and
// three idle consumers sat for d.
func idleCPU(t *testing.T, w bus.WaitStrategy, d time.Duration) time.Duration {
	b, _ := bus.New[ev](bus.WithWaitStrategy(w))
	b.HandleEventsWith(newSeen(), newSeen()).Then(newSeen())
	b.Start()
	b.Publish(func(*ev, int64) {})
	time.Sleep(20 * time.Millisecond) // let the phases of backoff strategies run out
	start := cpuTime()
	time.Sleep(d)
	used := cpuTime() - start
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return used
}

func TestBlockingWaitIdlesWithoutCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("measures CPU time with getrusage on Linux")
	}
	const d = 300 * time.Millisecond
	for _, w := range []bus.WaitStrategy{&bus.BlockingWait{}, &bus.PhasedBackoffWait{}} {
		if used := idleCPU(t, w, d); used > d/20 {
			t.Errorf("%T: an idle bus used %v of CPU in %v (over 5%%)", w, used, d)
		}
	}
	// The measurement can tell: a busy-spinning idle bus burns CPU.
	if used := idleCPU(t, &bus.BusySpinWait{}, d); used < d/5 {
		t.Errorf("busy-spin used only %v of CPU in %v: the CPU measurement is not working", used, d)
	}
}

func TestPollerWaitEndsOnHalt(t *testing.T) {
	b, _ := bus.New[ev](bus.WithWaitStrategy(&bus.BlockingWait{}))
	p := b.NewPoller()
	b.Start()
	errc := make(chan error, 1)
	go func() { errc <- p.Wait(context.Background()) }()
	time.Sleep(5 * time.Millisecond)
	b.Publish(func(*ev, int64) {})
	if err := <-errc; err != nil {
		t.Fatalf("Wait after a publish = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	p.Poll(func(*ev, int64, bool) bool { return true })
	if err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on an idle bus = %v", err)
	}
	go func() { errc <- p.Wait(context.Background()) }()
	time.Sleep(5 * time.Millisecond)
	b.Halt()
	// Halt closes the bus, then halts it: a waiter woken in between sees
	// a closed bus with nothing more to come.
	if err := <-errc; !errors.Is(err, bus.ErrHalted) && !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Wait after Halt = %v", err)
	}
	if _, err := p.Poll(func(*ev, int64, bool) bool { return true }); !errors.Is(err, bus.ErrHalted) {
		t.Fatalf("Poll after Halt = %v", err)
	}
}

func TestStartTwiceAndAddAfterStart(t *testing.T) {
	b, _ := bus.New[ev]()
	b.HandleEventsWith(newSeen())
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "bus: ") {
				t.Fatalf("adding a consumer after Start: recover() = %v", r)
			}
		}()
		b.HandleEventsWith(newSeen())
	}()
	b.Shutdown(context.Background())
}

func TestShutdownAfterHaltReturnsAtOnce(t *testing.T) {
	b, _ := bus.New[ev](bus.WithSize(8), bus.WithWaitStrategy(&bus.BlockingWait{}))
	g := &slowGate{release: make(chan struct{})}
	b.HandleEventsWith(g)
	b.Start()
	for i := 0; i < 3; i++ {
		b.Publish(func(*ev, int64) {})
	}
	b.Halt()
	close(g.release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := b.Shutdown(ctx); !errors.Is(err, bus.ErrHalted) || time.Since(start) > 5*time.Second {
		t.Fatalf("Shutdown after Halt = %v after %v, want ErrHalted at once", err, time.Since(start))
	}
}
