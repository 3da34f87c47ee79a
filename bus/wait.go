package bus

import (
	"runtime"
	"time"
)

// WaitStrategy decides how a consumer waits for a sequence to become
// available, and how a producer waits for room in a full ring. The bus only
// calls it on the slow path, after a plain check of the sequence failed;
// publishing and consuming an available event never touch it.
//
// Wait returns w.Available() once it is at least w.Seq(), or an error from
// w.Err() (or ErrTimeout) when the wait must end. Implementations must
// check w.Err() often enough to end promptly after a halt, a close or a
// cancelled context: every wait has an exit.
type WaitStrategy interface {
	Wait(w *Waiter) (int64, error)
}

// errCheckEvery is how many spins pass between checks of Waiter.Err.
const errCheckEvery = 1024

// BusySpinWait spins on the sequence without ever giving up the CPU,
// executing the CPU's spin-wait hint (PAUSE on amd64) between checks, as
// the LMAX BusySpinWaitStrategy does with Thread.onSpinWait. It has
// the lowest latency when each waiting goroutine has a CPU of its own, and
// collapses when it does not: two spinners sharing one CPU hand off in
// scheduler time slices (milliseconds), not nanoseconds. Use it only with
// pinned goroutines on dedicated CPUs. The zero value is ready to use.
type BusySpinWait struct{}

// Wait implements WaitStrategy.
func (*BusySpinWait) Wait(w *Waiter) (int64, error) {
	for i := 1; ; i++ {
		if a := w.Available(); a >= w.seq {
			return a, nil
		}
		spinPause(1)
		if i%errCheckEvery == 0 {
			if err := w.Err(); err != nil {
				return 0, err
			}
		}
	}
}

// YieldingWait spins SpinTries times, then calls runtime.Gosched between
// checks. It keeps latency low and lets other goroutines on the same CPU
// run, but still burns a CPU while idle. The zero value spins 100 times.
type YieldingWait struct {
	// SpinTries is how many checks to spin before yielding; 0 means 100.
	SpinTries int
}

// Wait implements WaitStrategy.
func (s *YieldingWait) Wait(w *Waiter) (int64, error) {
	spins := s.SpinTries
	if spins <= 0 {
		spins = 100
	}
	for i := 1; ; i++ {
		if a := w.Available(); a >= w.seq {
			return a, nil
		}
		if i > spins {
			runtime.Gosched()
		} else {
			spinPause(1)
		}
		if i > spins || i%errCheckEvery == 0 {
			if err := w.Err(); err != nil {
				return 0, err
			}
		}
	}
}

// SleepingWait spins, then yields, then sleeps for Sleep between checks. An
// idle consumer costs little CPU, at the price of latency up to the sleep
// (and the timer's granularity) when an event arrives after a quiet spell.
// A halt, a close or the context ends a sleep at once, however long.
// The zero value spins 200 times, yields 100 times and sleeps 100µs.
type SleepingWait struct {
	Spins  int           // checks spent spinning; 0 means 200
	Yields int           // checks spent yielding after spinning; 0 means 100
	Sleep  time.Duration // sleep between later checks; 0 means 100µs
}

// Wait implements WaitStrategy.
func (s *SleepingWait) Wait(w *Waiter) (int64, error) {
	spins, yields, sleep := s.Spins, s.Yields, s.Sleep
	if spins <= 0 {
		spins = 200
	}
	if yields <= 0 {
		yields = 100
	}
	if sleep <= 0 {
		sleep = 100 * time.Microsecond
	}
	for i := 1; ; i++ {
		if a := w.Available(); a >= w.seq {
			return a, nil
		}
		switch {
		case i <= spins:
			spinPause(1)
			if i%errCheckEvery != 0 {
				continue
			}
		case i <= spins+yields:
			runtime.Gosched()
		default:
			if err := w.Sleep(sleep); err != nil {
				return 0, err
			}
			continue
		}
		if err := w.Err(); err != nil {
			return 0, err
		}
	}
}

// BlockingWait parks the waiting goroutine until a producer publishes or an
// upstream consumer advances. An idle bus uses no CPU; the cost is a wake-up
// through the Go scheduler (microseconds) when work arrives, and a lock taken
// by publishers while any goroutine is parked. Best when there are more
// goroutines than CPUs, or when CPU matters more than latency. The zero value
// is ready to use.
type BlockingWait struct{}

// Wait implements WaitStrategy.
func (*BlockingWait) Wait(w *Waiter) (int64, error) {
	for {
		if a := w.Available(); a >= w.seq {
			return a, nil
		}
		if err := w.Block(0); err != nil {
			return 0, err
		}
	}
}

// TimeoutBlockingWait parks like BlockingWait, but gives up after Timeout
// with ErrTimeout, so that a consumer can do periodic work (flush a batch,
// send a heartbeat) on a quiet bus: the event processor calls its handler's
// OnTimeout and waits again. The zero value times out after 1ms.
type TimeoutBlockingWait struct {
	// Timeout is how long one wait may park; 0 means 1ms.
	Timeout time.Duration
}

