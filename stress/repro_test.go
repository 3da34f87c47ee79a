package stress

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// Regression tests for bugs this suite found in package bus, now fixed.

// TestReproShutdownAfterHalt: Shutdown after Halt waits for consumers that
// Halt has stopped to handle what is left in the ring, which they never
// will: with context.Background() it never returns, and with a deadline it
// returns DeadlineExceeded at the deadline. (A failed bus is let through:
// Shutdown checks for a failure, not for a halt.) Here two events are left
// in the ring by a Halt; Shutdown should return at once.
func TestReproShutdownAfterHalt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := bus.New[event](bus.WithSize(8), bus.WithWaitStrategy(&bus.BlockingWait{}))
		release := make(chan struct{})
		b.HandleEventsWith(bus.HandlerFunc[event](func(e *event, seq int64, _ bool) error {
			<-release
			return nil
		}))
		b.Start()
		b.Publish(noop)
		synctest.Wait() // the consumer is in event 0's handler
		b.Publish(noop)
		b.Publish(noop)
		b.Halt()
		close(release)
		b.Wait() // the consumer has returned, leaving events 1 and 2
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()
		err := b.Shutdown(ctx)
		if el := time.Since(start); el != 0 || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown after Halt returned %v after %v; want it to return at once", err, el)
		}
	})
}
