package bus

import (
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
	optMaxRing
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
	optMaxRing:  "WithMaxRingBytes",
}

// options is the configuration options parse into, once: constructors
// read its fields and never validate them again.
type options struct {
	set          optBit // the options given, to reject those that do not apply
	wait         WaitStrategy
	pad          int // one of ValidPads
	size         int // a valid ring size
	multi        bool
	onError      ErrorPolicy
	batchLimit   int // at least 0
	pin          PinFunc
	maxRingBytes int64 // 0 means MaxRingBytes()
}

// parseOptions applies opts, in order, over the defaults and returns an
// error if one of them is invalid or not in allowed. Every option checks
// its own value, so the result is valid as a whole.
func parseOptions(opts []Option, allowed optBit) (options, error) {
	o := options{wait: &PhasedBackoffWait{}, pad: DefaultPad(), size: DefaultSize}
	if err := Combine(opts...)(&o); err != nil {
		return o, err
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

// newSequencer is a public sequencer constructor: it parses a ring size
// and the options a sequencer accepts, and builds the sequencer from them.
func newSequencer[S any](size int, opts []Option, build func(*options) *S) (*S, error) {
	o, err := parseOptions(opts, optWait|optPad)
	if err != nil {
		return nil, err
	}
	if err := checkRingSize(size); err != nil {
		return nil, errorf("%v", err)
	}
	o.size = size
	return build(&o), nil
}

// option returns an Option that fails with invalid when it is not nil,
// and otherwise calls set and records bit as given.
func option(bit optBit, invalid error, set func(*options)) Option {
	return func(o *options) error {
		if invalid != nil {
			return invalid
		}
		set(o)
		o.set |= bit
		return nil
	}
}

// nilArg is the error of an option given a nil argument, or nil.
func nilArg(isNil bool, bit optBit) error {
	if isNil {
		return errorf("%s(nil)", optNames[bit])
	}
	return nil
}

// badArg wraps err, the complaint of a check of an option's argument.
func badArg(bit optBit, err error) error {
	if err != nil {
		return errorf("%s: %v", optNames[bit], err)
	}
	return nil
}

// WithWaitStrategy sets the wait strategy consumers and blocked producers
// use. It applies to sequencers and to a Bus. The default is
// PhasedBackoffWait, which degrades gracefully when goroutines outnumber
// CPUs.
func WithWaitStrategy(s WaitStrategy) Option {
	return option(optWait, nilArg(s == nil, optWait), func(o *options) { o.wait = s })
}

// WithPad sets the spacing, in bytes, between the hot sequence counters
// (one of ValidPads). It applies to sequencers and to a Bus. The default is
// DefaultPad().
func WithPad(pad int) Option {
	return option(optPad, badArg(optPad, checkPad(pad)), func(o *options) { o.pad = pad })
}

// DefaultSize is the ring size of a Bus given neither WithSize nor WithLayout.
const DefaultSize = 1024

// WithSize sets a Bus's ring size, a power of two.
func WithSize(size int) Option {
	return option(optSize, badArg(optSize, checkRingSize(size)), func(o *options) { o.size = size })
}

// WithMultiProducer makes a Bus safe to publish to from any number of
// goroutines, with a MultiProducerSequencer. Without it a Bus has a
// SingleProducerSequencer and only one goroutine at a time may publish.
func WithMultiProducer() Option {
	return option(optProducer, nil, func(o *options) { o.multi = true })
}

// WithErrorPolicy sets what a Bus's consumers do after a handler returns an
// error or panics: StopOnError (the default: halt the bus and report the
// failure from Shutdown and Wait), SkipOnError, or a function of your own.
func WithErrorPolicy(p ErrorPolicy) Option {
	return option(optOnError, nilArg(p == nil, optOnError), func(o *options) { o.onError = p })
}

// WithBatchLimit caps how many events a Bus's consumers handle as one batch
// before advancing their sequences; 0 (the default) means no cap.
func WithBatchLimit(n int) Option {
	var invalid error
	if n < 0 {
		invalid = errorf("WithBatchLimit(%d): the limit is negative", n)
	}
	return option(optBatch, invalid, func(o *options) { o.batchLimit = n })
}

// WithPin makes a Bus call pin on each consumer's goroutine before its first
// event, with the consumer's name and position (in the order consumers were
// added). affinity.PinPlan builds one from a profile's affinity plan.
func WithPin(pin PinFunc) Option {
	return option(optPin, nilArg(pin == nil, optPin), func(o *options) { o.pin = pin })
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
