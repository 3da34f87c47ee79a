package bus_test

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/eventbus/eventbus/bus"
)

// Trade is the event type of the examples.
type Trade struct {
	ID    int64
	Price int64
	Qty   int64
	Value int64 // filled in by a consumer
}

// A whole bus: one producer, one consumer, shut down after everything
// published was handled.
func Example() {
	b, err := bus.New[Trade](bus.WithSize(64))
	if err != nil {
		panic(err)
	}
	var total int64
	b.HandleEventsWith(bus.HandlerFunc[Trade](func(t *Trade, seq int64, endOfBatch bool) error {
		total += t.Price * t.Qty
		return nil
	}))
	if err := b.Start(); err != nil {
		panic(err)
	}
	for i := int64(1); i <= 100; i++ {
		err := b.Publish(func(t *Trade, seq int64) { t.ID, t.Price, t.Qty = i, 10, i })
		if err != nil {
			panic(err)
		}
	}
	if err := b.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println("notional:", total)
	// Output: notional: 50500
}

func ExampleRing() {
	r, err := bus.NewRing[Trade](8, bus.DefaultPad())
	if err != nil {
		panic(err)
	}
	r.Get(3).Price = 42
	fmt.Println(r.Size(), r.Get(11).Price) // sequence 11 uses slot 11 & 7 = 3
	_, err = bus.NewRing[Trade](12, 64)
	fmt.Println(err)
	// Output:
	// 8 42
	// bus: invalid argument: NewRing: ring size 12 is not a power of two
}

// The primitives without the Bus: a single-producer sequencer, a barrier
// and a batch event processor, wired by hand as in the LMAX Disruptor.
func ExampleSingleProducerSequencer() {
	ring, _ := bus.NewRing[Trade](16, bus.DefaultPad())
	seqr, _ := bus.NewSingleProducerSequencer(16, bus.WithWaitStrategy(&bus.BlockingWait{}))
	var sum int64
	h := bus.HandlerFunc[Trade](func(t *Trade, seq int64, end bool) error { sum += t.Qty; return nil })
	proc, _ := bus.NewBatchEventProcessor(ring, seqr.NewBarrier(), h, bus.ProcessorConfig{})
	seqr.AddGatingSequences(proc.Sequence()) // the producer never laps the consumer

	done := make(chan error)
	go func() { done <- proc.Run(context.Background()) }()
	for i := 0; i < 10; i++ {
		lo, hi, err := seqr.Next(4) // claim four slots at once
		if err != nil {
			panic(err)
		}
		for s := lo; s <= hi; s++ {
			ring.Get(s).Qty = 1
		}
		seqr.Publish(lo, hi)
	}
	for proc.Sequence().Load() < seqr.Cursor() {
		runtime.Gosched() // wait until the consumer has caught up, letting it run
	}
	seqr.Halt()
	fmt.Println(<-done, sum, seqr.Cursor())
	// Output: <nil> 40 39
}

// Several goroutines publish through a multi-producer sequencer; the
// consumer sees every event once.
func ExampleMultiProducerSequencer() {
	b, _ := bus.New[Trade](bus.WithSize(32), bus.WithMultiProducer())
	var count int64
	b.HandleEventsWith(bus.HandlerFunc[Trade](func(*Trade, int64, bool) error { count++; return nil }))
	b.Start()
	var wg sync.WaitGroup
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				b.Publish(func(t *Trade, _ int64) { t.Qty = 1 })
			}
		}()
	}
	wg.Wait()
	b.Shutdown(context.Background())
	fmt.Println(count)
	// Output: 1000
}

// record is a handler that remembers the sequences it saw.
type record struct {
	seen []int64
}

func (r *record) OnEvent(t *Trade, seq int64, _ bool) error {
	r.seen = append(r.seen, seq)
	return nil
}

// Parallel consumers: each sees every event.
func ExampleBus_HandleEventsWith() {
	b, _ := bus.New[Trade](bus.WithSize(8))
	audit, risk := &record{}, &record{}
	b.HandleEventsWith(audit, risk)
	b.Start()
	for i := 0; i < 5; i++ {
		b.Publish(func(t *Trade, seq int64) { t.ID = seq })
	}
	b.Shutdown(context.Background())
	fmt.Println(audit.seen, risk.seen)
	// Output: [0 1 2 3 4] [0 1 2 3 4]
}

// A pipeline and its diamond: value is computed by two consumers in
// parallel, and the journal runs after both, so it sees their results.
func ExampleGroup_Then() {
	b, _ := bus.New[Trade](bus.WithSize(8))
	price := bus.HandlerFunc[Trade](func(t *Trade, _ int64, _ bool) error { t.Price = 10; return nil })
	qty := bus.HandlerFunc[Trade](func(t *Trade, _ int64, _ bool) error { t.Qty = t.ID; return nil })
	var journal []int64
	b.HandleEventsWith(price, qty).Then(bus.HandlerFunc[Trade](func(t *Trade, _ int64, _ bool) error {
		journal = append(journal, t.Price*t.Qty)
		return nil
	}))
	b.Start()
	for i := int64(1); i <= 4; i++ {
		b.Publish(func(t *Trade, _ int64) { t.ID = i })
	}
	b.Shutdown(context.Background())
	fmt.Println(journal)
	// Output: [10 20 30 40]
}

