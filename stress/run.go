package stress

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/goleak"

	"github.com/eventbus/eventbus/bus"
)

// DefaultStall is how long a run may go without any event being published
// or handled, while work is pending, before the watchdog fails it.
const DefaultStall = 10 * time.Second

// Options configures Run. The zero value is ready to use: DefaultStall and
// the goroutine-leak check on.
type Options struct {
	// Stall is how long nothing may move while work is pending before the
	// run fails with a Progress violation and a goroutine dump; 0 means
	// DefaultStall.
	Stall time.Duration
	// NoLeakCheck turns off the check that every goroutine the run started
	// (the bus's included) has ended when it returns.
	NoLeakCheck bool
}

// Report says what a run did.
type Report struct {
	Scenario  Scenario
	Published int64         // events whose Publish returned nil
	Handled   int64         // handler calls and polled events, over all consumers
	Failures  int64         // injected handler failures (errors and panics)
	BusErr    error         // what Shutdown (or Wait, after Halt) returned
	Elapsed   time.Duration // from Start to the end of the checks
}

// Moved returns the events moved by the run: published events times the
// consumers that handled them, as counted by Handled.
func (r Report) Moved() int64 { return r.Handled }

// errInjected is what a failing handler returns; injectedPanic is what it
// panics with.
var errInjected = errors.New("stress: injected handler error")

type injectedPanic struct{ p, n int64 }

// event is the payload: who wrote it, a check word derived from both, and
// one mark per consumer, set when that consumer handles it, which the
// consumers after it check.
type event struct {
	P     int32
	N     int64
	Check uint64
	Marks [maxConsumers]uint64
}

// tag is the check word of producer p's event n: never zero, so an
// unwritten slot never passes.
func tag(seed uint64, p int, n int64) uint64 {
	z := seed ^ uint64(p)<<48 ^ uint64(n) + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return (z ^ z>>31) | 1
}

// Run builds the bus s describes, runs it to its end and checks every
// invariant. It returns a *Violation for the first invariant broken (with
// the count of others), a validation error for a scenario that cannot run,
// or ctx.Err() if ctx ended first. Run sets GOMAXPROCS for the run and
// restores it; runs must not overlap.
func Run(ctx context.Context, s Scenario, opts Options) (Report, error) {
	rep := Report{Scenario: s}
	if err := s.Validate(); err != nil {
		return rep, err
	}
	stall := opts.Stall
	if stall <= 0 {
		stall = DefaultStall
	}
	var before goleak.Option
	if !opts.NoLeakCheck {
		before = goleak.IgnoreCurrent()
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(s.GOMAXPROCS))

	r, err := newRun(ctx, s)
	if err != nil {
		return rep, err
	}
	defer r.cancel()
	start := time.Now()
	if err := r.b.Start(); err != nil {
		return rep, fmt.Errorf("stress: seed %d: Start: %w", s.Seed, err)
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		r.drive()
	}()
	abandoned := r.watch(ctx, stall, finished)
	if abandoned {
		// The bus did not stop after the watchdog halted it: report the stall
		// and leave its goroutines behind (and busErr, which drive may still
		// write, unread).
		return r.report(rep, start), r.result()
	}
	rep.BusErr = r.busErr
	r.check()
	if ctx.Err() != nil && r.firstViolation() == nil {
		return r.report(rep, start), ctx.Err()
	}
	if !opts.NoLeakCheck && r.firstViolation() == nil {
		if err := goleak.Find(before); err != nil {
			r.violate(Leak, "", -1, -1, -1, "goroutines outlived the run", err.Error())
		}
	}
	return r.report(rep, start), r.result()
}

type run struct {
	s        Scenario
	b        *bus.Bus[event]
	ctx      context.Context // cancelled to stop the run
	cancel   context.CancelFunc
	cons     []*consumer
	handlers []*handler // of processors and pool workers
	prods    []*producer
	poll     []func()
	hook     func(ctx context.Context, handler string, e *event, seq int64) bool // seeHook when the run started

	published atomic.Int64
	trigger   chan struct{}
	trigOnce  sync.Once
	busErr    error

	mu    sync.Mutex
	first *Violation
	more  int

	stopFail struct { // the failure of a PolicyStop scenario, once it happened
		sync.Mutex
		done   bool
		worker string
		seq    int64
		p      int
		n      int64
	}
}

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
		h.c.r.violate(Lifecycle, h.name, -1, -1, -1, fmt.Sprintf("OnStart ran %d times", n), "")
	}
	return nil
}

