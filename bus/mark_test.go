package bus_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/eventbus/eventbus/bus"
)

// marked is an event published through its slot (see bus.Mark).
type marked struct {
	bus.Mark
	n int
}

// TestMarkedBus: a single-producer bus of events that embed Mark hands
// every event, once and in order, to a chain of processors, a worker pool
// and a poller, across many laps of a small ring, one event and batches
// at a time, with a fill that panics now and then (its slots skipped).
// The multi-producer bus, which ignores Marks, is held to the same.
func TestMarkedBus(t *testing.T) {
	for _, multi := range []bool{false, true} {
		t.Run(fmt.Sprintf("multi=%v", multi), func(t *testing.T) {
			opts := []bus.Option{bus.WithSize(8)}
			if multi {
				opts = append(opts, bus.WithMultiProducer())
			}
			b, err := bus.New[marked](opts...)
			if err != nil {
				t.Fatal(err)
			}
			first, second, w1, w2 := &markedTally{}, &markedTally{}, &markedTally{}, &markedTally{}
			b.HandleEventsWith(first).Then(second)
			b.HandleEventsWithWorkerPool(w1, w2)
			p := b.NewPoller()
			if err := b.Start(); err != nil {
				t.Fatal(err)
			}
			const events = 2000
			var polled []int
			done := make(chan error, 1)
			go func() {
				n := 0
				for i := 0; n < events; i++ {
					if i%97 == 5 {
						func() {
							defer func() { recover() }()
							b.PublishBatch(2, func(e *marked, _ int64) { e.n = -1; panic("fill") })
						}()
						continue
					}
					k := min(1+i%3, events-n)
					err := b.PublishBatch(k, func(e *marked, _ int64) { n++; e.n = n })
					if err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			poll := func() {
				if _, err := p.Poll(func(e *marked, _ int64, _ bool) bool { polled = append(polled, e.n); return true }); err != nil {
					t.Fatal(err)
				}
			}
			for len(polled) < events {
				poll()
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
					done <- nil
				default:
				}
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if err := b.Shutdown(deadline(t)); err != nil {
				t.Fatal(err)
			}
			wantValues(t, "the poller", polled, events)
			for name, c := range map[string]*markedTally{"the first processor": first, "the second": second} {
				wantValues(t, name, c.got, events)
			}
			if n := len(w1.got) + len(w2.got); n != events {
				t.Errorf("the worker pool handled %d events, want %d", n, events)
			}
		})
	}
}

// markedPtr embeds a *Mark, which does not live in the slot.
type markedPtr struct {
	*bus.Mark
}

// TestMarkPointerRefused: New refuses an event type that embeds a *Mark
// with an error wrapping ErrInvalid that says to embed a Mark.
func TestMarkPointerRefused(t *testing.T) {
	_, err := bus.New[markedPtr]()
	if !errors.Is(err, bus.ErrInvalid) || err == nil {
		t.Fatalf("New[markedPtr] = %v, want ErrInvalid", err)
	}
	if want := "embed a Mark"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}
