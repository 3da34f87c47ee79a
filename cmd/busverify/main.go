// Command busverify builds and runs the verify suite (and the bus's own
// tests) for several architectures: natively for amd64 and 386 (386
// under qemu-i386-static where the kernel refuses 32-bit binaries), under
// qemu-user for arm64, arm (v7), riscv64, ppc64le, s390x and loong64, with
// the race detector under emulation where it works (riscv64), the x/tools
// atomicalign analyzer for 386 and arm, and the planted-bug detection test
// (-tags busfault). It prints a table: architecture, how it ran, checks
// passed, planted bugs caught, time; and exits non-zero if any check fails
// or any planted bug escapes.
//
//	busverify                       # every architecture
//	busverify -arch amd64,arm64     # some of them
//	busverify -short                # smaller histories and fewer runs
//	busverify -html /tmp/v.html     # visualise a violation
//
// Run it from the module root. The emulators come from Debian's
// qemu-user-static; riscv64's race row needs gcc-riscv64-linux-gnu.
//
// With -duration it builds no table: it verifies streaming histories in
// its own process, on this machine's architecture, for that long (hours
// if asked), drawing each history's configuration (sequencer or bus,
// single or multi producer, producers, consumers, ring size, batches,
// pad, wait strategy) from -seed. Each history is checked round by round
// as it is recorded, so memory stays flat. Progress goes to stderr every
// -progress; Ctrl-C stops the run and prints the report of what ran; the
// exit status is non-zero if any history failed. -json prints the report
// as JSON.
//
//	busverify -duration 1h                          # an hour of histories
//	busverify -duration 30m -json > report.json     # for CI
//	busverify -duration 30m -seed 42                # the same configurations again
//	busverify -duration 30m -profile profile.json   # the layout busprobe chose
//
// -profile loads a profile (affinity.LoadProfile, as busprobe -o writes
// it) and runs every history with its pad, ring size, wait strategy and
// affinity plan, drawing the rest around it; the report names the
// profile. In the table it applies to the native rows of this machine's
// architecture.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "busverify:", err)
		os.Exit(1)
	}
}
