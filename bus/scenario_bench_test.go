package bus_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/eventbus/eventbus/bus"
)

// The LMAX Disruptor's performance scenarios on a Bus, each beside the same
// work done with goroutines and buffered channels, in one run:
//
//	go test ./bus -run '^$' -bench 'Scenario' -count 6 | benchstat -col /impl -

const chanBuf = 1024

type sumEvent struct{ v, a, b int64 }

// adder is a handler that sums event values (or the fields upstream
// handlers filled in), so that the total proves every event arrived.
type adder struct {
	sum int64
	f   func(e *sumEvent) int64
}

func (h *adder) OnEvent(e *sumEvent, _ int64, _ bool) error { h.sum += h.f(e); return nil }

func value(e *sumEvent) int64 { return e.v }

// runBus publishes b.N events through bus x from producers goroutines
// (batch events per publish) and waits until every leaf consumer handled
// them all.
func runBus(b *testing.B, x *bus.Bus[sumEvent], leaves []*bus.Sequence, producers, batch int) {
	if err := x.Start(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	produce(b.N, producers, func(n int) {
		for i := 0; i < n; {
			k := min(batch, n-i)
			err := x.PublishBatch(k, func(e *sumEvent, _ int64) { e.v = int64(i); i++ })
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

// produce runs producers goroutines, each calling publish with its share
// of n events, and waits for them to return.
func produce(n, producers int, publish func(n int)) {
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		n := share(n, producers, p)
		wg.Add(1)
		go func() {
			defer wg.Done()
			publish(n)
		}()
	}
	wg.Wait()
}

// benchChannel is the channel baseline for producers producers and one
// consumer: each producer sends the values 0 to its share of b.N, and the
// consumer adds them up.
func benchChannel(b *testing.B, producers int) {
	c := make(chan int64, chanBuf)
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
		for i := 0; i < n; i++ {
			c <- int64(i)
		}
	})
	close(c)
	check(b, "channel", <-done, sumTo(b.N, producers))
}

// share is how many of n events producer p of producers publishes: an
// equal share, the first producer taking the remainder.
func share(n, producers, p int) int {
	if p == 0 {
		return n/producers + n%producers
	}
	return n / producers
}

// sumTo is the sum of the values producers publish (each counts from 0).
func sumTo(n, producers int) int64 {
	var s int64
	for p := 0; p < producers; p++ {
		s += want(share(n, producers, p))
	}
	return s
}

func newBus(b *testing.B, opts ...bus.Option) *bus.Bus[sumEvent] {
	x, err := bus.New[sumEvent](append([]bus.Option{bus.WithSize(1024)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return x
}

func check(b *testing.B, what string, got, want int64) {
	if got != want {
		b.Fatalf("%s: sum %d, want %d", what, got, want)
	}
}

func BenchmarkScenarioUnicast1P1C(b *testing.B) {
	b.Run("impl=channel", func(b *testing.B) { benchChannel(b, 1) })
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("impl=bus/batch=%d", batch), func(b *testing.B) {
			x := newBus(b)
			h := &adder{f: value}
			g := x.HandleEventsWith(h)
			runBus(b, x, g.Sequences(), 1, batch)
			check(b, "unicast", h.sum, want(b.N))
		})
	}
}

func BenchmarkScenarioPipeline1P3C(b *testing.B) {
	b.Run("impl=channel", func(b *testing.B) {
		c1, c2, c3 := make(chan sumEvent, chanBuf), make(chan sumEvent, chanBuf), make(chan sumEvent, chanBuf)
		done := make(chan int64)
		go func() {
			for e := range c1 {
				e.a = e.v + 1
				c2 <- e
			}
			close(c2)
		}()
		go func() {
			for e := range c2 {
				e.b = e.a + 1
				c3 <- e
			}
			close(c3)
		}()
		go func() {
			var s int64
			for e := range c3 {
				s += e.b - 2
			}
			done <- s
		}()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c1 <- sumEvent{v: int64(i)}
		}
		close(c1)
		check(b, "pipeline", <-done, want(b.N))
	})
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("impl=bus/batch=%d", batch), func(b *testing.B) {
			x := newBus(b)
			last := &adder{f: func(e *sumEvent) int64 { return e.b - 2 }}
			g := x.HandleEventsWith(bus.HandlerFunc[sumEvent](func(e *sumEvent, _ int64, _ bool) error { e.a = e.v + 1; return nil })).
				Then(bus.HandlerFunc[sumEvent](func(e *sumEvent, _ int64, _ bool) error { e.b = e.a + 1; return nil })).
				Then(last)
			runBus(b, x, g.Sequences(), 1, batch)
			check(b, "pipeline", last.sum, want(b.N))
		})
	}
}

