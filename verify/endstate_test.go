package verify_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/verify"
)

func TestCheckEndJudgesRecords(t *testing.T) {
	abandoned := &bus.ShutdownError{Err: context.DeadlineExceeded, Unhandled: 2}
	ok := func(r verify.EndRecord) verify.EndRecord {
		if r.Tried == 0 {
			r.Tried = 4
		}
		r.Wait, r.Stopped = r.Err, r.Err
		return r
	}
	for _, tc := range []struct {
		name string
		r    verify.EndRecord
		want string // a problem CheckEnd must report; "" for none
	}{
		{"drained", ok(verify.EndRecord{Acked: []int64{1, 2, 3}, Handled: map[string][]int64{"a": {1, 2, 3}}, State: bus.StateDrained}), ""},
		{"drained, one lost", ok(verify.EndRecord{Acked: []int64{1, 2, 3}, Handled: map[string][]int64{"a": {1, 3}}, State: bus.StateDrained}), "a missed 1"},
		{"abandoned within its count", ok(verify.EndRecord{Acked: []int64{1, 2, 3}, Handled: map[string][]int64{"a": {1}}, State: bus.StateAbandoned, Err: abandoned}), ""},
		{"abandoned past its count", ok(verify.EndRecord{Acked: []int64{1, 2, 3, 4}, Handled: map[string][]int64{"a": {1}}, State: bus.StateAbandoned, Err: abandoned}), "allows 2"},
		{"halted", ok(verify.EndRecord{Acked: []int64{1, 2, 3}, Handled: map[string][]int64{"a": {}}, State: bus.StateHalted, Err: bus.ErrHalted}), ""},
		{"halted, yet nil", ok(verify.EndRecord{State: bus.StateHalted}), "halted, yet Err is <nil>"},
		{"skipped handled", ok(verify.EndRecord{Acked: []int64{1}, Skipped: []int64{2}, Handled: map[string][]int64{"a": {1, 2}}, State: bus.StateDrained}), "whose fill panicked"},
		{"twice", ok(verify.EndRecord{Acked: []int64{1}, Handled: map[string][]int64{"a": {1, 1}}, State: bus.StateDrained}), "twice"},
		{"reordered", ok(verify.EndRecord{Acked: []int64{1, 2}, Handled: map[string][]int64{"a": {2, 1}}, Ordered: map[string]bool{"a": true}, State: bus.StateDrained}), "after 2"},
		{"invented", ok(verify.EndRecord{Handled: map[string][]int64{"a": {9}}, State: bus.StateDrained}), "no publish wrote"},
		{"disagree", verify.EndRecord{State: bus.StateHalted, Err: bus.ErrHalted, Wait: nil, Stopped: bus.ErrHalted}, "disagrees"},
	} {
		got := strings.Join(verify.CheckEnd(tc.r), "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: CheckEnd = %q, want %q", tc.name, got, tc.want)
		}
	}
}

type endEvent struct{ id int64 }

type endConsumer struct {
	mu      sync.Mutex
	ids     []int64
	stuckAt int64
	entered chan struct{}
	release chan struct{}
}

func (c *endConsumer) OnEvent(e *endEvent, _ int64, _ bool) error {
	if e.id == c.stuckAt {
		close(c.entered)
		<-c.release
	}
	c.mu.Lock()
	c.ids = append(c.ids, e.id)
	c.mu.Unlock()
	return nil
}

// TestCheckEndPassesTheBus runs real buses through publishing before
// Start, a panicking fill, and ends that drain, halt and are abandoned,
// and checks each record with CheckEnd.
func TestCheckEndPassesTheBus(t *testing.T) {
	for _, end := range []bus.State{bus.StateDrained, bus.StateHalted, bus.StateAbandoned} {
		for _, multi := range []bool{false, true} {
			opts := []bus.Option{bus.WithSize(8)}
			if multi {
				opts = append(opts, bus.WithMultiProducer())
			}
			b, _ := bus.New[endEvent](opts...)
			a := &endConsumer{}
			c := &endConsumer{entered: make(chan struct{}), release: make(chan struct{})}
			if end == bus.StateAbandoned {
				c.stuckAt = 9
			}
			b.HandleEventsWith(a).Then(c)
			r := verify.EndRecord{Ordered: map[string]bool{"a": true, "c": true}}
			publish := func(id int64) {
				r.Tried = id
				if id%5 == 0 {
					func() {
						defer func() { recover() }()
						b.Publish(func(*endEvent, int64) { panic("fill") })
					}()
					r.Skipped = append(r.Skipped, id)
					return
				}
				if b.Publish(func(e *endEvent, _ int64) { e.id = id }) == nil {
					r.Acked = append(r.Acked, id)
				}
			}
			for id := int64(1); id <= 6; id++ {
				publish(id)
			}
			b.Start()
			for id := int64(7); id <= 12; id++ {
				publish(id)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			switch end {
			case bus.StateHalted:
				b.Halt()
			case bus.StateAbandoned:
				<-c.entered
				cancel()
			}
			r.Stopped = b.Shutdown(ctx)
			cancel()
			if c.release != nil && end == bus.StateAbandoned {
				close(c.release)
			}
			r.State, r.Err, r.Wait = b.State(), b.Err(), b.Wait()
			a.mu.Lock()
			c.mu.Lock()
			r.Handled = map[string][]int64{"a": a.ids, "c": c.ids}
			c.mu.Unlock()
			a.mu.Unlock()
			if p := verify.CheckEnd(r); len(p) > 0 || r.State != end {
				t.Errorf("end %v, multi %v: the bus ended %v: %q", end, multi, r.State, p)
			}
			var se *bus.ShutdownError
			if end == bus.StateAbandoned && !errors.As(r.Err, &se) {
				t.Errorf("abandoned with %v", r.Err)
			}
		}
	}
}
