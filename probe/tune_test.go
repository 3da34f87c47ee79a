package probe

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

func TestMedianInterval(t *testing.T) {
	xs := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[n-1-i] = float64(i + 1) // descending, so sorting matters
		}
		return out
	}
	for _, tc := range []struct {
		n      int
		alpha  float64
		lo, hi float64
		ok     bool
	}{
		{5, 0.05, 1, 5, false},    // 2/32 > 0.05: even the extremes are not 95%
		{6, 0.05, 1, 6, true},     // 2/64 ≤ 0.05 < 14/64: the extremes
		{10, 0.05, 2, 9, true},    // P(Bin(10,½) ≤ 1) = 11/1024; ≤ 2 is 56/1024 > 0.025
		{20, 0.05, 6, 15, true},   // the textbook 95% interval for n=20: x(6), x(15)
		{9, 0.005, 1, 9, true},    // 2/512 ≤ 0.005
		{8, 0.005, 1, 8, false},   // 2/256 > 0.005
		{1, 0.05, 1, 1, false},    // a single value
		{20, 0.0001, 2, 19, true}, // 2·21/2^20 ≤ 0.0001
	} {
		lo, hi, ok := medianInterval(xs(tc.n), tc.alpha)
		if lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("n=%d alpha=%g: (%g, %g, %v), want (%g, %g, %v)", tc.n, tc.alpha, lo, hi, ok, tc.lo, tc.hi, tc.ok)
		}
	}
}

func TestMinRounds(t *testing.T) {
	for _, tc := range []struct{ comparisons, want int }{{1, 6}, {10, 9}, {13, 10}} {
		if got := minRounds(Judgement{}, tc.comparisons); got != tc.want {
			t.Errorf("minRounds(%d comparisons) = %d, want %d", tc.comparisons, got, tc.want)
		}
	}
}

// tuning returns evidence with the default's figures and each other
// candidate's as factor times the default's, times noise.
func tuning(rounds int, spread float64, factors ...float64) *affinity.Tuning {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func() float64 { return 1 + spread*(2*rng.Float64()-1) }
	t := &affinity.Tuning{Rounds: rounds, Unit: "ns/event"}
	base := make([]float64, rounds)
	for r := range base {
		base[r] = 50 * (1 + 0.5*float64(r%2)) // the machine drifts between rounds: 50 or 75
	}
	t.Candidates = append(t.Candidates, affinity.Candidate{Name: CandidateDefault, Figures: base})
	for i, f := range factors {
		figs := make([]float64, rounds)
		for r := range figs {
			figs[r] = base[r] * f * noise()
		}
		t.Candidates = append(t.Candidates, affinity.Candidate{Name: string(rune('a' + i)), Figures: figs})
	}
	return t
}

func TestJudge(t *testing.T) {
	verdicts := func(tu *affinity.Tuning) []string {
		var v []string
		for _, c := range tu.Candidates {
			v = append(v, c.Verdict)
		}
		return v
	}
	tests := []struct {
		name     string
		tu       *affinity.Tuning
		verdicts []string
		chosen   string
	}{
		{
			name: "clear winner among noise", tu: tuning(12, 0.02, 0.6, 1.0, 1.4),
			verdicts: []string{VerdictBaseline, VerdictBetter, VerdictSame, VerdictWorse}, chosen: "a",
		},
		{
			name: "the larger gain wins", tu: tuning(12, 0.02, 0.9, 0.6),
			verdicts: []string{VerdictBaseline, VerdictBetter, VerdictBetter}, chosen: "b",
		},
		{
			// 20% faster by the median, but rounds spread ±40%: the
			// interval reaches past 1, so nothing is kept.
			name: "spread does not support the gain", tu: tuning(12, 0.4, 0.8),
			verdicts: []string{VerdictBaseline, VerdictSame}, chosen: CandidateRuleBased,
		},
		{
			// 2% faster, beyond doubt, but within the 3% margin.
			name: "inside the margin", tu: tuning(30, 0.001, 0.98),
			verdicts: []string{VerdictBaseline, VerdictSame}, chosen: CandidateRuleBased,
		},
		{
			name: "too few rounds", tu: tuning(4, 0.01, 0.5),
			verdicts: []string{VerdictBaseline, VerdictFewer}, chosen: CandidateRuleBased,
		},
		{
			name: "no rounds", tu: tuning(0, 0, 0.5),
			verdicts: []string{VerdictBaseline, VerdictNone}, chosen: CandidateRuleBased,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Judge(tt.tu, Judgement{}, CandidateRuleBased)
			if got := verdicts(tt.tu); !slices.Equal(got, tt.verdicts) {
				t.Errorf("verdicts %q, want %q", got, tt.verdicts)
			}
			if tt.tu.Chosen != tt.chosen {
				t.Errorf("chosen %q (%s), want %q", tt.tu.Chosen, tt.tu.Why, tt.chosen)
			}
			for _, c := range tt.tu.Candidates {
				if c.Low > c.Ratio || c.Ratio > c.High || math.IsNaN(c.Ratio) || math.IsNaN(c.Median) {
					t.Errorf("%s: ratio %g outside its interval %g-%g (median %g)", c.Name, c.Ratio, c.Low, c.High, c.Median)
				}
			}
			if !strings.Contains(tt.tu.Method, "sign-test") || !strings.Contains(tt.tu.Method, "3%") {
				t.Errorf("method %q does not state the test and the margin", tt.tu.Method)
			}
			if tt.chosen == CandidateRuleBased && !strings.Contains(tt.tu.Why, "no candidate beat the default") {
				t.Errorf("why %q does not say nothing beat the default", tt.tu.Why)
			}
		})
	}
	// The drift between rounds (50 or 75 ns) is larger than the gain, and
	// is removed by comparing within rounds: figures alone would not show it.
	tu := tuning(12, 0.02, 0.8)
	Judge(tu, Judgement{}, CandidateRuleBased)
	if c := tu.Candidates[1]; c.Verdict != VerdictBetter || math.Abs(c.Ratio-0.8) > 0.03 {
		t.Errorf("drifting machine: %+v, want better at about 0.8", c)
	}
}

