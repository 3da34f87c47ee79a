// Command busprobe reads this machine's CPU topology and the limits of the
// process, optionally measures core-to-core latency and false sharing, and
// recommends a bus layout and affinity plan, with a reason for each
// decision. With -tune it then measures the default, the recommendation
// and variants of it on the real bus, in interleaved rounds, and writes
// the candidate that beat the default beyond noise (or the recommendation
// when none did), with the evidence under the profile's "tuning" key.
//
// Usage:
//
//	busprobe [-measure] [-json] [-o profile.json] [-root DIR] [-capture DIR]
//	         [-producers N] [-consumers N] [-event-size BYTES] [-budget DURATION]
//	         [-names NAME,NAME,...]
//	         [-tune [-topology SHAPE] [-objective throughput|latency]]
//
// See package probe for what is read and how the plan is made.
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
		fmt.Fprintln(os.Stderr, "busprobe:", err)
		os.Exit(1)
	}
}
