package verify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// BusConfig describes a run of RecordBus. The zero value publishes 10,000
// events from one producer through a bus of 16 slots.
type BusConfig struct {
	// Producers is how many goroutines publish; more than one builds the
	// bus WithMultiProducer. 0 means 1.
	Producers int
	// RingSize is the ring size, a power of two up to 64; 0 means 16.
	RingSize int
	// Events is how many events the producers publish together (give or
	// take a batch); 0 means 10,000.
	Events int
	// MaxBatch is the largest PublishBatch (n is drawn from 1..MaxBatch);
	// 0 means 4.
	MaxBatch int
	// Round is how many publishes each producer makes before the run
	// waits for every consumer to catch up (a quiescent point); 0 means 200.
	Round int
	// Seed seeds the random choices.
	Seed uint64
	// Stall is how long a round may go without progress before the bus is
	// halted and the stall reported; 0 means 5s.
	Stall time.Duration
	// Pad is the spacing of the bus's hot counters (bus.WithPad); 0 means
	// the bus's default.
	Pad int
	// Wait is the bus's wait strategy (bus.NewWaitStrategy); "" means a
	// yielding wait of 10 spins.
	Wait bus.WaitKind
	// Plan pins producer i with affinity.PinProducer, and the bus's
	// consumers with affinity.PinPlan (bus.WithPin); the zero Plan pins
	// nothing.
	Plan affinity.Plan
	// Marked records a bus whose events embed bus.Mark: with one
	// producer, the Marks in the slots publish each event and the
	// consumers read them instead of the cursor. The multi-producer bus
	// ignores Marks, so with more producers only the events are larger.
	Marked bool
}

func (c BusConfig) withDefaults() (BusConfig, error) {
	def := defaultInt
	def(&c.Producers, 1)
	def(&c.RingSize, 16)
	def(&c.Events, 10000)
	def(&c.MaxBatch, 4)
	def(&c.Round, 200)
	if c.Stall <= 0 {
		c.Stall = 5 * time.Second
	}
	if c.Producers > MaxProducers {
		return c, fmt.Errorf("verify: %d producers, at most %d", c.Producers, MaxProducers)
	}
	return c, checkLayout(c.RingSize, c.MaxBatch, c.Wait)
}

// shape is the History a run of c records, without its operations.
func (c BusConfig) shape() *History {
	return &History{RingSize: int64(c.RingSize), Consumers: busConsumers, Deps: [][]int{busC: {busA, busB}}, Pool: []int{busPool, busPool + 1, busPool + 2}}
}

// markedEvent is event embedding bus.Mark: a single-producer bus
// publishes it through its slots (BusConfig.Marked, the marked litmus
// tests).
type markedEvent struct {
	bus.Mark
	event
}

// Consumer indexes in a RecordBus history.
const (
	busA    = 0 // HandleEventsWith(a, b): parallel consumers
	busB    = 1
	busC    = 2 // .Then(c): a pipeline stage after a and b (a diamond)
	busPool = 3 // HandleEventsWithWorkerPool(w3, w4, w5): consumers busPool..busPool+2

	busConsumers = 6
)

// busEvent is a pointer to an event type RecordBus can publish: event
// or markedEvent.
type busEvent[E any] interface {
	*E
	payload() *int64
}

func (e *event) payload() *int64 { return &e.v }

type busHandler[E any, P busEvent[E]] struct {
	c     uint8
	clk   *Clock
	rec   *recorder
	count *atomic.Int64
}

func (h *busHandler[E, P]) OnEvent(ev *E, seq int64, _ bool) error {
	call := h.clk.Tick()
	v := *P(ev).payload()
	ret := h.clk.Tick()
	h.rec.add(cop{call: call, ret: ret, kind: Handle, cons: h.c, a: seq, b: v})
	h.count.Add(1)
	return nil
}

// RecordBus runs the bus end to end, through its public Bus type, with
// this topology: consumers 0 and 1 in parallel (HandleEventsWith), consumer
// 2 after both (Then: a diamond pipeline), and consumers 3, 4 and 5 as a
// worker pool. Producers publish with PublishBatch and TryPublishBatch,
// writing Payload(seq) in the fill function; every handler records what it
// read. History.Deps and History.Pool describe the topology, so
// CheckDelivery checks that each consumer saw every event exactly once in
// sequence order (after its upstream consumers) and that the pool handled
// each exactly once in total.
//
// The whole history is kept in memory; VerifyBus checks each round as it
// is recorded and keeps only the last few.
func RecordBus(cfg BusConfig) (*History, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	h := cfg.shape()
	err = recordBus(context.Background(), cfg, h, h.keep)
	return h, err
}

// recordBus records a run of cfg, which has its defaults, as
// recordSequencer does.
func recordBus(ctx context.Context, cfg BusConfig, h *History, round func([]cop) error) error {
	if cfg.Marked {
		return recordBusOf[markedEvent](ctx, cfg, h, round)
	}
	return recordBusOf[event](ctx, cfg, h, round)
}

