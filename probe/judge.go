package probe

import (
	"fmt"
	"math"
	"slices"

	"github.com/eventbus/eventbus/affinity"
)

// The verdicts Judge gives a candidate against the default.
const (
	VerdictBaseline = "baseline"
	VerdictBetter   = "better"
	VerdictWorse    = "worse"
	VerdictSame     = "no significant difference"
	VerdictFewer    = "too few rounds to tell"
	VerdictNone     = "not measured"
)

// Judgement is how Judge decides: the margin a candidate must beat the
// default by and the family-wise confidence of the intervals. The zero
// value means a 3% margin at 95% confidence.
type Judgement struct {
	// Margin is the fraction by which a candidate's interval must clear
	// the default: kept only when the interval's upper end is below
	// 1-Margin; 0 means 0.03.
	Margin float64
	// Confidence is the probability that all the intervals of one tuning
	// cover their true medians at once (Bonferroni over the candidates);
	// 0 means 0.95.
	Confidence float64
}

func (j Judgement) withDefaults() Judgement {
	if j.Margin <= 0 {
		j.Margin = 0.03
	}
	if j.Confidence <= 0 || j.Confidence >= 1 {
		j.Confidence = 0.95
	}
	return j
}

// Method returns the sentence that states how j judges, for
// affinity.Tuning.Method.
func (j Judgement) Method(comparisons int) string {
	j = j.withDefaults()
	return fmt.Sprintf("each round runs every candidate once in a shuffled order; a candidate's figure is divided by the default's of the same round, "+
		"and the median of these ratios gets a distribution-free (sign-test) confidence interval at %.4g%% each, %.0f%% for all %d comparisons together (Bonferroni); "+
		"a candidate is kept only when its whole interval is below %.2f, that is at least %.0f%% faster than the default",
		100*(1-(1-j.Confidence)/float64(max(comparisons, 1))), 100*j.Confidence, comparisons, 1-j.Margin, 100*j.Margin)
}

// Judge fills in each candidate's Median, Ratio, interval and Verdict from
// its Figures, compared round by round with the default's, which must be
// t.Candidates[0]. It chooses the better candidate with the lowest median
// ratio, or, when none is better, the one named fallback (the rule-based
// profile), and says why in t.Chosen and t.Why. Candidates whose Figures
// are shorter than the default's (they failed part-way) are judged on the
// rounds they have. It is a pure function of the figures.
func Judge(t *affinity.Tuning, j Judgement, fallback string) {
	j = j.withDefaults()
	if len(t.Candidates) == 0 {
		return
	}
	base := &t.Candidates[0]
	base.Median, base.Ratio, base.Low, base.High, base.Verdict = medianOr0(base.Figures), 1, 1, 1, VerdictBaseline
	comparisons := len(t.Candidates) - 1
	t.Method = j.Method(comparisons)
	alpha := (1 - j.Confidence) / float64(max(comparisons, 1))
	var best *affinity.Candidate
	better := 0
	for i := range t.Candidates[1:] {
		c := &t.Candidates[i+1]
		c.Median = medianOr0(c.Figures)
		n := min(len(c.Figures), len(base.Figures))
		ratios := make([]float64, 0, n)
		for r := range n {
			if base.Figures[r] > 0 {
				ratios = append(ratios, c.Figures[r]/base.Figures[r])
			}
		}
		if len(ratios) == 0 {
			c.Ratio, c.Low, c.High, c.Verdict = 0, 0, 0, VerdictNone
			continue
		}
		c.Ratio = median(ratios)
		var ok bool
		c.Low, c.High, ok = medianInterval(ratios, alpha)
		switch {
		case !ok:
			c.Verdict = VerdictFewer
		case c.High < 1-j.Margin:
			c.Verdict = VerdictBetter
			better++
			if best == nil || c.Ratio < best.Ratio {
				best = c
			}
		case c.Low > 1+j.Margin:
			c.Verdict = VerdictWorse
		default:
			c.Verdict = VerdictSame
		}
	}
	if best != nil {
		t.Chosen = best.Name
		t.Why = fmt.Sprintf("%s: %.2fx the default's %s (interval %.2f-%.2f over %d rounds), the fastest of %s that beat the default by more than %.0f%%",
			best.Name, best.Ratio, t.Unit, best.Low, best.High, len(best.Figures), count(better, "candidate"), 100*j.Margin)
		return
	}
	t.Chosen = fallback
	t.Why = fmt.Sprintf("no candidate beat the default by more than %.0f%% beyond the spread of %s, so the profile keeps the rule-based layout and plan", 100*j.Margin, count(t.Rounds, "round"))
}

// medianOr0 is the median of xs, 0 for none (JSON has no NaN).
func medianOr0(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return median(xs)
}

// medianInterval returns the distribution-free confidence interval for
// the median of xs at level 1-alpha: the order statistics x(k) and
// x(n+1-k) for the largest k whose binomial tail 2·P(Bin(n,½) < k) is at
// most alpha. ok is false when even the smallest and largest of xs do not
// reach that level (too few values); lo and hi are then the extremes. xs
// must not be empty.
func medianInterval(xs []float64, alpha float64) (lo, hi float64, ok bool) {
	n := len(xs)
	s := slices.Clone(xs)
	slices.Sort(s)
	// tail is P(Bin(n,½) <= k-1), accumulated as k grows.
	k, tail, term := 0, 0.0, math.Pow(0.5, float64(n))
	for k < n/2 && 2*(tail+term) <= alpha {
		tail += term
		k++
		term = term * float64(n-k+1) / float64(k)
	}
	if k == 0 {
		return s[0], s[n-1], false
	}
	return s[k-1], s[n-k], true
}
