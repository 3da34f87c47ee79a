package affinity

import "github.com/eventbus/eventbus/bus"

// WithProfile returns the one bus option that applies a profile whole: its
// layout, that is pad size, ring size and wait strategy (bus.WithLayout), and
// its affinity plan, pinning each consumer on its own goroutine before its
// first event (bus.WithPin with PinPlan). Load the profile with LoadProfile,
// which checks that it fits this machine; the producer pins itself with
// PinProducer. A nil profile applies nothing: the bus keeps its defaults.
func WithProfile(p *Profile) bus.Option {
	if p == nil {
		return bus.Combine()
	}
	return bus.Combine(bus.WithLayout(p.Layout), bus.WithPin(PinPlan(p.Affinity)))
}
