package bus

import "time"

// WaitKind names a wait strategy in a Layout and on command lines.
type WaitKind string

// The wait strategies a Layout can name. NewWaitStrategy builds each one
// with its default parameters.
const (
	WaitBusySpin        WaitKind = "busy-spin"
	WaitYielding        WaitKind = "yielding"
	WaitSleeping        WaitKind = "sleeping"
	WaitBlocking        WaitKind = "blocking"
	WaitTimeoutBlocking WaitKind = "timeout-blocking"
	WaitPhasedBackoff   WaitKind = "phased-backoff"
)

// WaitKinds lists every WaitKind in order from most to least CPU-hungry.
func WaitKinds() []WaitKind {
	return []WaitKind{WaitBusySpin, WaitYielding, WaitPhasedBackoff, WaitSleeping, WaitTimeoutBlocking, WaitBlocking}
}

// Valid reports whether k names a wait strategy this package knows.
func (k WaitKind) Valid() bool {
	for _, w := range WaitKinds() {
		if w == k {
			return true
		}
	}
	return false
}

// Layout is how a bus lays out its memory and waits: the spacing of its
// hot counters, its ring size and its wait strategy. It is the part of a
// machine profile (package affinity) that concerns the bus itself; apply it
// with WithLayout. The zero value is not valid; DefaultLayout returns the
// layout New uses when given none.
type Layout struct {
	// PadBytes is the spacing, in bytes, between hot sequence counters:
	// one of ValidPads.
	PadBytes int `json:"pad_bytes"`
	// RingSize is the number of slots in the ring, a power of two.
	RingSize int `json:"ring_size"`
	// EventSize is the event size in bytes the ring size was chosen for;
	// 0 means unknown. Validate uses it to refuse a ring larger than
	// MaxRingBytes(); the bus itself uses the size of its event type.
	EventSize int `json:"event_size,omitempty"`
	// Wait names the wait strategy consumers and blocked producers use.
	Wait WaitKind `json:"wait_strategy"`
	// SpinFor, YieldFor and Poll set PhasedBackoffWait's fields of the same
	// names when Wait is WaitPhasedBackoff; 0 keeps that strategy's
	// default, and any other wait strategy requires all three to be 0. In
	// JSON they are integer nanoseconds.
	SpinFor  time.Duration `json:"spin_for_ns,omitempty"`
	YieldFor time.Duration `json:"yield_for_ns,omitempty"`
	Poll     time.Duration `json:"poll_ns,omitempty"`
}

// DefaultLayout returns the layout of a bus built with no options:
// DefaultPad(), DefaultSize slots and phased backoff, which degrades
// gracefully when spinning goroutines outnumber CPUs.
func DefaultLayout() Layout {
	return Layout{PadBytes: DefaultPad(), RingSize: DefaultSize, Wait: WaitPhasedBackoff}
}

// Validate reports the first thing wrong with l, naming the field (by its
// JSON name) and the value. Errors wrap ErrInvalid. A layout that names
// its event size is refused if its ring would take more than
// MaxRingBytes(), as New refuses it (a bus built WithMaxRingBytes may
// have another limit).
func (l Layout) Validate() error {
	if err := l.check(); err != nil {
		return err
	}
	if err := checkRingBytes(l.RingSize, int64(l.EventSize), 0); err != nil {
		return errorf("ring_size: %v", err)
	}
	return nil
}

// check is Validate without the memory limit, which New applies once
// every option is known.
func (l Layout) check() error {
	if err := checkPad(l.PadBytes); err != nil {
		return errorf("pad_bytes: %v", err)
	}
	if err := checkRingSize(l.RingSize); err != nil {
		return errorf("ring_size: %v", err)
	}
	if l.EventSize < 0 {
		return errorf("event_size %d is negative", l.EventSize)
	}
	if !l.Wait.Valid() {
		return errorf("wait_strategy %q is not one of %v", l.Wait, WaitKinds())
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"spin_for_ns", l.SpinFor}, {"yield_for_ns", l.YieldFor}, {"poll_ns", l.Poll}} {
		switch {
		case d.v < 0:
			return errorf("%s %d is negative", d.name, d.v.Nanoseconds())
		case d.v > 0 && l.Wait != WaitPhasedBackoff:
			return errorf("%s tunes %s, not %s", d.name, WaitPhasedBackoff, l.Wait)
		}
	}
	return nil
}

// WithLayout applies a layout's pad size, ring size and wait strategy
// (with its phased-backoff parameters) to a Bus, as if by WithPad,
// WithSize and WithWaitStrategy; later options override it. An invalid
// layout is an error naming its field.
func WithLayout(l Layout) Option {
	return func(o *options) error {
		if err := l.check(); err != nil {
			return &wrapError{msg: "WithLayout: " + err.Error(), errs: []error{err}}
		}
		ws, err := NewWaitStrategy(l.Wait)
		if err != nil {
			return err
		}
		if pb, ok := ws.(*PhasedBackoffWait); ok {
			pb.SpinFor, pb.YieldFor, pb.Poll = l.SpinFor, l.YieldFor, l.Poll
		}
		o.pad, o.size, o.wait = l.PadBytes, l.RingSize, ws
		o.set |= optPad | optSize | optWait
		return nil
	}
}

// PinFunc pins the calling goroutine for the consumer with the given name
// and position in the bus's consumer graph, and returns a function that
// undoes the pinning. The bus calls it on each consumer's own goroutine
// before that consumer's loop starts, so the bus itself needs no knowledge
// of CPUs; package affinity builds one from a profile's plan. A PinFunc
// that returns an error stops the consumer before it handles any event.
type PinFunc func(name string, index int) (release func(), err error)