// A worker pool: each event is handled by exactly one worker.
func ExampleBus_HandleEventsWithWorkerPool() {
	b, _ := bus.New[Trade](bus.WithSize(16))
	var mu sync.Mutex
	var handled []int64
	work := bus.HandlerFunc[Trade](func(t *Trade, _ int64, _ bool) error {
		mu.Lock()
		handled = append(handled, t.ID)
		mu.Unlock()
		return nil
	})
	b.HandleEventsWithWorkerPool(work, work, work)
	b.Start()
	for i := int64(0); i < 10; i++ {
		b.Publish(func(t *Trade, _ int64) { t.ID = i })
	}
	b.Shutdown(context.Background())
	sort.Slice(handled, func(i, j int) bool { return handled[i] < handled[j] })
	fmt.Println(handled)
	// Output: [0 1 2 3 4 5 6 7 8 9]
}

// A poller: the caller's goroutine drains events in batches.
func ExamplePoller() {
	b, _ := bus.New[Trade](bus.WithSize(8))
	p := b.NewPoller()
	b.Start()
	for i := int64(0); i < 3; i++ {
		b.Publish(func(t *Trade, _ int64) { t.ID = 100 + i })
	}
	state, _ := p.Poll(func(t *Trade, seq int64, end bool) bool {
		fmt.Println(seq, t.ID, end)
		return true
	})
	fmt.Println(state)
	state, _ = p.Poll(func(*Trade, int64, bool) bool { return true })
	fmt.Println(state)
	b.Shutdown(context.Background())
	// Output:
	// 0 100 false
	// 1 101 false
	// 2 102 true
	// processing
	// idle
}

// A pipeline: each stage sees an event only after the stage before it
// handled it, so decode's writes are visible to enrich, and enrich's to
// the journal.
func ExampleBus_pipeline() {
	b, _ := bus.New[Trade](bus.WithSize(8))
	decode := bus.HandlerFunc[Trade](func(t *Trade, _ int64, _ bool) error { t.Price = t.ID * 100; return nil })
	enrich := bus.HandlerFunc[Trade](func(t *Trade, _ int64, _ bool) error { t.Value = t.Price + 1; return nil })
	var journal []int64
	b.HandleEventsWith(decode).Then(enrich).Then(bus.HandlerFunc[Trade](func(t *Trade, _ int64, _ bool) error {
		journal = append(journal, t.Value)
		return nil
	}))
	b.Start()
	for i := int64(1); i <= 5; i++ {
		b.Publish(func(t *Trade, _ int64) { t.ID = i })
	}
	b.Shutdown(context.Background())
	fmt.Println(journal)
	// Output: [101 201 301 401 501]
}

// notional sums price times quantity. It implements BatchHandler, so its
// consumer calls OnBatch once per run of events instead of OnEvent once
// per event; OnEvent does the same work for one event.
type notional struct{ total, calls int64 }

func (n *notional) OnEvent(t *Trade, seq int64, endOfBatch bool) error {
	n.total += t.Price * t.Qty
	return nil
}

func (n *notional) OnBatch(trades []Trade, first int64, endOfBatch bool) (int, error) {
	n.calls++
	for i := range trades {
		n.total += trades[i].Price * trades[i].Qty
	}
	return len(trades), nil
}

// A handler that takes runs of events: 100 events published in claims of
// 25 on a ring of 64 reach it in 2 to 8 calls (a claim is published at
// once; a run that wraps around the ring is split in two).
func ExampleBatchHandler() {
	b, err := bus.New[Trade](bus.WithSize(64))
	if err != nil {
		panic(err)
	}
	n := &notional{}
	b.HandleEventsWith(n)
	if err := b.Start(); err != nil {
		panic(err)
	}
	for i := int64(0); i < 100; i += 25 {
		err := b.PublishBatch(25, func(t *Trade, seq int64) { t.ID, t.Price, t.Qty = seq, 10, seq+1 })
		if err != nil {
			panic(err)
		}
	}
	if err := b.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println("notional:", n.total, "calls:", n.calls >= 2 && n.calls <= 8)
	// Output: notional: 50500 calls: true
}

// PublishSlices fills a batch through slices of the ring: one call per
// run of slots, two when a claim wraps past the ring's last slot.
func ExampleBus_PublishSlices() {
	b, err := bus.New[Trade](bus.WithSize(64))
	if err != nil {
		panic(err)
	}
	n := &notional{}
	b.HandleEventsWith(n)
	if err := b.Start(); err != nil {
		panic(err)
	}
	calls := 0
	for i := 0; i < 5; i++ {
		err := b.PublishSlices(20, func(ts []Trade, first int64) {
			calls++
			for k := range ts {
				seq := first + int64(k)
				ts[k] = Trade{ID: seq, Price: 10, Qty: seq + 1}
			}
		})
		if err != nil {
			panic(err)
		}
	}
	if err := b.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	// The claim of 60..79 wraps: slots 60..63, then 0..15.
	fmt.Println("notional:", n.total, "fill calls:", calls)
	// Output: notional: 50500 fill calls: 6
}
