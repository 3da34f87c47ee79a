package bus_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

func TestLayoutValidate(t *testing.T) {
	if err := bus.DefaultLayout().Validate(); err != nil {
		t.Fatalf("DefaultLayout: %v", err)
	}
	good := bus.Layout{PadBytes: 128, RingSize: 4096, Wait: bus.WaitPhasedBackoff}
	for _, tc := range []struct {
		edit func(*bus.Layout)
		want string
	}{
		{func(l *bus.Layout) { l.PadBytes = 96 }, "pad_bytes: pad size 96"},
		{func(l *bus.Layout) { l.RingSize = 1000 }, "ring_size: ring size 1000 is not a power of two"},
		{func(l *bus.Layout) { l.RingSize = 0 }, "ring_size: ring size 0 must be positive"},
		{func(l *bus.Layout) { l.EventSize = -1 }, "event_size -1 is negative"},
		{func(l *bus.Layout) { l.Wait = "snooze" }, `wait_strategy "snooze"`},
	} {
		l := good
		tc.edit(&l)
		err := l.Validate()
		if !errors.Is(err, bus.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalid naming %q", l, err, tc.want)
		}
	}
}

func TestWithLayoutShapesTheBus(t *testing.T) {
	for _, kind := range bus.WaitKinds() {
		l := bus.Layout{PadBytes: 64, RingSize: 256, Wait: kind}
		b, err := bus.New[int64](bus.WithLayout(l))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if b.Ring().Size() != 256 {
			t.Errorf("%s: bus has %d slots, want 256", kind, b.Ring().Size())
		}
	}
	// A later option overrides the layout.
	b, err := bus.New[int64](bus.WithLayout(bus.DefaultLayout()), bus.WithSize(16))
	if err != nil {
		t.Fatal(err)
	}
	if b.Ring().Size() != 16 {
		t.Errorf("WithSize after WithLayout: %d slots, want 16", b.Ring().Size())
	}
}

// TestLayoutPhasedParameters: the phased-backoff parameters are valid only
// with phased backoff and never negative, and survive a JSON round trip as
// nanoseconds.
func TestLayoutPhasedParameters(t *testing.T) {
	good := bus.Layout{PadBytes: 128, RingSize: 4096, Wait: bus.WaitPhasedBackoff, SpinFor: time.Microsecond, YieldFor: 10 * time.Microsecond, Poll: 4 * time.Microsecond}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(%+v): %v", good, err)
	}
	b, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"poll_ns":4000`) || !strings.Contains(string(b), `"spin_for_ns":1000`) {
		t.Errorf("JSON %s lacks the parameters in nanoseconds", b)
	}
	var back bus.Layout
	if err := json.Unmarshal(b, &back); err != nil || back != good {
		t.Errorf("round trip: %+v, %v; want %+v", back, err, good)
	}
	if b, _ := json.Marshal(bus.DefaultLayout()); strings.Contains(string(b), "_ns") {
		t.Errorf("default layout writes zero parameters: %s", b)
	}
	for _, tc := range []struct {
		edit func(*bus.Layout)
		want string
	}{
		{func(l *bus.Layout) { l.Poll = -1 }, "poll_ns -1 is negative"},
		{func(l *bus.Layout) { l.Wait = bus.WaitBusySpin }, "spin_for_ns tunes phased-backoff, not busy-spin"},
		{func(l *bus.Layout) { l.SpinFor, l.YieldFor, l.Wait = 0, 0, bus.WaitYielding }, "poll_ns tunes phased-backoff, not yielding"},
	} {
		l := good
		tc.edit(&l)
		if err := l.Validate(); !errors.Is(err, bus.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalid naming %q", l, err, tc.want)
		}
		if _, err := bus.New[int64](bus.WithLayout(l)); !errors.Is(err, bus.ErrInvalid) {
			t.Errorf("New(WithLayout(%+v)) = %v, want ErrInvalid", l, err)
		}
	}
}
