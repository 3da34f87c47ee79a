package stress

// This file runs a lifecycle scenario: builds the bus, publishes, ends
// it the scenario's way, and checks what the bus reported.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// lifeRun is the state of one run.
type lifeRun struct {
	s        LifecycleScenario
	b        *bus.Bus[lifeEvent]
	cons     []*lifeConsumer
	hooked   *lifeHooked
	mu       sync.Mutex
	acked    []int64 // ids whose Publish returned nil
	tried    int64   // the highest id a publish was attempted for
	skipped  []int64 // ids whose fill panicked
	problems []string
}

func (r *lifeRun) problem(f string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(f, args...))
}

// publish publishes id, records it if acknowledged, and returns the error.
func (r *lifeRun) publish(ctx context.Context, id int64) error {
	r.mu.Lock()
	r.tried = max(r.tried, id)
	r.mu.Unlock()
	var err error
	if ctx != context.Background() {
		err = r.b.PublishContext(ctx, func(e *lifeEvent, _ int64) { e.id = id })
	} else {
		err = r.b.Publish(func(e *lifeEvent, _ int64) { e.id = id })
	}
	if err == nil {
		r.mu.Lock()
		r.acked = append(r.acked, id)
		r.mu.Unlock()
	}
	return err
}

// RunLifecycle runs s and returns a *LifecycleViolation listing what broke
// the contract, or nil.
func RunLifecycle(s LifecycleScenario) error {
	r := &lifeRun{s: s}
	if err := r.run(); err != nil {
		return err
	}
	if len(r.problems) > 0 {
		return &LifecycleViolation{Scenario: s, Problems: r.problems}
	}
	return nil
}

func (r *lifeRun) run() error {
	s := r.s
	w, err := bus.NewWaitStrategy(s.Wait)
	if err != nil {
		return err
	}
	if s.Kind == LifeCallbackPanic && (s.Callback == "timeout" || s.Callback == "policy") {
		w = &bus.TimeoutBlockingWait{Timeout: time.Millisecond}
	}
	opts := []bus.Option{bus.WithSize(s.RingSize), bus.WithWaitStrategy(w)}
	if s.Multi {
		opts = append(opts, bus.WithMultiProducer())
	}
	if s.Kind == LifeCallbackPanic {
		cb := s.Callback
		opts = append(opts, bus.WithPin(func(string, int) (func(), error) {
			if cb == "pin" {
				panic("lifecycle: pin")
			}
			return func() {
				if cb == "release" {
					panic("lifecycle: release")
				}
			}, nil
		}))
		if cb == "policy" {
			opts = append(opts, bus.WithErrorPolicy(func(*bus.EventError) error { panic("lifecycle: policy") }))
		}
	}
	r.b, err = bus.New[lifeEvent](opts...)
	if err != nil {
		return err
	}
	ordered := !s.Multi
	first := &lifeConsumer{name: "first", ordered: ordered}
	r.hooked = &lifeHooked{lifeConsumer: lifeConsumer{name: "hooked", ordered: ordered && !s.Pool}, entered: make(chan struct{}), release: make(chan struct{})}
	if s.Kind == LifeCallbackPanic {
		r.hooked.callback = s.Callback
	}
	if s.Kind == LifeStuckHandler {
		r.hooked.stuckAt = int64(1 + s.Seed%uint64(s.Events))
	}
	g := r.b.HandleEventsWith(first)
	if s.Pool {
		g.ThenWorkerPool(r.hooked)
	} else {
		g.Then(r.hooked)
	}
	r.cons = []*lifeConsumer{first, &r.hooked.lifeConsumer}
	switch s.Kind {
	case LifePollerShutdown:
		return r.pollerShutdown()
	case LifeProducerContext:
		return r.producerContext()
	}
	return r.startAndEnd()
}

