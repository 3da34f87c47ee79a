package verify

import (
	"errors"
	"fmt"
	"slices"

	"github.com/eventbus/eventbus/bus"
)

// This file is the model of how a bus may end: given what producers were
// told (the acknowledged publishes) and what the bus reported (its State
// and error), what each consumer must have handled, and what none may
// have. It is the bus's contract (bus/doc.go) as a function, with no bus
// in it: CheckEnd judges a record of any run.

// Obligation is what a bus's end obliges every consumer to have handled.
type Obligation struct {
	// Must lists the acknowledged ids each consumer must have handled.
	Must []int64
	// Slack is how many of Must a consumer may have missed: 0 after a
	// drained end, a *bus.ShutdownError's Unhandled after an abandoned
	// one, and -1 (any) after a halt or a failure.
	Slack int64
}

// Oblige returns the obligation of a bus that ended in state with err,
// after the publishes of acked returned nil.
func Oblige(state bus.State, err error, acked []int64) Obligation {
	o := Obligation{Must: slices.Clone(acked)}
	var se *bus.ShutdownError
	switch {
	case state == bus.StateDrained:
	case state == bus.StateAbandoned && errors.As(err, &se):
		o.Slack = se.Unhandled
	default:
		o.Slack = -1
	}
	return o
}

// EndRecord is what one run of a bus saw. Ids identify publishes, from 1.
type EndRecord struct {
	Acked   []int64            // ids whose Publish returned nil
	Skipped []int64            // ids whose fill panicked: no consumer may handle them
	Tried   int64              // the highest id a publish was attempted for
	Handled map[string][]int64 // per consumer, the ids it handled, in order
	Ordered map[string]bool    // consumers that must handle ids in increasing order
	State   bus.State          // Bus.State after the end
	Err     error              // Bus.Err
	Wait    error              // Bus.Wait
	Stopped error              // what Shutdown returned (or Start, if it failed)
}

// CheckEnd returns the ways r breaks the contract, or nothing: State,
// Err, Wait and the stopping call disagree; a consumer handled an id
// twice, out of order, never published, or whose fill panicked; or it
// missed more acknowledged ids than the end allows (Oblige).
func CheckEnd(r EndRecord) []string {
	var out []string
	bad := func(f string, args ...any) { out = append(out, fmt.Sprintf(f, args...)) }
	if r.Err != r.Wait || r.Err != r.Stopped {
		bad("the end disagrees: Err %v, Wait %v, Shutdown %v", r.Err, r.Wait, r.Stopped)
	}
	var se *bus.ShutdownError
	switch r.State {
	case bus.StateDrained:
		if r.Err != nil {
			bad("drained, yet Err is %v", r.Err)
		}
	case bus.StateHalted:
		if !errors.Is(r.Err, bus.ErrHalted) {
			bad("halted, yet Err is %v", r.Err)
		}
	case bus.StateFailed:
		if r.Err == nil || errors.As(r.Err, &se) {
			bad("failed, yet Err is %v", r.Err)
		}
	case bus.StateAbandoned:
		if !errors.As(r.Err, &se) {
			bad("abandoned, yet Err is %v", r.Err)
		}
	default:
		bad("the bus has not ended (%v)", r.State)
	}
	o := Oblige(r.State, r.Err, r.Acked)
	names := make([]string, 0, len(r.Handled))
	for name := range r.Handled {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		seen := map[int64]bool{}
		last := int64(0)
		for _, id := range r.Handled[name] {
			switch {
			case id < 1 || id > r.Tried:
				bad("%s handled id %d, which no publish wrote", name, id)
			case slices.Contains(r.Skipped, id):
				bad("%s handled id %d, whose fill panicked", name, id)
			case seen[id]:
				bad("%s handled id %d twice", name, id)
			case r.Ordered[name] && id < last:
				bad("%s handled id %d after %d", name, id, last)
			}
			seen[id] = true
			last = max(last, id)
		}
		missed := int64(0)
		for _, id := range o.Must {
			if !seen[id] {
				missed++
			}
		}
		if o.Slack >= 0 && missed > o.Slack {
			bad("%s missed %d acknowledged ids; the end (%v) allows %d", name, missed, r.State, o.Slack)
		}
	}
	return out
}
