package scenario_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

const events = 5000 // per producer

// TestScenarios runs every scenario with all its producers on a bus and on
// channels, and checks each leaf's sum.
func TestScenarios(t *testing.T) {
	for _, sc := range scenario.All() {
		published := make([]int64, sc.Producers)
		for p := range published {
			published[p] = events + int64(p) // unequal shares, so a lost producer shows
		}
		want := sc.Want(published...)
		t.Run(sc.Name+"/bus", func(t *testing.T) {
			opts := []bus.Option{bus.WithSize(256)}
			if sc.Producers > 1 {
				opts = append(opts, bus.WithMultiProducer())
			}
			x, err := bus.New[scenario.Event](opts...)
			if err != nil {
				t.Fatal(err)
			}
			c := sc.Wire(x)
			if err := x.Start(); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for _, n := range published {
				wg.Go(func() {
					for i := range n {
						if err := x.Publish(func(e *scenario.Event, _ int64) { e.V = i }); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if err := x.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := c.Sums(); len(got) != len(c.Leaves) || slices.ContainsFunc(got, func(s int64) bool { return s != want }) {
				t.Errorf("leaf sums %v for %d leaves, want %d each", got, len(c.Leaves), want)
			}
		})
		t.Run(sc.Name+"/channel", func(t *testing.T) {
			ch := sc.Channels(64)
			var wg sync.WaitGroup
			for _, n := range published {
				wg.Go(func() {
					for i := range n {
						ch.Send(i)
					}
				})
			}
			wg.Wait()
			ch.Close()
			for range ch.Leaves {
				if got := <-ch.Sums; got != want {
					t.Errorf("a leaf summed %d, want %d", got, want)
				}
			}
		})
	}
}

func TestTable(t *testing.T) {
	names := map[string]bool{}
	for _, sc := range scenario.All() {
		if names[sc.Name] {
			t.Errorf("two scenarios are called %q", sc.Name)
		}
		names[sc.Name] = true
		if got, ok := scenario.Lookup(sc.Name); !ok || got.Title != sc.Title {
			t.Errorf("Lookup(%q) = %q, %v", sc.Name, got.Title, ok)
		}
		if sc.Producers < 1 || sc.Consumers < 1 {
			t.Errorf("%s: %d producers, %d consumers", sc.Name, sc.Producers, sc.Consumers)
		}
	}
	if _, ok := scenario.Lookup("broadcast"); ok {
		t.Error(`Lookup("broadcast") found a scenario`)
	}
}

// TestWant: the expected sum adds each producer's 0..n-1, times the
// diamond's two branches.
func TestWant(t *testing.T) {
	uni, _ := scenario.Lookup("unicast")
	dia, _ := scenario.Lookup("diamond")
	for _, c := range []struct {
		sc        scenario.Scenario
		published []int64
		want      int64
	}{
		{uni, []int64{0}, 0},
		{uni, []int64{1}, 0},
		{uni, []int64{4}, 6},
		{uni, []int64{4, 3}, 9},
		{dia, []int64{4}, 12},
	} {
		if got := c.sc.Want(c.published...); got != c.want {
			t.Errorf("%s.Want(%v) = %d, want %d", c.sc.Name, c.published, got, c.want)
		}
	}
}