// OnShutdown implements bus.ShutdownHandler.
func (h *handler) OnShutdown() {
	if n := h.stops.Add(1); n > 1 {
		h.c.r.violate(Lifecycle, h.name, -1, -1, -1, fmt.Sprintf("OnShutdown ran %d times", n), "")
	}
}

func newRun(ctx context.Context, s Scenario) (*run, error) {
	wait, err := bus.NewWaitStrategy(s.Wait)
	if err != nil {
		return nil, err
	}
	opts := []bus.Option{bus.WithSize(s.RingSize), bus.WithWaitStrategy(wait), bus.WithBatchLimit(s.BatchLimit)}
	if s.Multi {
		opts = append(opts, bus.WithMultiProducer())
	}
	if s.Policy == PolicySkip {
		opts = append(opts, bus.WithErrorPolicy(bus.SkipOnError))
	} else {
		opts = append(opts, bus.WithErrorPolicy(bus.StopOnError))
	}
	b, err := bus.New[event](opts...)
	if err != nil {
		return nil, fmt.Errorf("stress: seed %d: %w", s.Seed, err)
	}
	r := &run{s: s, b: b, trigger: make(chan struct{}), hook: seeHook}
	r.ctx, r.cancel = context.WithCancel(ctx)
	names := s.Consumers()
	newConsumer := func(ordered bool, deps []*consumer) *consumer {
		c := &consumer{r: r, idx: len(r.cons), name: names[len(r.cons)], ordered: ordered, deps: deps, lastSeq: -1}
		c.fails = s.Fail != FailNone && s.FailAt == c.idx
		c.counts = make([][]atomic.Uint32, s.Producers)
		c.lastN = make([]int64, s.Producers)
		for p := range c.counts {
			c.counts[p] = make([]atomic.Uint32, s.Events)
			c.lastN[p] = -1
		}
		r.cons = append(r.cons, c)
		return c
	}
	var group *bus.Group[event]
	var prev []*consumer
	for i, st := range s.Stages {
		var cur []*consumer
		switch st.Kind {
		case StageHandlers:
			hs := make([]bus.Handler[event], st.Width)
			for j := range hs {
				c := newConsumer(true, prev)
				h := &handler{c: c, name: c.name, lastSeq: -1, lifecycle: true}
				r.handlers = append(r.handlers, h)
				hs[j] = bus.Named[event](c.name, h)
				cur = append(cur, c)
			}
			if group == nil {
				group = b.HandleEventsWith(hs...)
			} else {
				group = group.Then(hs...)
			}
		case StagePool:
			c := newConsumer(false, prev)
			hs := make([]bus.Handler[event], st.Width)
			for j := range hs {
				h := &handler{c: c, name: fmt.Sprintf("s%d.w%d", i, j), lastSeq: -1, lifecycle: true}
				r.handlers = append(r.handlers, h)
				hs[j] = bus.Named[event](h.name, h)
			}
			if group == nil {
				group = b.HandleEventsWithWorkerPool(hs...)
			} else {
				group = group.ThenWorkerPool(hs...)
			}
			cur = append(cur, c)
		case StagePoller:
			for range st.Width {
				c := newConsumer(true, prev)
				var p *bus.Poller[event]
				if group == nil {
					p = b.NewPoller()
				} else {
					p = group.ThenPoller()
				}
				h := &handler{c: c, name: c.name, lastSeq: -1}
				r.poll = append(r.poll, func() { r.runPoller(p, h) })
				cur = append(cur, c)
			}
		}
		prev = cur
	}
	for p := range s.Producers {
		pr := &producer{r: r, id: p, rng: rand.New(rand.NewPCG(s.Seed, uint64(p)))}
		pr.fillFn = pr.fill
		r.prods = append(r.prods, pr)
	}
	if s.End != EndDrain && s.EndAfter == 0 {
		close(r.trigger)
		r.trigOnce.Do(func() {})
	}
	return r, nil
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
		r.violate(Lifecycle, h.name, -1, -1, seq, fmt.Sprintf("handed an event after %d OnStart and %d OnShutdown calls", h.starts.Load(), h.stops.Load()), "")
	}
	p, n := int(e.P), e.N
	if p < 0 || p >= r.s.Producers || n < 0 || n >= int64(r.s.Events) || e.Check != tag(r.s.Seed, p, n) {
		r.violate(Integrity, h.name, -1, -1, seq, fmt.Sprintf("the slot holds producer %d event %d check %#x: no producer wrote that", e.P, e.N, e.Check), "")
		return nil
	}
	cnt := c.counts[p][n].Add(1)
	if cnt > 1 {
		r.violate(Duplicated, h.name, p, n, seq, fmt.Sprintf("handled %d times", cnt), "")
	}
	if c.ordered {
		if seq != c.lastSeq+1 {
			r.violate(ForwardOnly, h.name, p, n, seq, fmt.Sprintf("sequence %d follows sequence %d", seq, c.lastSeq), "")
		}
		c.lastSeq = seq
		switch last := c.lastN[p]; {
		case n > last+1:
			r.violate(Lost, h.name, p, n, seq, fmt.Sprintf("events %d to %d of the producer were skipped", last+1, n-1), "")
		case n <= last && cnt == 1:
			r.violate(Reordered, h.name, p, n, seq, fmt.Sprintf("seen after the producer's event %d", last), "")
		}
		c.lastN[p] = max(c.lastN[p], n)
	} else {
		if seq <= h.lastSeq {
			r.violate(ForwardOnly, h.name, p, n, seq, fmt.Sprintf("worker took sequence %d after %d", seq, h.lastSeq), "")
		}
		h.lastSeq = seq
	}
	for _, d := range c.deps {
		if e.Marks[d.idx] != e.Check {
			r.violate(Dependency, h.name, p, n, seq, fmt.Sprintf("handled before %s, which it follows, had handled it", d.name), "")
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
			r.violate(Outcome, h.name, -1, -1, -1, fmt.Sprintf("Poll returned %v", err), "")
			return
		}
		if st == bus.PollProcessing {
			continue
		}
		switch err := p.Wait(r.ctx); {
		case err == nil, errors.Is(err, bus.ErrTimeout):
		case errors.Is(err, bus.ErrHalted), r.ctx.Err() != nil:
			return
		default:
			r.violate(Outcome, h.name, -1, -1, -1, fmt.Sprintf("Poller.Wait returned %v", err), "")
			return
		}
	}
}

