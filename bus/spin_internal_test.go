package bus

import (
	"testing"
	"time"
)

func TestHintsForScalesWithTime(t *testing.T) {
	if n := hintsFor(0); n != 1 {
		t.Errorf("hintsFor(0) = %d, want 1", n)
	}
	us, ms := hintsFor(time.Microsecond), hintsFor(time.Millisecond)
	if ms < 500*us {
		t.Errorf("hintsFor(1ms) = %d, not about 1000 times hintsFor(1µs) = %d", ms, us)
	}
	// The calibration is close enough for a pause: generous bounds, since
	// this is a shared VM.
	start := time.Now()
	pauseFor(hintsFor(500 * time.Microsecond))
	if el := time.Since(start); el < 100*time.Microsecond || el > 50*time.Millisecond {
		t.Errorf("a 500µs pause took %v", el)
	}
	pauseFor(0)
	pauseFor(-1)
}

// TestPhasedBackoffPacesDenseStreams checks the pause between checks: it
// doubles when the first check after a pause finds more than the one
// event waited for, stays when it finds just that one (a request and its
// reply: pausing longer would only delay the reply), and falls to one
// hint when checks find nothing.
func TestPhasedBackoffPacesDenseStreams(t *testing.T) {
	seqr, _ := NewSingleProducerSequencer(8)
	b := seqr.NewBarrier()
	w := &b.waiter
	s := &PhasedBackoffWait{Poll: time.Millisecond}
	most := hintsFor(time.Millisecond)

	publish := func(n int) {
		lo, hi, err := seqr.Next(n)
		if err != nil {
			t.Fatal(err)
		}
		seqr.Publish(lo, hi)
	}
	publish(1)
	w.seq, w.gap = 0, 4
	if a, err := s.Wait(w); a != 0 || err != nil {
		t.Fatalf("Wait = %d, %v", a, err)
	}
	if w.gap != 4 {
		t.Errorf("after a first check that found the one event, gap %d, want 4", w.gap)
	}
	publish(2)
	w.seq = 1
	if a, err := s.Wait(w); a != 2 || err != nil {
		t.Fatalf("Wait = %d, %v", a, err)
	}
	if w.gap != 8 {
		t.Errorf("after a first check that found two events, gap %d, want 8", w.gap)
	}
	publish(2)
	w.seq, w.gap = 3, most
	s.Wait(w)
	if w.gap != most {
		t.Errorf("gap %d grew past Poll's %d hints", w.gap, most)
	}

	// Nothing for a while: the checks find nothing and the gap falls. A
	// long spin phase keeps the wait from reaching its fallback, which
	// would reset the gap anyway. The quiet spell is a hundred Polls, so
	// that a waiter descheduled for most of it on a loaded machine still
	// makes the dozen empty looks that bring the gap down to one.
	s = &PhasedBackoffWait{Poll: time.Millisecond, SpinFor: time.Minute}
	w.seq = 5
	go func() {
		time.Sleep(100 * time.Millisecond)
		publish(1)
	}()
	if a, err := s.Wait(w); a != 5 || err != nil {
		t.Fatalf("Wait = %d, %v", a, err)
	}
	if w.gap != 1 {
		t.Errorf("after a quiet spell, gap %d, want 1", w.gap)
	}

	seqr.Halt()
	w.seq = 6
	if _, err := s.Wait(w); err != ErrHalted {
		t.Errorf("Wait after Halt = %v", err)
	}
}
