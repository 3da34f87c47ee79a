package probe

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestClassifyRuns(t *testing.T) {
	tests := []struct {
		name   string
		runs   []float64
		want   Stability
		modes  []float64
		reason string
	}{
		{"one run", []float64{80}, Stable, nil, "nothing to compare"},
		{"tight", []float64{70, 75, 80, 72, 78, 85}, Stable, nil, "max/min 1.21 is under 1.5"},
		{"this VM, bimodal", []float64{62, 305, 71, 280, 58, 410}, Bimodal, []float64{62, 305},
			"runs at 50-85 ns and 200-420 ns, as measured on this machine, form two groups of three"},
		{"one slow outlier", []float64{60, 62, 65, 61, 300}, Unstable, nil,
			"a single slow run is not a second mode, but the spread is still worth reporting"},
		{"gradual spread", []float64{50, 65, 80, 95, 110}, Unstable, nil, "no gap reaches 1.5x but max/min is 2.2"},
		{"two and two", []float64{100, 105, 210, 220}, Bimodal, []float64{102.5, 215}, "two runs on each side of a 2x gap"},
	}
	for _, tt := range tests {
		got, modes := classifyRuns(tt.runs)
		if got != tt.want || !slices.Equal(modes, tt.modes) {
			t.Errorf("%s: classifyRuns(%v) = %s %v, want %s %v (%s)", tt.name, tt.runs, got, modes, tt.want, tt.modes, tt.reason)
		}
	}
}

func TestSummarizePair(t *testing.T) {
	runs := [][]float64{
		{60, 62, 64, 66, 200},
		{},
		{300, 310, 320, 330, 340},
		{58, 60, 62},
		{290, 300, 310},
	}
	l := summarizePair(3, 1, runs)
	if l.A != 1 || l.B != 3 {
		t.Errorf("pair = %d,%d, want 1,3 (ordered)", l.A, l.B)
	}
	if want := []float64{64, 320, 60, 300}; !slices.Equal(l.RunMedians, want) {
		t.Errorf("RunMedians = %v, want %v (empty run skipped)", l.RunMedians, want)
	}
	if l.Stability != Bimodal || l.Modes[0] != 62 || l.Modes[1] != 310 {
		t.Errorf("Stability = %s %v, want bimodal [62 310]", l.Stability, l.Modes)
	}
	if l.MedianNS != 245 || l.P10NS >= l.MedianNS || l.P90NS <= l.MedianNS {
		t.Errorf("median %v p10 %v p90 %v", l.MedianNS, l.P10NS, l.P90NS)
	}
	if s := l.Summary(); !strings.Contains(s, "bimodal") || !strings.Contains(s, "62 ns and 310 ns") {
		t.Errorf("Summary() = %q, want the two modes named", s)
	}
}

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4}
	if q := quantile(s, 0.5); q != 2.5 {
		t.Errorf("median of 1..4 = %v", q)
	}
	if q := quantile(s, 1); q != 4 {
		t.Errorf("q1 = %v", q)
	}
	if !math.IsNaN(quantile(nil, 0.5)) {
		t.Error("quantile(nil) is not NaN")
	}
}

func TestPickDistance(t *testing.T) {
	sp := []int{8, 64, 128, 256}
	tests := []struct {
		name string
		slow []float64
		want int
		why  string
	}{
		{"x86 with 64-byte lines", []float64{8, 1.05, 1.0, 1.02}, 64, "only the same line interferes"},
		{"adjacent-line prefetch", []float64{9, 1.6, 1.1, 1.0}, 128, "neighbouring 64-byte lines still interfere"},
		{"arm64 128-byte lines", []float64{6, 5.5, 1.1, 1.0}, 128, "64 bytes apart is the same line"},
		{"s390x 256-byte lines", []float64{7, 6, 6.5, 1.1}, 256, "only 256 bytes apart are separate lines"},
		{"noise dip", []float64{8, 1.1, 1.4, 1.0}, 256, "a slowdown at 128 after a clean 64 means 64 was luck"},
		{"always slowed", []float64{8, 6, 5, 4}, 0, "no tested spacing is free of interference"},
		{"no interference at all", []float64{1.1, 1.0, 1.0, 1.0}, 8, "e.g. both threads on one core by accident"},
	}
	for _, tt := range tests {
		if got := pickDistance(sp, tt.slow, SlowdownLimit); got != tt.want {
			t.Errorf("%s: pickDistance(%v) = %d, want %d (%s)", tt.name, tt.slow, got, tt.want, tt.why)
		}
	}
}