type producer struct {
	r      *run
	id     int
	rng    *rand.Rand
	next   int64 // events written into the ring (fill ran)
	ok     int64 // events whose publish returned nil
	pub    atomic.Int64
	fillFn func(*event, int64)
}

func (pr *producer) fill(e *event, _ int64) {
	*e = event{P: int32(pr.id), N: pr.next, Check: tag(pr.r.s.Seed, pr.id, pr.next)}
	pr.next++
}

func (pr *producer) run() {
	r, b, s := pr.r, pr.r.b, pr.r.s
	for pr.ok < int64(s.Events) {
		k := 1
		if s.MaxBatch > 1 {
			k = 1 + pr.rng.IntN(min(s.MaxBatch, s.Events-int(pr.ok)))
		}
		var err error
		switch s.Publish {
		case PublishOne:
			err = b.Publish(pr.fillFn)
		case PublishBatch:
			err = b.PublishBatch(k, pr.fillFn)
		case PublishTry, PublishTryBatch:
			for {
				if k == 1 {
					err = b.TryPublish(pr.fillFn)
				} else {
					err = b.TryPublishBatch(k, pr.fillFn)
				}
				if !errors.Is(err, bus.ErrInsufficientCapacity) {
					break
				}
				runtime.Gosched()
			}
		case PublishNext:
			var lo, hi int64
			if lo, hi, err = b.Next(k); err == nil {
				for seq := lo; seq <= hi; seq++ {
					pr.fill(b.Ring().Get(seq), seq)
				}
				err = b.PublishRange(lo, hi)
			}
		}
		if errors.Is(err, bus.ErrClosed) {
			return
		}
		if err != nil {
			r.violate(Outcome, "", pr.id, pr.ok, -1, fmt.Sprintf("%s of %d returned %v", s.Publish, k, err), "")
			return
		}
		pr.ok += int64(k)
		if pr.ok != pr.next {
			r.violate(Outcome, "", pr.id, pr.ok, -1, fmt.Sprintf("%s of %d filled %d events", s.Publish, k, pr.next-(pr.ok-int64(k))), "")
			return
		}
		pr.pub.Store(pr.ok)
		if total := r.published.Add(int64(k)); s.End != EndDrain && total >= int64(s.EndAfter) {
			r.trigOnce.Do(func() { close(r.trigger) })
		}
	}
}

