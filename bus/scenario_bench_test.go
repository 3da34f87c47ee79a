package bus_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

// The LMAX Disruptor's performance scenarios on a Bus, each beside the same
// work done with goroutines and buffered channels, in one run:
//
//	go test ./bus -run '^$' -bench 'Scenario' -count 6 | benchstat -col /impl -
//
// The scenarios themselves (the consumer graphs and their checksums) are
// package scenario's table, which busbench runs too.

const chanBuf = 1024

func BenchmarkScenarioUnicast1P1C(b *testing.B)   { benchScenario(b, "unicast") }
func BenchmarkScenarioPipeline1P3C(b *testing.B)  { benchScenario(b, "pipeline") }
func BenchmarkScenarioMulticast1P3C(b *testing.B) { benchScenario(b, "multicast") }
func BenchmarkScenarioDiamond1P3C(b *testing.B)   { benchScenario(b, "diamond") }
func BenchmarkScenarioSequencer2P1C(b *testing.B) { benchScenario(b, "seq2") }
func BenchmarkScenarioSequencer3P1C(b *testing.B) { benchScenario(b, "seq3") }

// benchScenario runs the scenario called name on channels (impl=channel)
// and on a bus publishing one and 16 events at a time (impl=bus/batch=N).
func benchScenario(b *testing.B, name string) {
	sc, ok := scenario.Lookup(name)
	if !ok {
		b.Fatalf("no scenario %q", name)
	}
	b.Run("impl=channel", func(b *testing.B) {
		ch := sc.Channels(chanBuf)
		b.ReportAllocs()
		b.ResetTimer()
		produce(b.N, sc.Producers, func(n int) {
			for i := range n {
				ch.Send(int64(i))
			}
		})
		ch.Close()
		for range ch.Leaves {
			check(b, name, <-ch.Sums, sc.Want(shares(b.N, sc.Producers)...))
		}
	})
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("impl=bus/batch=%d", batch), func(b *testing.B) {
			opts := []bus.Option{bus.WithSize(1024)}
			if sc.Producers > 1 {
				opts = append(opts, bus.WithMultiProducer())
			}
			x, err := bus.New[scenario.Event](opts...)
			if err != nil {
				b.Fatal(err)
			}
			c := sc.Wire(x)
			runBus(b, x, c.Leaves, sc.Producers, batch)
			for _, s := range c.Sums() {
				check(b, name, s, sc.Want(shares(b.N, sc.Producers)...))
			}
		})
	}
}

// runBus publishes b.N events through bus x from producers goroutines
// (batch events per publish) and waits until every leaf consumer handled
// them all.
func runBus(b *testing.B, x *bus.Bus[scenario.Event], leaves []*bus.Sequence, producers, batch int) {
	if err := x.Start(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	produce(b.N, producers, func(n int) {
		for i := 0; i < n; {
			k := min(batch, n-i)
			err := x.PublishBatch(k, func(e *scenario.Event, _ int64) { e.V = int64(i); i++ })
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	for _, s := range leaves {
		for s.Load() < int64(b.N-1) {
		}
	}
	b.StopTimer()
	if err := x.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// share is how many of n events producer p of producers publishes: an
// equal share, the first producer taking the remainder.
func share(n, producers, p int) int {
	if p == 0 {
		return n/producers + n%producers
	}
	return n / producers
}

// produce runs publish(share) on producers goroutines, each with its
// share of n events, and waits for them.
func produce(n, producers int, publish func(n int)) {
	if producers == 1 {
		publish(n) // on the benchmark's goroutine, as the raw paths do
		return
	}
	var wg sync.WaitGroup
	for p := range producers {
		n := share(n, producers, p)
		wg.Go(func() { publish(n) })
	}
	wg.Wait()
}

// benchChannel is the baseline of the one-consumer benchmarks: producers
// goroutines send b.N int64s through one channel buffering size values to
// a summing goroutine.
func benchChannel(b *testing.B, size, producers int) {
	c := make(chan int64, size)
	done := make(chan int64)
	go func() {
		var s int64
		for v := range c {
			s += v
		}
		done <- s
	}()
	b.ReportAllocs()
	b.ResetTimer()
	produce(b.N, producers, func(n int) {
		for i := range n {
			c <- int64(i)
		}
	})
	close(c)
	var sum int64
	for _, n := range shares(b.N, producers) {
		sum += want(int(n))
	}
	check(b, "channel", <-done, sum)
}

// shares is every producer's share of n events.
func shares(n, producers int) []int64 {
	out := make([]int64, producers)
	for p := range out {
		out[p] = int64(share(n, producers, p))
	}
	return out
}

func check(b *testing.B, what string, got, want int64) {
	if got != want {
		b.Fatalf("%s: sum %d, want %d", what, got, want)
	}
}
