package verify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// SeqConfig describes a run of RecordSequencer. The zero value records
// 10,000 claims on a single-producer sequencer of 16 slots with one
// consumer.
type SeqConfig struct {
	// Multi selects the MultiProducerSequencer; otherwise Producers must
	// be 1 and the SingleProducerSequencer is used.
	Multi bool
	// Producers is how many goroutines claim and publish; 0 means 1.
	Producers int
	// Consumers is how many gating consumers observe, read and advance;
	// 0 means 1, at most MaxConsumers.
	Consumers int
	// RingSize is the ring size, a power of two up to 64; 0 means 16.
	RingSize int
	// Claims is how many claims all producers make together; 0 means 10,000.
	Claims int
	// MaxBatch is the largest claim (n is drawn from 1..MaxBatch); 0 means 4.
	MaxBatch int
	// TryEvery makes one claim in TryEvery a TryNext; 0 means 4.
	TryEvery int
	// Round is how many claims each producer makes before all goroutines
	// meet at a quiescent point; 0 means 200.
	Round int
	// Seed seeds the random choices; runs with the same seed still differ
	// in their interleavings.
	Seed uint64
	// Stall is how long a round may go without progress before the
	// recorder halts the sequencer and reports a stall; 0 means 5s.
	Stall time.Duration
	// Pad is the spacing of the sequencer's hot counters (bus.WithPad);
	// 0 means the bus's default.
	Pad int
	// Wait is the sequencer's wait strategy (bus.NewWaitStrategy); ""
	// means a yielding wait of 10 spins.
	Wait bus.WaitKind
	// Plan pins producer i with affinity.PinProducer and consumer i as
	// affinity.PinPlan would pin a bus's consumer i; the zero Plan pins
	// nothing.
	Plan affinity.Plan
}

func (c SeqConfig) withDefaults() (SeqConfig, error) {
	def := defaultInt
	def(&c.Producers, 1)
	def(&c.Consumers, 1)
	def(&c.RingSize, 16)
	def(&c.Claims, 10000)
	def(&c.MaxBatch, 4)
	def(&c.TryEvery, 4)
	def(&c.Round, 200)
	if c.Stall <= 0 {
		c.Stall = 5 * time.Second
	}
	switch {
	case !c.Multi && c.Producers != 1:
		return c, fmt.Errorf("verify: a single-producer sequencer with %d producers", c.Producers)
	case c.Producers > MaxProducers:
		return c, fmt.Errorf("verify: %d producers, at most %d", c.Producers, MaxProducers)
	case c.Consumers > MaxConsumers:
		return c, fmt.Errorf("verify: %d consumers, at most %d", c.Consumers, MaxConsumers)
	}
	return c, checkLayout(c.RingSize, c.MaxBatch, c.Wait)
}

// maxBatch is the largest claim a history can hold (cop.n is 16 bits).
const maxBatch = 1<<16 - 1

func checkLayout(size, batch int, wait bus.WaitKind) error {
	switch {
	case size&(size-1) != 0:
		return fmt.Errorf("verify: ring size %d is not a power of two", size)
	case batch > size || batch > maxBatch:
		return fmt.Errorf("verify: batches of %d on a ring of %d", batch, size)
	case wait != "" && !wait.Valid():
		return fmt.Errorf("verify: unknown wait strategy %q (known: %v)", wait, bus.WaitKinds())
	}
	return nil
}

