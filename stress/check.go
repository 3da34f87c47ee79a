package stress

import (
	"errors"
	"fmt"

	"github.com/eventbus/eventbus/bus"
)

// violate records a broken invariant; the first one stops the run, since
// it has failed already.
func (r *run) violate(inv Invariant, consumer string, p int, n, seq int64, detail, dump string) {
	r.mu.Lock()
	first := r.first == nil
	if first {
		r.first = &Violation{Seed: r.s.Seed, Invariant: inv, Consumer: consumer, Producer: p, Event: n, Seq: seq, Detail: detail, Dump: dump}
	} else {
		r.more++
	}
	r.mu.Unlock()
	if first {
		r.stop() // halting alone would leave a Shutdown in progress waiting: see TestReproShutdownAfterHalt
	}
}

func (r *run) firstViolation() *Violation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

func (r *run) result() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first == nil {
		return nil
	}
	v := *r.first
	v.More = r.more
	return &v
}

// check runs the end-of-run checks, after every goroutine of the run
// ended.
func (r *run) check() {
	if r.firstViolation() != nil || r.ctx.Err() != nil {
		return // the bus was halted early: the counts prove nothing more
	}
	s := r.s
	f := &r.stopFail
	f.Lock()
	failed := f.done
	f.Unlock()

	// The bus's outcome.
	var ee *bus.EventError
	switch {
	case failed:
		switch {
		case !errors.As(r.busErr, &ee):
			r.violate(Outcome, f.worker, f.p, f.n, f.seq, fmt.Sprintf("the handler failed under StopOnError but the bus ended with %v, not a *bus.EventError", r.busErr), "")
		case ee.Handler != f.worker || ee.Seq != f.seq:
			r.violate(Outcome, f.worker, f.p, f.n, f.seq, fmt.Sprintf("the bus reported %v, not the failure of %s at sequence %d", ee, f.worker, f.seq), "")
		case s.Fail == FailError && !errors.Is(ee.Err, errInjected):
			r.violate(Outcome, f.worker, f.p, f.n, f.seq, fmt.Sprintf("the bus reported %v, not the handler's error", ee), "")
		case s.Fail == FailPanic && !isInjectedPanic(ee.Err, f.p, f.n):
			r.violate(Outcome, f.worker, f.p, f.n, f.seq, fmt.Sprintf("the bus reported %v, not the handler's panic", ee), "")
		}
	case r.busErr != nil:
		r.violate(Outcome, "", -1, -1, -1, fmt.Sprintf("the bus ended with %v, but no handler stopped it", r.busErr), "")
	case s.End == EndDrain && s.Fail != FailNone && s.Policy == PolicyStop:
		r.violate(Outcome, s.Consumers()[s.FailAt], 0, int64(s.FailEvery), -1, "producer 0 published the event the handler fails on, but the handler never saw it", "")
	}
	for _, h := range r.handlers {
		if h.starts.Load() != 1 || h.stops.Load() != 1 {
			r.violate(Lifecycle, h.name, -1, -1, -1, fmt.Sprintf("after the bus ended, OnStart had run %d times and OnShutdown %d times; want once each", h.starts.Load(), h.stops.Load()), "")
		}
	}
	if err := r.b.Publish(func(*event, int64) {}); !errors.Is(err, bus.ErrClosed) {
		r.violate(Outcome, "", -1, -1, -1, fmt.Sprintf("Publish after the bus ended returned %v, not bus.ErrClosed", err), "")
	}

	// Every event published with a nil error is handled by every consumer
	// when Shutdown returned nil; nothing is handled twice or before the
	// consumers it follows, and nothing that no producer wrote.
	complete := r.busErr == nil && s.End != EndHalt
	for _, c := range r.cons {
		for p, pr := range r.prods {
			for n := range int64(s.Events) {
				cnt := c.counts[p][n].Load()
				switch {
				case cnt > 1:
					r.violate(Duplicated, c.name, p, n, -1, fmt.Sprintf("handled %d times", cnt), "")
				case cnt == 1 && n >= pr.next:
					r.violate(Integrity, c.name, p, n, -1, fmt.Sprintf("handled, but the producer wrote only %d events", pr.next), "")
				case cnt == 0 && complete && n < pr.ok:
					r.violate(Lost, c.name, p, n, -1, fmt.Sprintf("Publish returned nil (the producer published %d events) and Shutdown returned nil, but the event was never handled", pr.ok), "")
				}
				if cnt == 0 {
					continue
				}
				for _, d := range c.deps {
					if d.counts[p][n].Load() == 0 {
						r.violate(Dependency, c.name, p, n, -1, fmt.Sprintf("handled, but %s, which it follows, never handled it", d.name), "")
					}
					if failed && d.fails && f.p == p && f.n == n {
						r.violate(Dependency, c.name, p, n, -1, fmt.Sprintf("handled, but %s, which it follows, stopped the bus on it", d.name), "")
					}
				}
			}
		}
	}
}

func isInjectedPanic(err error, p int, n int64) bool {
	var pe *bus.PanicError
	if !errors.As(err, &pe) {
		return false
	}
	v, ok := pe.Value.(injectedPanic)
	return ok && v.p == int64(p) && v.n == n
}
