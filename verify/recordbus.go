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
}

// Consumer indexes in a RecordBus history.
const (
	busA    = 0 // HandleEventsWith(a, b): parallel consumers
	busB    = 1
	busC    = 2 // .Then(c): a pipeline stage after a and b (a diamond)
	busPool = 3 // HandleEventsWithWorkerPool(w3, w4, w5): consumers busPool..busPool+2
)

type busHandler struct {
	c     int
	clk   *Clock
	rec   *recorder
	count *atomic.Int64
}

func (h *busHandler) OnEvent(ev *event, seq int64, _ bool) error {
	call := h.clk.Tick()
	v := ev.v
	ret := h.clk.Tick()
	h.rec.add(call, Input{Kind: Handle, Consumer: h.c, Seq: seq}, Output{Val: v}, ret)
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
func RecordBus(cfg BusConfig) (*History, error) {
	def := defaultInt
	def(&cfg.Producers, 1)
	def(&cfg.RingSize, 16)
	def(&cfg.Events, 10000)
	def(&cfg.MaxBatch, 4)
	def(&cfg.Round, 200)
	if cfg.Stall <= 0 {
		cfg.Stall = 5 * time.Second
	}
	if cfg.RingSize > window || cfg.MaxBatch > cfg.RingSize {
		return nil, fmt.Errorf("verify: ring size %d (at most %d) with batches of %d", cfg.RingSize, window, cfg.MaxBatch)
	}
	opts := []bus.Option{bus.WithSize(cfg.RingSize), bus.WithWaitStrategy(&bus.YieldingWait{SpinTries: 10})}
	if cfg.Producers > 1 {
		opts = append(opts, bus.WithMultiProducer())
	}
	b, err := bus.New[event](opts...)
	if err != nil {
		return nil, err
	}
	const consumers = 6
	h := &History{RingSize: int64(cfg.RingSize), Consumers: consumers, Deps: [][]int{busC: {busA, busB}}, Pool: []int{busPool, busPool + 1, busPool + 2}}
	var clk Clock
	var recs []*recorder
	newRec := func() *recorder {
		r := &recorder{clk: &clk, client: len(recs)}
		recs = append(recs, r)
		return r
	}
	counts := make([]atomic.Int64, consumers)
	hs := make([]bus.Handler[event], consumers)
	for c := range hs {
		hs[c] = &busHandler{c: c, clk: &clk, rec: newRec(), count: &counts[c]}
	}
	b.HandleEventsWith(hs[busA], hs[busB]).Then(hs[busC])
	b.HandleEventsWithWorkerPool(hs[busPool], hs[busPool+1], hs[busPool+2])
	prodRecs := make([]*recorder, cfg.Producers)
	for i := range prodRecs {
		prodRecs[i] = newRec()
	}
	if err := b.Start(); err != nil {
		return nil, err
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
	for round, done := 0, 0; done < perProducer && !stopped.Load(); round++ {
		n := min(cfg.Round, perProducer-done)
		done += n
		var pw sync.WaitGroup
		for p := range cfg.Producers {
			pw.Add(1)
			go func() {
				defer pw.Done()
				rng := rand.New(rand.NewPCG(cfg.Seed, uint64(round)<<16|uint64(p)))
				r := prodRecs[p]
				for range n {
					k := 1 + rng.IntN(cfg.MaxBatch)
					lo, hi := int64(-1), int64(-1)
					fill := func(ev *event, seq int64) {
						if lo < 0 {
							lo = seq
						}
						hi = seq
						ev.v = Payload(seq)
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
					r.add(call, Input{Kind: Publish, Lo: lo, Hi: hi}, Output{}, ret)
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
			if p := moved(); p != last {
				last, idle = p, time.Now()
			} else if time.Since(idle) > cfg.Stall {
				fault("round %d stalled for %v: %d published, handled %v", round, cfg.Stall, published.Load(), countsOf(counts))
				<-prodDone
				break
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Stall)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil && !stopped.Load() {
		fault("shutdown: %v", err)
	}
	h.Ops = mergeOps(recs)
	h.Published = published.Load()
	return h, nil
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
