package bus

import "errors"

// Errors returned by the bus. Errors about bad arguments wrap ErrInvalid
// and name the value that was wrong.
var (
	// ErrInvalid is wrapped by errors that report a bad argument.
	ErrInvalid = errors.New("bus: invalid argument")
	// ErrClosed is returned by claims made after the sequencer was closed
	// (by Shutdown, Close or Halt), and by producers released from a full
	// ring by the close (a raw MultiProducerSequencer.Next that claimed
	// before the close only once it has room or the bus halts; see there).
	ErrClosed = errors.New("bus: closed")
	// ErrHalted is returned by a barrier's wait once its consumer, or the
	// whole bus, was halted.
	ErrHalted = errors.New("bus: halted")
	// ErrInsufficientCapacity is returned by TryNext when the ring does not
	// have room for the claim right now.
	ErrInsufficientCapacity = errors.New("bus: insufficient capacity")
	// ErrNotStarted is the cause in the *ShutdownError of a Shutdown
	// called before Start while published events waited for consumers.
	ErrNotStarted = errors.New("bus: not started")
	// ErrTimeout is returned by a wait that gave up after its timeout
	// (TimeoutBlockingWait); the event processor reports it to a handler's
	// OnTimeout and keeps waiting.
	ErrTimeout = errors.New("bus: wait timed out")
)

// errorf returns an error wrapping ErrInvalid with a message that names
// what was wrong.
func errorf(f string, args ...any) error {
	return &wrapError{msg: ErrInvalid.Error() + ": " + format(f, args...), errs: []error{ErrInvalid}}
}
