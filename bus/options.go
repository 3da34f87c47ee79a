package bus

import (
	"fmt"
	"strings"
)

// Option configures a sequencer or a Bus. Each option's documentation says
// what it applies to; a constructor given an option that does not apply to
// it returns an error rather than ignoring it.
type Option func(*options) error

type optBit uint

const (
	optWait optBit = 1 << iota
	optPad
	optSize
	optProducer
	optOnError
	optBatch
	optPin
	optLast
)

var optNames = map[optBit]string{
	optWait:     "WithWaitStrategy",
	optPad:      "WithPad",
	optSize:     "WithSize",
	optProducer: "WithMultiProducer",
	optOnError:  "WithErrorPolicy",
	optBatch:    "WithBatchLimit",
	optPin:      "WithPin",
}

type options struct {
	set        optBit
	wait       WaitStrategy
	pad        int
	size       int
	multi      bool
	onError    ErrorPolicy
	batchLimit int
	pin        PinFunc
}

func applyOptions(opts []Option, allowed optBit) (options, error) {
	o := options{wait: &PhasedBackoffWait{}, pad: DefaultPad(), size: DefaultSize}
	for _, opt := range opts {
		if opt == nil {
			return o, errorf("nil Option")
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	if extra := o.set &^ allowed; extra != 0 {
		var names []string
		for b := optBit(1); b < optLast; b <<= 1 {
			if extra&b != 0 {
				names = append(names, optNames[b])
			}
		}
		return o, errorf("%s does not apply here", strings.Join(names, ", "))
	}
	return o, nil
}

// WithWaitStrategy sets the wait strategy consumers and blocked producers
// use. It applies to sequencers and to a Bus. The default is
// PhasedBackoffWait, which degrades gracefully when goroutines outnumber
// CPUs.
func WithWaitStrategy(s WaitStrategy) Option {
	return func(o *options) error {
		if s == nil {
			return errorf("WithWaitStrategy(nil)")
		}
		o.wait = s
		o.set |= optWait
		return nil
	}
}

// WithPad sets the spacing, in bytes, between the hot sequence counters
// (one of ValidPads). It applies to sequencers and to a Bus. The default is
// DefaultPad().
func WithPad(pad int) Option {
	return func(o *options) error {
		if err := checkPad(pad); err != nil {
			return fmt.Errorf("%w: WithPad: %v", ErrInvalid, err)
		}
		o.pad = pad
		o.set |= optPad
		return nil
	}
}

// DefaultSize is the ring size of a Bus given neither WithSize nor WithLayout.
const DefaultSize = 1024

// WithSize sets a Bus's ring size, a power of two.
func WithSize(size int) Option {
	return func(o *options) error {
		if err := checkRingSize(size); err != nil {
			return fmt.Errorf("%w: WithSize: %v", ErrInvalid, err)
		}
		o.size = size
		o.set |= optSize
		return nil
	}
}

// WithMultiProducer makes a Bus safe to publish to from any number of
// goroutines, with a MultiProducerSequencer. Without it a Bus has a
// SingleProducerSequencer and only one goroutine at a time may publish.
func WithMultiProducer() Option {
	return func(o *options) error {
		o.multi = true
		o.set |= optProducer
		return nil
	}
}

// WithErrorPolicy sets what a Bus's consumers do after a handler returns an
// error or panics: StopOnError (the default: halt the bus and report the
// failure from Shutdown and Wait), SkipOnError, or a function of your own.
func WithErrorPolicy(p ErrorPolicy) Option {
	return func(o *options) error {
		if p == nil {
			return errorf("WithErrorPolicy(nil)")
		}
		o.onError = p
		o.set |= optOnError
		return nil
	}
}

// WithBatchLimit caps how many events a Bus's consumers handle as one batch
// before advancing their sequences; 0 (the default) means no cap.
func WithBatchLimit(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return errorf("WithBatchLimit(%d): the limit is negative", n)
		}
		o.batchLimit = n
		o.set |= optBatch
		return nil
	}
}

// WithPin makes a Bus call pin on each consumer's goroutine before its first
// event, with the consumer's name and position (in the order consumers were
// added). affinity.PinPlan builds one from a profile's affinity plan.
func WithPin(pin PinFunc) Option {
	return func(o *options) error {
		if pin == nil {
			return errorf("WithPin(nil)")
		}
		o.pin = pin
		o.set |= optPin
		return nil
	}
}

// Combine returns an Option that applies opts in order, so that a package
// can offer one option that sets several things (affinity.WithProfile).
func Combine(opts ...Option) Option {
	return func(o *options) error {
		for _, opt := range opts {
			if opt == nil {
				return errorf("nil Option")
			}
			if err := opt(o); err != nil {
				return err
			}
		}
		return nil
	}
}
