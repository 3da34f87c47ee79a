//go:build busfault

package verify

import "github.com/eventbus/eventbus/bus"

// FaultsCompiled reports whether this build has the bus's planted bugs
// (built with -tags busfault).
const FaultsCompiled = true

// Faults returns the names of the bugs PlantFault can plant: none in a
// normal build; with -tags busfault, each of the bus's planted bugs.
func Faults() []string { return bus.Faults()[1:] }

// PlantFault plants the named bug in the bus's sequencers ("none" removes
// it). In a normal build it fails for every name but "none".
func PlantFault(name string) error { return bus.SetFault(name) }