// layoutOptions are the bus options for pad and wait; see SeqConfig.
func layoutOptions(pad int, wait bus.WaitKind) ([]bus.Option, error) {
	var w bus.WaitStrategy = &bus.YieldingWait{SpinTries: 10}
	if wait != "" {
		var err error
		if w, err = bus.NewWaitStrategy(wait); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	opts := []bus.Option{bus.WithWaitStrategy(w)}
	if pad != 0 {
		opts = append(opts, bus.WithPad(pad))
	}
	return opts, nil
}

// shape is the History a run of c records, without its operations.
func (c SeqConfig) shape() *History {
	h := &History{RingSize: int64(c.RingSize), Consumers: c.Consumers}
	if c.Multi {
		h.Held = int64(c.Producers-1) * int64(c.MaxBatch)
	}
	return h
}

// sequencer is what both of the bus's sequencers offer.
type sequencer interface {
	Next(n int) (int64, int64, error)
	TryNext(n int) (int64, int64, error)
	Publish(lo, hi int64) error
	NewBarrier(deps ...*bus.Sequence) *bus.Barrier
	NewSequence() *bus.Sequence
	AddGatingSequences(seqs ...*bus.Sequence)
	Cursor() int64
	Close()
	Halt()
	Signal()
}

type event struct{ v int64 }

// RecordSequencer runs producers and consumers on a real bus sequencer and
// ring under real goroutines, and records every claim, publish,
// observation, payload read and consumer advance, each bracketed by Clock
// ticks. Producers write Payload(seq) into each claimed slot between the
// claim and the publish; consumers take a barrier's Available, read the
// payloads, and store their progress in a gating sequence.
//
// Every Round claims per producer, all goroutines stop until the consumers
// have caught up: a quiescent point, where the checkers split the history.
// A round that makes no progress for Stall ends the run, and the stall is
// reported in History.Faults (a lost event).
//
// The whole history is kept in memory; VerifySequencer checks each round
// as it is recorded and keeps only the last few.
func RecordSequencer(cfg SeqConfig) (*History, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	h := cfg.shape()
	err = recordSequencer(context.Background(), cfg, h, h.keep)
	return h, err
}

// keep appends a round's operations to h, for the recorders that return
// a whole history.
func (h *History) keep(ops []cop) error {
	for i := range ops {
		h.Ops = append(h.Ops, ops[i].operation())
	}
	return nil
}

// recordSequencer records a run of cfg, which has its defaults, handing
// each round's operations to round at the quiescent point that ends it,
// and sets h.Published and h.Faults. An error from round, or the end of
// ctx, stops the run at the next quiescent point (or, for ctx, at once,
// dropping the round in progress), with no fault reported.
func recordSequencer(ctx context.Context, cfg SeqConfig, h *History, round func([]cop) error) error {
	opts, err := layoutOptions(cfg.Pad, cfg.Wait)
	if err != nil {
		return err
	}
	var sq sequencer
	if cfg.Multi {
		sq, err = bus.NewMultiProducerSequencer(cfg.RingSize, opts...)
	} else {
		sq, err = bus.NewSingleProducerSequencer(cfg.RingSize, opts...)
	}
	if err != nil {
		return err
	}
	ring, err := bus.NewRing[event](cfg.RingSize, 0)
	if err != nil {
		return err
	}
	pin := affinity.PinPlan(cfg.Plan)
	var clk Clock
	seqs := make([]*bus.Sequence, cfg.Consumers)
	bars := make([]*bus.Barrier, cfg.Consumers)
	for i := range seqs {
		seqs[i] = sq.NewSequence()
		bars[i] = sq.NewBarrier()
	}
	sq.AddGatingSequences(seqs...)

	var recs []*recorder
	newRec := func() *recorder {
		r := &recorder{client: uint16(len(recs))}
		recs = append(recs, r)
		return r
	}
	prodRecs := make([]*recorder, cfg.Producers)
	for i := range prodRecs {
		prodRecs[i] = newRec()
	}
	consRecs := make([]*recorder, cfg.Consumers)
	for i := range consRecs {
		consRecs[i] = newRec()
	}
	perProducer := (cfg.Claims + cfg.Producers - 1) / cfg.Producers
	nexts := make([]int64, cfg.Consumers) // each consumer's next sequence, kept across rounds
	var progress atomic.Int64             // bumped by every operation, for the stall watchdog
	var stopped atomic.Bool
	var mu sync.Mutex
	// fault records what the recorder saw and ends the run: the history
	// is already known to be wrong, and waiting for it would only stall.
	// It halts the sequencer: Close would not release a multi-producer
	// Next that holds its claim, waiting for room the stopped consumers
	// will not make.
	fault := func(format string, args ...any) {
		mu.Lock()
		h.Faults = append(h.Faults, fmt.Sprintf(format, args...))
		mu.Unlock()
		stopped.Store(true)
		sq.Halt()
	}
	var published atomic.Int64
	cancelled := false
	for rnd, done := 0, 0; done < perProducer && !stopped.Load(); rnd++ {
		n := min(cfg.Round, perProducer-done)
		done += n
		const unknown = math.MaxInt64
		var target atomic.Int64
		target.Store(unknown)
		var pw, cw sync.WaitGroup
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
					if stopped.Load() {
						return
					}
					k := 1 + rng.IntN(cfg.MaxBatch)
					try := rng.IntN(cfg.TryEvery) == 0
					call := clk.Tick()
					var lo, hi int64
					var err error
					if try {
						lo, hi, err = sq.TryNext(k)
					} else {
						lo, hi, err = sq.Next(k)
					}
					ret := clk.Tick()
					progress.Add(1)
					switch {
					case try && errors.Is(err, bus.ErrInsufficientCapacity):
						r.add(cop{call: call, ret: ret, kind: Claim, n: uint16(k), try: true, full: true})
						runtime.Gosched()
						continue
					case errors.Is(err, bus.ErrClosed) && stopped.Load():
						return
					case err != nil:
						fault("producer %d: claim of %d: %v", p, k, err)
						return
					}
					r.add(cop{call: call, ret: ret, kind: Claim, n: uint16(k), try: try, a: lo, b: hi})
					for s := lo; s <= hi; s++ {
						ring.Get(s).v = Payload(s)
					}
					if rng.IntN(4) == 0 {
						runtime.Gosched()
					}
					call = clk.Tick()
					err = sq.Publish(lo, hi)
					ret = clk.Tick()
					if err != nil {
						fault("producer %d: Publish(%d, %d): %v", p, lo, hi, err)
						return
					}
					published.Add(hi - lo + 1)
					r.add(cop{call: call, ret: ret, kind: Publish, a: lo, b: hi})
				}
			}()
		}
		for c := range cfg.Consumers {
			cw.Add(1)
			go func() {
				defer cw.Done()
				release, err := pin("", c)
				if err != nil {
					fault("consumer %d: %v", c, err)
					return
				}
				defer release()
				rng := rand.New(rand.NewPCG(cfg.Seed^0x5eed, uint64(rnd)<<16|uint64(c)))
				r := consRecs[c]
				next := nexts[c]
				defer func() { nexts[c] = next }()
				empty := false // the last observation found nothing: do not record a run of them
				for !stopped.Load() {
					call := clk.Tick()
					avail := bars[c].Available(next)
					ret := clk.Tick()
					if !empty || avail >= next {
						r.add(cop{call: call, ret: ret, kind: Observe, cons: uint8(c), a: next, b: avail})
					}
					empty = avail < next
					if avail < next {
						if next > target.Load() {
							return
						}
						runtime.Gosched()
						continue
					}
					upto := next + rng.Int64N(avail-next+1)
					for s := next; s <= upto; s++ {
						call := clk.Tick()
						v := ring.Get(s).v
						ret := clk.Tick()
						r.add(cop{call: call, ret: ret, kind: Handle, cons: uint8(c), a: s, b: v})
					}
					call = clk.Tick()
					seqs[c].Store(upto)
					sq.Signal()
					ret = clk.Tick()
					r.add(cop{call: call, ret: ret, kind: Advance, cons: uint8(c), a: upto})
					progress.Add(1)
					next = upto + 1
				}
			}()
		}
		finished := make(chan struct{})
		go func() {
			pw.Wait()
			// Every claim of the round is published: the consumers stop
			// once they have read past the cursor.
			target.Store(sq.Cursor())
			cw.Wait()
			close(finished)
		}()
		last, idle := progress.Load(), time.Now()
		tick := time.NewTicker(cfg.Stall / 50)
	watch:
		for {
			select {
			case <-finished:
				break watch
			case <-ctx.Done():
				if !cancelled {
					cancelled = true
					stopped.Store(true)
					sq.Halt() // releases producers holding claims, as in fault
				}
			case <-tick.C:
				if p := progress.Load(); p != last {
					last, idle = p, time.Now()
				} else if time.Since(idle) > cfg.Stall {
					fault("round %d stalled for %v: cursor %d, consumers at %v", rnd, cfg.Stall, sq.Cursor(), loads(seqs))
				}
			}
		}
		tick.Stop()
		if cancelled {
			// The round was cut short: its consumers have not caught up.
			published.Store(h.Published)
			break
		}
		h.Published = published.Load()
		if err := round(mergeOps(recs)); err != nil {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	h.Published = published.Load()
	if !stopped.Load() {
		for c, next := range nexts {
			if next != h.Published {
				fault("consumer %d stopped at %d with %d events published", c, next, h.Published)
			}
		}
	}
	return nil
}

func loads(seqs []*bus.Sequence) []int64 {
	out := make([]int64, len(seqs))
	for i, s := range seqs {
		out[i] = s.Load()
	}
	return out
}

// defaultInt sets *v to d when it is zero or negative (an unset option).
func defaultInt(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}