// startAndEnd publishes s.Before events before Start (from a goroutine,
// since it may have to wait for Start), starts, publishes the rest and
// shuts down: the run of every kind but the poller's and the producer
// context's.
func (r *lifeRun) startAndEnd() error {
	s := r.s
	// A stuck handler fills the ring: publishes then wait until it is stuck.
	pubCtx := context.Background()
	if s.Kind == LifeStuckHandler {
		var stuck context.CancelFunc
		pubCtx, stuck = context.WithCancel(context.Background())
		defer stuck()
		go func() {
			select {
			case <-r.hooked.entered:
			case <-pubCtx.Done(): // the run ended without the handler getting stuck
			}
			stuck()
		}()
	}
	next := int64(1)
	pub := func() {
		id := next
		next++
		if s.Kind == LifeFillPanic && id%int64(s.Every) == 0 {
			func() {
				defer func() {
					if recover() != nil {
						r.mu.Lock()
						r.skipped = append(r.skipped, id)
						r.tried = max(r.tried, id)
						r.mu.Unlock()
					}
				}()
				r.b.Publish(func(*lifeEvent, int64) { panic("lifecycle: fill") })
			}()
			return
		}
		r.publish(pubCtx, id)
	}
	before := make(chan struct{})
	go func() {
		defer close(before)
		for range s.Before {
			pub()
		}
	}()
	if s.Before <= s.RingSize {
		<-before // room for all: Publish before Start must not wait
	}
	startErr := r.b.Start()
	<-before
	if startErr == nil {
		for range s.Events - s.Before {
			pub()
		}
	}
	if s.Kind == LifeCallbackPanic && (s.Callback == "timeout" || s.Callback == "policy") && startErr == nil {
		r.b.Wait() // the idle consumer times out every millisecond
	}
	if s.Kind == LifeStuckHandler && !r.await(r.hooked.entered, "the handler meant to get stuck") {
		r.hooked.unstick()
	}
	deadline := 20 * time.Second
	if s.Kind == LifeStuckHandler {
		deadline = s.Deadline
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	done := make(chan error, 1)
	begun := time.Now()
	go func() { done <- r.b.Shutdown(ctx) }()
	var shutErr error
	select {
	case shutErr = <-done:
	case <-time.After(deadline + shutdownBound):
		r.problem("Shutdown did not return within %v of its %v deadline", shutdownBound, deadline)
		r.hooked.unstick() // let it end, to see the rest
		shutErr = <-done
	}
	took := time.Since(begun)
	if s.Kind == LifeStuckHandler {
		r.hooked.unstick()
	}
	r.checkEnd(startErr, shutErr, took)
	return nil
}

// await waits for c to be closed, and reports a problem if it is not
// within a generous bound: who never got the event it waits on.
func (r *lifeRun) await(c <-chan struct{}, who string) bool {
	select {
	case <-c:
		return true
	case <-time.After(5 * shutdownBound):
		r.problem("%s never got its event", who)
		return false
	}
}

// pollerShutdown ends the bus from the goroutine of its Poller.
func (r *lifeRun) pollerShutdown() error {
	s := r.s
	polled := &lifeConsumer{name: "poller", ordered: !s.Multi}
	p := r.b.NewPoller()
	r.cons = append(r.cons, polled)
	for id := int64(1); id <= int64(min(s.Before, s.RingSize)); id++ {
		r.publish(context.Background(), id)
	}
	if err := r.b.Start(); err != nil {
		r.problem("Start: %v", err)
	}
	ended := make(chan error, 1)
	go func() { // the poller's own goroutine
		for {
			st, err := p.Poll(func(e *lifeEvent, _ int64, _ bool) bool { polled.add(e.id); return true })
			if err != nil {
				ended <- err
				return
			}
			if st == bus.PollClosed {
				break
			}
			if st != bus.PollProcessing {
				p.Wait(context.Background())
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ended <- r.b.Shutdown(ctx)
	}()
	for id := int64(min(s.Before, s.RingSize)) + 1; id <= int64(s.Events); id++ {
		if r.publish(context.Background(), id) != nil {
			break
		}
	}
	r.b.Close()
	var shutErr error
	select {
	case shutErr = <-ended:
	case <-time.After(20*time.Second + shutdownBound):
		r.problem("the poller's goroutine did not end the bus")
		r.b.Halt()
		shutErr = <-ended
	}
	r.checkEnd(nil, shutErr, 0)
	return nil
}

// producerContext fills the ring behind a gated consumer, cancels the
// contexts of waiting producers, and checks that they claimed nothing.
func (r *lifeRun) producerContext() error {
	s := r.s
	if err := r.b.Start(); err != nil {
		r.problem("Start: %v", err)
	}
	r.hooked.stuckAt = 1
	id := int64(1)
	for ; id <= int64(s.RingSize); id++ {
		if err := r.publish(context.Background(), id); err != nil {
			r.problem("Publish %d into a ring with room: %v", id, err)
		}
	}
	if !r.await(r.hooked.entered, "the handler meant to hold the ring full") {
		r.b.Halt()
		return nil
	}
	cursor := r.b.Cursor()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.b.PublishContext(ctx, func(e *lifeEvent, _ int64) { e.id = -1 }) }()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			r.problem("PublishContext on a full ring after cancel returned %v", err)
		}
	case <-time.After(shutdownBound):
		r.problem("PublishContext on a full ring ignored its cancelled context")
		r.hooked.unstick()
		<-errc
		r.checkEnd(nil, r.b.Shutdown(context.Background()), 0)
		return nil
	}
	if got := r.b.Cursor(); got != cursor {
		r.problem("the cancelled PublishContext moved the cursor from %d to %d", cursor, got)
	}
	r.hooked.unstick()
	for ; id <= int64(max(s.Events, s.RingSize+1)); id++ {
		r.publish(context.Background(), id)
	}
	r.checkEnd(nil, r.b.Shutdown(context.Background()), 0)
	return nil
}
