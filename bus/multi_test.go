package bus_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// closeWhileHolding runs the protocol of a multi-producer Next that
// claims on a full ring and waits for room, on the raw sequencer with two
// processors: a ring of 4 is filled behind a handler that holds its first
// event, one more Next claims (it then holds its slot and waits for
// room), the sequencer is closed, the handler let go, and the processors
// are given within to pass the held slot. It returns what broke the
// contract, or nil: that Next must return ErrClosed, its slot must be
// published marked as skipped, so that both processors pass it without a
// handler seeing it, and the other four events must be handled.
func closeWhileHolding(k bus.WaitKind, within time.Duration) error {
	w, err := bus.NewWaitStrategy(k)
	if err != nil {
		return err
	}
	s, err := bus.NewMultiProducerSequencer(4, bus.WithWaitStrategy(w))
	if err != nil {
		return err
	}
	ring, _ := bus.NewRing[ev](4, 64)
	g := &slowGate{release: make(chan struct{})}
	c := &tally{}
	var procs []*bus.BatchEventProcessor[ev]
	for _, h := range []bus.Handler[ev]{g, c} {
		p, err := bus.NewBatchEventProcessor(ring, s.NewBarrier(), h, bus.ProcessorConfig{})
		if err != nil {
			return err
		}
		s.AddGatingSequences(p.Sequence())
		procs = append(procs, p)
	}
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { p.Run(context.Background()) })
	}
	released := false
	defer func() {
		if !released {
			close(g.release)
		}
		for _, p := range procs {
			p.Halt()
		}
		wg.Wait()
	}()
	for i := range 4 {
		lo, hi, err := s.Next(1)
		if err != nil {
			return fmt.Errorf("Next on a ring with room: %v", err)
		}
		ring.Get(lo).n = i + 1
		if err := s.Publish(lo, hi); err != nil {
			return err
		}
	}
	done := make(chan error, 1)
	go func() {
		lo, hi, err := s.Next(1)
		if err == nil {
			err = s.Publish(lo, hi)
			if err == nil {
				err = errors.New("claimed and published")
			}
		}
		done <- err
	}()
	for start := time.Now(); s.Cursor() != 4; time.Sleep(100 * time.Microsecond) {
		if time.Since(start) > 5*time.Second {
			return errors.New("the Next on a full ring never claimed")
		}
	}
	s.Close()
	close(g.release)
	released = true
	select {
	case err := <-done:
		if !errors.Is(err, bus.ErrClosed) {
			return fmt.Errorf("the Next that held its claim across Close returned %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		return errors.New("the Next that held its claim across Close never returned")
	}
	for start := time.Now(); procs[0].Sequence().Load() < 4 || procs[1].Sequence().Load() < 4; time.Sleep(100 * time.Microsecond) {
		if time.Since(start) > within {
			return fmt.Errorf("the processors stopped at %d and %d: the claim released by Close was left unpublished",
				procs[0].Sequence().Load(), procs[1].Sequence().Load())
		}
	}
	if got := c.values(); !slices.Equal(got, []int{1, 2, 3, 4}) {
		return fmt.Errorf("the handler saw %v, want [1 2 3 4]: the held slot was not passed as skipped", got)
	}
	return nil
}

// TestCloseCompletesAHeldClaim: a multi-producer Next that claimed on a
// full ring is not released by Close; once the consumers make room it
// publishes its slot marked as skipped and returns ErrClosed, and the
// consumers pass the slot, with every wait strategy.
func TestCloseCompletesAHeldClaim(t *testing.T) {
	for _, k := range bus.WaitKinds() {
		if err := closeWhileHolding(k, 10*time.Second); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

// TestCloseReleasesAWaitingMultiProducerPublish: a Publish on a full
// multi-producer Bus claims nothing until there is room, so Close releases
// it at once with ErrClosed, its fill not called and the cursor not
// moved: before Start (the bus then ends abandoned) and while a handler
// holds the ring full (the bus then drains).
func TestCloseReleasesAWaitingMultiProducerPublish(t *testing.T) {
	for _, started := range []bool{false, true} {
		t.Run(fmt.Sprintf("started=%t", started), func(t *testing.T) {
			b, _ := bus.New[ev](bus.WithSize(4), bus.WithMultiProducer())
			g := &slowGate{release: make(chan struct{})}
			b.HandleEventsWith(g)
			if started {
				if err := b.Start(); err != nil {
					t.Fatal(err)
				}
			}
			for range 4 {
				if err := b.Publish(func(*ev, int64) {}); err != nil {
					t.Fatal(err)
				}
			}
			waiting := make(chan error, 1)
			go func() {
				waiting <- b.Publish(func(*ev, int64) { t.Error("fill called for a Publish released by Close") })
			}()
			time.Sleep(5 * time.Millisecond) // let it reach the wait; if it has not, Close must still stop it
			b.Close()
			awaitErr(t, waiting, bus.ErrClosed, "Close with a Publish waiting for room")
			if c := b.Cursor(); c != 3 {
				t.Fatalf("cursor %d after Close released a waiting Publish, want 3: it claimed", c)
			}
			close(g.release)
			err := b.Shutdown(deadline(t))
			switch {
			case started && (err != nil || b.State() != bus.StateDrained):
				t.Fatalf("Shutdown after Close = %v (state %v), want drained", err, b.State())
			case !started && (!errors.Is(err, bus.ErrNotStarted) || b.State() != bus.StateAbandoned):
				t.Fatalf("Shutdown before Start = %v (state %v), want abandoned, not started", err, b.State())
			}
		})
	}
}

// idLog is a handler that counts the (producer, n) events it handles, and
// can be made to hold the ring full: once stall is set it waits for
// release before each event.
type idLog struct {
	mu      sync.Mutex
	got     map[[2]int]int
	stall   atomic.Bool
	release chan struct{}
}

func (l *idLog) OnEvent(e *ev, _ int64, _ bool) error {
	if l.stall.Load() {
		<-l.release
	}
	if e.n%7 == 0 {
		runtime.Gosched() // a slow consumer keeps the ring full
	}
	l.mu.Lock()
	l.got[[2]int{e.producer, e.n}]++
	l.mu.Unlock()
	return nil
}

// TestMultiProducerPublishRacesEnds has 4 producers PublishBatch 1 to 3
// events at a time into a multi-producer ring of 8, so that most claims
// wait for room, and ends the bus under them: Close
// then Shutdown, Shutdown, Halt, and a Shutdown whose deadline passes
// while a handler holds the ring full. Every producer must return, and
// after a drained end every event whose publish returned nil must have
// been handled once; none twice after any end.
func TestMultiProducerPublishRacesEnds(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	for _, end := range []string{"close+shutdown", "shutdown", "halt", "shutdown-deadline"} {
		for _, k := range []bus.WaitKind{bus.WaitBlocking, bus.WaitYielding, bus.WaitSleeping} {
			var waits int64
			for round := range rounds {
				t.Run(fmt.Sprintf("%s/%s/%d", end, k, round), func(t *testing.T) {
					waits += racePublishAndEnd(t, end, k, uint64(round))
				})
			}
			if waits == 0 {
				t.Errorf("%s/%s: no claim ever waited for room: the protocol was not exercised", end, k)
			}
		}
	}
}

// racePublishAndEnd is one round of TestMultiProducerPublishRacesEnds; it
// returns how many claims waited for room.
func racePublishAndEnd(t *testing.T, end string, k bus.WaitKind, seed uint64) int64 {
	w, _ := bus.NewWaitStrategy(k)
	b, err := bus.New[ev](bus.WithSize(8), bus.WithMultiProducer(), bus.WithWaitStrategy(w))
	if err != nil {
		t.Fatal(err)
	}
	a := &idLog{got: map[[2]int]int{}, release: make(chan struct{})}
	c := &idLog{got: map[[2]int]int{}, release: make(chan struct{})}
	b.HandleEventsWith(a).Then(c)
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	const producers = 4
	acked := make([][]int, producers)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(p)))
			for n := 0; ; {
				k := 1 + rng.IntN(3)
				first := n
				err := b.PublishBatch(k, func(e *ev, _ int64) { e.producer, e.n = p, n; n++ })
				switch {
				case err == nil:
					for i := first; i < n; i++ {
						acked[p] = append(acked[p], i)
					}
				case errors.Is(err, bus.ErrClosed):
					return
				default:
					t.Error(err)
					return
				}
			}
		}()
	}
	for start := time.Now(); b.Cursor() < 200 && time.Since(start) < 5*time.Second; {
		time.Sleep(100 * time.Microsecond)
	}
	var stopped error
	waits := b.Stats().Producers.Waits
	switch end {
	case "close+shutdown":
		b.Close()
		time.Sleep(time.Millisecond)
		stopped = b.Shutdown(deadline(t))
	case "shutdown":
		stopped = b.Shutdown(deadline(t))
	case "halt":
		b.Halt()
		stopped = b.Wait()
	case "shutdown-deadline":
		c.stall.Store(true) // the ring fills and producers wait for room
		time.Sleep(2 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		stopped = b.Shutdown(ctx)
		cancel()
	}
	released := make(chan struct{})
	go func() { wg.Wait(); close(released) }()
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		close(c.release)
		t.Fatalf("%s: producers still blocked 5s after the end", end)
	}
	close(c.release)
	b.Wait()
	state := b.State()
	switch {
	case end == "halt" && state != bus.StateHalted,
		end == "shutdown-deadline" && state != bus.StateAbandoned && state != bus.StateDrained,
		(end == "shutdown" || end == "close+shutdown") && (state != bus.StateDrained || stopped != nil):
		t.Fatalf("%s: the bus ended %v: %v", end, state, stopped)
	}
	for _, l := range []*idLog{a, c} {
		l.mu.Lock()
		for id, got := range l.got {
			if got != 1 {
				t.Errorf("%s: event %v handled %d times", end, id, got)
			}
		}
		if state == bus.StateDrained {
			for p := range acked {
				for _, n := range acked[p] {
					if l.got[[2]int{p, n}] != 1 {
						t.Errorf("%s: producer %d's event %d was acknowledged, the bus drained, and it was not handled", end, p, n)
					}
				}
			}
		}
		l.mu.Unlock()
	}
	return waits
}
