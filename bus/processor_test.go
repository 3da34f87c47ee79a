package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

type batches struct {
	ends []int64 // sequences that ended a batch
	n    int
}

func (b *batches) OnEvent(_ *int64, seq int64, end bool) error {
	b.n++
	if end {
		b.ends = append(b.ends, seq)
	}
	return nil
}

func TestProcessorBatchesAndBatchLimit(t *testing.T) {
	for _, limit := range []int{0, 3} {
		ring, _ := bus.NewRing[int64](64, 64)
		seqr, _ := bus.NewSingleProducerSequencer(64)
		h := &batches{}
		p, err := bus.NewBatchEventProcessor(ring, seqr.NewBarrier(), h, bus.ProcessorConfig{BatchLimit: limit})
		if err != nil {
			t.Fatal(err)
		}
		seqr.AddGatingSequences(p.Sequence())
		// Publish 10 events before the consumer starts: they are one batch
		// unless the limit splits them.
		lo, hi, _ := seqr.Next(10)
		seqr.Publish(lo, hi)
		done := make(chan error)
		go func() { done <- p.Run(context.Background()) }()
		for p.Sequence().Load() < 9 {
			time.Sleep(time.Millisecond)
		}
		p.Halt()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		want := "[9]"
		if limit == 3 {
			want = "[2 5 8 9]"
		}
		if got := fmt.Sprint(h.ends); got != want || h.n != 10 {
			t.Errorf("limit %d: batches ended at %s after %d events, want %s", limit, got, h.n, want)
		}
		if err := p.Run(context.Background()); !errors.Is(err, bus.ErrInvalid) {
			t.Errorf("second Run = %v", err)
		}
	}
}

func TestNewBatchEventProcessorRejectsMismatch(t *testing.T) {
	ring, _ := bus.NewRing[int64](8, 64)
	seqr, _ := bus.NewSingleProducerSequencer(16)
	h := &batches{}
	if _, err := bus.NewBatchEventProcessor(ring, seqr.NewBarrier(), h, bus.ProcessorConfig{}); !errors.Is(err, bus.ErrInvalid) {
		t.Errorf("ring of 8 with sequencer of 16: %v", err)
	}
	if _, err := bus.NewBatchEventProcessor[int64](ring, nil, h, bus.ProcessorConfig{}); !errors.Is(err, bus.ErrInvalid) {
		t.Errorf("nil barrier: %v", err)
	}
}

func TestBarrierWaitEndsOnHaltAndContext(t *testing.T) {
	for _, w := range waitStrategies() {
		t.Run(fmt.Sprintf("%T", w), func(t *testing.T) {
			seqr, _ := bus.NewMultiProducerSequencer(8, bus.WithWaitStrategy(w))
			b := seqr.NewBarrier()
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				for {
					_, err := b.WaitForContext(ctx, 0)
					if !errors.Is(err, bus.ErrTimeout) {
						errc <- err
						return
					}
				}
			}()
			time.Sleep(5 * time.Millisecond)
			cancel()
			awaitErr(t, errc, context.Canceled, "cancelling WaitForContext's context")
			go func() {
				for {
					_, err := b.WaitFor(0)
					if !errors.Is(err, bus.ErrTimeout) {
						errc <- err
						return
					}
				}
			}()
			time.Sleep(5 * time.Millisecond)
			b.Halt()
			awaitErr(t, errc, bus.ErrHalted, "Halt")
		})
	}
}

// A consumer of the multi-producer sequencer never sees a slot before its
// own producer published it, even when later claims publish first.
func TestMultiProducerOutOfOrderPublish(t *testing.T) {
	seqr, _ := bus.NewMultiProducerSequencer(8)
	b := seqr.NewBarrier()
	lo1, hi1, _ := seqr.Next(2) // 0..1
	lo2, hi2, _ := seqr.Next(3) // 2..4
	seqr.Publish(lo2, hi2)
	if a := b.Available(0); a != -1 {
		t.Fatalf("with 0..1 unpublished, available = %d", a)
	}
	if seqr.IsAvailable(1) || !seqr.IsAvailable(3) {
		t.Fatal("IsAvailable disagrees with what was published")
	}
	seqr.Publish(lo1, hi1)
	if a, err := b.WaitFor(0); err != nil || a != 4 {
		t.Fatalf("WaitFor(0) = %d, %v; want 4 (the whole batch)", a, err)
	}
}
