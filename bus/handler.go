package bus

// Handler handles the events of a ring, one at a time, in sequence order.
// endOfBatch is true for the last event of the batch the consumer took
// from the ring, the moment to flush anything accumulated.
//
// A handler may also implement StartHandler, ShutdownHandler and
// TimeoutHandler; those hooks run on the consumer's goroutine.
type Handler[T any] interface {
	OnEvent(ev *T, seq int64, endOfBatch bool) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc[T any] func(ev *T, seq int64, endOfBatch bool) error

// OnEvent calls f.
func (f HandlerFunc[T]) OnEvent(ev *T, seq int64, endOfBatch bool) error {
	return f(ev, seq, endOfBatch)
}

// BatchHandler is implemented by handlers that can take a run of
// consecutive events in one call, as io.Copy uses an io.WriterTo: a
// BatchEventProcessor whose handler implements it calls OnBatch instead of
// OnEvent, which saves a call per event and lets the handler loop over a
// slice. OnBatch must do what calling OnEvent on each event in turn would.
//
// events are the ring's slots for sequences first, first+1, ..., in order,
// written in place as with OnEvent; the slice is only valid during the
// call. A batch taken from the ring is passed in one call, or two where
// it wraps around the end of the ring; endOfBatch is true on the call
// that ends the batch. On failure OnBatch returns how many events it
// handled before the one that failed (at sequence first+handled) and the
// error, which the processor treats like an error from OnEvent on that
// event (a count outside 0..len(events)-1 is taken as 0); with a nil
// error, handled is ignored. A panic is reported at
// sequence first. A halt is seen between calls, so a processor halted
// while OnBatch runs returns after the call.
type BatchHandler[T any] interface {
	OnBatch(events []T, first int64, endOfBatch bool) (handled int, err error)
}

// StartHandler is implemented by handlers that want to run code on their
// consumer's goroutine before the first event. An error or a panic stops
// the consumer before it handles anything, and a Bus's Start returns it.
type StartHandler interface {
	OnStart() error
}

// ShutdownHandler is implemented by handlers that want to run code on their
// consumer's goroutine after the last event, however the consumer stops.
// A panic fails the bus (PhaseShutdown), unless it had ended already.
type ShutdownHandler interface {
	OnShutdown()
}

// TimeoutHandler is implemented by handlers that want to hear when a
// TimeoutBlockingWait gave up waiting; seq is the last sequence handled.
// An error or a panic goes to the error policy as an *EventError of
// PhaseTimeout at seq.
type TimeoutHandler interface {
	OnTimeout(seq int64) error
}

// Namer is implemented by handlers that have a name. The name is used in
// errors and to match a profile's affinity plan.
type Namer interface {
	Name() string
}

// Phase names the callback of a consumer that failed: the event handler
// itself or one of the lifecycle's hooks.
type Phase uint8

// The phases of a consumer's lifecycle, in the order they run.
const (
	// PhaseEvent is OnEvent or OnBatch.
	PhaseEvent Phase = iota
	// PhasePin is the bus's PinFunc, or the release function it returned.
	PhasePin
	// PhaseStart is OnStart.
	PhaseStart
	// PhaseTimeout is OnTimeout.
	PhaseTimeout
	// PhasePolicy is the ErrorPolicy, called after another phase failed.
	PhasePolicy
	// PhaseShutdown is OnShutdown.
	PhaseShutdown
)

var phaseNames = [...]string{PhaseEvent: "event", PhasePin: "pin", PhaseStart: "start", PhaseTimeout: "timeout", PhasePolicy: "policy", PhaseShutdown: "shutdown"}

// String returns the phase's name: event, pin, start, timeout, policy or
// shutdown.
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "Phase(" + itoa(int(p)) + ")"
}

// EventError reports a consumer's callback that failed, by returning an
// error or by panicking: its handler on an event (PhaseEvent), or one of
// the lifecycle's hooks (the other phases).
type EventError struct {
	Handler string // the handler's name, or its position as "#N"
	Seq     int64  // the sequence of the event; for other phases the last sequence handled
	Phase   Phase  // the callback that failed; the zero value is PhaseEvent
	Err     error  // the error returned, or a *PanicError
}

// Error implements error. Errors of PhasePin and PhaseStart name no
// sequence: the consumer had handled nothing.
func (e *EventError) Error() string {
	switch e.Phase {
	case PhaseEvent:
		return format("bus: handler %s failed on sequence %d: %v", e.Handler, e.Seq, e.Err)
	case PhasePin:
		return format("bus: pinning the goroutine of handler %s failed: %v", e.Handler, e.Err)
	case PhaseStart:
		return format("bus: handler %s failed in OnStart: %v", e.Handler, e.Err)
	case PhasePolicy:
		return format("bus: the error policy failed for handler %s on sequence %d: %v", e.Handler, e.Seq, e.Err)
	}
	return format("bus: handler %s failed in phase %s after sequence %d: %v", e.Handler, e.Phase, e.Seq, e.Err)
}

// Unwrap returns the handler's error.
func (e *EventError) Unwrap() error { return e.Err }

// PanicError is the error of a handler that panicked: the panic value and
// the stack of the consumer's goroutine where it happened.
type PanicError struct {
	Value any
	Stack []byte
}

// Error implements error.
func (e *PanicError) Error() string { return format("panic: %v", e.Value) }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

func newPanicError(v any) *PanicError { return &PanicError{Value: v, Stack: stack()} }

// ErrorPolicy decides what a consumer does after its handler failed on an
// event, or its OnTimeout failed. Returning nil skips the event and goes on with the next one;
// returning an error stops the consumer with that error (and a Bus halts
// and reports it from Shutdown and Wait). It runs on the consumer's
// goroutine. A nil ErrorPolicy means StopOnError. A policy that panics
// stops the consumer with an *EventError of PhasePolicy.
type ErrorPolicy func(e *EventError) error

// StopOnError stops the consumer with the handler's error: the default.
func StopOnError(e *EventError) error { return e }

// SkipOnError drops the failed event and goes on.
func SkipOnError(e *EventError) error { return nil }
