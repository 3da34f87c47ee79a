//go:build busfault

package stress

import (
	"flag"
	"runtime"
	"testing"

	"github.com/eventbus/eventbus/bus"
)

var lifeFaultRuns = flag.Int("stress.lifefaultruns", 20, "rounds of lifecycle scenarios per fault and GOMAXPROCS in TestLifecyclePlantedFaults")

// TestLifecyclePlantedFaults runs rounds of lifecycle scenarios (one of
// each kind per seed) against each lifecycle bug bus plants under the
// busfault tag, at GOMAXPROCS 1, 2 and 4, and requires each to be caught
// in at least 95% of the rounds, and the bus without a fault never to be
// flagged.
//
//	go test -tags busfault ./stress -run TestLifecyclePlantedFaults -v
func TestLifecyclePlantedFaults(t *testing.T) {
	defer bus.SetFault("none")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, f := range append([]string{"none"}, bus.LifecycleFaults()...) {
		for _, procs := range []int{1, 2, 4} {
			runtime.GOMAXPROCS(procs)
			if err := bus.SetFault(f); err != nil {
				t.Fatal(err)
			}
			caught := 0
			for seed := *lifeSeed; seed < *lifeSeed+uint64(*lifeFaultRuns); seed++ {
				flagged := false
				for _, k := range LifecycleKinds() {
					err := RunLifecycle(GenerateLifecycle(seed, k))
					if err != nil && f == "none" {
						t.Errorf("no fault planted, yet: %v", err)
					}
					flagged = flagged || err != nil
				}
				if flagged {
					caught++
				}
			}
			bus.SetFault("none")
			rate := 100 * float64(caught) / float64(*lifeFaultRuns)
			t.Logf("fault %s, GOMAXPROCS %d: caught in %d of %d rounds (%.0f%%)", f, procs, caught, *lifeFaultRuns, rate)
			if f != "none" && rate < 95 {
				t.Errorf("fault %s at GOMAXPROCS %d caught in only %.0f%% of rounds", f, procs, rate)
			}
		}
	}
}
