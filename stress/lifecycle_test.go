package stress

import (
	"flag"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var (
	lifeSeed   = flag.Uint64("stress.lifeseed", 1, "first seed of TestLifecycleScenarios")
	lifeBudget = flag.Duration("stress.lifebudget", 2*time.Second, "how long TestLifecycleScenarios runs (-short: one round)")
)

// TestLifecycleScenarios runs every lifecycle scenario for consecutive
// seeds from -stress.lifeseed until -stress.lifebudget is spent, and
// checks after each that no goroutine outlived the bus.
//
//	go test ./stress -run TestLifecycleScenarios -stress.lifeseed=7 -stress.lifebudget=1m
func TestLifecycleScenarios(t *testing.T) {
	start := time.Now()
	runs := 0
	for seed := *lifeSeed; runs == 0 || (!testing.Short() && time.Since(start) < *lifeBudget); seed++ {
		for _, k := range LifecycleKinds() {
			s := GenerateLifecycle(seed, k)
			before := goleak.IgnoreCurrent()
			if err := RunLifecycle(s); err != nil {
				t.Fatal(err)
			}
			if err := goleak.Find(before); err != nil {
				t.Fatalf("%v: goroutines outlived the bus: %v", s, err)
			}
			runs++
		}
	}
	t.Logf("%d lifecycle scenarios in %v", runs, time.Since(start).Round(time.Millisecond))
}
