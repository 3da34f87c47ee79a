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
//
// Every user callback of the lifecycle runs under guard, the containment
// OnEvent has: an error or a panic becomes an *EventError naming the
// handler and the Phase, and the process survives.
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

// guard calls f, a callback of the given phase, and returns its error, or
// its panic as a *PanicError, inside an *EventError at seq; nil if f
// returned nil.
func (c *consumer) guard(phase Phase, seq int64, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &EventError{Handler: c.cfg.Name, Seq: seq, Phase: phase, Err: newPanicError(r)}
		}
	}()
	if e := f(); e != nil {
		return &EventError{Handler: c.cfg.Name, Seq: seq, Phase: phase, Err: e}
	}
	return nil
}

// start begins the lifecycle on the calling goroutine, which runs the
// loop: it pins the goroutine (cfg.Pin), calls OnStart, and makes the
// barrier's waits end when ctx is done. It returns stop, for the loop to
// call when it ends, which calls OnShutdown and then releases the pin and
// returns the first of their failures. A failure of the pin or of OnStart
// is returned as an *EventError (PhasePin, PhaseStart); either way nothing
// is left pinned.
func (c *consumer) start(ctx context.Context, h any) (stop func() error, err error) {
	release := func() {}
	if pin := c.cfg.Pin; pin != nil {
		var r func()
		if err := c.guard(PhasePin, InitialSequence, func() (e error) { r, e = pin(c.cfg.Name, c.cfg.Index); return e }); err != nil {
			return nil, err
		}
		if r != nil {
			release = r
		}
	}
	unpin := func() error { return c.guard(PhasePin, c.seq.Load(), func() error { release(); return nil }) }
	if s, ok := h.(StartHandler); ok {
		if err := c.guard(PhaseStart, InitialSequence, s.OnStart); err != nil {
			unpin()
			return nil, err
		}
	}
	c.barrier.waiter.ctx = ctx
	s, _ := h.(ShutdownHandler)
	return func() error {
		var err error
		if s != nil {
			err = c.guard(PhaseShutdown, c.seq.Load(), func() error { s.OnShutdown(); return nil })
		}
		if e := unpin(); err == nil {
			err = e
		}
		return err
	}, nil
}

// failed applies the error policy to err, the handler's failure at seq.
// A nil result means the loop goes on past the event.
func (c *consumer) failed(seq int64, err error) error {
	c.counts().failed(err)
	return c.apply(&EventError{Handler: c.cfg.Name, Seq: seq, Err: err})
}

// apply runs the error policy on e. A policy that panics stops the
// consumer with an *EventError of PhasePolicy.
func (c *consumer) apply(e *EventError) error {
	if c.cfg.OnError == nil {
		return e
	}
	var out error
	if err := c.guard(PhasePolicy, e.Seq, func() error { out = c.cfg.OnError(e); return nil }); err != nil {
		return err
	}
	return out
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
		if err := c.guard(PhaseTimeout, seq, func() error { return th.OnTimeout(seq) }); err != nil {
			if err := c.apply(err.(*EventError)); err != nil {
				return true, err
			}
		}
		return false, nil
	}
	return true, err
}

// ended merges the error a loop ended with and the error of its stop: the
// first failure wins.
func ended(err error, stop func() error) error {
	if e := stop(); err == nil {
		return e
	}
	return err
}

// The consumer's part of runner.

func (c *consumer) progress() []*Sequence { return []*Sequence{c.seq} }
func (c *consumer) deps() []*Sequence     { return c.barrier.waiter.deps }
func (c *consumer) halt()                 { c.barrier.Halt() }
func (c *consumer) hasGoroutine() bool    { return true }
func (c *consumer) name() string          { return c.cfg.Name }
