package affinity

import (
	"errors"
	"fmt"
	"slices"
)

// ErrMismatch is wrapped by every error of CheckFit: the profile was made
// for a bus of another shape than the one it is applied to.
var ErrMismatch = errors.New("affinity: profile does not fit this bus")

// Fit describes the bus a profile is about to be applied to. A zero field
// is not checked, so the zero Fit accepts every profile.
type Fit struct {
	// Producers is the number of publishing goroutines.
	Producers int
	// Consumers is the number of consumers (event processors and
	// workers), in the order the bus adds them.
	Consumers int
	// EventSize is the size of one event in bytes, as
	// int(unsafe.Sizeof(event)).
	EventSize int
	// Names are the consumers' names given with bus.Named, empty for an
	// unnamed consumer.
	Names []string
}

// CheckFit reports every way p was made for another bus than f describes,
// or nil. Each error wraps ErrMismatch and names what differs; they are
// joined with errors.Join. A bus takes a profile that does not fit (the
// plan pins whom it can, the layout applies whole), so a mismatch is
// something to know rather than always a reason to stop: a program may log
// it and go on.
//
// It checks that the plan has as many producers and consumers as the bus
// (a plan with none is not checked), that the ring was sized for events
// of the bus's size (Layout.EventSize, when known), and, given Names,
// that every named placement names a consumer of the bus and that every
// consumer has a placement as PinPlan matches them (by name, or by
// position to a placement without a name). Whether the profile fits
// this machine is CheckProfile's question, which LoadProfile asks.
func CheckFit(p *Profile, f Fit) error {
	if p == nil {
		return fmt.Errorf("%w: nil profile", ErrBadProfile)
	}
	var errs []error
	mismatch := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrMismatch, fmt.Sprintf(format, args...)))
	}
	plan := p.Affinity
	if n := len(plan.Producers); f.Producers > 0 && n > 0 && n != f.Producers {
		mismatch("the plan places %s, the bus has %d", count(n, "producer"), f.Producers)
	}
	if n := len(plan.Consumers); f.Consumers > 0 && n > 0 && n != f.Consumers {
		mismatch("the plan places %s, the bus has %d", count(n, "consumer"), f.Consumers)
	}
	if e := p.Layout.EventSize; f.EventSize > 0 && e > 0 && e != f.EventSize {
		mismatch("the ring of %d slots was sized for %d-byte events, the bus's are %d bytes", p.Layout.RingSize, e, f.EventSize)
	}
	if f.Names != nil {
		for i, pl := range plan.Consumers {
			if pl.Name != "" && !slices.Contains(f.Names, pl.Name) {
				mismatch("affinity.consumers[%d] is for consumer %q, which the bus does not have", i, pl.Name)
			}
		}
		for i, name := range f.Names {
			if _, ok := consumerCPU(plan, name, i); !ok && len(plan.Consumers) > 0 {
				who := fmt.Sprintf("consumer %q", name)
				if name == "" {
					who = fmt.Sprintf("unnamed consumer %d", i)
				}
				mismatch("%s has no placement in the plan", who)
			}
		}
	}
	return errors.Join(errs...)
}

// count returns "1 thing" or "n things".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
