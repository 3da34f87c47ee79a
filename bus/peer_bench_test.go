package bus_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eventbus/eventbus/bus"
)

// The Go peers' workload (issue 17): producers write an int64 into each
// slot, one consumer sums the slots with one OnBatch call per run of
// events, on rings of 1024 and 65536 slots, publishing one event or 16 per
// claim. BenchmarkPeerWorkload puts the Bus API (path=bus: Publish and
// PublishBatch) beside the sequencer it wraps (path=raw: Next, a write
// through Ring.Get, Publish, and a BatchEventProcessor), so that the
// Bus-to-raw ratio is measured in one run, beside path=slices
// (PublishSlices), path=marked (events that embed bus.Mark) and
// path=alone (the raw producer with no consumer: the floor).
// BenchmarkPeerWorkloadMulti is the multi-producer Bus against a channel
// with one, three and four producers, beside the floor of any
// multi-producer claim (path=add and path=cas: the shared counter alone);
// on a machine with cores for all of them, producers=4 against
// producers=1 says whether four producers together publish at least as
// many events per second as one.
// Run them interleaved:
//
//	go test -c -o /tmp/bus.test ./bus; cd bus
//	for i in 1 2 3 4 5 6; do /tmp/bus.test -test.run '^$' -test.bench PeerWorkload -test.benchtime 300ms; done | benchstat -col /path -

// sum64 adds up the int64 events it is given, one call per run of events.
type sum64 struct{ sum int64 }

func (h *sum64) OnEvent(ev *int64, _ int64, _ bool) error {
	h.sum += *ev
	return nil
}

func (h *sum64) OnBatch(evs []int64, _ int64, _ bool) (int, error) {
	sum := h.sum
	for _, v := range evs {
		sum += v
	}
	h.sum = sum
	return len(evs), nil
}

func BenchmarkPeerWorkload(b *testing.B) {
	for _, ring := range []int{1024, 65536} {
		for _, batch := range []int{1, 16} {
			b.Run(fmt.Sprintf("ring=%d/batch=%d/path=raw", ring, batch), func(b *testing.B) { benchPeerRaw(b, ring, batch, true) })
			b.Run(fmt.Sprintf("ring=%d/batch=%d/path=bus", ring, batch), func(b *testing.B) { benchPeerBus(b, ring, batch, 1) })
			if batch > 1 {
				b.Run(fmt.Sprintf("ring=%d/batch=%d/path=slices", ring, batch), func(b *testing.B) { benchPeerBus(b, ring, -batch, 1) })
			}
			b.Run(fmt.Sprintf("ring=%d/batch=%d/path=marked", ring, batch), func(b *testing.B) { benchPeerMarked(b, ring, batch) })
			b.Run(fmt.Sprintf("ring=%d/batch=%d/path=alone", ring, batch), func(b *testing.B) { benchPeerRaw(b, ring, batch, false) })
		}
	}
}

func BenchmarkPeerWorkloadMulti(b *testing.B) {
	for _, ring := range []int{1024, 65536} {
		for _, producers := range []int{1, 3, 4} {
			b.Run(fmt.Sprintf("ring=%d/producers=%d/path=channel", ring, producers), func(b *testing.B) { benchChannel(b, ring, producers) })
			b.Run(fmt.Sprintf("ring=%d/producers=%d/path=bus", ring, producers), func(b *testing.B) { benchPeerBus(b, ring, 1, producers) })
			b.Run(fmt.Sprintf("ring=%d/producers=%d/path=add", ring, producers), func(b *testing.B) { benchSharedCounter(b, producers, false) })
			b.Run(fmt.Sprintf("ring=%d/producers=%d/path=cas", ring, producers), func(b *testing.B) { benchSharedCounter(b, producers, true) })
		}
	}
}