func BenchmarkScenarioMulticast1P3C(b *testing.B) {
	b.Run("impl=channel", func(b *testing.B) {
		var chans [3]chan int64
		done := make(chan int64, 3)
		for i := range chans {
			chans[i] = make(chan int64, chanBuf)
			go func(c chan int64) {
				var s int64
				for v := range c {
					s += v
				}
				done <- s
			}(chans[i])
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, c := range chans {
				c <- int64(i)
			}
		}
		for _, c := range chans {
			close(c)
		}
		for range chans {
			check(b, "multicast", <-done, want(b.N))
		}
	})
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("impl=bus/batch=%d", batch), func(b *testing.B) {
			x := newBus(b)
			hs := []*adder{{f: value}, {f: value}, {f: value}}
			g := x.HandleEventsWith(hs[0], hs[1], hs[2])
			runBus(b, x, g.Sequences(), 1, batch)
			for _, h := range hs {
				check(b, "multicast", h.sum, want(b.N))
			}
		})
	}
}

func BenchmarkScenarioDiamond1P3C(b *testing.B) {
	b.Run("impl=channel", func(b *testing.B) {
		ca, cb := make(chan int64, chanBuf), make(chan int64, chanBuf)
		oa, ob := make(chan int64, chanBuf), make(chan int64, chanBuf)
		done := make(chan int64)
		stage := func(in, out chan int64) {
			for v := range in {
				out <- v + 1
			}
			close(out)
		}
		go stage(ca, oa)
		go stage(cb, ob)
		go func() {
			var s int64
			for a := range oa {
				s += a + <-ob - 2
			}
			done <- s
		}()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ca <- int64(i)
			cb <- int64(i)
		}
		close(ca)
		close(cb)
		check(b, "diamond", <-done, 2*want(b.N))
	})
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("impl=bus/batch=%d", batch), func(b *testing.B) {
			x := newBus(b)
			join := &adder{f: func(e *sumEvent) int64 { return e.a + e.b - 2 }}
			g := x.HandleEventsWith(
				bus.HandlerFunc[sumEvent](func(e *sumEvent, _ int64, _ bool) error { e.a = e.v + 1; return nil }),
				bus.HandlerFunc[sumEvent](func(e *sumEvent, _ int64, _ bool) error { e.b = e.v + 1; return nil }),
			).Then(join)
			runBus(b, x, g.Sequences(), 1, batch)
			check(b, "diamond", join.sum, 2*want(b.N))
		})
	}
}

func benchSequencerNP1C(b *testing.B, producers int) {
	b.Run("impl=channel", func(b *testing.B) { benchChannel(b, producers) })
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("impl=bus/batch=%d", batch), func(b *testing.B) {
			x := newBus(b, bus.WithMultiProducer())
			h := &adder{f: value}
			g := x.HandleEventsWith(h)
			runBus(b, x, g.Sequences(), producers, batch)
			check(b, "sequencer", h.sum, sumTo(b.N, producers))
		})
	}
}

func BenchmarkScenarioSequencer2P1C(b *testing.B) { benchSequencerNP1C(b, 2) }
func BenchmarkScenarioSequencer3P1C(b *testing.B) { benchSequencerNP1C(b, 3) }
