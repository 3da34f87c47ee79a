package scenario_test

import (
	"context"
	"fmt"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/scenario"
)

// The diamond on a bus and on channels: each leaf's sum is what Want
// says, so every event reached the join through both branches.
func Example() {
	sc, _ := scenario.Lookup("diamond")

	x, err := bus.New[scenario.Event](bus.WithSize(64))
	if err != nil {
		panic(err)
	}
	c := sc.Wire(x)
	if err := x.Start(); err != nil {
		panic(err)
	}
	for i := range 1000 {
		if err := x.Publish(func(e *scenario.Event, _ int64) { e.V = int64(i) }); err != nil {
			panic(err)
		}
	}
	if err := x.Shutdown(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println(sc.Title, "on the bus:", c.Sums(), "want", sc.Want(1000))

	ch := sc.Channels(64)
	for i := range 1000 {
		ch.Send(int64(i))
	}
	ch.Close()
	fmt.Println(sc.Title, "on channels:", <-ch.Sums, "want", sc.Want(1000))
	// Output:
	// diamond 1P→3C on the bus: [999000] want 999000
	// diamond 1P→3C on channels: 999000 want 999000
}
