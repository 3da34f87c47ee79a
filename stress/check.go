package stress

import (
	"errors"
	"fmt"

	"github.com/eventbus/eventbus/bus"
)

// where says what a violation is about: the consumer (or pool worker)
// that saw it, the event, by producer and the producer's counter, and the
// ring sequence, each only where known. Start from wholeRun or by, and add
// the event and the sequence where they are known.
type where struct {
	consumer string // or ""
	p        int    // the producer, or -1
	n        int64  // the producer's counter of the event, or -1
	seq      int64  // the ring sequence, or -1
}

// wholeRun is about the run as a whole: no consumer, event or sequence.
var wholeRun = where{p: -1, n: -1, seq: -1}

// by is about what consumer saw, at no event in particular.
func by(consumer string) where {
	w := wholeRun
	w.consumer = consumer
	return w
}

// event returns w about producer p's event n.
func (w where) event(p int, n int64) where {
	w.p, w.n = p, n
	return w
}

// at returns w at ring sequence seq.
func (w where) at(seq int64) where {
	w.seq = seq
	return w
}

// violation is inv broken where w says, as detail describes.
func (w where) violation(inv Invariant, detail string) Violation {
	return Violation{Invariant: inv, Consumer: w.consumer, Producer: w.p, Event: w.n, Seq: w.seq, Detail: detail}
}

// violate records a broken invariant, seen where w says.
func (r *run) violate(inv Invariant, w where, detail string) { r.record(w.violation(inv, detail)) }

// violateDump records a broken invariant of the run as a whole, with a
// dump of the goroutines (a Progress or Leak).
func (r *run) violateDump(inv Invariant, detail, dump string) {
	v := wholeRun.violation(inv, detail)
	v.Dump = dump
	r.record(v)
}

// record records v; the first violation stops the run, since it has
// failed already.
func (r *run) record(v Violation) {
	v.Seed = r.s.Seed
	r.mu.Lock()
	first := r.first == nil
	if first {
		r.first = &v
	} else {
		r.more++
	}
	r.mu.Unlock()
	if first {
		r.stop() // halting alone would leave a Shutdown in progress waiting: see TestReproShutdownAfterHalt
	}
}

// firstViolation returns the first violation recorded, or nil.
func (r *run) firstViolation() *Violation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

// result returns the run's error: the first violation, with the count
// of the others, or nil.
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
	fw := by(f.worker).event(f.p, f.n).at(f.seq) // the failure, if there was one
	switch {
	case failed && s.End == EndHalt && errors.Is(r.busErr, bus.ErrHalted):
		// The run's Halt ended the bus before the handler's failure did:
		// a bus ends once, the first way it ends, and Halt came first.
	case failed:
		switch {
		case !errors.As(r.busErr, &ee):
			r.violate(Outcome, fw, fmt.Sprintf("the handler failed under StopOnError but the bus ended with %v, not a *bus.EventError", r.busErr))
		case ee.Handler != f.worker || ee.Seq != f.seq:
			r.violate(Outcome, fw, fmt.Sprintf("the bus reported %v, not the failure of %s at sequence %d", ee, f.worker, f.seq))
		case s.Fail == FailError && !errors.Is(ee.Err, errInjected):
			r.violate(Outcome, fw, fmt.Sprintf("the bus reported %v, not the handler's error", ee))
		case s.Fail == FailPanic && !isInjectedPanic(ee.Err, f.p, f.n):
			r.violate(Outcome, fw, fmt.Sprintf("the bus reported %v, not the handler's panic", ee))
		}
	case r.busErr != nil && !(s.End == EndHalt && errors.Is(r.busErr, bus.ErrHalted)):
		r.violate(Outcome, wholeRun, fmt.Sprintf("the bus ended with %v, but no handler stopped it", r.busErr))
	case s.End == EndDrain && s.Fail != FailNone && s.Policy == PolicyStop:
		r.violate(Outcome, by(s.Consumers()[s.FailAt]).event(0, int64(s.FailEvery)), "producer 0 published the event the handler fails on, but the handler never saw it")
	}
	for _, h := range r.handlers {
		if h.starts.Load() != 1 || h.stops.Load() != 1 {
			r.violate(Lifecycle, by(h.name), fmt.Sprintf("after the bus ended, OnStart had run %d times and OnShutdown %d times; want once each", h.starts.Load(), h.stops.Load()))
		}
	}
	if err := r.b.Publish(func(*event, int64) {}); !errors.Is(err, bus.ErrClosed) {
		r.violate(Outcome, wholeRun, fmt.Sprintf("Publish after the bus ended returned %v, not bus.ErrClosed", err))
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
					r.violate(Duplicated, by(c.name).event(p, n), fmt.Sprintf("handled %d times", cnt))
				case cnt == 1 && n >= pr.next:
					r.violate(Integrity, by(c.name).event(p, n), fmt.Sprintf("handled, but the producer wrote only %d events", pr.next))
				case cnt == 0 && complete && n < pr.ok:
					r.violate(Lost, by(c.name).event(p, n), fmt.Sprintf("Publish returned nil (the producer published %d events) and Shutdown returned nil, but the event was never handled", pr.ok))
				}
				if cnt == 0 {
					continue
				}
				for _, d := range c.deps {
					if d.counts[p][n].Load() == 0 {
						r.violate(Dependency, by(c.name).event(p, n), fmt.Sprintf("handled, but %s, which it follows, never handled it", d.name))
					}
					if failed && d.fails && f.p == p && f.n == n {
						r.violate(Dependency, by(c.name).event(p, n), fmt.Sprintf("handled, but %s, which it follows, stopped the bus on it", d.name))
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
