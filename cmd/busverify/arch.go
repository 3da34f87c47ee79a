package main

import (
	"errors"
	"os/exec"
	"runtime"
	"syscall"
)

// target is one architecture the suite runs on.
type target struct {
	name   string   // the row's name, as given to -arch
	goarch string   // GOARCH
	env    []string // extra environment for building (GOARM)
	qemu   string   // emulator binary; "" runs natively
	// race, when not nil, is how to build and run with -race: extra build
	// environment, emulator flags, and what the row says.
	race *raceSetup
}

type raceSetup struct {
	env      []string // CGO_ENABLED=1 and a cross C compiler
	cc       string   // the C compiler that must exist
	qemuArgs []string // emulator flags
	how      string
}

var targets = []target{
	{name: "amd64", goarch: "amd64", race: &raceSetup{env: []string{"CGO_ENABLED=1"}, how: "native, -race"}},
	{name: "386", goarch: "386"},
	{name: "arm64", goarch: "arm64", qemu: "qemu-aarch64-static"},
	{name: "arm", goarch: "arm", env: []string{"GOARM=7"}, qemu: "qemu-arm-static"},
	{name: "riscv64", goarch: "riscv64", qemu: "qemu-riscv64-static", race: &raceSetup{
		env: []string{"CGO_ENABLED=1", "CC=riscv64-linux-gnu-gcc"},
		cc:  "riscv64-linux-gnu-gcc",
		// ThreadSanitizer on riscv64 supports 39- and 48-bit address
		// spaces; reserving 256 GiB makes qemu place the guest in 39 bits.
		qemuArgs: []string{"-R", "0x4000000000", "-L", "/usr/riscv64-linux-gnu"},
		how:      "qemu-user, -race (-R 256GiB)",
	}},
	{name: "ppc64le", goarch: "ppc64le", qemu: "qemu-ppc64le-static"},
	{name: "s390x", goarch: "s390x", qemu: "qemu-s390x-static"},
	{name: "loong64", goarch: "loong64", qemu: "qemu-loongarch64-static"},
}

// alignTargets are the 32-bit architectures the atomicalign analyzer is
// run for: where a 64-bit atomic on a misaligned field faults.
var alignTargets = []string{"386", "arm"}

// forHost adapts t to the machine busverify runs on: the host's own
// architecture runs natively (so on an arm64 or ppc64le machine the row
// covers real weak memory ordering), and amd64 and 386 need an emulator
// on any other host.
func forHost(t target, host string) target {
	native := t.goarch == host || (t.goarch == "386" && host == "amd64")
	switch {
	case native:
		t.qemu = ""
		if t.goarch == host {
			// The host's own race detector (linux/amd64, arm64, ppc64le,
			// s390x, riscv64 and loong64 support it).
			t.race = &raceSetup{env: []string{"CGO_ENABLED=1"}, how: "native, -race"}
		} else {
			t.race = nil
		}
	case t.goarch == "amd64":
		t.qemu, t.race = emulatorFor("amd64"), nil
	case t.goarch == "386":
		t.qemu = emulatorFor("386")
	}
	return t
}

// emulatorFor names the qemu-user emulator of the amd64 and 386 rows, for
// hosts that cannot run them natively.
func emulatorFor(goarch string) string {
	if goarch == "386" {
		return "qemu-i386-static"
	}
	return "qemu-x86_64-static"
}

// nativeRefused reports whether the kernel refuses to execute the test
// binary bin (ENOEXEC), as an amd64 kernel built without 32-bit support
// does with a 386 one. Running it with -test.list '^$' lists nothing.
func nativeRefused(bin string) bool {
	err := exec.Command(bin, "-test.list", "^$").Run()
	return errors.Is(err, syscall.ENOEXEC)
}

var hostArch = runtime.GOARCH
