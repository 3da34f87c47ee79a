package probe

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Stability classifies how repeatable a latency figure was from run to run.
type Stability string

// The stability verdicts of a measured pair.
const (
	// Stable means every run gave about the same figure.
	Stable Stability = "stable"
	// Unstable means the runs spread widely without forming two groups.
	Unstable Stability = "unstable"
	// Bimodal means the runs fell into a fast group and a slow group, as
	// on VMs whose vCPUs the host sometimes places on distant cores.
	Bimodal Stability = "bimodal"
)

// Thresholds of the run-to-run analysis: a gap between consecutive sorted
// run medians of at least bimodalGap (as a ratio) with at least two runs on
// each side is bimodal; a max/min ratio of at least unstableSpread without
// such a gap is unstable.
const (
	bimodalGap     = 1.5
	unstableSpread = 1.5
)

// PairLatency is the measured core-to-core latency between two CPUs.
type PairLatency struct {
	// A and B are the two CPUs; A < B.
	A int `json:"a"`
	B int `json:"b"`
	// MedianNS is the median CAS round trip in nanoseconds over all samples.
	MedianNS float64 `json:"median_ns"`
	// P10NS and P90NS bound the middle 80% of the samples: the spread.
	P10NS float64 `json:"p10_ns"`
	P90NS float64 `json:"p90_ns"`
	// RunMedians is the median of each run, in the order run.
	RunMedians []float64 `json:"run_medians_ns"`
	// Stability says whether the runs agreed.
	Stability Stability `json:"stability"`
	// Modes holds the medians of the fast and the slow group when
	// Stability is Bimodal.
	Modes []float64 `json:"modes_ns,omitempty"`
	// Unmeasured, when not empty, says why no run of this pair gave a
	// figure (its partner thread never answered); the figures are then 0.
	Unmeasured string `json:"unmeasured,omitempty"`
}

// Summary returns one line describing l for a person.
func (l PairLatency) Summary() string {
	if l.Unmeasured != "" {
		return "not measured: " + l.Unmeasured
	}
	s := fmt.Sprintf("median %.0f ns, p10-p90 %.0f-%.0f ns over %d runs", l.MedianNS, l.P10NS, l.P90NS, len(l.RunMedians))
	switch l.Stability {
	case Bimodal:
		s += fmt.Sprintf("; bimodal: runs cluster near %.0f ns and %.0f ns, so expect either from one run to the next (typical of a VM)", l.Modes[0], l.Modes[1])
	case Unstable:
		lo, hi := slices.Min(l.RunMedians), slices.Max(l.RunMedians)
		s += fmt.Sprintf("; unstable: run medians range %.0f-%.0f ns", lo, hi)
	}
	return s
}

// quantile returns the q-quantile (0..1) of sorted xs by linear
// interpolation; NaN for no data.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantile(s, 0.5)
}

// summarizePair turns the samples of each run (round-trip nanoseconds) into
// a PairLatency. Empty runs are ignored.
func summarizePair(a, b int, runs [][]float64) PairLatency {
	if a > b {
		a, b = b, a
	}
	l := PairLatency{A: a, B: b}
	var all []float64
	for _, r := range runs {
		if len(r) == 0 {
			continue
		}
		all = append(all, r...)
		l.RunMedians = append(l.RunMedians, median(r))
	}
	slices.Sort(all)
	l.MedianNS, l.P10NS, l.P90NS = quantile(all, 0.5), quantile(all, 0.1), quantile(all, 0.9)
	l.Stability, l.Modes = classifyRuns(l.RunMedians)
	return l
}

// classifyRuns decides whether run medians agree, form two groups or just
// spread, and returns the two group medians when bimodal.
func classifyRuns(medians []float64) (Stability, []float64) {
	s := slices.Clone(medians)
	slices.Sort(s)
	n := len(s)
	if n < 2 || s[0] <= 0 {
		return Stable, nil
	}
	gapAt, gap := -1, 1.0
	for i := 0; i+1 < n; i++ {
		if r := s[i+1] / s[i]; r > gap {
			gapAt, gap = i, r
		}
	}
	if gap >= bimodalGap && gapAt+1 >= 2 && n-gapAt-1 >= 2 {
		return Bimodal, []float64{quantile(s[:gapAt+1], 0.5), quantile(s[gapAt+1:], 0.5)}
	}
	if s[n-1]/s[0] >= unstableSpread {
		return Unstable, nil
	}
	return Stable, nil
}

// SpacingResult is the cost of two threads incrementing two counters a given
// distance apart.
type SpacingResult struct {
	// Bytes is the distance between the two counters.
	Bytes int `json:"bytes"`
	// NSPerOp is the median time of one increment, averaged over both
	// threads.
	NSPerOp float64 `json:"ns_per_op"`
	// Slowdown is NSPerOp relative to the reference spacing.
	Slowdown float64 `json:"slowdown"`
}

