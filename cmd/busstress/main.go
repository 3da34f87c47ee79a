// Command busstress runs randomized stress scenarios against the bus for
// as long as you like, checking on every run that no event is lost,
// duplicated or reordered, that every consumer moves forward, that the bus
// ends as it should and leaves no goroutine behind, and that it never stops
// making progress (see package stress).
//
// Usage:
//
//	busstress [-duration 1m] [-base SEED] [-stall 10s] [-failfast] [-v] [-progress=false] [-every 10s] [-json] [-profile FILE] [-metrics ADDR]
//	busstress -seed SEED [-repeat N] [-v] [-profile FILE]
//
// It shows progress on stderr (scenarios run, events moved and their rate,
// violations, resident memory): a bar on a terminal, or a line every
// -every when stderr is a file or a pipe, as in a CI job or a nightly run
// of hours. It prints each violation with its seed, then a report on
// stdout: what ran, how fast, the memory it held and the profile it ran
// on; with -json the report is one JSON object on stdout and the scenario
// lines go to stderr. Memory stays flat however long it runs: a report
// keeps counts, and at most 100 violations. SIGINT (Ctrl-C) or SIGTERM
// ends the run early with the report of what ran; a second one kills it.
// The exit status is 1 if any scenario broke an invariant, 0 otherwise,
// interrupted or not.
//
// A seed replays its scenario: busstress -seed SEED -repeat 100 runs it a
// hundred times. -profile FILE, a machine profile written by busprobe -o,
// runs every scenario on the profile's layout (pad, ring size, wait
// strategy) with its consumers and producers pinned as its plan says,
// drawing the other dimensions around it (stress.GenerateOn); replay a
// seed with the same -profile. Build it with -race to run the scenarios
// under the race detector. With -metrics ADDR it serves the running
// scenario's bus on http://ADDR/metrics (package bus/metrics, labelled
// bus="seed-SEED").
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
