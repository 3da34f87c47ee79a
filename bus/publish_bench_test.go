package bus_test

import (
	"testing"

	"github.com/eventbus/eventbus/bus"
)

// BenchmarkPublishAlone measures the producer's side of Publish alone: a
// bus with no consumer gates nothing, so every claim succeeds at once and
// no other core touches the cursor's line. It isolates what the publish
// path costs per event (the claim, the fill's call, its containment, the
// publish) from the traffic between cores that the 1P1C benchmarks
// measure.
func BenchmarkPublishAlone(b *testing.B) {
	x, _ := bus.New[benchEvent](bus.WithSize(1024))
	x.Start()
	fill := func(e *benchEvent, seq int64) { e.v = seq }
	b.ReportAllocs()
	for b.Loop() {
		if err := x.Publish(fill); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	x.Halt()
}
