package bus_test

import (
	"errors"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// publishN publishes n events, failing t on an error.
func publishN(t *testing.T, b *bus.Bus[ev], n int) {
	t.Helper()
	for range n {
		if err := b.Publish(func(*ev, int64) {}); err != nil {
			t.Fatal(err)
		}
	}
}

// consumerStats returns the figures of the consumer named name.
func consumerStats(t *testing.T, s bus.Stats, name string) bus.ConsumerStats {
	t.Helper()
	for _, c := range s.Consumers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no consumer %q in %+v", name, s.Consumers)
	return bus.ConsumerStats{}
}

// awaitStats polls b.Stats until ok accepts it, and fails t after 5s.
func awaitStats(t *testing.T, b *bus.Bus[ev], what string, ok func(bus.Stats) bool) bus.Stats {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for {
		s := b.Stats()
		if ok(s) {
			return s
		}
		if time.Now().After(end) {
			t.Fatalf("%s: never happened; last stats %+v", what, s)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestStatsLag: a poller nobody polls is held back by every event
// published, while a processor beside it keeps up; polling moves the
// poller's sequence, lag and handled count by what it took.
func TestStatsLag(t *testing.T) {
	b, _ := bus.New[ev](bus.WithSize(16))
	b.HandleEventsWith(bus.Named[ev]("fast", &tally{}))
	p := b.NewPoller()
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	publishN(t, b, 10)
	s := awaitStats(t, b, "fast handles 10 events", func(s bus.Stats) bool { return consumerStats(t, s, "fast").Seq == 9 })
	if s.Cursor != 9 || s.Size != 16 || s.Free != 6 || s.State != bus.StateRunning || s.Closed {
		t.Errorf("bus: cursor %d, size %d, free %d, %v, closed %v; want 9, 16, 6, running, open", s.Cursor, s.Size, s.Free, s.State, s.Closed)
	}
	if f := consumerStats(t, s, "fast"); f.Lag != 0 || f.Handled != 10 {
		t.Errorf("fast: lag %d, handled %d; want 0, 10", f.Lag, f.Handled)
	}
	if q := consumerStats(t, s, "poller#1"); q.Seq != -1 || q.Lag != 10 || q.Handled != 0 {
		t.Errorf("poller: seq %d, lag %d, handled %d; want -1, 10, 0", q.Seq, q.Lag, q.Handled)
	}
	n := 0
	p.Poll(func(*ev, int64, bool) bool { n++; return n < 3 })
	if q := consumerStats(t, b.Stats(), "poller#1"); q.Seq != 2 || q.Lag != 7 || q.Handled != 3 {
		t.Errorf("poller after taking 3: seq %d, lag %d, handled %d; want 2, 7, 3", q.Seq, q.Lag, q.Handled)
	}
	b.Close()
	if s := b.Stats(); !s.Closed || s.State != bus.StateRunning {
		t.Errorf("after Close: closed %v, %v; want closed and running (draining)", s.Closed, s.State)
	}
	for {
		st, _ := p.Poll(func(*ev, int64, bool) bool { return true })
		if st == bus.PollClosed {
			break
		}
	}
	if err := b.Shutdown(deadline(t)); err != nil {
		t.Fatal(err)
	}
	if s := b.Stats(); s.State != bus.StateDrained || consumerStats(t, s, "poller#1").Handled != 10 {
		t.Errorf("after Shutdown: %v, poller handled %d; want drained, 10", s.State, consumerStats(t, s, "poller#1").Handled)
	}
}

// TestStatsFailures: a handler that panics on one event and fails on
// another, under SkipOnError, counts one panic and one error; both events
// were handled.
func TestStatsFailures(t *testing.T) {
	b, _ := bus.New[ev](bus.WithErrorPolicy(bus.SkipOnError))
	b.HandleEventsWith(bus.Named[ev]("panics", &failAt{seq: 2, panics: true}), bus.Named[ev]("fails", &failAt{seq: 3}))
	b.Start()
	publishN(t, b, 5)
	if err := b.Shutdown(deadline(t)); err != nil {
		t.Fatal(err)
	}
	s := b.Stats()
	for _, c := range []struct {
		name           string
		errors, panics int64
	}{{"panics", 0, 1}, {"fails", 1, 0}} {
		got := consumerStats(t, s, c.name)
		if got.Errors != c.errors || got.Panics != c.panics || got.Handled != 5 || got.Lag != 0 {
			t.Errorf("%s: %+v; want %d errors, %d panics, 5 handled, lag 0", c.name, got, c.errors, c.panics)
		}
	}
}

// TestStatsSkipped: a fill that panics publishes its slot skipped; every
// consumer counts it as skipped, not handled.
func TestStatsSkipped(t *testing.T) {
	b, _ := bus.New[ev](bus.WithSize(8))
	b.HandleEventsWith(bus.Named[ev]("a", &tally{})).Then(bus.Named[ev]("b", &tally{}))
	b.HandleEventsWithWorkerPool(bus.Named[ev]("w1", &tally{}), bus.Named[ev]("w2", &tally{}))
	p := b.NewPoller()
	b.Start()
	publishN(t, b, 2)
	func() {
		defer func() { recover() }()
		b.Publish(func(*ev, int64) { panic("fill") })
	}()
	publishN(t, b, 2)
	b.Close()
	for {
		if st, _ := p.Poll(func(*ev, int64, bool) bool { return true }); st == bus.PollClosed {
			break
		}
	}
	if err := b.Shutdown(deadline(t)); err != nil {
		t.Fatal(err)
	}
	s := b.Stats()
	var pool, poolSkipped int64
	for _, c := range s.Consumers {
		switch c.Name {
		case "w1", "w2":
			pool += c.Handled
			poolSkipped += c.Skipped
		default:
			if c.Handled != 4 || c.Skipped != 1 || c.Seq != 4 {
				t.Errorf("%s: %+v; want seq 4, 4 handled, 1 skipped", c.Name, c)
			}
		}
	}
	if pool != 4 || poolSkipped != 1 {
		t.Errorf("the pool handled %d and skipped %d, want 4 and 1", pool, poolSkipped)
	}
}

// TestStatsWorkerPool: the workers' handled counts add up to the events
// published.
func TestStatsWorkerPool(t *testing.T) {
	b, _ := bus.New[ev](bus.WithSize(64))
	b.HandleEventsWithWorkerPool(&tally{}, &tally{}, &tally{})
	b.Start()
	publishN(t, b, 1000)
	if err := b.Shutdown(deadline(t)); err != nil {
		t.Fatal(err)
	}
	s := b.Stats()
	var sum int64
	for _, c := range s.Consumers {
		sum += c.Handled
	}
	if len(s.Consumers) != 3 || sum != 1000 {
		t.Errorf("%d workers handled %d events, want 3 and 1000", len(s.Consumers), sum)
	}
}

// TestStatsProducerWaits: a producer on a full ring waits until the
// consumer makes room; the wait is counted, timed and in the buckets.
func TestStatsProducerWaits(t *testing.T) {
	for _, multi := range []bool{false, true} {
		opts := []bus.Option{bus.WithSize(4), bus.WithWaitStrategy(&bus.BlockingWait{})}
		if multi {
			opts = append(opts, bus.WithMultiProducer())
		}
		b, _ := bus.New[ev](opts...)
		g := &slowGate{release: make(chan struct{})}
		b.HandleEventsWith(g)
		b.Start()
		publishN(t, b, 4)
		if s := b.Stats(); s.Free != 0 || s.Producers.Waits != 0 {
			t.Errorf("multi %v: full ring: %d free, %d waits; want 0, 0", multi, s.Free, s.Producers.Waits)
		}
		done := make(chan error, 1)
		go func() { done <- b.Publish(func(*ev, int64) {}) }()
		time.Sleep(20 * time.Millisecond)
		close(g.release)
		awaitErr(t, done, nil, "the consumer making room")
		if err := b.Shutdown(deadline(t)); err != nil {
			t.Fatal(err)
		}
		p := b.Stats().Producers
		if p.Waits < 1 || p.WaitTime < 10*time.Millisecond || len(p.Buckets) == 0 {
			t.Fatalf("multi %v: %d waits for %v, %d buckets; want at least 1 wait of 10ms or more", multi, p.Waits, p.WaitTime, len(p.Buckets))
		}
		prev := bus.WaitBucket{}
		for _, k := range p.Buckets {
			if k.UpTo <= prev.UpTo || k.Count < prev.Count {
				t.Errorf("multi %v: bucket %+v after %+v: bounds must grow and counts not shrink", multi, k, prev)
			}
			if k.UpTo < 10*time.Millisecond && k.Count == p.Waits {
				t.Errorf("multi %v: every wait counted at most %v, but one took 10ms or more", multi, k.UpTo)
			}
			prev = k
		}
		if prev.Count != p.Waits {
			t.Errorf("multi %v: the last bucket holds %d of %d waits", multi, prev.Count, p.Waits)
		}
	}
}

// TestStatsParksAndEnds: a consumer of an idle bus with a blocking wait
// parks; the state follows Halt.
func TestStatsParksAndEnds(t *testing.T) {
	b, _ := bus.New[ev](bus.WithWaitStrategy(&bus.BlockingWait{}))
	b.HandleEventsWith(bus.Named[ev]("idle", &tally{}))
	b.Start()
	awaitStats(t, b, "the idle consumer parks", func(s bus.Stats) bool { return s.Consumers[0].Parks > 0 })
	b.Halt()
	if err := b.Wait(); !errors.Is(err, bus.ErrHalted) {
		t.Fatal(err)
	}
	if s := b.Stats(); s.State != bus.StateHalted || !s.Closed {
		t.Errorf("after Halt: %v, closed %v; want halted, closed", s.State, s.Closed)
	}
}