// Wait implements WaitStrategy.
func (s *TimeoutBlockingWait) Wait(w *Waiter) (int64, error) {
	d := s.Timeout
	if d <= 0 {
		d = time.Millisecond
	}
	deadline := time.Now().Add(d)
	for {
		if a := w.Available(); a >= w.seq {
			return a, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return 0, ErrTimeout
		}
		if err := w.Block(left); err != nil {
			return 0, err
		}
	}
}

// PhasedBackoffWait spins for SpinFor, then yields for YieldFor, then hands
// over to Fallback (BlockingWait when nil). It gets busy-spin latency for
// events that follow each other closely and degrades gracefully when
// goroutines outnumber CPUs or the bus goes quiet: the default for a bus
// that has not been told otherwise. The zero value spins 2µs, yields
// 20µs, then blocks: short phases, because on a machine with fewer CPUs
// than busy goroutines every microsecond spent spinning is taken from the
// goroutine being waited for.
//
// Between checks it pauses with the CPU's spin-wait hint, for a time that
// adapts to the stream: it doubles, up to Poll, each time the first check
// after a pause finds more than the one event waited for (events arrive
// faster than it looks), and halves each time a check finds nothing. A
// dense stream is thus polled at most once per Poll, which keeps the
// consumer from pulling the cursor's and the slots' cache lines away from
// the producer between two events and lets it take what arrived meanwhile
// as one batch; a sparse stream, or a request waiting for its reply, is
// polled flat out, so an event that follows a quiet spell is seen at once. The cost is
// latency while a stream is dense: an event may wait up to Poll before its
// consumer sees it. docs/results.md records what the phases and the
// pacing were measured to be worth.
type PhasedBackoffWait struct {
	SpinFor  time.Duration // 0 means 2µs
	YieldFor time.Duration // 0 means 20µs
	Poll     time.Duration // longest pause between checks; 0 means 1µs, at most 1ms
	Fallback WaitStrategy  // nil means BlockingWait
}

// maxPoll caps PhasedBackoffWait.Poll: a pause is spun without looking at
// the wait's exits, so it must stay short for a halt to end the wait
// promptly.
const maxPoll = time.Millisecond

// Wait implements WaitStrategy.
func (s *PhasedBackoffWait) Wait(w *Waiter) (int64, error) {
	spinFor, yieldFor, poll := s.SpinFor, s.YieldFor, s.Poll
	if spinFor <= 0 {
		spinFor = 2 * time.Microsecond
	}
	if yieldFor <= 0 {
		yieldFor = 20 * time.Microsecond
	}
	if poll <= 0 {
		poll = time.Microsecond
	}
	most := hintsFor(min(poll, maxPoll))
	gap := min(max(w.gap, 1), most)
	// The clock is first read at the first check of the exits, not on
	// entry: a reply that comes within a few pauses (a request waiting
	// for its answer) is then taken without reading the clock at all. The
	// phases start up to seven pauses late.
	var start time.Time
	yielding := false
	for i := 0; ; i++ {
		if !yielding {
			pauseFor(gap)
		}
		if a := w.Available(); a >= w.seq {
			if i == 0 && a > w.seq {
				// More than the one event waited for arrived during the
				// pause: a dense stream.
				gap = min(2*gap, most)
			}
			w.gap = gap
			return a, nil
		}
		gap = max(gap/2, 1)
		if gap == 1 && i%8 != 7 {
			continue // flat out: check the clock and the exit conditions now and then
		}
		if err := w.Err(); err != nil {
			w.gap = gap
			return 0, err
		}
		if start.IsZero() {
			start = time.Now()
		}
		el := time.Since(start)
		if el > spinFor+yieldFor {
			break
		}
		if el > spinFor {
			yielding = true // no pauses: another goroutine may need this CPU
			runtime.Gosched()
		}
	}
	w.gap = 1
	if s.Fallback != nil {
		return s.Fallback.Wait(w)
	}
	return (*BlockingWait)(nil).Wait(w)
}

// NewWaitStrategy returns the wait strategy named by kind, with its
// default parameters.
func NewWaitStrategy(kind WaitKind) (WaitStrategy, error) {
	switch kind {
	case WaitBusySpin:
		return &BusySpinWait{}, nil
	case WaitYielding:
		return &YieldingWait{}, nil
	case WaitSleeping:
		return &SleepingWait{}, nil
	case WaitBlocking:
		return &BlockingWait{}, nil
	case WaitTimeoutBlocking:
		return &TimeoutBlockingWait{}, nil
	case WaitPhasedBackoff:
		return &PhasedBackoffWait{}, nil
	}
	return nil, errorf("wait strategy %q is not one of %v", kind, WaitKinds())
}
