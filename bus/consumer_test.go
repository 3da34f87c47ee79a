package bus_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// lifecycleHandler records its hooks, in order, in a log shared with the
// pin function; startErr and timeoutErr make OnStart and OnTimeout fail.
type lifecycleHandler struct {
	log        *lifecycleLog
	startErr   error
	timeoutErr error
}

type lifecycleLog struct {
	mu  sync.Mutex
	ran []string
}

func (l *lifecycleLog) note(s string) { l.mu.Lock(); l.ran = append(l.ran, s); l.mu.Unlock() }

func (l *lifecycleLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.ran, ",")
}

func (h *lifecycleHandler) OnStart() error { h.log.note("start"); return h.startErr }
func (h *lifecycleHandler) OnShutdown()    { h.log.note("shutdown") }
func (h *lifecycleHandler) OnEvent(*ev, int64, bool) error {
	h.log.note("event")
	return nil
}
func (h *lifecycleHandler) OnTimeout(int64) error {
	if h.timeoutErr == nil {
		return nil
	}
	h.log.note("timeout")
	return h.timeoutErr
}

// TestConsumerLifecycle checks that a batch event processor and a worker
// pool's worker go through the same lifecycle: pinned first and released
// last, OnShutdown only after a successful OnStart, an OnStart failure as
// an *EventError, and an OnTimeout failure through the error policy.
func TestConsumerLifecycle(t *testing.T) {
	kinds := []struct {
		name string
		add  func(b *bus.Bus[ev], h bus.Handler[ev])
	}{
		{"processor", func(b *bus.Bus[ev], h bus.Handler[ev]) { b.HandleEventsWith(h) }},
		{"worker", func(b *bus.Bus[ev], h bus.Handler[ev]) { b.HandleEventsWithWorkerPool(h) }},
	}
	errStart, errTimeout := errors.New("no database"), errors.New("heartbeat failed")
	for _, k := range kinds {
		for _, tc := range []struct {
			name       string
			startErr   error
			timeoutErr error
			publish    bool
			wantErr    error
			want       string
		}{
			{"clean", nil, nil, true, nil, "pin,start,event,shutdown,release"},
			{"start fails", errStart, nil, false, errStart, "pin,start,release"},
			{"timeout fails", nil, errTimeout, false, errTimeout, "pin,start,timeout,shutdown,release"},
		} {
			t.Run(k.name+"/"+tc.name, func(t *testing.T) {
				log := &lifecycleLog{}
				pin := func(string, int) (func(), error) {
					log.note("pin")
					return func() { log.note("release") }, nil
				}
				b, err := bus.New[ev](bus.WithSize(8), bus.WithPin(pin), bus.WithWaitStrategy(&bus.TimeoutBlockingWait{Timeout: time.Millisecond}))
				if err != nil {
					t.Fatal(err)
				}
				k.add(b, &lifecycleHandler{log: log, startErr: tc.startErr, timeoutErr: tc.timeoutErr})
				err = b.Start()
				if tc.startErr != nil {
					// Start returns the failure, with the bus stopped.
					if !errors.Is(err, tc.startErr) || b.State() != bus.StateFailed || !errors.Is(b.Err(), tc.startErr) {
						t.Fatalf("Start = %v, state %v, Err %v; want the OnStart failure", err, b.State(), b.Err())
					}
				} else if err != nil {
					t.Fatal(err)
				}
				if tc.publish {
					if err := b.Publish(func(*ev, int64) {}); err != nil {
						t.Fatal(err)
					}
				}
				if tc.wantErr != nil {
					err = b.Wait()
				} else {
					err = b.Shutdown(context.Background())
				}
				var ee *bus.EventError
				switch {
				case tc.wantErr == nil && err != nil:
					t.Fatalf("got %v, want no error", err)
				case tc.wantErr != nil && (!errors.As(err, &ee) || !errors.Is(err, tc.wantErr) || ee.Seq != -1):
					t.Fatalf("got %v, want an *EventError at -1 wrapping %v", err, tc.wantErr)
				}
				if got := log.String(); got != tc.want {
					t.Errorf("ran %s, want %s", got, tc.want)
				}
			})
		}
	}
}
