//go:build busfault

package stress

import (
	"context"
	"errors"
	"flag"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

var faultRuns = flag.Int("stress.faultruns", 30, "scenarios run against each planted fault in TestPlantedFaults")

// canShow reports whether fault f can show in scenario s at all: lost
// claims need two producers racing, overwrites need the ring to wrap.
func canShow(f string, s Scenario) bool {
	switch f {
	case "claim-no-cas":
		return s.Producers > 1
	case "wrap-off-by-one", "no-gating-check":
		return s.Producers*s.Events > s.RingSize
	}
	return true
}

// unreachable names the faults that no Bus scenario can plant in the
// path it runs, each with the tests that catch it instead.
var unreachable = map[string]string{
	"mark-zero-based":   "stress's events do not embed bus.Mark; verify's marked history and litmus tests catch it",
	"close-drops-claim": "a Bus claims multi-producer slots only once there is room, so no Publish holds a claim across Close; only the raw sequencer's Next does, and bus's TestCloseDropsClaimIsCaught and verify's hold-close litmus test catch it",
}

// TestPlantedFaults runs the same generated scenarios against each bug that
// bus plants under the busfault build tag, and reports the share of runs
// that caught it. Every fault must be caught at least once, and the
// fault-free bus must pass every one of the same scenarios.
//
//	go test -tags busfault ./stress -run TestPlantedFaults -v -timeout 10m
func TestPlantedFaults(t *testing.T) {
	defer bus.SetFault("none")
	for _, f := range bus.Faults() {
		if why, ok := unreachable[f]; ok {
			t.Logf("fault %s is not run here: %s", f, why)
			continue
		}
		t.Run(f, func(t *testing.T) {
			if err := bus.SetFault(f); err != nil {
				t.Fatal(err)
			}
			defer bus.SetFault("none")
			caught, runs, able, ableCaught := 0, 0, 0, 0
			byInvariant := map[Invariant]int{}
			start := time.Now()
			for seed := *base; seed < *base+uint64(*faultRuns); seed++ {
				s := Generate(seed)
				_, err := Run(context.Background(), s, Options{Stall: time.Second, NoLeakCheck: f != "none"})
				runs++
				if canShow(f, s) {
					able++
				}
				var v *Violation
				switch {
				case err == nil:
				case errors.As(err, &v):
					caught++
					if canShow(f, s) {
						ableCaught++
					}
					byInvariant[v.Invariant]++
					if f == "none" {
						t.Errorf("no fault planted, yet: %v\nscenario: %v", err, s)
					}
				default:
					t.Fatalf("%v: %v", s, err)
				}
			}
			t.Logf("fault %s: caught in %d of %d scenarios (%.0f%%), %d of the %d where it can show (%.0f%%), in %v; by invariant: %v",
				f, caught, runs, 100*float64(caught)/float64(runs), ableCaught, able, 100*float64(ableCaught)/float64(max(able, 1)),
				time.Since(start).Round(time.Millisecond), byInvariant)
			if f != "none" && caught == 0 {
				t.Errorf("fault %s was never caught in %d scenarios", f, runs)
			}
		})
	}
}
