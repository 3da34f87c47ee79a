//go:build !busfault

package verify

import "errors"

// FaultsCompiled reports whether this build has the bus's planted bugs
// (built with -tags busfault).
const FaultsCompiled = false

// Faults returns the names of the bugs PlantFault can plant: none in a
// normal build; with -tags busfault, each of the bus's planted bugs.
func Faults() []string { return nil }

// PlantFault plants the named bug in the bus's sequencers ("none" removes
// it). In a normal build it fails for every name but "none".
func PlantFault(name string) error {
	if name == "" || name == "none" {
		return nil
	}
	return errors.New("verify: fault " + name + " needs a build with -tags busfault")
}
