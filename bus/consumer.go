package bus

import (
	"context"
	"errors"
)

// consumer is what the batch event processor and a worker pool's worker
// share: the barrier they wait on, the sequence they record progress in,
// their configuration, and the lifecycle around their event loops
// (pinning, OnStart, OnShutdown, the error policy, OnTimeout). Each loop
// stays its own, with no call per event beyond the handler's. The
// lifecycle's methods take the handler h, whose optional hooks they look
// up when they run, rather than keeping the hooks: with 64-bit pointers
// a consumer is 64 bytes, so that a BatchEventProcessor stays 128 (see
// TestProcessorLayout).
type consumer struct {
	barrier *Barrier
	seq     *Sequence
	cfg     ProcessorConfig
}

// newConsumer returns the consumer part for handler h. An empty cfg.Name
// becomes the handler's name.
func newConsumer(h any, barrier *Barrier, seq *Sequence, cfg ProcessorConfig) consumer {
	if cfg.Name == "" {
		cfg.Name = handlerName(h, cfg.Index)
	}
	return consumer{barrier: barrier, seq: seq, cfg: cfg}
}

// start begins the lifecycle on the calling goroutine, which runs the
// loop: it pins the goroutine (cfg.Pin), calls OnStart, and makes the
// barrier's waits end when ctx is done. It returns stop, for the loop to
// defer, which calls OnShutdown and then releases the pin. A pin error is
// returned as it is and an OnStart error as an *EventError; either way
// nothing is left pinned.
func (c *consumer) start(ctx context.Context, h any) (stop func(), err error) {
	release := func() {}
	if c.cfg.Pin != nil {
		r, err := c.cfg.Pin(c.cfg.Name, c.cfg.Index)
		if err != nil {
			return nil, err
		}
		if r != nil {
			release = r
		}
	}
	started := false
	defer func() {
		if !started {
			release() // OnStart failed or panicked
		}
	}()
	if s, ok := h.(StartHandler); ok {
		if err := s.OnStart(); err != nil {
			return nil, &EventError{Handler: c.cfg.Name, Seq: c.seq.Load(), Err: err}
		}
	}
	started = true
	c.barrier.waiter.ctx = ctx
	s, ok := h.(ShutdownHandler)
	if !ok {
		return release, nil
	}
	return func() {
		defer release()
		s.OnShutdown()
	}, nil
}

// failed applies the error policy to err, the handler's failure at seq.
// A nil result means the loop goes on past the event.
func (c *consumer) failed(seq int64, err error) error {
	e := &EventError{Handler: c.cfg.Name, Seq: seq, Err: err}
	if c.cfg.OnError == nil {
		return e
	}
	return c.cfg.OnError(e)
}

// waitFailed decides what the loop of handler h does after its barrier's
// wait returned err, seq being the last sequence it handled: end,
// returning the error (nil after a halt), or wait again, after a timeout
// that h's OnTimeout and the error policy let pass.
func (c *consumer) waitFailed(h any, seq int64, err error) (end bool, _ error) {
	switch {
	case errors.Is(err, ErrHalted):
		return true, nil
	case errors.Is(err, ErrTimeout):
		th, ok := h.(TimeoutHandler)
		if !ok {
			return false, nil
		}
		if err := th.OnTimeout(seq); err != nil {
			if err := c.failed(seq, err); err != nil {
				return true, err
			}
		}
		return false, nil
	}
	return true, err
}

// The consumer's part of runner.

func (c *consumer) progress() []*Sequence { return []*Sequence{c.seq} }
func (c *consumer) deps() []*Sequence     { return c.barrier.waiter.deps }
func (c *consumer) halt()                 { c.barrier.Halt() }
func (c *consumer) hasGoroutine() bool    { return true }
