package stress

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// errInjected is what a failing handler returns; injectedPanic is what it
// panics with.
var errInjected = errors.New("stress: injected handler error")

type injectedPanic struct{ p, n int64 }

// consumer is a logical consumer: a batch event processor, a poller, or a
// whole worker pool.
type consumer struct {
	r       *run
	idx     int
	name    string
	ordered bool // sees every sequence in order (processors and pollers)
	deps    []*consumer
	fails   bool
	counts  [][]atomic.Uint32 // [producer][event]: times handled
	lastSeq int64             // ordered consumers: the last sequence seen
	lastN   []int64           // ordered consumers: per producer, the last event seen

	handled  atomic.Int64
	failures atomic.Int64
}

// handler is one handler goroutine's view of a consumer: a processor, a
// poller or one pool worker.
type handler struct {
	c         *consumer
	name      string
	lastSeq   int64
	lifecycle bool         // the bus calls OnStart and OnShutdown (processors and pool workers)
	starts    atomic.Int32 // OnStart calls
	stops     atomic.Int32 // OnShutdown calls
}

func (h *handler) OnEvent(e *event, seq int64, _ bool) error { return h.c.see(h, e, seq) }

// OnStart implements bus.StartHandler.
func (h *handler) OnStart() error {
	if n := h.starts.Add(1); n > 1 {
		h.c.r.violate(Lifecycle, by(h.name), fmt.Sprintf("OnStart ran %d times", n))
	}
	return nil
}

// OnShutdown implements bus.ShutdownHandler.
func (h *handler) OnShutdown() {
	if n := h.stops.Add(1); n > 1 {
		h.c.r.violate(Lifecycle, by(h.name), fmt.Sprintf("OnShutdown ran %d times", n))
	}
}

// seeHook, when not nil, runs first for every event a consumer is handed,
// with the handler's name (a pool worker's own) and a copy of the event,
// which it may change to change what the consumer sees; returning true
// makes the consumer ignore the event. Tests use it to plant misbehaviour and prove
// that the checks see it.
var seeHook func(ctx context.Context, handler string, e *event, seq int64) (ignore bool)

// see checks and records one event handed to consumer c through h.
func (c *consumer) see(h *handler, e *event, seq int64) error {
	r := c.r
	slot := e
	if r.hook != nil {
		// The hook may change what this consumer sees, not the slot: give it
		// a copy of what this consumer reads (not the marks of consumers
		// beside it, which they write meanwhile).
		cp := event{P: e.P, N: e.N, Check: e.Check}
		for _, d := range c.deps {
			cp.Marks[d.idx] = e.Marks[d.idx]
		}
		if r.hook(r.ctx, h.name, &cp, seq) {
			return nil
		}
		e = &cp
	}
	c.handled.Add(1)
	if h.lifecycle && (h.starts.Load() != 1 || h.stops.Load() != 0) {
		r.violate(Lifecycle, by(h.name).at(seq), fmt.Sprintf("handed an event after %d OnStart and %d OnShutdown calls", h.starts.Load(), h.stops.Load()))
	}
	p, n := int(e.P), e.N
	w := by(h.name).event(p, n).at(seq)
	if p < 0 || p >= r.s.Producers || n < 0 || n >= int64(r.s.Events) || e.Check != tag(r.s.Seed, p, n) {
		r.violate(Integrity, by(h.name).at(seq), fmt.Sprintf("the slot holds producer %d event %d check %#x: no producer wrote that", e.P, e.N, e.Check))
		return nil
	}
	cnt := c.counts[p][n].Add(1)
	if cnt > 1 {
		r.violate(Duplicated, w, fmt.Sprintf("handled %d times", cnt))
	}
	if c.ordered {
		if seq != c.lastSeq+1 {
			r.violate(ForwardOnly, w, fmt.Sprintf("sequence %d follows sequence %d", seq, c.lastSeq))
		}
		c.lastSeq = seq
		switch last := c.lastN[p]; {
		case n > last+1:
			r.violate(Lost, w, fmt.Sprintf("events %d to %d of the producer were skipped", last+1, n-1))
		case n <= last && cnt == 1:
			r.violate(Reordered, w, fmt.Sprintf("seen after the producer's event %d", last))
		}
		c.lastN[p] = max(c.lastN[p], n)
	} else {
		if seq <= h.lastSeq {
			r.violate(ForwardOnly, w, fmt.Sprintf("worker took sequence %d after %d", seq, h.lastSeq))
		}
		h.lastSeq = seq
	}
	for _, d := range c.deps {
		if e.Marks[d.idx] != e.Check {
			r.violate(Dependency, w, fmt.Sprintf("handled before %s, which it follows, had handled it", d.name))
		}
	}
	slot.Marks[c.idx] = e.Check
	if r.s.SlowEvery > 0 && (n+int64(p))%int64(r.s.SlowEvery) == 0 {
		if r.s.SlowFor > 0 {
			time.Sleep(r.s.SlowFor)
		} else {
			runtime.Gosched()
		}
	}
	if !c.fails {
		return nil
	}
	switch r.s.Policy {
	case PolicySkip:
		if (e.Check>>1)%uint64(r.s.FailEvery) != 0 { // Check is odd: use the other bits
			return nil
		}
	default:
		if p != 0 || n != int64(r.s.FailEvery) {
			return nil
		}
		f := &r.stopFail
		f.Lock()
		f.done, f.worker, f.seq, f.p, f.n = true, h.name, seq, p, n
		f.Unlock()
	}
	c.failures.Add(1)
	if r.s.Fail == FailPanic {
		panic(injectedPanic{int64(p), n})
	}
	return errInjected
}

func (r *run) runPoller(p *bus.Poller[event], h *handler) {
	fn := func(e *event, seq int64, _ bool) bool {
		h.c.see(h, e, seq)
		return r.s.PollBreak == 0 || seq%int64(r.s.PollBreak) != 0
	}
	for {
		st, err := p.Poll(fn)
		if errors.Is(err, bus.ErrHalted) {
			return
		}
		if err != nil {
			r.violate(Outcome, by(h.name), fmt.Sprintf("Poll returned %v", err))
			return
		}
		if st == bus.PollProcessing {
			continue
		}
		switch err := p.Wait(r.ctx); {
		case err == nil, errors.Is(err, bus.ErrTimeout):
		case errors.Is(err, bus.ErrHalted), errors.Is(err, bus.ErrClosed), r.ctx.Err() != nil:
			return // ErrClosed: the bus is closed and this poller drained
		default:
			r.violate(Outcome, by(h.name), fmt.Sprintf("Poller.Wait returned %v", err))
			return
		}
	}
}