func testCandidates(n int) []affinity.Candidate {
	out := []affinity.Candidate{{Name: CandidateDefault, Layout: bus.DefaultLayout()}}
	for i := 1; i < n; i++ {
		out = append(out, affinity.Candidate{Name: string(rune('a' + i - 1)), Layout: bus.DefaultLayout()})
	}
	return out
}

// TestTuneSynthetic runs Tune with a trial that takes no time and returns
// set figures: candidate "a" is 30% faster, "b" fails on its third trial.
func TestTuneSynthetic(t *testing.T) {
	calls := map[string]int{}
	trial := func(ctx context.Context, c affinity.Candidate, d time.Duration) (float64, error) {
		calls[c.Name]++
		select {
		case <-time.After(d / 20):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		switch c.Name {
		case "a":
			return 70, nil
		case "b":
			if calls["b"] == 3 {
				return 0, errors.New("cpu 7 is not allowed")
			}
		}
		return 100 + float64(calls[c.Name]%3), nil
	}
	var done, total int
	tu, err := Tune(context.Background(), testCandidates(4), CandidateRuleBased, trial, TuneOptions{
		Budget: 4 * time.Second, Progress: func(d, n int) { done, total = d, n },
	})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Duration(tu.ElapsedNS); el > 4*time.Second {
		t.Errorf("a 4s budget took %v", el)
	}
	if len(tu.Candidates) != 4 {
		t.Fatalf("%d candidates measured, want 4", len(tu.Candidates))
	}
	if tu.Rounds < 8 || tu.Interrupted {
		t.Errorf("%d rounds, interrupted %v", tu.Rounds, tu.Interrupted)
	}
	if tu.Chosen != "a" || tu.Candidates[1].Verdict != VerdictBetter {
		t.Errorf("chose %q (%s), want a", tu.Chosen, tu.Why)
	}
	if b := tu.Candidates[2]; b.Verdict != "failed: cpu 7 is not allowed" || b.Figures != nil || calls["b"] != 3 {
		t.Errorf("failing candidate: %+v after %d calls", b, calls["b"])
	}
	for _, c := range []affinity.Candidate{tu.Candidates[0], tu.Candidates[1], tu.Candidates[3]} {
		if len(c.Figures) != tu.Rounds {
			t.Errorf("%s: %d figures for %d rounds", c.Name, len(c.Figures), tu.Rounds)
		}
	}
	if done == 0 || done > total {
		t.Errorf("progress %d of %d", done, total)
	}
}

// TestTuneInterrupted: a cancel in the middle of a round drops that round
// and keeps the ones completed.
func TestTuneInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	trials := 0
	trial := func(ctx context.Context, c affinity.Candidate, d time.Duration) (float64, error) {
		trials++
		if trials == 3*7+2 { // in the 8th round
			cancel()
			return 0, ctx.Err()
		}
		if c.Name == "a" {
			return 50, nil
		}
		return 100, nil
	}
	tu, err := Tune(ctx, testCandidates(3), CandidateRuleBased, trial, TuneOptions{Budget: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !tu.Interrupted || tu.Rounds != 7 || len(tu.Candidates[0].Figures) != 7 {
		t.Errorf("interrupted %v after %d rounds (%d figures), want 7", tu.Interrupted, tu.Rounds, len(tu.Candidates[0].Figures))
	}
	if tu.Chosen != "a" {
		t.Errorf("chose %q from 7 rounds (%s)", tu.Chosen, tu.Why)
	}
}

// TestTuneTrims: a budget too short to measure every candidate for the
// rounds it needs keeps the first ones, the default and the rule-based.
func TestTuneTrims(t *testing.T) {
	ok := func(context.Context, affinity.Candidate, time.Duration) (float64, error) { return 1, nil }
	tu, err := Tune(context.Background(), testCandidates(10), CandidateRuleBased, ok, TuneOptions{Budget: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(tu.Candidates) != 2 || tu.Candidates[1].Name != "a" {
		t.Errorf("1s budget kept %d candidates, want the first 2", len(tu.Candidates))
	}
}

func TestTuneErrors(t *testing.T) {
	ok := func(context.Context, affinity.Candidate, time.Duration) (float64, error) { return 1, nil }
	if _, err := Tune(context.Background(), testCandidates(1), CandidateRuleBased, ok, TuneOptions{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("one candidate: %v", err)
	}
	broken := func(context.Context, affinity.Candidate, time.Duration) (float64, error) {
		return 0, errors.New("no bus")
	}
	if _, err := Tune(context.Background(), testCandidates(2), CandidateRuleBased, broken, TuneOptions{Budget: time.Second}); err == nil || !strings.Contains(err.Error(), "measuring the default: no bus") {
		t.Errorf("default fails: %v", err)
	}
}

// TestCandidates: from the rule-based recommendation on two fixtures, the
// candidates start with the default and the rule-based profile, are all
// valid and distinct, and vary what the facts leave open.
func TestCandidates(t *testing.T) {
	for _, tc := range []struct {
		tree string
		want []string
		not  []string
	}{
		// 2 vCPUs: consumer on 1, producer unpinned. With CPU 0 there is a
		// CPU for each spinner, so busy-spin is worth a try; 64-byte lines
		// make a 64-byte pad plausible.
		{"kvm-epyc-2cpu", []string{"poll 4µs", "unpinned", "all pinned", "moved", "pad 64", "pad 256", "busy-spin"}, nil},
		// The quota cannot feed spinners: blocking, so phased backoff is a candidate.
		{"container-1.5cpu", []string{"phased-backoff", "poll 2µs"}, nil},
		// 128-byte lines: no 64-byte pad.
		{"arm64-128b", []string{"pad 256"}, []string{"pad 64", "pad 128"}},
	} {
		t.Run(tc.tree, func(t *testing.T) {
			fsys, err := NewFS(filepath.Join("testdata", tc.tree))
			if err != nil {
				t.Fatal(err)
			}
			s, err := fsys.Read()
			if err != nil {
				t.Fatal(err)
			}
			opt := Options{Producers: 1, Consumers: 1, EventSize: 24}
			rec, err := Recommend(s, nil, opt)
			if err != nil {
				t.Fatal(err)
			}
			cands, err := Candidates(s, rec, opt)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			seen := map[string]bool{}
			for _, c := range cands {
				names = append(names, c.Name)
				if err := c.Layout.Validate(); err != nil {
					t.Errorf("%s: %v", c.Name, err)
				}
				if c.Layout.EventSize != 24 {
					t.Errorf("%s: event size %d", c.Name, c.Layout.EventSize)
				}
				if seen[c.Name] {
					t.Errorf("two candidates are called %q", c.Name)
				}
				seen[c.Name] = true
				p := affinity.Profile{Schema: affinity.ProfileSchema, Layout: c.Layout, Affinity: c.Affinity}
				if err := affinity.CheckProfile(&p, affinity.Machine{Online: s.OS.Online.Value, Allowed: s.Usable()}); err != nil {
					t.Errorf("%s does not fit the machine: %v", c.Name, err)
				}
			}
			if names[0] != CandidateDefault || names[1] != CandidateRuleBased {
				t.Errorf("candidates start %q", names[:2])
			}
			for _, w := range tc.want {
				if !seen[w] {
					t.Errorf("no candidate %q in %q", w, names)
				}
			}
			for _, w := range tc.not {
				if seen[w] {
					t.Errorf("implausible candidate %q in %q", w, names)
				}
			}
		})
	}
}
