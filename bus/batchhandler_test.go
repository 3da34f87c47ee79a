package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// runs records the calls OnBatch gets; failAt makes it fail on that
// sequence, panicAt panic on it.
type runs struct {
	calls   []string // "first:len:end"
	seen    []int64  // event values, in order
	failAt  int64
	panicAt int64
}

func newRuns() *runs { return &runs{failAt: -1, panicAt: -1} }

func (r *runs) OnEvent(*int64, int64, bool) error {
	return errors.New("OnEvent called on a BatchHandler")
}

func (r *runs) OnBatch(evs []int64, first int64, end bool) (int, error) {
	r.calls = append(r.calls, fmt.Sprintf("%d:%d:%v", first, len(evs), end))
	for i := range evs {
		seq := first + int64(i)
		if seq == r.panicAt {
			panic("boom")
		}
		if seq == r.failAt {
			return i, errors.New("bad event")
		}
		r.seen = append(r.seen, evs[i])
	}
	return len(evs), nil
}

// runBatch publishes events with values 100+seq in claims of the given
// sizes before the consumer starts, runs it until it has handled through
// last (or stops), and returns Run's error.
func runBatch(t *testing.T, h bus.Handler[int64], cfg bus.ProcessorConfig, claims []int, last int64) error {
	t.Helper()
	ring, _ := bus.NewRing[int64](8, 64)
	seqr, _ := bus.NewSingleProducerSequencer(8)
	p, err := bus.NewBatchEventProcessor(ring, seqr.NewBarrier(), h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	seqr.AddGatingSequences(p.Sequence())
	done := make(chan error, 1)
	started := false
	for _, n := range claims {
		lo, hi, err := seqr.Next(n)
		if err != nil {
			t.Fatal(err)
		}
		for s := lo; s <= hi; s++ {
			*ring.Get(s) = 100 + s
		}
		seqr.Publish(lo, hi)
		if !started {
			// The first claim is handled alone, so that the next one starts
			// part way round the ring.
			go func() { done <- p.Run(context.Background()) }()
			started = true
			for p.Sequence().Load() < hi {
				select {
				case err := <-done:
					return err
				case <-time.After(time.Millisecond):
				}
			}
		}
	}
	deadline := time.After(10 * time.Second)
	for p.Sequence().Load() < last {
		select {
		case err := <-done:
			return err
		case <-deadline:
			t.Fatalf("consumer stuck at %d, want %d", p.Sequence().Load(), last)
		case <-time.After(time.Millisecond):
		}
	}
	p.Halt()
	return <-done
}

func TestBatchHandlerGetsRunsSplitAtTheRingEnd(t *testing.T) {
	h := newRuns()
	// 5 events, then 6 more: sequences 5..10 sit in slots 5, 6, 7, 0, 1, 2.
	if err := runBatch(t, h, bus.ProcessorConfig{}, []int{5, 6}, 10); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(h.calls), "[0:5:true 5:3:false 8:3:true]"; got != want {
		t.Errorf("OnBatch calls %s, want %s", got, want)
	}
	want := []int64{100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110}
	if fmt.Sprint(h.seen) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", h.seen, want)
	}
}

func TestBatchHandlerRespectsBatchLimit(t *testing.T) {
	h := newRuns()
	if err := runBatch(t, h, bus.ProcessorConfig{BatchLimit: 2}, []int{1, 5}, 5); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(h.calls), "[0:1:true 1:2:true 3:2:true 5:1:true]"; got != want {
		t.Errorf("OnBatch calls %s, want %s", got, want)
	}
}

func TestBatchHandlerFailureIsReportedAtItsEvent(t *testing.T) {
	h := newRuns()
	h.failAt = 7
	err := runBatch(t, h, bus.ProcessorConfig{}, []int{5, 6}, 10)
	var ee *bus.EventError
	if !errors.As(err, &ee) || ee.Seq != 7 || ee.Err.Error() != "bad event" {
		t.Fatalf("Run = %v, want an EventError at sequence 7", err)
	}
	if got, want := fmt.Sprint(h.seen), "[100 101 102 103 104 105 106]"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
}

func TestBatchHandlerSkipOnErrorGoesOnAfterTheFailedEvent(t *testing.T) {
	h := newRuns()
	h.failAt = 6
	var skipped []int64
	cfg := bus.ProcessorConfig{OnError: func(e *bus.EventError) error {
		skipped = append(skipped, e.Seq)
		return nil
	}}
	if err := runBatch(t, h, cfg, []int{5, 6}, 10); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(skipped) != "[6]" {
		t.Errorf("skipped %v, want [6]", skipped)
	}
	if got, want := fmt.Sprint(h.seen), "[100 101 102 103 104 105 107 108 109 110]"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	// The call after the failure starts at the event after it.
	if got, want := fmt.Sprint(h.calls), "[0:5:true 5:3:false 7:1:false 8:3:true]"; got != want {
		t.Errorf("OnBatch calls %s, want %s", got, want)
	}
}

func TestBatchHandlerPanicIsReportedAtTheRunsFirstEvent(t *testing.T) {
	h := newRuns()
	h.panicAt = 9
	err := runBatch(t, h, bus.ProcessorConfig{}, []int{5, 6}, 10)
	var pe *bus.PanicError
	var ee *bus.EventError
	if !errors.As(err, &ee) || !errors.As(err, &pe) || ee.Seq != 8 {
		t.Fatalf("Run = %v, want an EventError with a PanicError at sequence 8, the run's first", err)
	}
}

// haltingRuns halts its processor from inside its first call.
type haltingRuns struct {
	p     *bus.BatchEventProcessor[int64]
	calls int
}

func (h *haltingRuns) OnEvent(*int64, int64, bool) error { return nil }

func (h *haltingRuns) OnBatch(evs []int64, first int64, end bool) (int, error) {
	h.calls++
	h.p.Halt()
	return len(evs), nil
}

func TestBatchHandlerHaltIsSeenBetweenRuns(t *testing.T) {
	ring, _ := bus.NewRing[int64](8, 64)
	seqr, _ := bus.NewSingleProducerSequencer(8)
	h := &haltingRuns{}
	p, _ := bus.NewBatchEventProcessor(ring, seqr.NewBarrier(), h, bus.ProcessorConfig{})
	h.p = p
	seqr.AddGatingSequences(p.Sequence())
	// Sequences 0..5 handled, then 6..9: slots 6, 7 | 0, 1, two runs.
	lo, hi, _ := seqr.Next(6)
	seqr.Publish(lo, hi)
	for s := int64(0); s <= 5; s++ {
		p.Sequence().Store(s) // pretend 0..5 were handled: start at 6
	}
	lo, hi, _ = seqr.Next(4)
	seqr.Publish(lo, hi)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.calls != 1 || p.Sequence().Load() != 7 {
		t.Errorf("halted in the first of two runs: %d calls, sequence %d; want 1 call, sequence 7", h.calls, p.Sequence().Load())
	}
}