// recordBusOf is recordBus on a bus of events of type E.
func recordBusOf[E any, P busEvent[E]](ctx context.Context, cfg BusConfig, h *History, round func([]cop) error) error {
	opts, err := layoutOptions(cfg.Pad, cfg.Wait)
	if err != nil {
		return err
	}
	opts = append(opts, bus.WithSize(cfg.RingSize))
	if len(cfg.Plan.Consumers) > 0 {
		opts = append(opts, bus.WithPin(affinity.PinPlan(cfg.Plan)))
	}
	if cfg.Producers > 1 {
		opts = append(opts, bus.WithMultiProducer())
	}
	b, err := bus.New[E](opts...)
	if err != nil {
		return err
	}
	var clk Clock
	var recs []*recorder
	newRec := func() *recorder {
		r := &recorder{client: uint16(len(recs))}
		recs = append(recs, r)
		return r
	}
	counts := make([]atomic.Int64, busConsumers)
	hs := make([]bus.Handler[E], busConsumers)
	for c := range hs {
		hs[c] = &busHandler[E, P]{c: uint8(c), clk: &clk, rec: newRec(), count: &counts[c]}
	}
	b.HandleEventsWith(hs[busA], hs[busB]).Then(hs[busC])
	b.HandleEventsWithWorkerPool(hs[busPool], hs[busPool+1], hs[busPool+2])
	prodRecs := make([]*recorder, cfg.Producers)
	for i := range prodRecs {
		prodRecs[i] = newRec()
	}
	if err := b.Start(); err != nil {
		return err
	}
	var published, progress atomic.Int64
	var stopped atomic.Bool
	var mu sync.Mutex
	// fault records what the recorder saw and ends the run.
	fault := func(format string, args ...any) {
		mu.Lock()
		h.Faults = append(h.Faults, fmt.Sprintf(format, args...))
		mu.Unlock()
		stopped.Store(true)
		b.Halt()
	}
	perProducer := (cfg.Events/((cfg.MaxBatch+1)/2) + cfg.Producers - 1) / cfg.Producers
	cancelled := false
	for rnd, done := 0, 0; done < perProducer && !stopped.Load(); rnd++ {
		n := min(cfg.Round, perProducer-done)
		done += n
		var pw sync.WaitGroup
		for p := range cfg.Producers {
			pw.Add(1)
			go func() {
				defer pw.Done()
				release, err := affinity.PinProducer(cfg.Plan, p)
				if err != nil {
					fault("producer %d: %v", p, err)
					return
				}
				defer release()
				rng := rand.New(rand.NewPCG(cfg.Seed, uint64(rnd)<<16|uint64(p)))
				r := prodRecs[p]
				for range n {
					k := 1 + rng.IntN(cfg.MaxBatch)
					lo, hi := int64(-1), int64(-1)
					fill := func(ev *E, seq int64) {
						if lo < 0 {
							lo = seq
						}
						hi = seq
						*P(ev).payload() = Payload(seq)
					}
					call := clk.Tick()
					var err error
					if rng.IntN(4) == 0 {
						err = b.TryPublishBatch(k, fill)
					} else {
						err = b.PublishBatch(k, fill)
					}
					ret := clk.Tick()
					progress.Add(1)
					switch {
					case errors.Is(err, bus.ErrInsufficientCapacity):
						runtime.Gosched()
						continue
					case errors.Is(err, bus.ErrClosed) && stopped.Load():
						return
					case err != nil:
						fault("producer %d: publish of %d: %v", p, k, err)
						return
					case hi-lo+1 != int64(k):
						fault("producer %d: publish of %d filled %d..%d", p, k, lo, hi)
						return
					}
					r.add(cop{call: call, ret: ret, kind: Publish, a: lo, b: hi})
					published.Add(int64(k))
				}
			}()
		}
		prodDone := make(chan struct{})
		go func() {
			pw.Wait()
			close(prodDone)
		}()
		// Wait for the producers, then until every consumer has handled
		// everything: a quiescent point. A run that makes no progress for
		// cfg.Stall is halted (which releases blocked producers).
		caughtUp := func() bool {
			want := published.Load()
			for c := range busPool {
				if counts[c].Load() != want {
					return false
				}
			}
			return counts[busPool].Load()+counts[busPool+1].Load()+counts[busPool+2].Load() == want
		}
		moved := func() int64 { return sum(counts) + progress.Load() }
		last, idle := moved(), time.Now()
		for !(isClosed(prodDone) && (caughtUp() || stopped.Load())) {
			time.Sleep(20 * time.Microsecond)
			if ctx.Err() != nil && !cancelled {
				// Halting releases producers blocked on a full ring.
				cancelled = true
				stopped.Store(true)
				b.Halt()
			}
			if p := moved(); p != last {
				last, idle = p, time.Now()
			} else if time.Since(idle) > cfg.Stall {
				fault("round %d stalled for %v: %d published, handled %v", rnd, cfg.Stall, published.Load(), countsOf(counts))
				<-prodDone
				break
			}
		}
		if stopped.Load() {
			break // the round's operations are taken after shutdown
		}
		h.Published = published.Load()
		if err := round(mergeOps(recs)); err != nil || ctx.Err() != nil {
			break
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Stall)
	defer cancel()
	if err := b.Shutdown(sctx); err != nil && !stopped.Load() {
		fault("shutdown: %v", err)
	}
	if cancelled {
		// The round in progress was cut short; its operations are dropped.
		return nil
	}
	h.Published = published.Load()
	if ops := mergeOps(recs); len(ops) > 0 {
		return round(ops)
	}
	return nil
}

func sum(cs []atomic.Int64) int64 {
	var n int64
	for i := range cs {
		n += cs[i].Load()
	}
	return n
}

func countsOf(cs []atomic.Int64) []int64 {
	out := make([]int64, len(cs))
	for i := range cs {
		out[i] = cs[i].Load()
	}
	return out
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
