package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

// stallLimit bounds every wait of a trial for the bus: a leaf that does
// not reach an event within it fails the trial rather than hang it.
const stallLimit = 5 * time.Second

// live is one bus built with a candidate's layout and plan, wired in the
// shape, started.
type live struct {
	x     *bus.Bus[scenario.Event]
	w     wired
	plan  affinity.Plan
	stop  atomic.Bool
	wg    sync.WaitGroup
	errs  chan error
	count []int64 // events published by each producer, once it returned
}

func (s shape) start(c affinity.Candidate) (*live, error) {
	opts := []bus.Option{bus.WithLayout(c.Layout), bus.WithPin(affinity.PinPlan(c.Affinity))}
	if s.producers > 1 {
		opts = append(opts, bus.WithMultiProducer())
	}
	x, err := bus.New[scenario.Event](opts...)
	if err != nil {
		return nil, err
	}
	r := &live{x: x, w: s.wire(x), plan: c.Affinity, errs: make(chan error, s.producers+1), count: make([]int64, s.producers)}
	if err := x.Start(); err != nil {
		return nil, err
	}
	return r, nil
}

// handled returns how many events every leaf has handled.
func (r *live) handled() int64 {
	low := r.w.leaves[0].Load()
	for _, l := range r.w.leaves[1:] {
		low = min(low, l.Load())
	}
	return low + 1
}

// produce starts producer p, pinned as the plan says, publishing the
// values 0, 1, ... until stopped.
func (r *live) produce(p int) {
	r.wg.Go(func() {
		release, err := affinity.PinProducer(r.plan, p)
		if err != nil {
			r.errs <- err
			return
		}
		defer release()
		var i int64
		for !r.stop.Load() {
			if err := r.x.Publish(func(e *scenario.Event, _ int64) { e.V = i }); err != nil {
				r.errs <- err
				break
			}
			i++
		}
		r.count[p] = i
	})
}

// finish stops the producers, drains the bus and checks what the
// consumers saw; after a failure (err not nil) it halts the bus instead
// and returns err.
func (r *live) finish(ctx context.Context, err error) error {
	r.stop.Store(true)
	if err != nil {
		r.x.Halt()
		r.wg.Wait()
		r.x.Wait()
		return err
	}
	r.wg.Wait()
	select {
	case err := <-r.errs:
		r.x.Halt()
		r.x.Wait()
		return err
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, stallLimit)
	defer cancel()
	if err := r.x.Shutdown(ctx); err != nil {
		return err
	}
	return r.w.check(r.count)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// throughput is -objective throughput's trial: every producer publishes
// as fast as it can for d, and the figure is the time per event the
// leaves handled between a fifth of d (after the bus warmed up) and d.
func (s shape) throughput(ctx context.Context, c affinity.Candidate, d time.Duration) (float64, error) {
	r, err := s.start(c)
	if err != nil {
		return 0, err
	}
	for p := range s.producers {
		r.produce(p)
	}
	err = sleep(ctx, d/5)
	t0, h0 := time.Now(), r.handled()
	if err == nil {
		err = sleep(ctx, d-d/5)
	}
	// A thread pinned to a CPU that other programs keep busy may handle
	// nothing in a short window: wait for the leaves to move (within the
	// stall limit), so that the figure says how slow that was.
	for err == nil && r.handled() == h0 && time.Since(t0) < stallLimit {
		err = sleep(ctx, d/5)
	}
	el, n := time.Since(t0), r.handled()-h0
	if err := r.finish(ctx, err); err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, fmt.Errorf("%s: %w in %v", s.title, errStalledLeaf, el)
	}
	return float64(el.Nanoseconds()) / float64(n), nil
}

// latency is -objective latency's trial: one producer publishes one event
// at a time and waits until every leaf has handled it; the figure is the
// median time of that round trip after the first fifth of d. On a machine
// too busy to complete one in d, it goes on until one completes (each
// within the stall limit).
func (s shape) latency(ctx context.Context, c affinity.Candidate, d time.Duration) (float64, error) {
	r, err := s.start(c)
	if err != nil {
		return 0, err
	}
	var samples []float64
	r.wg.Go(func() {
		release, err := affinity.PinProducer(r.plan, 0)
		if err != nil {
			r.errs <- err
			return
		}
		defer release()
		start := time.Now()
		warm, end := start.Add(d/5), start.Add(d)
		var i int64
		for ; !r.stop.Load(); i++ {
			t0 := time.Now()
			if err := r.x.Publish(func(e *scenario.Event, _ int64) { e.V = i }); err != nil {
				r.errs <- err
				break
			}
			if err := r.await(ctx, i+1); err != nil {
				r.errs <- err
				break
			}
			t1 := time.Now()
			if t0.After(warm) {
				samples = append(samples, float64(t1.Sub(t0).Nanoseconds()))
			}
			if t1.After(end) && len(samples) > 0 {
				i++
				break
			}
		}
		r.count[0] = i
	})
	r.wg.Wait()
	var failed error
	select {
	case failed = <-r.errs:
	default:
	}
	if err := r.finish(ctx, failed); err != nil {
		return 0, err
	}
	if len(samples) == 0 {
		return 0, fmt.Errorf("%s: no event handled after the warm-up", s.title)
	}
	slices.Sort(samples)
	return samples[len(samples)/2], nil
}

// errStalledLeaf ends a latency trial whose leaves stopped advancing.
var errStalledLeaf = errors.New("a leaf consumer did not advance")

// await spins until every leaf has handled n events, checking ctx and the
// stall limit every 1024 looks.
func (r *live) await(ctx context.Context, n int64) error {
	var deadline time.Time
	for i := 1; r.handled() < n; i++ {
		if i%1024 != 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(stallLimit)
		} else if time.Now().After(deadline) {
			return fmt.Errorf("%w within %v", errStalledLeaf, stallLimit)
		}
	}
	return nil
}
