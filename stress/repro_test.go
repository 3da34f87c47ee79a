package stress

import (
	"flag"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// Reproductions of bugs found in package bus, kept out of the default run
// until bus is fixed: go test ./stress -run TestRepro -stress.repro
var repro = flag.Bool("stress.repro", false, "run the reproductions of known bus bugs (TestRepro*), which fail until bus is fixed")

// TestReproHaltFinishesTheBatch: bus.Bus.Halt and BatchEventProcessor.Halt
// say a consumer "returns after the event it is handling, whatever is left
// in the ring", and Shutdown with a context halts the bus when the context
// ends. A batch event processor checks for the halt only between batches,
// so it handles the rest of its batch first: with slow handlers and a big
// ring, Shutdown overruns its deadline by up to a ring's worth of events.
// Here five events of one second each are one batch; the 2.5s deadline
// should stop the consumer after event 2 at 3s; it goes on to 5s.
func TestReproHaltFinishesTheBatch(t *testing.T) {
	if !*repro {
		return // a known bus bug; run with -stress.repro
	}
	synctest.Test(t, func(t *testing.T) {
		b, _ := bus.New[event](bus.WithSize(8), bus.WithWaitStrategy(&bus.BlockingWait{}))
		start := time.Now()
		var got []string
		b.HandleEventsWith(bus.HandlerFunc[event](func(e *event, seq int64, _ bool) error {
			time.Sleep(time.Second)
			got = append(got, fmt.Sprintf("%d@%v", seq, time.Since(start)))
			return nil
		}))
		b.Start()
		b.Publish(noop)
		synctest.Wait() // the consumer is in event 0's handler
		for range 4 {
			b.Publish(noop) // events 1-4 wait in the ring: the next batch
		}
		time.Sleep(time.Second)
		synctest.Wait() // event 0 done; the consumer took 1-4 as one batch
		b.Halt()
		err := b.Wait()
		if at := time.Since(start); err != nil || at != 2*time.Second || fmt.Sprint(got) != "[0@1s 1@2s]" {
			t.Errorf("halted at 1s, in event 1's handler: Wait = %v at %v after handling %v; want nil at 2s after [0@1s 1@2s]", err, at, got)
		}
	})
}
