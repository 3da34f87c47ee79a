package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// claimer is what both sequencers offer; the tests run against each.
type claimer interface {
	Next(n int) (int64, int64, error)
	TryNext(n int) (int64, int64, error)
	Publish(lo, hi int64) error
	RemainingCapacity() int64
	Cursor() int64
	NewBarrier(deps ...*bus.Sequence) *bus.Barrier
	NewSequence() *bus.Sequence
	AddGatingSequences(seqs ...*bus.Sequence)
	Close()
	Halt()
	Signal()
}

type sequencerKind struct {
	name string
	new  func(size int, opts ...bus.Option) (claimer, error)
}

var sequencerKinds = []sequencerKind{
	{"single", func(size int, opts ...bus.Option) (claimer, error) {
		return bus.NewSingleProducerSequencer(size, opts...)
	}},
	{"multi", func(size int, opts ...bus.Option) (claimer, error) {
		return bus.NewMultiProducerSequencer(size, opts...)
	}},
}

func waitStrategies() []bus.WaitStrategy {
	var out []bus.WaitStrategy
	for _, k := range bus.WaitKinds() {
		s, err := bus.NewWaitStrategy(k)
		if err != nil {
			panic(err)
		}
		out = append(out, s)
	}
	return out
}

func mustNew(t *testing.T, k sequencerKind, size int, opts ...bus.Option) claimer {
	t.Helper()
	s, err := k.new(size, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSequencerRejectsBadArguments(t *testing.T) {
	for _, k := range sequencerKinds {
		for _, tc := range []struct {
			size int
			opts []bus.Option
			want string
		}{
			{6, nil, "ring size 6 is not a power of two"},
			{0, nil, "ring size 0 must be positive"},
			{8, []bus.Option{bus.WithPad(100)}, "pad size 100 bytes"},
			{8, []bus.Option{bus.WithWaitStrategy(nil)}, "WithWaitStrategy(nil)"},
		} {
			_, err := k.new(tc.size, tc.opts...)
			if !errors.Is(err, bus.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: new(%d) = %v, want error naming %q", k.name, tc.size, err, tc.want)
			}
		}
		s := mustNew(t, k, 8)
		for _, n := range []int{0, -1, 9} {
			_, _, err := s.Next(n)
			if !errors.Is(err, bus.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("claim of %d slots", n)) {
				t.Errorf("%s: Next(%d) = %v", k.name, n, err)
			}
			_, _, err = s.TryNext(n)
			if !errors.Is(err, bus.ErrInvalid) {
				t.Errorf("%s: TryNext(%d) = %v", k.name, n, err)
			}
		}
	}
}

func TestPublishRejectsUnclaimedRanges(t *testing.T) {
	for _, k := range sequencerKinds {
		s := mustNew(t, k, 8)
		if err := s.Publish(0, 0); !errors.Is(err, bus.ErrInvalid) {
			t.Errorf("%s: Publish before any claim = %v", k.name, err)
		}
		lo, hi, err := s.Next(2)
		if err != nil || lo != 0 || hi != 1 {
			t.Fatalf("%s: Next(2) = %d, %d, %v", k.name, lo, hi, err)
		}
		for _, r := range [][2]int64{{0, 2}, {1, 0}, {3, 3}} {
			if err := s.Publish(r[0], r[1]); !errors.Is(err, bus.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("Publish(%d, %d)", r[0], r[1])) {
				t.Errorf("%s: Publish(%d, %d) = %v", k.name, r[0], r[1], err)
			}
		}
		if err := s.Publish(0, 1); err != nil {
			t.Fatalf("%s: Publish(0, 1) = %v", k.name, err)
		}
		if err := s.Publish(0, 1); !errors.Is(err, bus.ErrInvalid) {
			t.Errorf("%s: publishing 0..1 twice = %v", k.name, err)
		}
	}
}

func TestClaimsAreContiguousAndGated(t *testing.T) {
	for _, k := range sequencerKinds {
		s := mustNew(t, k, 8)
		consumer := s.NewSequence()
		s.AddGatingSequences(consumer)
		if got := s.RemainingCapacity(); got != 8 {
			t.Fatalf("%s: RemainingCapacity() = %d, want 8", k.name, got)
		}
		lo, hi, _ := s.Next(3)
		lo2, hi2, _ := s.Next(5)
		if lo != 0 || hi != 2 || lo2 != 3 || hi2 != 7 {
			t.Fatalf("%s: claims %d..%d, %d..%d", k.name, lo, hi, lo2, hi2)
		}
		if got := s.RemainingCapacity(); got != 0 {
			t.Fatalf("%s: RemainingCapacity() = %d after filling", k.name, got)
		}
		// The ring is full until the consumer moves: TryNext says so.
		if _, _, err := s.TryNext(1); !errors.Is(err, bus.ErrInsufficientCapacity) {
			t.Fatalf("%s: TryNext on a full ring = %v", k.name, err)
		}
		consumer.Store(1) // slots 0 and 1 consumed
		if lo, hi, err := s.TryNext(2); err != nil || lo != 8 || hi != 9 {
			t.Fatalf("%s: TryNext(2) after consumption = %d, %d, %v", k.name, lo, hi, err)
		}
		if _, _, err := s.TryNext(1); !errors.Is(err, bus.ErrInsufficientCapacity) {
			t.Fatalf("%s: TryNext past the consumer = %v", k.name, err)
		}
	}
}

func TestNextWaitsForConsumerThenProceeds(t *testing.T) {
	for _, k := range sequencerKinds {
		for _, ws := range waitStrategies() {
			t.Run(fmt.Sprintf("%s/%T", k.name, ws), func(t *testing.T) {
				s := mustNew(t, k, 4, bus.WithWaitStrategy(ws))
				consumer := s.NewSequence()
				s.AddGatingSequences(consumer)
				if _, _, err := s.Next(4); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() {
					lo, _, err := s.Next(1)
					if err == nil && lo != 4 {
						err = fmt.Errorf("claimed %d, want 4", lo)
					}
					done <- err
				}()
				select {
				case err := <-done:
					t.Fatalf("Next returned %v on a full ring", err)
				case <-time.After(20 * time.Millisecond):
				}
				consumer.Store(0)
				s.Signal()
				awaitErr(t, done, nil, "the consumer advancing")
			})
		}
	}
}

// TestCloseReleasesBlockedProducer: Close ends the wait of a producer
// blocked in Next on a full ring. The multi-producer Next claims before it
// waits, so Close does not release it (later claims and Shutdown's drain
// wait for its slots): once the consumer makes room it publishes its slot
// marked as skipped and returns ErrClosed.
func TestCloseReleasesBlockedProducer(t *testing.T) {
	for _, k := range sequencerKinds {
		for _, ws := range waitStrategies() {
			t.Run(fmt.Sprintf("%s/%T", k.name, ws), func(t *testing.T) {
				s := mustNew(t, k, 2, bus.WithWaitStrategy(ws))
				consumer := s.NewSequence()
				s.AddGatingSequences(consumer)
				s.Next(2)
				done := make(chan error, 1)
				go func() { _, _, err := s.Next(1); done <- err }()
				time.Sleep(5 * time.Millisecond)
				s.Close()
				if k.name == "multi" {
					for s.Cursor() != 2 { // the claim is made before the wait
						time.Sleep(time.Millisecond)
					}
					select {
					case err := <-done:
						t.Fatalf("Close released a Next that holds its claim: %v", err)
					case <-time.After(20 * time.Millisecond):
					}
					consumer.Store(0)
					s.Signal()
					awaitErr(t, done, bus.ErrClosed, "room for a Next that holds its claim after Close")
					if !s.(*bus.MultiProducerSequencer).IsAvailable(2) {
						t.Fatal("the claim released by Close was left unpublished")
					}
				} else {
					awaitErr(t, done, bus.ErrClosed, "Close with a producer blocked on a full ring")
				}
				if _, _, err := s.Next(1); !errors.Is(err, bus.ErrClosed) {
					t.Fatalf("Next after Close = %v", err)
				}
				if _, _, err := s.TryNext(1); !errors.Is(err, bus.ErrClosed) {
					t.Fatalf("TryNext after Close = %v", err)
				}
			})
		}
	}
}

// TestHaltReleasesProducerThatHoldsItsClaim: Halt ends at once the wait
// of a multi-producer Next that claimed on a full ring, whatever the wait
// strategy, and leaves its slots unpublished.
func TestHaltReleasesProducerThatHoldsItsClaim(t *testing.T) {
	for _, ws := range waitStrategies() {
		t.Run(fmt.Sprintf("%T", ws), func(t *testing.T) {
			s, _ := bus.NewMultiProducerSequencer(2, bus.WithWaitStrategy(ws))
			s.AddGatingSequences(s.NewSequence())
			s.Next(2)
			done := make(chan error, 1)
			go func() { _, _, err := s.Next(1); done <- err }()
			for s.Cursor() != 2 {
				time.Sleep(time.Millisecond)
			}
			s.Close()
			time.Sleep(5 * time.Millisecond)
			s.Halt()
			awaitErr(t, done, bus.ErrClosed, "Halt with a Next that holds its claim")
			if s.IsAvailable(2) {
				t.Fatal("a claim abandoned by Halt was published")
			}
		})
	}
}

func TestMultiProducerClaimsNeverOverlap(t *testing.T) {
	s, _ := bus.NewMultiProducerSequencer(64)
	consumer := s.NewSequence()
	s.AddGatingSequences(consumer)
	const producers, claims = 4, 2000
	var mu sync.Mutex
	var ranges [][2]int64
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A consumer that follows the published sequences so producers can wrap.
	b := s.NewBarrier()
	go func() {
		next := int64(0)
		for {
			avail, err := b.WaitForContext(ctx, next)
			if err != nil {
				return
			}
			consumer.Store(avail)
			s.Signal()
			next = avail + 1
		}
	}()
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < claims; i++ {
				n := 1 + (i+p)%3
				lo, hi, err := s.Next(n)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ranges = append(ranges, [2]int64{lo, hi})
				mu.Unlock()
				if err := s.Publish(lo, hi); err != nil {
					t.Error(err)
					return
				}
			}
		}(p)
	}
	wg.Wait()
	cancel()
	s.Halt()
	sort.Slice(ranges, func(i, j int) bool { return ranges[i][0] < ranges[j][0] })
	next := int64(0)
	for _, r := range ranges {
		if r[0] != next {
			t.Fatalf("claim %d..%d follows %d: gap or overlap", r[0], r[1], next-1)
		}
		next = r[1] + 1
	}
	if s.Cursor() != next-1 {
		t.Fatalf("cursor %d, claims end at %d", s.Cursor(), next-1)
	}
}

// TestRemainingCapacityWhileClaimsWait: multi-producer Next calls that
// claimed past a full ring and wait for room leave no capacity, not less
// than none.
func TestRemainingCapacityWhileClaimsWait(t *testing.T) {
	s, _ := bus.NewMultiProducerSequencer(4)
	consumer := s.NewSequence()
	s.AddGatingSequences(consumer)
	s.Next(4)
	done := make(chan error, 2)
	for range 2 {
		go func() { _, _, err := s.Next(2); done <- err }()
	}
	for s.Cursor() != 7 {
		time.Sleep(time.Millisecond)
	}
	if got := s.RemainingCapacity(); got != 0 {
		t.Errorf("RemainingCapacity with two claims waiting on a full ring = %d, want 0", got)
	}
	s.Halt()
	awaitErr(t, done, bus.ErrClosed, "Halt")
	awaitErr(t, done, bus.ErrClosed, "Halt")
}
