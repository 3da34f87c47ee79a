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
	optLast
)

var optNames = map[optBit]string{
	optWait: "WithWaitStrategy",
	optPad:  "WithPad",
}

type options struct {
	set  optBit
	wait WaitStrategy
	pad  int
}

func applyOptions(opts []Option, allowed optBit) (options, error) {
	o := options{wait: &PhasedBackoffWait{}, pad: DefaultPad()}
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
