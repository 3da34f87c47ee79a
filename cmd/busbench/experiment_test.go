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
// under wait strategies, and spinning on Poll without any (poll-spin),
// beside the raw CAS, marked-slot and slot+cursor round trips, in one
// process:
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
	// One run of every variant per iteration of -count, so that all see the
	// same state of a shared VM; each reports its median as a metric.
	variants := []struct {
		name string
		wait func() bus.WaitStrategy
		spin bool
		f    pingFunc
	}{
		{"raw", nil, false, pingRaw},
		{"two-lines", nil, false, pingTwoLines},
		{"one-line", nil, false, pingOneLine},
		{"phased", nil, false, pingBus},
		{"phased-spin-first", func() bus.WaitStrategy { return spinFirst{spins: 1000} }, false, pingBus},
		{"busy-spin", func() bus.WaitStrategy { return &bus.BusySpinWait{} }, false, pingBus},
		{"poll-spin", nil, true, pingBus},
		{"marked", nil, false, pingMarked},
		{"marked-busy-spin", func() bus.WaitStrategy { return &bus.BusySpinWait{} }, false, pingMarked},
		{"marked-poll-spin", nil, true, pingMarked},
	}
	for _, v := range variants {
		cc := *c
		cc.waitFn, cc.pollSpin = v.wait, v.spin
		h := newHistogram()
		if err := v.f(&cc, p, limit{n: int64(b.N), deadline: time.Now().Add(time.Minute)}, h); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(h.ValueAtQuantile(50)), v.name+"-median-ns")
		b.ReportMetric(float64(h.ValueAtQuantile(99)), v.name+"-p99-ns")
	}
}
