package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/probe"
)

// tune measures the candidates for rec on this machine in c's shape and
// objective for budget, and returns the evidence with the candidate the
// profile should carry: the one chosen, or the rule-based one when none
// beat the default beyond noise. Ctrl-C (ctx) ends it with what was
// measured.
func tune(ctx context.Context, snap *probe.Snapshot, rec probe.Recommendation, opt probe.Options, c config, budget time.Duration, stderr io.Writer) (*affinity.Tuning, affinity.Candidate, error) {
	cands, err := probe.Candidates(snap, rec, opt)
	if err != nil {
		return nil, affinity.Candidate{}, err
	}
	trial := c.shape.throughput
	if c.objective == "latency" {
		trial = c.shape.latency
	}
	topt := probe.TuneOptions{Budget: budget, Seed: uint64(time.Now().UnixNano())}
	if c.progress && budget >= time.Second {
		bar := newBar(stderr, fmt.Sprintf("tuning %s for %s", c.shape.title, c.objective))
		defer bar.Close()
		topt.Progress = func(done, total int) {
			bar.ChangeMax(total)
			_ = bar.Set(done)
		}
	}
	t, err := probe.Tune(ctx, cands, probe.CandidateRuleBased, trial, topt)
	if err != nil {
		return nil, affinity.Candidate{}, err
	}
	t.Shape, t.Objective = c.shape.title, c.objective
	for _, cand := range t.Candidates {
		if cand.Name == t.Chosen {
			return t, cand, nil
		}
	}
	return nil, affinity.Candidate{}, fmt.Errorf("the chosen candidate %q is not among those measured", t.Chosen)
}
