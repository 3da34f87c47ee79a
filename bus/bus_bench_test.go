package bus_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/eventbus/eventbus/bus"
)

type benchEvent struct{ v int64 }

// sumHandler adds up event values; the sum is checked after the run, so
// the benchmarks prove every event arrived.
type sumHandler struct{ sum int64 }

func (h *sumHandler) OnEvent(ev *benchEvent, _ int64, _ bool) error {
	h.sum += ev.v
	return nil
}

func want(n int) int64 { return int64(n) * int64(n-1) / 2 }

type sequencer interface {
	Next(n int) (int64, int64, error)
	Publish(lo, hi int64) error
	NewBarrier(deps ...*bus.Sequence) *bus.Barrier
	AddGatingSequences(seqs ...*bus.Sequence)
	Halt()
}

// startConsumer wires one consumer to seqr and runs it; stop halts it and
// returns the handler once Run has returned.
func startConsumer(b *testing.B, ring *bus.Ring[benchEvent], seqr sequencer) (*bus.BatchEventProcessor[benchEvent], *sumHandler, func()) {
	h := &sumHandler{}
	p, err := bus.NewBatchEventProcessor(ring, seqr.NewBarrier(), h, bus.ProcessorConfig{})
	if err != nil {
		b.Fatal(err)
	}
	seqr.AddGatingSequences(p.Sequence())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := p.Run(context.Background()); err != nil {
			b.Error(err)
		}
	}()
	return p, h, func() { seqr.Halt(); wg.Wait() }
}

func waitFor(p *bus.BatchEventProcessor[benchEvent], seq int64) {
	for p.Sequence().Load() < seq {
	}
}

func benchSP(b *testing.B, batch int, opts ...bus.Option) {
	const size = 1024
	ring, _ := bus.NewRing[benchEvent](size, bus.DefaultPad())
	seqr, err := bus.NewSingleProducerSequencer(size, opts...)
	if err != nil {
		b.Fatal(err)
	}
	p, h, stop := startConsumer(b, ring, seqr)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		n := min(batch, b.N-i)
		lo, hi, err := seqr.Next(n)
		if err != nil {
			b.Fatal(err)
		}
		for s := lo; s <= hi; s++ {
			ring.Get(s).v = int64(i)
			i++
		}
		seqr.Publish(lo, hi)
	}
	waitFor(p, int64(b.N-1))
	b.StopTimer()
	stop()
	if h.sum != want(b.N) {
		b.Fatalf("sum %d, want %d", h.sum, want(b.N))
	}
}

func benchChannel(b *testing.B) {
	ch := make(chan int64, 1024)
	done := make(chan int64)
	go func() {
		var sum int64
		for v := range ch {
			sum += v
		}
		done <- sum
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch <- int64(i)
	}
	close(ch)
	sum := <-done
	b.StopTimer()
	if sum != want(b.N) {
		b.Fatalf("sum %d, want %d", sum, want(b.N))
	}
}

// Benchmark1P1C compares one producer and one consumer through the bus
// with the same work through a buffered channel, in one run.
func Benchmark1P1C(b *testing.B) {
	b.Run("impl=channel", benchChannel)
	b.Run("impl=bus/batch=1", func(b *testing.B) { benchSP(b, 1) })
	b.Run("impl=bus/batch=16", func(b *testing.B) { benchSP(b, 16) })
}

// BenchmarkPad shows what padding the hot counters is worth: the same
// one-producer, one-consumer run with the producer's cursor and the
// consumer's sequence packed into one cache line (pad=0) and padded apart.
//
//	go test ./bus -run '^$' -bench Pad -count 6 | benchstat -col /pad -
func BenchmarkPad(b *testing.B) {
	for _, pad := range bus.ValidPads() {
		b.Run(fmt.Sprintf("pad=%d", pad), func(b *testing.B) { benchSP(b, 1, bus.WithPad(pad)) })
	}
}
