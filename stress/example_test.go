package stress_test

import (
	"context"
	"fmt"

	"github.com/eventbus/eventbus/stress"
)

// A seed names a scenario; the same seed gives the same scenario everywhere.
func ExampleGenerate() {
	fmt.Println(stress.Generate(42))
	fmt.Println(stress.Generate(42).Consumers())
	// Output:
	// seed=42 pool[pool*4 > handlers*1] producers=2(multi) publish events=1605 ring=256 wait=phased-backoff procs=1 batchlimit=4 policy=stop end=drain
	// [s0.pool s1.h0]
}

// Run a scenario and check it.
func ExampleRun() {
	s := stress.Generate(7)
	rep, err := stress.Run(context.Background(), s, stress.Options{})
	if err != nil {
		fmt.Println(err) // a *stress.Violation naming the seed
		return
	}
	fmt.Println(rep.Published > 0, rep.Handled >= rep.Published)
	// Output: true true
}
