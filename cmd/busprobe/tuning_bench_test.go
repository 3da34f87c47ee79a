package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/probe"
)

// BenchmarkTuning shows what busprobe's recommendation is worth on the
// machine it runs on: the same 1-producer/1-consumer and 1-producer/
// 2-consumer workloads with the recommended profile, with the bus's
// defaults, and with a deliberately bad layout (no padding between the
// producer's and the consumers' counters, busy-spin, and producer and
// consumers pinned to one CPU), side by side in one run:
//
//	go test ./cmd/busprobe -run '^$' -bench Tuning -count 6 | benchstat -col /layout -
func BenchmarkTuning(b *testing.B) {
	for _, consumers := range []int{1, 2} {
		rec, err := recommendedProfile(consumers)
		if err != nil {
			b.Fatal(err)
		}
		allowed, err := affinity.Allowed()
		if err != nil {
			b.Fatal(err)
		}
		cpu := allowed.CPUs()[len(allowed.CPUs())-1]
		same := make([]affinity.Placement, consumers)
		for i := range same {
			same[i] = affinity.Placement{CPU: cpu}
		}
		bad := &affinity.Profile{
			Schema:   affinity.ProfileSchema,
			Layout:   bus.Layout{PadBytes: 0, RingSize: 1024, Wait: bus.WaitBusySpin},
			Affinity: affinity.Plan{Producers: []int{cpu}, Consumers: same},
		}
		def := affinity.DefaultProfile()
		for _, c := range []struct {
			name string
			p    *affinity.Profile
		}{{"recommended", rec}, {"default", &def}, {"bad", bad}} {
			b.Run(fmt.Sprintf("consumers=%d/layout=%s", consumers, c.name), func(b *testing.B) {
				runTuned(b, c.p, consumers)
			})
		}
	}
}

func recommendedProfile(consumers int) (*affinity.Profile, error) {
	snap, err := probe.NewDefaultFS().Read()
	if err != nil {
		return nil, err
	}
	r, err := probe.Recommend(snap, nil, probe.Options{Producers: 1, Consumers: consumers, EventSize: 8})
	if err != nil {
		return nil, err
	}
	p := r.Profile(snap)
	return &p, nil
}

type counter struct{ sum int64 }

func (c *counter) OnEvent(v *int64, _ int64, _ bool) error { c.sum += *v; return nil }

func runTuned(b *testing.B, p *affinity.Profile, consumers int) {
	x, err := bus.New[int64](affinity.WithProfile(p))
	if err != nil {
		b.Fatal(err)
	}
	hs := make([]bus.Handler[int64], consumers)
	cs := make([]*counter, consumers)
	for i := range hs {
		cs[i] = &counter{}
		hs[i] = cs[i]
	}
	leaves := x.HandleEventsWith(hs...).Sequences()
	if err := x.Start(); err != nil {
		b.Fatal(err)
	}
	release, err := affinity.PinProducer(p.Affinity, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := x.Publish(func(v *int64, _ int64) { *v = int64(i) }); err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range leaves {
		for s.Load() < int64(b.N-1) {
		}
	}
	b.StopTimer()
	release()
	if err := x.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, c := range cs {
		if want := int64(b.N) * int64(b.N-1) / 2; c.sum != want {
			b.Fatalf("consumer sum %d, want %d", c.sum, want)
		}
	}
}
