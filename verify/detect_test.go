//go:build busfault

package verify_test

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/eventbus/eventbus/verify"
)

// TestDetection plants each bug, runs the suite -verify.runs times at
// GOMAXPROCS 1, 2 and 4, and requires the suite to catch it in at least
// 95% of the runs. Each result is also logged as a DETECT line that
// cmd/busverify reads.
func TestDetection(t *testing.T) {
	faults := verify.Faults()
	if len(faults) < 5 {
		t.Fatalf("Faults() = %q, want the five planted bugs", faults)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer verify.PlantFault("none")
	for _, f := range faults {
		for _, procs := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("%s/procs=%d", f, procs), func(t *testing.T) {
				runtime.GOMAXPROCS(procs)
				caught := 0
				by := map[string]int{}
				start := time.Now()
				for run := range *flagRuns {
					if err := verify.PlantFault(f); err != nil {
						t.Fatal(err)
					}
					cfg := detectConfig(uint64(run))
					outs := verify.RunSuite(cfg)
					if err := verify.PlantFault("none"); err != nil {
						t.Fatal(err)
					}
					hit := false
					for _, o := range outs {
						if !o.OK {
							hit = true
							by[o.Name]++
						}
					}
					if hit {
						caught++
					}
				}
				var names []string
				for n, c := range by {
					names = append(names, fmt.Sprintf("%s:%d", n, c))
				}
				sort.Strings(names)
				t.Logf("DETECT fault=%s procs=%d caught=%d runs=%d took=%v by=%s", f, procs, caught, *flagRuns,
					time.Since(start).Round(time.Millisecond), strings.Join(names, ","))
				if caught*100 < 95**flagRuns {
					t.Errorf("%s caught in %d of %d runs at GOMAXPROCS=%d, want at least 95%%", f, caught, *flagRuns, procs)
				}
			})
		}
	}
}

// TestLitmusDetection checks the litmus layer on its own: with each bug
// planted, the litmus tests alone must show a forbidden outcome in at
// least 95% of runs at GOMAXPROCS 1, 2 and 4.
func TestLitmusDetection(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer verify.PlantFault("none")
	for _, f := range verify.Faults() {
		for _, procs := range []int{1, 2, 4} {
			runtime.GOMAXPROCS(procs)
			caught := 0
			for range *flagRuns {
				if err := verify.PlantFault(f); err != nil {
					t.Fatal(err)
				}
				hit := false
				for _, l := range verify.Litmuses() {
					if len(l.Run(300).Forbidden()) > 0 {
						hit = true
						break
					}
				}
				if err := verify.PlantFault("none"); err != nil {
					t.Fatal(err)
				}
				if hit {
					caught++
				}
			}
			t.Logf("DETECT-LITMUS fault=%s procs=%d caught=%d runs=%d", f, procs, caught, *flagRuns)
			if caught*100 < 95**flagRuns {
				t.Errorf("litmus tests caught %s in %d of %d runs at GOMAXPROCS=%d, want at least 95%%", f, caught, *flagRuns, procs)
			}
		}
	}
}
