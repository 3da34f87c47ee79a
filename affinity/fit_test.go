package affinity

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckFit(t *testing.T) {
	p := testProfile() // producers [0 -1], consumers journal@1, #1@2, spare@-1
	p.Layout.EventSize = 64
	tests := []struct {
		name string
		fit  Fit
		want []string // each a mismatch the error must name; nil: fits
	}{
		{name: "zero fit checks nothing"},
		{name: "fits", fit: Fit{Producers: 2, Consumers: 3, EventSize: 64, Names: []string{"journal", "", "spare"}}},
		{name: "more consumers", fit: Fit{Consumers: 4}, want: []string{"the plan places 3 consumers, the bus has 4"}},
		{name: "fewer producers", fit: Fit{Producers: 1}, want: []string{"the plan places 2 producers, the bus has 1"}},
		{name: "event size", fit: Fit{EventSize: 48}, want: []string{"sized for 64-byte events, the bus's are 48 bytes"}},
		{
			name: "names", fit: Fit{Consumers: 3, Names: []string{"journal", "replicate", "audit"}},
			want: []string{`affinity.consumers[2] is for consumer "spare", which the bus does not have`, `consumer "audit" has no placement`},
		},
		{
			name: "every mismatch at once", fit: Fit{Producers: 1, Consumers: 1, EventSize: 8},
			want: []string{"2 producers", "3 consumers", "8 bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckFit(p, tt.fit)
			if tt.want == nil {
				if err != nil {
					t.Errorf("CheckFit = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrMismatch) {
				t.Fatalf("CheckFit = %v, want ErrMismatch", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckFit = %q, want it to name %q", err, w)
				}
			}
			if got, want := strings.Count(err.Error(), "does not fit"), len(tt.want); got != want {
				t.Errorf("CheckFit = %q: %d mismatches, want %d", err, got, want)
			}
		})
	}
	if err := CheckFit(nil, Fit{}); !errors.Is(err, ErrBadProfile) {
		t.Errorf("CheckFit(nil) = %v, want ErrBadProfile", err)
	}
	// A plan without placements fits any number of consumers.
	d := DefaultProfile()
	if err := CheckFit(&d, Fit{Producers: 3, Consumers: 5, EventSize: 24, Names: []string{"a", "b"}}); err != nil {
		t.Errorf("default profile: %v", err)
	}
}

// TestTuningRoundTrip: a profile with tuning evidence writes and parses
// back whole, and one without writes no tuning key.
func TestTuningRoundTrip(t *testing.T) {
	p := testProfile()
	p.Tuning = &Tuning{
		Shape: "unicast 1P→1C", Objective: "throughput", Unit: "ns/event", Method: "sign test", Rounds: 2,
		Candidates: []Candidate{
			{Name: "default", Layout: DefaultProfile().Layout, Figures: []float64{50, 52}, Median: 51, Ratio: 1, Low: 1, High: 1, Verdict: "baseline"},
			{Name: "poll 4µs", Layout: DefaultProfile().Layout, Affinity: p.Affinity, Figures: []float64{30, 31}, Median: 30.5, Ratio: 0.6, Low: 0.59, High: 0.6, Verdict: "better"},
		},
		Chosen: "poll 4µs", Why: "fastest",
	}
	b, err := p.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseProfile(b)
	if err != nil {
		t.Fatalf("ParseProfile: %v\n%s", err, b)
	}
	if back.Tuning == nil || back.Tuning.Chosen != "poll 4µs" || len(back.Tuning.Candidates) != 2 || back.Tuning.Candidates[1].Figures[1] != 31 {
		t.Errorf("tuning read back as %+v", back.Tuning)
	}
	p.Tuning = nil
	if b, _ := p.MarshalIndent(); strings.Contains(string(b), "tuning") {
		t.Errorf("a profile without tuning writes the key:\n%s", b)
	}
}
