//go:build !busfault

package bus

// This file is the normal build of the fault-injection seam used by the
// verify package. faultsEnabled is a constant false, so every
// "if faultsEnabled && faultActive(...)" branch in the sequencers is dead
// code the compiler removes: normal builds carry no cost. Build with
// -tags busfault for the planted bugs (fault_on.go).

const faultsEnabled = false

func faultActive(fault) bool { return false }

func faultYield() {}
