package probe

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/eventbus/eventbus/affinity"
)

// Trial measures one candidate on the real bus for about d and returns
// its figure, lower being better (nanoseconds per event). It must observe
// ctx and return ctx's error, or any error, rather than a figure when
// stopped. The caller supplies it: package probe knows the candidates and
// how to judge them, the command knows the bus's shapes.
type Trial func(ctx context.Context, c affinity.Candidate, d time.Duration) (float64, error)

// TuneOptions bounds and reports on Tune. The zero value tunes for
// DefaultTuneBudget with the zero Judgement, no progress reports and a
// fixed shuffle.
type TuneOptions struct {
	// Budget is the wall time tuning may take in all; 0 means
	// DefaultTuneBudget. Tune starts no round it expects to end past it.
	Budget time.Duration
	// Judgement is how candidates are judged against the default.
	Judgement Judgement
	// Progress, when not nil, is called after each trial with the trials
	// done and the number Tune expects to run.
	Progress func(done, total int)
	// Seed seeds the shuffle of each round's order.
	Seed uint64
	// Unit names what a Trial's figures measure, for the evidence; ""
	// means "ns/event".
	Unit string
}

// DefaultTuneBudget is the tuning time used when TuneOptions.Budget is 0.
const DefaultTuneBudget = time.Minute

// Trial durations: no trial is shorter than minTrial (below that, a
// trial measures the bus's start more than its running) or longer than
// maxTrial (more rounds beat longer ones against drifting noise).
const (
	minTrial = 50 * time.Millisecond
	maxTrial = time.Second
)

// minRounds returns the rounds the sign-test interval needs to reach its
// confidence for one of comparisons candidates at all: 2·½ⁿ ≤ alpha.
func minRounds(j Judgement, comparisons int) int {
	j = j.withDefaults()
	alpha := (1 - j.Confidence) / float64(max(comparisons, 1))
	n := 1
	for 2/float64(uint64(1)<<n) > alpha {
		n++
	}
	return n
}

// Tune measures cands (the default first, as Candidates returns them) in
// interleaved rounds with trial, until the budget leaves no room for
// another round or ctx is done, then judges them (Judge) and returns the
// evidence with every candidate's figures, naming fallback as the choice
// when nothing beats the default. Each round runs every candidate once, in
// a new random order, so that drift in the machine's speed (other
// programs, frequency, a host's neighbours) falls on all candidates alike.
//
// It keeps only as many candidates, in order, as can be measured for
// twice the rounds the judgement needs in the budget, with trials of at
// least 50ms. A candidate whose trial fails is reported with the error as
// its verdict and left out of later rounds; a failure of the default's
// trial ends tuning with that error. When ctx is done, the round under way
// is dropped, Interrupted is set, and the rounds completed are judged: a
// Ctrl-C keeps what was measured. Trials get a context that also ends at
// the budget, and a round that runs past it is dropped the same way, so
// tuning ends within the budget as long as trials observe their context.
func Tune(ctx context.Context, cands []affinity.Candidate, fallback string, trial Trial, opt TuneOptions) (*affinity.Tuning, error) {
	if len(cands) < 2 || cands[0].Name != CandidateDefault {
		return nil, fmt.Errorf("%w: tuning needs the default and at least one other candidate, first the default", ErrMalformed)
	}
	if opt.Budget <= 0 {
		opt.Budget = DefaultTuneBudget
	}
	start := time.Now()
	end := start.Add(opt.Budget)
	rounds := 2 * minRounds(opt.Judgement, len(cands)-1)
	keep := max(2, min(len(cands), int(opt.Budget/(time.Duration(rounds)*minTrial*5/4))))
	t := &affinity.Tuning{Unit: cmp.Or(opt.Unit, "ns/event"), Candidates: make([]affinity.Candidate, keep)}
	copy(t.Candidates, cands[:keep])
	d := min(max(opt.Budget*8/10/time.Duration(rounds*keep), minTrial), maxTrial)
	failed := make([]error, keep)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x70e5))
	done, total := 0, rounds*keep
	// Trials run under the budget's deadline too: a round that a slowed
	// machine stretches past it is dropped, as an interrupted one is, but
	// without marking the tuning interrupted.
	tctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	var longest time.Duration // the longest round so far
	for {
		if ctx.Err() != nil {
			t.Interrupted = true
			break
		}
		if t.Rounds > 0 && time.Now().Add(longest*5/4).After(end) {
			break
		}
		if t.Rounds == rounds {
			total += keep // the budget allows more rounds than planned
		}
		roundStart := time.Now()
		figs := make([]float64, keep)
		complete := true
		for _, i := range rng.Perm(keep) {
			if failed[i] != nil {
				continue
			}
			f, err := trial(tctx, t.Candidates[i], d)
			if tctx.Err() != nil {
				complete = false
				break
			}
			if err != nil {
				if i == 0 {
					return nil, fmt.Errorf("measuring the default: %w", err)
				}
				failed[i] = err
				continue
			}
			figs[i] = f
			done++
			if opt.Progress != nil {
				opt.Progress(done, max(total, done))
			}
		}
		if !complete {
			t.Interrupted = ctx.Err() != nil
			break
		}
		for i := range t.Candidates {
			if failed[i] == nil {
				t.Candidates[i].Figures = append(t.Candidates[i].Figures, figs[i])
			}
		}
		t.Rounds++
		longest = max(longest, time.Since(roundStart))
	}
	for i, err := range failed {
		if err != nil {
			t.Candidates[i].Figures = nil
		}
	}
	t.ElapsedNS = time.Since(start).Nanoseconds()
	Judge(t, opt.Judgement, fallback)
	for i, err := range failed {
		if err != nil {
			t.Candidates[i].Verdict = "failed: " + err.Error()
		}
	}
	return t, nil
}
