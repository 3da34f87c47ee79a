// Command busverify builds and runs the verify suite (and the bus's own
// tests) for several architectures: natively for amd64 and 386, under
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
