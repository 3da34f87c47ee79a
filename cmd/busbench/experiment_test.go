package main

import (
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// spinFirst checks the sequence spins times before handing over to
// PhasedBackoffWait, so that a wait that ends within a few hundred
// nanoseconds never reads the clock. It is the change suggested for
// PhasedBackoffWait in docs/results.md, built from the public WaitStrategy
// interface to measure it without touching the bus.
type spinFirst struct{ spins int }

func (s spinFirst) Wait(w *bus.Waiter) (int64, error) {
	for range s.spins {
		if a := w.Available(); a >= w.Seq() {
			return a, nil
		}
	}
	return (&bus.PhasedBackoffWait{}).Wait(w)
}

// BenchmarkPingPongWait compares the bus ping-pong's median round trip
// under wait strategies, beside the raw CAS round trip, in one process:
//
//	go test ./cmd/busbench -run '^$' -bench PingPongWait -count 5
func BenchmarkPingPongWait(b *testing.B) {
	c := &config{size: 1024, pad: bus.DefaultPad(), wait: bus.WaitPhasedBackoff}
	p, note, err := choosePair(c)
	if err != nil {
		b.Fatal(err)
	}
	if note != "" {
		b.Log(note)
	}
	for _, bc := range []struct {
		name string
		wait func() bus.WaitStrategy
		f    pingFunc
	}{
		{"raw", nil, pingRaw},
		{"phased", nil, pingBus},
		{"phased-spin-first", func() bus.WaitStrategy { return spinFirst{spins: 1000} }, pingBus},
		{"busy-spin", func() bus.WaitStrategy { return &bus.BusySpinWait{} }, pingBus},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cc := *c
			cc.waitFn = bc.wait
			h := newHistogram()
			b.ResetTimer()
			if err := bc.f(&cc, p, limit{n: int64(b.N), deadline: time.Now().Add(time.Minute)}, h); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(h.ValueAtQuantile(50)), "median-ns")
			b.ReportMetric(float64(h.ValueAtQuantile(99)), "p99-ns")
		})
	}
}