// FalseSharing is the result of the false-sharing measurement.
type FalseSharing struct {
	// CPUs are the two CPUs the writers ran on.
	CPUs [2]int `json:"cpus"`
	// ReferenceBytes is the spacing taken as free of interference.
	ReferenceBytes int `json:"reference_bytes"`
	// Spacings holds the tested spacings in increasing order, with the
	// median over the rounds.
	Spacings []SpacingResult `json:"spacings"`
	// Rounds holds the distance each valid round gave on its own (0: none
	// of its spacings was free of interference), in the order run.
	Rounds []int `json:"round_distances"`
	// Dropped counts the complete rounds left out of Rounds because their
	// writers 8 bytes apart, on one line, did not slow each other: that is
	// not physically possible while both run, so one of them was not
	// running (the machine is busy) and the round measured nothing.
	Dropped int `json:"dropped_rounds,omitempty"`
	// Distance is the consensus of Rounds: the distance more than half of
	// the complete rounds (valid or dropped) gave; 0 when there is no such
	// majority, when it is "none free of interference", or when no round
	// completed. Recommend uses it only when it is at least the cache
	// line: two writers within one line always interfere, so a smaller
	// distance is noise.
	Distance int `json:"distance"`
	// Agree is how many rounds gave the most common distance: the spread
	// of the measurement, to be read against len(Rounds)+Dropped.
	Agree int `json:"agree"`
	// Unmeasured, when not empty, says why no round completed.
	Unmeasured string `json:"unmeasured,omitempty"`
}

// Summary returns one line describing the distance found and how far the
// rounds agreed on it.
func (fs FalseSharing) Summary() string {
	if fs.Unmeasured != "" {
		return "not measured: " + fs.Unmeasured
	}
	total := len(fs.Rounds) + fs.Dropped
	parts := make([]string, len(fs.Rounds))
	for i, r := range fs.Rounds {
		parts[i] = "none"
		if r > 0 {
			parts[i] = fmt.Sprint(r)
		}
	}
	var d string
	switch {
	case 2*fs.Agree <= total:
		d = "no consensus, not used"
	case fs.Distance > 0:
		d = fmt.Sprintf("%d bytes (slowdown at most %.2f against %d bytes apart)", fs.Distance, SlowdownLimit, fs.ReferenceBytes)
	default:
		d = "none of the tested spacings is free of interference"
	}
	d += fmt.Sprintf("; %d of %d rounds agree", fs.Agree, total)
	if len(parts) > 0 {
		d += " (" + strings.Join(parts, ", ") + ")"
	}
	if fs.Dropped > 0 {
		d += fmt.Sprintf("; %s dropped: same-line writers did not interfere, so they did not run together", count(fs.Dropped, "round"))
	}
	return d
}

// SlowdownLimit is the largest slowdown, against counters far apart, that
// the false-sharing measurement still counts as "no interference".
const SlowdownLimit = 1.25

// pickDistance returns the smallest spacing at and beyond which every
// slowdown is at most limit, or 0 when the largest spacing is itself
// slowed. spacings must be increasing.
func pickDistance(spacings []int, slowdowns []float64, limit float64) int {
	d := 0
	for i := len(spacings) - 1; i >= 0; i-- {
		if slowdowns[i] > limit {
			break
		}
		d = spacings[i]
	}
	return d
}

// fsRound is one complete round of the false-sharing measurement: ns per
// op at each tested spacing and at the reference spacing, run back to back.
type fsRound struct {
	ns  []float64
	ref float64
}

// slowdown returns x against ref, +Inf when ref is not a positive figure.
func slowdown(x, ref float64) float64 {
	if !(ref > 0) || math.IsNaN(x) {
		return math.Inf(1)
	}
	return x / ref
}

// summarizeSpacings turns complete rounds into the median cost of each
// spacing, picks each round's distance from that round's own slowdowns
// (so drift between rounds cancels), drops the rounds whose same-line
// writers did not interfere, and takes the majority's distance.
func summarizeSpacings(cpus [2]int, spacings []int, refBytes int, rounds []fsRound) FalseSharing {
	fs := FalseSharing{CPUs: cpus, ReferenceBytes: refBytes}
	if len(rounds) == 0 {
		return fs
	}
	refs := make([]float64, len(rounds))
	for r, round := range rounds {
		refs[r] = round.ref
		slow := make([]float64, len(spacings))
		for i := range spacings {
			slow[i] = slowdown(round.ns[i], round.ref)
		}
		if spacings[0] < 64 && slow[0] <= SlowdownLimit {
			fs.Dropped++
			continue
		}
		fs.Rounds = append(fs.Rounds, pickDistance(spacings, slow, SlowdownLimit))
	}
	base := median(refs)
	for i, sp := range spacings {
		col := make([]float64, len(rounds))
		for r, round := range rounds {
			col[r] = round.ns[i]
		}
		m := median(col)
		fs.Spacings = append(fs.Spacings, SpacingResult{Bytes: sp, NSPerOp: m, Slowdown: slowdown(m, base)})
	}
	fs.Distance, fs.Agree = consensus(fs.Rounds)
	if 2*fs.Agree <= len(rounds) {
		fs.Distance = 0 // no majority of the complete rounds
	}
	return fs
}

// consensus returns the value most of xs share, the larger on a tie, and
// how many share it; 0 counts as larger than any distance, since it means
// "no tested spacing was enough".
func consensus(xs []int) (value, votes int) {
	n := map[int]int{}
	for _, x := range xs {
		n[x]++
	}
	rank := func(x int) int {
		if x == 0 {
			return math.MaxInt
		}
		return x
	}
	for x, c := range n {
		if c > votes || (c == votes && rank(x) > rank(value)) {
			value, votes = x, c
		}
	}
	return value, votes
}
