package bus_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// The lifecycle: consumers gate the ring from the moment they are added,
// so events published before Start are handled after it; Shutdown drains
// the ring, and State, Err and Wait agree on how the bus ended.
func ExampleBus_Shutdown() {
	b, _ := bus.New[Trade](bus.WithSize(8))
	var ids []int64
	b.HandleEventsWith(bus.HandlerFunc[Trade](func(t *Trade, _ int64, _ bool) error {
		ids = append(ids, t.ID)
		return nil
	}))
	for i := int64(1); i <= 3; i++ {
		b.Publish(func(t *Trade, _ int64) { t.ID = i }) // before Start: waits in the ring
	}
	if err := b.Start(); err != nil {
		panic(err)
	}
	b.Publish(func(t *Trade, _ int64) { t.ID = 4 })
	err := b.Shutdown(context.Background())
	fmt.Println(ids, err, b.State(), b.Wait())
	// Output: [1 2 3 4] <nil> drained <nil>
}

// A Shutdown whose context ends first does not wait for a handler that
// does not return: it reports what was left.
func ExampleShutdownError() {
	b, _ := bus.New[Trade](bus.WithSize(8))
	release := make(chan struct{})
	b.HandleEventsWith(bus.Named[Trade]("ledger", bus.HandlerFunc[Trade](func(*Trade, int64, bool) error {
		<-release // stuck
		return nil
	})))
	b.Start()
	for i := 0; i < 3; i++ {
		b.Publish(func(*Trade, int64) {})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := b.Shutdown(ctx)
	var se *bus.ShutdownError
	if errors.As(err, &se) {
		fmt.Println(b.State(), se.Unhandled, se.Consumers[0].Name, se.Consumers[0].Running)
	}
	close(release)
	// Output: abandoned 3 ledger true
}

// Ending a bus from the goroutine that drives its Poller: Close stops new
// events, the owner polls until PollClosed, and Shutdown then finds
// nothing left to wait for.
func ExamplePoller_close() {
	b, _ := bus.New[Trade](bus.WithSize(8))
	p := b.NewPoller()
	b.Start()
	for i := int64(1); i <= 3; i++ {
		b.Publish(func(t *Trade, _ int64) { t.ID = i })
	}
	b.Close()
	for {
		state, err := p.Poll(func(t *Trade, _ int64, _ bool) bool {
			fmt.Println("trade", t.ID)
			return true
		})
		if err != nil || state == bus.PollClosed {
			break
		}
	}
	fmt.Println(b.Shutdown(context.Background()))
	// Output:
	// trade 1
	// trade 2
	// trade 3
	// <nil>
}

// A producer that must not wait forever for room gives Publish a context:
// on a full ring it returns the context's error and claims nothing.
func ExampleBus_PublishContext() {
	b, _ := bus.New[Trade](bus.WithSize(2))
	release := make(chan struct{})
	b.HandleEventsWith(bus.HandlerFunc[Trade](func(*Trade, int64, bool) error { <-release; return nil }))
	b.Start()
	b.Publish(func(*Trade, int64) {})
	b.Publish(func(*Trade, int64) {}) // the ring is full
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := b.PublishContext(ctx, func(*Trade, int64) {})
	fmt.Println(err, b.Cursor())
	close(release)
	b.Shutdown(context.Background())
	// Output: context deadline exceeded 1
}