func TestSummarizeSpacings(t *testing.T) {
	sp := []int{8, 64, 128, 256}
	round := func(ref float64, ns ...float64) fsRound { return fsRound{ns: ns, ref: ref} }
	tests := []struct {
		name    string
		rounds  []fsRound
		each    []int
		want    int
		agree   int
		dropped int
	}{
		{
			name:   "rounds agree",
			rounds: []fsRound{round(5, 40, 7, 5.1, 5), round(5.1, 42, 7.2, 5, 5), round(4.9, 41, 6.8, 5.2, 5)},
			each:   []int{128, 128, 128}, want: 128, agree: 3,
		},
		{
			// The machine slowed down in the second round, on every
			// spacing alike: against its own reference it agrees.
			name:   "drift between rounds cancels",
			rounds: []fsRound{round(5, 40, 5.5, 5.1, 5), round(10, 80, 11, 10, 10.5), round(5, 41, 5.2, 5, 5)},
			each:   []int{64, 64, 64}, want: 64, agree: 3,
		},
		{
			// The second round's same-line writers did not slow each
			// other: one was not running, so the round is dropped.
			name: "a majority outvotes a noisy round",
			rounds: []fsRound{round(5, 40, 5.2, 5, 5), round(5, 5.1, 5, 5, 5), round(5, 41, 5.1, 5, 5),
				round(5, 40, 9, 5, 5), round(5, 40, 5, 5, 5)},
			each: []int{64, 64, 128, 64}, want: 64, agree: 3, dropped: 1,
		},
		{
			name:   "no majority is not used",
			rounds: []fsRound{round(5, 40, 5, 5, 5), round(5, 40, 9, 5, 5), round(5, 40, 9, 9, 5), round(5, 40, 9, 9, 9)},
			each:   []int{64, 128, 256, 0}, want: 0, agree: 1,
		},
		{
			name:   "a majority of dropped rounds leaves no consensus",
			rounds: []fsRound{round(5, 40, 5, 5, 5), round(5, 5, 5, 5, 5), round(5, 6, 5, 5, 5)},
			each:   []int{64}, want: 0, agree: 1, dropped: 2,
		},
		{
			name:   "the majority finds none free of interference",
			rounds: []fsRound{round(5, 40, 9, 9, 9), round(5, 40, 9, 9, 9), round(5, 40, 5, 5, 5)},
			each:   []int{0, 0, 64}, want: 0, agree: 2,
		},
		{name: "no rounds", want: 0, agree: 0},
	}
	for _, tt := range tests {
		fs := summarizeSpacings([2]int{1, 2}, sp, 512, tt.rounds)
		if !slices.Equal(fs.Rounds, tt.each) || fs.Distance != tt.want || fs.Agree != tt.agree || fs.Dropped != tt.dropped {
			t.Errorf("%s: rounds %v (%d dropped), distance %d agreed by %d; want %v (%d), %d by %d",
				tt.name, fs.Rounds, fs.Dropped, fs.Distance, fs.Agree, tt.each, tt.dropped, tt.want, tt.agree)
		}
	}
	fs := summarizeSpacings([2]int{1, 2}, sp, 512, []fsRound{round(5, 40, 7, 5.1, 5), round(5.1, 42, 7.2, 5, 5), round(4.9, 41, 6.8, 5.2, 5)})
	if s := fs.Spacings[0].Slowdown; s < 8 || s > 8.5 {
		t.Errorf("slowdown at 8 bytes = %v, want 41/5 = 8.2", s)
	}
	if got := fs.Summary(); !strings.Contains(got, "128 bytes") || !strings.Contains(got, "3 of 3 rounds agree (128, 128, 128)") {
		t.Errorf("Summary() = %q", got)
	}
	fs = summarizeSpacings([2]int{1, 2}, sp, 512, []fsRound{round(5, 40, 5, 5, 5), round(5, 5, 5, 5, 5), round(5, 40, 9, 5, 5)})
	if got := fs.Summary(); !strings.Contains(got, "no consensus, not used; 1 of 3 rounds agree (64, 128); 1 round dropped") {
		t.Errorf("Summary() = %q", got)
	}
}
