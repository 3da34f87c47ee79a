package affinity

import "github.com/eventbus/eventbus/bus"

// WithProfile returns the one bus option that applies a layout profile
// whole: its pad size, ring size and wait strategy (bus.WithProfile) and
// its affinity plan, pinning each consumer on its own goroutine before its
// first event (bus.WithPin with PinPlan). Load the profile with LoadProfile,
// which checks that it fits this machine; the producer pins itself with
// PinProducer.
func WithProfile(p *bus.Profile) bus.Option {
	if p == nil {
		return bus.WithProfile(nil) // reports the nil profile
	}
	return bus.Combine(bus.WithProfile(p), bus.WithPin(PinPlan(p.Affinity)))
}
