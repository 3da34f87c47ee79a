package stress

import (
	"errors"
	"slices"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// callbackPhases is the Phase each panicking callback must be reported in.
var callbackPhases = map[string]bus.Phase{
	"pin": bus.PhasePin, "release": bus.PhasePin, "start": bus.PhaseStart,
	"timeout": bus.PhaseTimeout, "policy": bus.PhasePolicy, "shutdown": bus.PhaseShutdown,
}

// checkEnd checks the contract once the run's Shutdown returned shutErr
// after took (Start having returned startErr): the end is the scenario's,
// State, Err, Wait and Shutdown agree, and what each consumer handled is
// what the end allows.
func (r *lifeRun) checkEnd(startErr, shutErr error, took time.Duration) {
	s, b := r.s, r.b
	state, err, waitErr := b.State(), b.Err(), b.Wait()
	if shutErr != err || waitErr != err {
		r.problem("the end disagrees: Shutdown %v, Err %v, Wait %v", shutErr, err, waitErr)
	}
	var se *bus.ShutdownError
	switch state {
	case bus.StateDrained:
		if err != nil {
			r.problem("drained, yet Err is %v", err)
		}
	case bus.StateHalted:
		if !errors.Is(err, bus.ErrHalted) {
			r.problem("halted, yet Err is %v", err)
		}
	case bus.StateFailed:
		if err == nil || errors.As(err, &se) {
			r.problem("failed, yet Err is %v", err)
		}
	case bus.StateAbandoned:
		if !errors.As(err, &se) {
			r.problem("abandoned, yet Err is %v", err)
		}
	default:
		r.problem("the bus is %v after Shutdown returned", state)
	}

	want := bus.StateDrained
	switch s.Kind {
	case LifeCallbackPanic:
		want = bus.StateFailed
		var ee *bus.EventError
		var pe *bus.PanicError
		if !errors.As(err, &ee) || !errors.As(err, &pe) || ee.Phase != callbackPhases[s.Callback] {
			r.problem("the panic in %s was reported as %v, not a *PanicError of phase %v", s.Callback, err, callbackPhases[s.Callback])
		}
		if (s.Callback == "pin" || s.Callback == "start") && startErr != err {
			r.problem("Start returned %v, not the failure %v", startErr, err)
		}
	case LifeStuckHandler:
		want = bus.StateAbandoned
		if took > s.Deadline+shutdownBound {
			r.problem("Shutdown took %v with a %v deadline", took, s.Deadline)
		}
		if se != nil && !slices.ContainsFunc(se.Consumers, func(p bus.Progress) bool { return p.Name == "hooked" && p.Running }) {
			r.problem("the abandoned Shutdown did not name the stuck handler: %v", err)
		}
	}
	if state != want {
		r.problem("the bus ended %v (%v), want %v", state, err, want)
	}

	// What each consumer handled.
	acked := map[int64]bool{}
	for _, id := range r.acked {
		acked[id] = true
	}
	for _, c := range r.cons {
		c.mu.Lock()
		ids := slices.Clone(c.ids)
		c.mu.Unlock()
		seen := map[int64]bool{}
		last := int64(0)
		for _, id := range ids {
			switch {
			case id <= 0 || id > r.tried:
				r.problem("%s handled an event no publish wrote (id %d)", c.name, id)
			case slices.Contains(r.skipped, id):
				r.problem("%s handled the slot of publish %d, whose fill panicked", c.name, id)
			case seen[id]:
				r.problem("%s handled publish %d twice", c.name, id)
			case c.ordered && id < last:
				r.problem("%s handled publish %d after %d", c.name, id, last)
			}
			seen[id] = true
			last = max(last, id)
		}
		missing := 0
		for id := range acked {
			if !seen[id] {
				missing++
			}
		}
		switch {
		case state == bus.StateDrained && missing > 0:
			r.problem("drained, yet %s never handled %d acknowledged events", c.name, missing)
		case se != nil && int64(missing) > se.Unhandled:
			r.problem("abandoned with %d events unhandled, yet %s missed %d acknowledged events", se.Unhandled, c.name, missing)
		}
	}
}