// drive runs the producers and pollers, ends the bus as the scenario says
// and waits for every goroutine it started.
func (r *run) drive() {
	var prods, polls sync.WaitGroup
	prodsDone := make(chan struct{})
	for _, pr := range r.prods {
		prods.Go(pr.run)
	}
	for _, f := range r.poll {
		polls.Go(f)
	}
	go func() { prods.Wait(); close(prodsDone) }()
	if r.s.End != EndDrain {
		select {
		case <-r.trigger:
		case <-prodsDone:
		}
	} else {
		<-prodsDone
	}
	if r.s.End == EndHalt {
		r.b.Halt()
		r.busErr = r.b.Wait()
	} else {
		r.busErr = r.b.Shutdown(r.ctx)
	}
	<-prodsDone
	polls.Wait()
}

// watch samples progress until finished is closed. When nothing moves for
// stall, or ctx ends, it halts the bus; it returns true if the run then
// still did not finish within another stall.
func (r *run) watch(ctx context.Context, stall time.Duration, finished <-chan struct{}) (abandoned bool) {
	tick := time.NewTicker(max(stall/50, time.Millisecond))
	defer tick.Stop()
	last, lastAt := r.progress(), time.Now()
	var stoppedAt time.Time
	done := ctx.Done()
	for {
		select {
		case <-finished:
			return false
		case <-done:
			done = nil
			if stoppedAt.IsZero() {
				stoppedAt = time.Now()
				r.stop()
			}
		case <-tick.C:
		}
		if !stoppedAt.IsZero() {
			if time.Since(stoppedAt) > stall {
				msg := fmt.Sprintf("the bus did not stop within %v of Halt", stall)
				r.mu.Lock()
				if r.first != nil && r.first.Invariant == Progress {
					r.first.Detail += "; then " + msg
					r.first.Dump = dumpGoroutines()
				}
				r.mu.Unlock()
				r.violate(Progress, "", -1, -1, -1, msg, dumpGoroutines())
				return true
			}
			continue
		}
		if p := r.progress(); p != last {
			last, lastAt = p, time.Now()
			continue
		}
		if time.Since(lastAt) >= stall {
			r.violate(Progress, "", -1, -1, -1, fmt.Sprintf("nothing moved for %v with %d events published, %d handled; the bus was halted", stall, r.published.Load(), r.handled()), dumpGoroutines())
			stoppedAt = time.Now()
			r.stop()
		}
	}
}

// stop ends the run early: it halts the bus, which releases producers and
// pollers, and cancels Shutdown's context.
func (r *run) stop() {
	r.cancel()
	r.b.Halt()
}

func (r *run) progress() int64 {
	n := r.handled()
	for _, pr := range r.prods {
		n += pr.pub.Load()
	}
	return n
}

func (r *run) handled() int64 {
	var n int64
	for _, c := range r.cons {
		n += c.handled.Load()
	}
	return n
}

func dumpGoroutines() string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= 16<<20 {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

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

func (r *run) report(rep Report, start time.Time) Report {
	rep.Elapsed = time.Since(start)
	for _, pr := range r.prods {
		rep.Published += pr.pub.Load()
	}
	for _, c := range r.cons {
		rep.Handled += c.handled.Load()
		rep.Failures += c.failures.Load()
	}
	return rep
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
