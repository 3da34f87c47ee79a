//go:build busfault

package bus

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
)

// This file plants bugs in the real sequencers for the verify package to
// catch. It is compiled only with -tags busfault; normal builds use
// fault_off.go, where every fault branch is removed at compile time.

const faultsEnabled = true

var faultNames = [...]string{
	faultNone:            "none",
	faultClaimNoCAS:      "claim-no-cas",
	faultPublishEarly:    "publish-early",
	faultWrapOffByOne:    "wrap-off-by-one",
	faultNoGatingCheck:   "no-gating-check",
	faultMarkZeroBased:   "mark-zero-based",
	faultCloseDropsClaim: "close-drops-claim",

	faultGateAtStart:            "gate-at-start",
	faultShutdownIgnoresContext: "shutdown-ignores-context",
	faultFillPanicUnmarked:      "fill-panic-unmarked",
}

var activeFault atomic.Uint32

func faultActive(f fault) bool { return fault(activeFault.Load()) == f }

// faultYield is the scheduling point at a planted bug's racy spot: it
// yields the processor half the time, so that the race shows up with
// GOMAXPROCS=1 and under emulators, where goroutines rarely interleave
// between two adjacent instructions.
func faultYield() {
	if rand.Uint32()&1 == 0 {
		runtime.Gosched()
	}
}

// ErrUnknownFault is returned by SetFault for a name Faults does not list.
// It exists only in busfault builds.
var ErrUnknownFault = errors.New("bus: unknown fault")

// Faults returns the names of the sequencer bugs that SetFault can plant,
// "none" first: the faults the verify package's checks must catch. It
// exists only in busfault builds.
func Faults() []string { return append([]string(nil), faultNames[:faultGateAtStart]...) }

// LifecycleFaults returns the names of the lifecycle bugs that SetFault
// can plant (publishing before Start, Shutdown's deadline, a panicking
// fill): the faults the stress package's lifecycle scenarios must catch.
// It exists only in busfault builds.
func LifecycleFaults() []string { return append([]string(nil), faultNames[faultGateAtStart:]...) }

// SetFault plants the named bug in every sequencer of the process, from
// the next claim or publish on; "none" (or "") removes it. It returns an
// error wrapping ErrUnknownFault for any other name. It exists only in
// busfault builds and is meant for the verify package's tests.
func SetFault(name string) error {
	if name == "" {
		name = "none"
	}
	for i, n := range faultNames {
		if n == name {
			activeFault.Store(uint32(i))
			return nil
		}
	}
	return errors.Join(ErrUnknownFault, errors.New("bus: no fault named "+name))
}

// ActiveFault returns the name of the planted bug, "none" when there is
// none. It exists only in busfault builds.
func ActiveFault() string { return faultNames[activeFault.Load()] }