// benchPeerRaw is the workload on the single-producer sequencer, a Ring
// and a BatchEventProcessor, without a Bus. Without consume there is no
// consumer at all (path=alone): the sequencer has no gating sequence, so
// it never waits and no cache line ever leaves the producer's core, which
// makes it the floor under any pipeline's time per event on this
// workload: the producer's own work.
func benchPeerRaw(b *testing.B, size, batch int, consume bool) {
	ring, err := bus.NewRing[int64](size, bus.DefaultPad())
	if err != nil {
		b.Fatal(err)
	}
	seqr, err := bus.NewSingleProducerSequencer(size)
	if err != nil {
		b.Fatal(err)
	}
	h := &sum64{}
	var p *bus.BatchEventProcessor[int64]
	var wg sync.WaitGroup
	if consume {
		p, err = bus.NewBatchEventProcessor(ring, seqr.NewBarrier(), bus.Handler[int64](h), bus.ProcessorConfig{})
		if err != nil {
			b.Fatal(err)
		}
		seqr.AddGatingSequences(p.Sequence())
		wg.Go(func() {
			if err := p.Run(b.Context()); err != nil {
				b.Error(err)
			}
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		lo, hi, err := seqr.Next(min(batch, b.N-i))
		if err != nil {
			b.Fatal(err)
		}
		for s := lo; s <= hi; s++ {
			*ring.Get(s) = int64(i)
			i++
		}
		seqr.Publish(lo, hi)
	}
	if !consume {
		return
	}
	for p.Sequence().Load() < int64(b.N-1) {
	}
	b.StopTimer()
	seqr.Halt()
	wg.Wait()
	check(b, "raw", h.sum, want(b.N))
}

// benchPeerBus is the workload on a Bus: producers goroutines (a
// multi-producer bus when more than one) each Publish (batch 1),
// PublishBatch (batch above 1) or PublishSlices (-batch) their share of
// b.N events.
func benchPeerBus(b *testing.B, size, batch, producers int) {
	opts := []bus.Option{bus.WithSize(size)}
	if producers > 1 {
		opts = append(opts, bus.WithMultiProducer())
	}
	x, err := bus.New[int64](opts...)
	if err != nil {
		b.Fatal(err)
	}
	h := &sum64{}
	g := x.HandleEventsWith(h)
	if err := x.Start(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	produce(b.N, producers, func(n int) {
		var err error
		switch {
		case batch == 1:
			for i := 0; i < n && err == nil; i++ {
				err = x.Publish(func(e *int64, _ int64) { *e = int64(i) })
			}
		case batch < 0:
			i := 0
			fill := func(evs []int64, _ int64) {
				v := int64(i) // a local, not the captured i, in the loop
				for k := range evs {
					evs[k] = v
					v++
				}
				i = int(v)
			}
			for i < n && err == nil {
				err = x.PublishSlices(min(-batch, n-i), fill)
			}
		default:
			for i := 0; i < n && err == nil; {
				err = x.PublishBatch(min(batch, n-i), func(e *int64, _ int64) { *e = int64(i); i++ })
			}
		}
		if err != nil {
			b.Error(err)
		}
	})
	leaf := g.Sequences()[0]
	for leaf.Load() < int64(b.N-1) {
	}
	b.StopTimer()
	if err := x.Shutdown(b.Context()); err != nil {
		b.Fatal(err)
	}
	var sum int64
	for _, n := range shares(b.N, producers) {
		sum += want(int(n))
	}
	check(b, "bus", h.sum, sum)
}

// markedInt64 is the workload's int64 with a bus.Mark: 16 bytes a slot.
type markedInt64 struct {
	bus.Mark
	v int64
}

// sumMarked is sum64 for marked events.
type sumMarked struct{ sum int64 }

func (h *sumMarked) OnBatch(evs []markedInt64, _ int64, _ bool) (int, error) {
	sum := h.sum
	for i := range evs {
		sum += evs[i].v
	}
	h.sum = sum
	return len(evs), nil
}

func (h *sumMarked) OnEvent(ev *markedInt64, _ int64, _ bool) error {
	h.sum += ev.v
	return nil
}

// benchPeerMarked is the workload on a Bus of marked events (see
// bus.Mark), which one producer publishes through the slots: Publish for
// batch 1, PublishSlices for more.
func benchPeerMarked(b *testing.B, size, batch int) {
	x, err := bus.New[markedInt64](bus.WithSize(size))
	if err != nil {
		b.Fatal(err)
	}
	h := &sumMarked{}
	leaf := x.HandleEventsWith(h).Sequences()[0]
	if err := x.Start(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	fill := func(evs []markedInt64, _ int64) {
		v := int64(i)
		for k := range evs {
			evs[k].v = v
			v++
		}
		i = int(v)
	}
	for i < b.N {
		if batch == 1 {
			err = x.Publish(func(e *markedInt64, _ int64) { e.v = int64(i); i++ })
		} else {
			err = x.PublishSlices(min(batch, b.N-i), fill)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	for leaf.Load() < int64(b.N-1) {
	}
	b.StopTimer()
	if err := x.Shutdown(b.Context()); err != nil {
		b.Fatal(err)
	}
	check(b, "marked", h.sum, want(b.N))
}

// benchSharedCounter is the floor under any multi-producer claim on this
// workload: producers goroutines count their shares of b.N events on one
// shared, padded counter, with one atomic add an event (cas false: the
// claim of the LMAX Disruptor 4 and of bruceshao/lockfree) or one
// compare-and-swap loop an event (cas true: the Bus's claim), with no ring
// and no consumer. With more than one producer every event moves the
// counter's cache line to the claiming core, whichever instruction claims.
func benchSharedCounter(b *testing.B, producers int, cas bool) {
	var c struct {
		_ [128]byte
		n atomic.Int64
		_ [128]byte
	}
	b.ReportAllocs()
	b.ResetTimer()
	produce(b.N, producers, func(n int) {
		for range n {
			if !cas {
				c.n.Add(1)
				continue
			}
			for v := c.n.Load(); !c.n.CompareAndSwap(v, v+1); v = c.n.Load() {
			}
		}
	})
	b.StopTimer()
	check(b, "counter", c.n.Load(), int64(b.N))
}
