package bus_test

import (
	"errors"
	"strings"
	"testing"

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
