//go:build !busfault

package bus

// This file is the normal build of the fault-injection seam used by the
// verify package. faultsEnabled is a constant false, so every
// "if faultsEnabled && faultActive(...)" branch in the sequencers is dead
// code the compiler removes: normal builds carry no cost. Build with
// -tags busfault for the planted bugs (fault_on.go).

// fault names one planted bug.
type fault uint8

const (
	faultNone          fault = iota
	faultClaimNoCAS          // multi-producer claim as load-then-store, not CAS
	faultPublishEarly        // a claim is published before the producer writes the event
	faultWrapOffByOne        // the wrap point is one slot too far: a claim overwrites an unconsumed slot
	faultNoGatingCheck       // claims ignore the gating sequences altogether
)

const faultsEnabled = false

func faultActive(fault) bool { return false }

func faultYield() {}
