package affinity

import "github.com/eventbus/eventbus/bus"

// Tuning is the evidence `busprobe -tune` leaves in a profile under its
// "tuning" key: the shape and objective it measured, how it judged a
// candidate, every candidate it measured with its figures, and which one
// the profile's Layout and Affinity came from, and why. A profile without
// it was made by rule alone. The bus does not read it.
type Tuning struct {
	// Shape is the consumer graph measured, as busprobe names it, with
	// its producers and consumers: "unicast 1P→1C".
	Shape string `json:"shape"`
	// Objective is what was minimized: "throughput" (nanoseconds per event
	// with the ring kept full) or "latency" (nanoseconds from publishing
	// one event to every leaf consumer having handled it).
	Objective string `json:"objective"`
	// Unit is the unit of the figures: "ns/event".
	Unit string `json:"unit"`
	// Method says in one sentence how a candidate was judged against the
	// default: the statistic, its confidence and the margin.
	Method string `json:"method"`
	// Rounds is the number of complete rounds: in each, every candidate
	// ran once, in a shuffled order.
	Rounds int `json:"rounds"`
	// ElapsedNS is the wall time tuning took.
	ElapsedNS int64 `json:"elapsed_ns"`
	// Interrupted is true when tuning was stopped (Ctrl-C) before its
	// budget ran out; the figures are those of the rounds completed.
	Interrupted bool `json:"interrupted,omitempty"`
	// Candidates holds every candidate measured, the default first.
	Candidates []Candidate `json:"candidates"`
	// Chosen names the candidate whose Layout and Affinity the profile
	// carries.
	Chosen string `json:"chosen"`
	// Why explains the choice in one line.
	Why string `json:"why"`
}

// Candidate is one layout and plan measured by `busprobe -tune`, with its
// figures and how they compare with the default's, round by round.
type Candidate struct {
	// Name says what the candidate changes: "default", "rule-based",
	// "poll 4µs", ...
	Name string `json:"name"`
	// Layout and Affinity are what the candidate ran with.
	Layout   bus.Layout `json:"layout"`
	Affinity Plan       `json:"affinity"`
	// Figures holds one figure per complete round, in Tuning.Unit; lower
	// is better.
	Figures []float64 `json:"figures"`
	// Median is the median of Figures.
	Median float64 `json:"median"`
	// Ratio is the median of the per-round ratios Figures[i] / the
	// default's Figures[i]: below 1 is faster than the default.
	Ratio float64 `json:"ratio"`
	// Low and High bound Ratio's confidence interval (Tuning.Method).
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	// Verdict is "better", "worse" or "no significant difference" against
	// the default, or "baseline" for the default itself.
	Verdict string `json:"verdict"`
}
