package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/eventbus/eventbus/bus"
)

// The busraw scenario is the Go peers' workload (issue 17) through the
// public Bus API and through the raw sequencer path it wraps: one producer
// writes an int64 into each slot, one consumer sums the slots with one
// OnBatch call per run of events, on a ring of -size slots. It runs five
// ways in each repetition, one after another: the sequencer's Next and
// Publish with a BatchEventProcessor, one event per claim and -batch per
// claim, and Bus.Publish, Bus.PublishBatch(-batch) and
// Bus.PublishSlices(-batch). The ratios are the Bus's time per event over
// the raw path's, so 1.2x means the Bus API costs 20% more than the path
// it wraps.

// BusRawResult is the busraw scenario's figures.
type BusRawResult struct {
	Raw        Impl  `json:"raw"`
	Bus        Impl  `json:"bus"`
	RawBatch   Impl  `json:"raw_batch"`
	BusBatch   Impl  `json:"bus_batch"`
	BusSlices  Impl  `json:"bus_slices"`
	BusToRaw   Ratio `json:"bus_to_raw_time"`
	BatchToRaw Ratio `json:"bus_batch_to_raw_batch_time"`
	// SlicesToRaw is PublishSlices's time per event over the raw batch's.
	SlicesToRaw Ratio `json:"bus_slices_to_raw_batch_time"`
}

// sum64 adds up the int64 events it is given, one call per run.
type sum64 struct{ sum int64 }

func (h *sum64) OnEvent(ev *int64, _ int64, _ bool) error {
	h.sum += *ev
	return nil
}

func (h *sum64) OnBatch(evs []int64, _ int64, _ bool) (int, error) {
	s := h.sum
	for _, v := range evs {
		s += v
	}
	h.sum = s
	return len(evs), nil
}

// sumTo is the sum of 0..n-1, what the consumer must arrive at.
func sumTo(n int64) int64 { return n * (n - 1) / 2 }

func runBusRaw(c *config, pg *progress) (*BusRawResult, error) {
	res := &BusRawResult{}
	res.Bus.Batch, res.Raw.Batch, res.BusBatch.Batch, res.RawBatch.Batch, res.BusSlices.Batch = 1, 1, c.batch, c.batch, c.batch
	var busR, batchR, slicesR []float64
	for range c.count {
		var st [5]runStats
		for i, x := range []struct {
			impl   *Impl
			batch  int
			bus    bool
			slices bool
		}{{&res.Raw, 1, false, false}, {&res.Bus, 1, true, false}, {&res.RawBatch, c.batch, false, false}, {&res.BusBatch, c.batch, true, false}, {&res.BusSlices, c.batch, true, true}} {
			var err error
			if x.bus {
				st[i], err = runPeerBus(c, x.batch, x.slices)
			} else {
				st[i], err = runPeerRaw(c, x.batch)
			}
			if err != nil {
				return nil, err
			}
			pg.step(fmt.Sprintf("busraw bus=%v batch %d slices=%v", x.bus, x.batch, x.slices))
			x.impl.Runs = append(x.impl.Runs, st[i].perSecond())
			x.impl.Events += st[i].events
			x.impl.AllocsPerEvent += float64(st[i].mallocs)
		}
		busR = append(busR, st[0].perSecond()/st[1].perSecond())
		batchR = append(batchR, st[2].perSecond()/st[3].perSecond())
		slicesR = append(slicesR, st[2].perSecond()/st[4].perSecond())
	}
	for _, impl := range []*Impl{&res.Raw, &res.Bus, &res.RawBatch, &res.BusBatch, &res.BusSlices} {
		impl.EventsPerSec = median(impl.Runs)
		if impl.Events > 0 {
			impl.AllocsPerEvent /= float64(impl.Events) // mallocs were summed into it
		}
	}
	res.BusToRaw, res.BatchToRaw, res.SlicesToRaw = newRatio(busR), newRatio(batchR), newRatio(slicesR)
	return res, nil
}

// runPeerBus is the workload on a Bus: Publish, or PublishBatch of batch
// (PublishSlices if slices is set).
func runPeerBus(c *config, batch int, slices bool) (runStats, error) {
	x, err := bus.New[int64](c.busOptions(false)...)
	if err != nil {
		return runStats{}, err
	}
	h := &sum64{}
	leaf := x.HandleEventsWith(h).Sequences()
	if err := x.Start(); err != nil {
		return runStats{}, err
	}
	defer x.Halt()
	produce := func(_ int, l limit) (int64, error) {
		var i int64
		fill := func(e *int64, _ int64) { *e = i; i++ }
		fillRun := func(evs []int64, _ int64) {
			v := i
			for k := range evs {
				evs[k] = v
				v++
			}
			i = v
		}
		for {
			k := l.next(i)
			if k <= 0 {
				return i, nil
			}
			for k > 0 {
				n := min(int64(batch), k)
				var err error
				switch {
				case n == 1:
					err = x.Publish(fill)
				case slices:
					err = x.PublishSlices(int(n), fillRun)
				default:
					err = x.PublishBatch(int(n), fill)
				}
				if err != nil {
					return i, err
				}
				k -= n
			}
		}
	}
	st, _, err := measure(c, 1, produce, func(total int64) error { return waitSequences(leaf, total-1) })
	if err != nil {
		return runStats{}, fmt.Errorf("busraw on the bus: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stallLimit)
	defer cancel()
	if err := x.Shutdown(ctx); err != nil {
		return runStats{}, fmt.Errorf("busraw on the bus: shutdown: %w", err)
	}
	if h.sum != sumTo(st.events) {
		return runStats{}, fmt.Errorf("busraw on the bus: summed %d, want %d", h.sum, sumTo(st.events))
	}
	return st, nil
}

// runPeerRaw is the workload on the single-producer sequencer, a Ring and
// a BatchEventProcessor, claiming batch slots at a time.
func runPeerRaw(c *config, batch int) (runStats, error) {
	seqr, err := bus.NewSingleProducerSequencer(c.size, bus.WithPad(c.pad), bus.WithWaitStrategy(c.waitStrategy()))
	if err != nil {
		return runStats{}, err
	}
	ring, err := bus.NewRing[int64](c.size, c.pad)
	if err != nil {
		return runStats{}, err
	}
	h := &sum64{}
	p, err := bus.NewBatchEventProcessor(ring, seqr.NewBarrier(), bus.Handler[int64](h), bus.ProcessorConfig{})
	if err != nil {
		return runStats{}, err
	}
	seqr.AddGatingSequences(p.Sequence())
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = p.Run(context.Background()) })
	produce := func(_ int, l limit) (int64, error) {
		var i int64
		for {
			k := l.next(i)
			if k <= 0 {
				return i, nil
			}
			for k > 0 {
				n := min(int64(batch), k)
				lo, hi, err := seqr.Next(int(n))
				if err != nil {
					return i, err
				}
				for s := lo; s <= hi; s++ {
					*ring.Get(s) = i
					i++
				}
				if err := seqr.Publish(lo, hi); err != nil {
					return i, err
				}
				k -= n
			}
		}
	}
	st, _, err := measure(c, 1, produce, func(total int64) error {
		return waitSequences([]*bus.Sequence{p.Sequence()}, total-1)
	})
	seqr.Halt()
	wg.Wait()
	if err == nil {
		err = runErr
	}
	if err != nil {
		return runStats{}, fmt.Errorf("busraw on the sequencer: %w", err)
	}
	if h.sum != sumTo(st.events) {
		return runStats{}, fmt.Errorf("busraw on the sequencer: summed %d, want %d", h.sum, sumTo(st.events))
	}
	return st, nil
}
