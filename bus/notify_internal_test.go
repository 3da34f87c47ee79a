package bus

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

var noFence = flag.Bool("bus.nofence", false,
	"plant a bug: parking and closing skip the fence that release-store publishing needs, so TestBlockingWaitLosesNoWakeUp and TestCloseSeesEveryPublishThatSawItOpen should fail")

// TestBlockingWaitLosesNoWakeUp hands a parking consumer one event at a
// time, publishing each the moment the previous one is acknowledged, so
// that publishes land while the consumer is parking: the race a lost
// wake-up needs. A lost wake-up leaves an event unhandled, and the test
// fails after a generous deadline instead of hanging.
//
// Run with -bus.nofence to see it catch the bug the fence prevents;
// docs/verification.md records how often it does.
func TestBlockingWaitLosesNoWakeUp(t *testing.T) {
	requireStoreLoadOrder(t)
	if *noFence {
		parkFence = func() {}
		defer func() { parkFence = heavyFence }()
	}
	n := 20000
	if testing.Short() {
		n = 3000
	}
	for _, multi := range []bool{false, true} {
		t.Run(fmt.Sprintf("multi=%v", multi), func(t *testing.T) {
			if err := handOneAtATime(multi, n, 5*time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStaleWokenLosesWakeUps plants the bug of a park that leaves the
// notifier's woken flag set (see notifier): publishers then skip the
// wake-up of every goroutine parked after the first one was woken, and
// handOneAtATime must report a lost wake-up.
func TestStaleWokenLosesWakeUps(t *testing.T) {
	parkClear = func(*notifier) {}
	defer func() { parkClear = clearWoken }()
	for _, multi := range []bool{false, true} {
		if err := handOneAtATime(multi, 3000, 200*time.Millisecond); err == nil {
			t.Errorf("multi=%v: no lost wake-up with the woken flag never cleared", multi)
		}
	}
}

// handOneAtATime publishes n events one at a time to a BlockingWait
// consumer, each once the previous one is handled, and returns an error
// naming the first event not handled within deadline.
func handOneAtATime(multi bool, n int, deadline time.Duration) error {
	const size = 8
	var seqr interface {
		Next(int) (int64, int64, error)
		Publish(int64, int64) error
		NewBarrier(...*Sequence) *Barrier
		AddGatingSequences(...*Sequence)
		Halt()
	}
	opt := WithWaitStrategy(&BlockingWait{})
	if multi {
		seqr, _ = NewMultiProducerSequencer(size, opt)
	} else {
		seqr, _ = NewSingleProducerSequencer(size, opt)
	}
	ring, _ := NewRing[int64](size, 64)
	var acked atomic.Int64
	acked.Store(-1)
	h := HandlerFunc[int64](func(_ *int64, seq int64, _ bool) error {
		acked.Store(seq)
		return nil
	})
	p, _ := NewBatchEventProcessor(ring, seqr.NewBarrier(), h, ProcessorConfig{})
	seqr.AddGatingSequences(p.Sequence())
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	err := func() error {
		for i := int64(0); i < int64(n); i++ {
			lo, hi, err := seqr.Next(1)
			if err != nil {
				return err
			}
			seqr.Publish(lo, hi)
			end := time.Now().Add(deadline)
			for spins := 0; acked.Load() < i; spins++ {
				if spins%1024 == 1023 {
					if time.Now().After(end) {
						return fmt.Errorf("event %d not handled after %v (last handled %d): a lost wake-up", i, deadline, acked.Load())
					}
					runtime.Gosched()
				}
			}
		}
		return nil
	}()
	seqr.Halt()
	if runErr := <-done; runErr != nil && err == nil {
		err = runErr
	}
	return err
}

func TestRelaxedPublishingMatchesThePlatform(t *testing.T) {
	s, _ := NewSingleProducerSequencer(8)
	if s.notify.fence != relaxedPublishing() {
		t.Fatalf("sequencer fence=%v, process relaxedPublishing()=%v", s.notify.fence, relaxedPublishing())
	}
	if relaxedPublishing() && !relaxedStoreSupported {
		t.Fatal("relaxed publishing on a platform without release stores")
	}
	if relaxedStoreSupported && !relaxedPublishing() {
		t.Log("membarrier is not available: publishing uses sequentially consistent stores")
	}
	heavyFence() // must not panic once registered (and is a no-op elsewhere)
	m, _ := NewMultiProducerSequencer(8)
	if m.notify.fence != relaxedPublishing() {
		t.Errorf("multi-producer sequencer fence=%v, process relaxedPublishing()=%v", m.notify.fence, relaxedPublishing())
	}
}

// TestCloseSeesEveryPublishThatSawItOpen races Close against a producer
// that publishes one event at a time and checks Closed after each
// publish, as Bus.Publish does: every publish that saw the sequencer open
// must be at or below the cursor that Close's caller reads next (what
// Shutdown drains to). The closer polls the cursor before closing, as a
// consumer would, so that the producer's store to it waits for the line
// and the window is wide.
//
// Run with -bus.nofence to see it catch the bug the fence prevents.
func TestCloseSeesEveryPublishThatSawItOpen(t *testing.T) {
	requireStoreLoadOrder(t)
	if *noFence {
		closeFence = func() {}
		defer func() { closeFence = heavyFence }()
	}
	trials := 30000
	if testing.Short() {
		trials = 3000
	}
	missed := 0
	for trial := 0; trial < trials; trial++ {
		s, _ := NewSingleProducerSequencer(1024)
		var start atomic.Bool
		lastOpen := make(chan int64, 1)
		go func() {
			last := InitialSequence
			for !start.Load() {
				runtime.Gosched()
			}
			for {
				lo, hi, err := s.Next(1)
				if err != nil {
					break
				}
				s.Publish(lo, hi)
				if s.Closed() {
					break
				}
				last = hi
			}
			lastOpen <- last
		}()
		start.Store(true)
		for s.Cursor() < 64 { // the producer is publishing
			runtime.Gosched()
		}
		for i := 0; i < trial%64; i++ {
			_ = s.Cursor()
		}
		s.Close()
		drainTo := s.Cursor()
		if last := <-lastOpen; last > drainTo {
			missed++
			if missed == 1 {
				t.Errorf("trial %d: a publish of %d saw the sequencer open, but the cursor read after Close was %d", trial, last, drainTo)
			}
		}
	}
	if missed > 0 {
		t.Errorf("%d of %d trials lost a publish", missed, trials)
	}
}
