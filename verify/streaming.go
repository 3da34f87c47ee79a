package verify

import (
	"cmp"
	"context"
	"fmt"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// Report is the outcome of a streaming verification: how much was recorded
// and checked, and each check's verdict.
type Report struct {
	// Results holds one Result per check, in the order CheckAll gives.
	Results []Result
	// Ops and Rounds count the operations recorded and checked and the
	// stretches between quiescent points they came in.
	Ops, Rounds int
	// Published is how many events the producers published.
	Published int64
	// Config describes the run; with its seed it replays the run's random
	// choices (the interleavings differ from run to run).
	Config string
	// Interrupted is true when the context ended the run before it had
	// recorded all it was asked to; what was recorded was checked.
	Interrupted bool
}

// OK reports whether every check passed.
func (r *Report) OK() bool { return len(Failed(r.Results)) == 0 }

// VerifySequencer records a run of cfg as RecordSequencer does and checks
// it as CheckAll would, but as it goes: each stretch between quiescent
// points is checked (o.Workers at a time, with the models' Hash and
// o.Timeout) as soon as it is complete, and then dropped, keeping only the
// models' state at its end and the last two rounds for a violation's
// visualisation. Recording waits while the checkers are more than a few
// rounds behind, so memory stays flat however many operations cfg asks
// for. A violation's Result names the round, and its Detail the seed that
// replays the run; o.HTML gets the visualisation as CheckAll writes it.
//
// When ctx ends, recording stops at once and what was recorded is checked;
// the Report says it was interrupted. The error is for a configuration
// that cannot run; violations are in the Report.
func VerifySequencer(ctx context.Context, cfg SeqConfig, o Options) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return verify(ctx, cfg.shape(), true, cfg.String(), o, func(h *History, round func([]cop) error) error {
		return recordSequencer(ctx, cfg, h, round)
	})
}

// VerifyBus records a run of cfg as RecordBus does and checks it as it
// goes, as VerifySequencer does.
func VerifyBus(ctx context.Context, cfg BusConfig, o Options) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return verify(ctx, cfg.shape(), false, cfg.String(), o, func(h *History, round func([]cop) error) error {
		return recordBus(ctx, cfg, h, round)
	})
}

func verify(ctx context.Context, h *History, claims bool, config string, o Options, record func(*History, func([]cop) error) error) (*Report, error) {
	o.perCheck = true
	s := newStream(h, claims, claims, true, o, "replay: "+config)
	err := record(h, func(ops []cop) error { return s.feed(ctx, ops) })
	rs := s.finish(h.Published, h.Faults)
	if err != nil {
		return nil, err
	}
	return &Report{Results: rs, Ops: s.ops, Rounds: s.rounds, Published: h.Published, Config: config, Interrupted: ctx.Err() != nil}, nil
}

// String describes c with its defaults applied, seed included, in a form
// that names every field a run depends on.
func (c SeqConfig) String() string {
	c, _ = c.withDefaults()
	kind := "single"
	if c.Multi {
		kind = "multi"
	}
	return fmt.Sprintf("sequencer %s-producer, %d producers, %d consumers, ring %d, claims %d, batch %d, try 1/%d, round %d, %s, seed %d",
		kind, c.Producers, c.Consumers, c.RingSize, c.Claims, c.MaxBatch, c.TryEvery, c.Round, layoutString(c.Pad, c.Wait, c.Plan), c.Seed)
}

// String describes c with its defaults applied, seed included, in a form
// that names every field a run depends on.
func (c BusConfig) String() string {
	c, _ = c.withDefaults()
	kind := "bus"
	if c.Marked {
		kind = "bus of marked events"
	}
	return fmt.Sprintf("%s, %d producers, ring %d, events %d, batch %d, round %d, %s, seed %d",
		kind, c.Producers, c.RingSize, c.Events, c.MaxBatch, c.Round, layoutString(c.Pad, c.Wait, c.Plan), c.Seed)
}

func layoutString(pad int, wait bus.WaitKind, plan affinity.Plan) string {
	s := "default pad"
	if pad != 0 {
		s = fmt.Sprintf("pad %d", pad)
	}
	if wait == "" {
		s += ", yielding wait"
	} else {
		s += fmt.Sprintf(", %s wait", wait)
	}
	if len(plan.Producers) > 0 || len(plan.Consumers) > 0 {
		s += fmt.Sprintf(", pinned %v", plan)
	}
	return s
}

// WithProfile returns c with the pad, ring size, wait strategy and pinning
// plan of p, its other fields kept, and MaxBatch narrowed to the ring. A
// nil p changes nothing.
func (c SeqConfig) WithProfile(p *affinity.Profile) SeqConfig {
	if p != nil {
		c.Pad, c.RingSize, c.Wait, c.Plan = p.Layout.PadBytes, p.Layout.RingSize, p.Layout.Wait, p.Affinity
		c.MaxBatch = min(cmp.Or(c.MaxBatch, 4), c.RingSize)
	}
	return c
}

// WithProfile returns c with the pad, ring size, wait strategy and pinning
// plan of p, its other fields kept, and MaxBatch narrowed to the ring. A
// nil p changes nothing.
func (c BusConfig) WithProfile(p *affinity.Profile) BusConfig {
	if p != nil {
		c.Pad, c.RingSize, c.Wait, c.Plan = p.Layout.PadBytes, p.Layout.RingSize, p.Layout.Wait, p.Affinity
		c.MaxBatch = min(cmp.Or(c.MaxBatch, 4), c.RingSize)
	}
	return c
}
