// Command busstress runs randomized stress scenarios against the bus for
// as long as you like, checking on every run that no event is lost,
// duplicated or reordered, that every consumer moves forward, that the bus
// ends as it should and leaves no goroutine behind, and that it never stops
// making progress (see package stress).
//
// Usage:
//
//	busstress [-duration 1m] [-base SEED] [-stall 10s] [-failfast] [-v] [-progress=false] [-metrics ADDR]
//	busstress -seed SEED [-repeat N] [-v]
//
// It shows a progress bar on stderr (events moved, scenarios run, the
// rate), prints each violation with its seed and a summary on stdout, and
// exits with status 1 if any scenario broke an invariant. A seed replays
// its scenario: busstress -seed SEED -repeat 100 runs it a hundred times.
// Build it with -race to run the scenarios under the race detector.
// With -metrics ADDR it serves the running scenario's bus on
// http://ADDR/metrics (package bus/metrics, labelled bus="seed-SEED").
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "busstress:", err)
		os.Exit(1)
	}
}
