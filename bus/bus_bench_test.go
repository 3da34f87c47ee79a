package bus_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

type benchEvent struct{ v int64 }

// sumHandler adds up event values; the sum is checked after the run, so
// the benchmarks prove every event arrived.
type sumHandler struct{ sum int64 }

func (h *sumHandler) OnEvent(ev *benchEvent, _ int64, _ bool) error {
	h.sum += ev.v
	return nil
}

// runSumHandler is sumHandler with OnBatch: one call per run of events.
type runSumHandler struct{ sumHandler }

func (h *runSumHandler) OnBatch(evs []benchEvent, _ int64, _ bool) (int, error) {
	sum := h.sum
	for i := range evs {
		sum += evs[i].v
	}
	h.sum = sum
	return len(evs), nil
}

// valueSum adds up the values of the scenarios' events.
type valueSum struct{ sum int64 }

func (h *valueSum) OnEvent(ev *scenario.Event, _ int64, _ bool) error {
	h.sum += ev.V
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
func startConsumer(b *testing.B, ring *bus.Ring[benchEvent], seqr sequencer, runs bool) (*bus.BatchEventProcessor[benchEvent], *sumHandler, func()) {
	rh := &runSumHandler{}
	var h bus.Handler[benchEvent] = &rh.sumHandler
	if runs {
		h = rh
	}
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
	return p, &rh.sumHandler, func() { seqr.Halt(); wg.Wait() }
}

func waitFor(p *bus.BatchEventProcessor[benchEvent], seq int64) {
	for p.Sequence().Load() < seq {
	}
}

// benchSP publishes b.N events from one producer in claims of batch
// events to one consumer, whose handler takes runs of events (OnBatch)
// when runs is set and one event per call otherwise.
func benchSP(b *testing.B, batch int, runs bool, opts ...bus.Option) {
	const size = 1024
	ring, _ := bus.NewRing[benchEvent](size, bus.DefaultPad())
	seqr, err := bus.NewSingleProducerSequencer(size, opts...)
	if err != nil {
		b.Fatal(err)
	}
	p, h, stop := startConsumer(b, ring, seqr, runs)
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

// Benchmark1P1C compares one producer and one consumer through the bus
// with the same work through a buffered channel, in one run. The producer
// claims and publishes batch events at a time; the consumer's handler is
// called once per event (impl=bus) or once per run of events through
// BatchHandler (impl=bus-onbatch). Run it interleaved, since this VM's
// core-to-core latency changes between regimes over minutes:
//
//	go test -c -o /tmp/bus.test ./bus; cd bus
//	for i in 1 2 3 4 5 6 7 8; do /tmp/bus.test -test.run '^$' -test.bench 1P1C -test.benchtime 300ms; done | benchstat -col /impl -
func Benchmark1P1C(b *testing.B) {
	b.Run("impl=channel", func(b *testing.B) { benchChannel(b, chanBuf, 1) })
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("impl=bus/batch=%d", batch), func(b *testing.B) { benchSP(b, batch, false) })
		b.Run(fmt.Sprintf("impl=bus-onbatch/batch=%d", batch), func(b *testing.B) { benchSP(b, batch, true) })
	}
}

// BenchmarkPad shows what padding the hot counters is worth. "writers":
// two goroutines each advance their own Sequence, handed out by one
// sequencer at the given pad, the access pattern of two consumers that
// record their progress; with pad=0 the two sequences share a cache line.
// "bus": one producer and two parallel consumers through a Bus laid out
// with that pad. Run the variants interleaved, since this VM's
// core-to-core latency changes between regimes over minutes:
//
//	for i in 1 2 3 4 5 6; do go test ./bus -run '^$' -bench Pad -benchtime 300ms; done | benchstat -col /pad -
func BenchmarkPad(b *testing.B) {
	for _, pad := range bus.ValidPads() {
		b.Run(fmt.Sprintf("load=writers/pad=%d", pad), func(b *testing.B) {
			seqr, err := bus.NewSingleProducerSequencer(8, bus.WithPad(pad))
			if err != nil {
				b.Fatal(err)
			}
			s1, s2 := seqr.NewSequence(), seqr.NewSequence()
			var wg sync.WaitGroup
			wg.Add(1)
			b.ResetTimer()
			go func() {
				defer wg.Done()
				for i := 0; i < b.N; i++ {
					s2.Store(s2.Load() + 1)
				}
			}()
			for i := 0; i < b.N; i++ {
				s1.Store(s1.Load() + 1)
			}
			wg.Wait()
			if s1.Load() != int64(b.N-1) || s2.Load() != int64(b.N-1) {
				b.Fatalf("counters at %d and %d after %d increments", s1.Load(), s2.Load(), b.N)
			}
		})
	}
	for _, pad := range bus.ValidPads() {
		b.Run(fmt.Sprintf("load=bus/pad=%d", pad), func(b *testing.B) {
			x, err := bus.New[scenario.Event](bus.WithSize(1024), bus.WithPad(pad))
			if err != nil {
				b.Fatal(err)
			}
			h1, h2 := &valueSum{}, &valueSum{}
			g := x.HandleEventsWith(h1, h2)
			runBus(b, x, g.Sequences(), 1, 1)
			check(b, "pad", h1.sum+h2.sum, 2*want(b.N))
		})
	}
}

// BenchmarkPoll shows what PhasedBackoffWait's paced polling is worth with
// one event per publish: poll=1ns checks flat out (one spin hint between
// checks), the default paces checks up to 1µs apart while the stream is
// dense, and busyspin is BusySpinWait. Run it interleaved:
//
//	for i in 1 2 3 4 5 6; do go test ./bus -run '^$' -bench Poll -benchtime 300ms; done | benchstat -col /wait -
func BenchmarkPoll(b *testing.B) {
	for _, w := range []struct {
		name string
		s    bus.WaitStrategy
	}{
		{"poll=1ns", &bus.PhasedBackoffWait{Poll: time.Nanosecond}},
		{"default", &bus.PhasedBackoffWait{}},
		{"busyspin", &bus.BusySpinWait{}},
	} {
		b.Run("wait="+w.name, func(b *testing.B) { benchSP(b, 1, false, bus.WithWaitStrategy(w.s)) })
	}
}
