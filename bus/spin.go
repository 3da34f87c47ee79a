package bus

import (
	"sync"
	"time"
)

// A spinning wait polls a sequence and then pauses before polling again.
// The pause matters more than it seems: every poll pulls the cache line of
// the sequence to the waiting core, so the next store to it (a publish, a
// consumer's progress) stalls on a transfer between cores. A consumer that
// polls flat out makes its producer pay one such transfer per event; one
// that pauses lets the producer run on a line it owns and then takes the
// events it published meanwhile as one batch.
//
// spinPause(n) executes the CPU's spin-wait hint n times (PAUSE on amd64,
// YIELD on arm64, a short loop elsewhere). How long one hint takes differs
// widely between CPUs (docs/results.md has figures), so waits are given in
// time and turned into a count of hints by a calibration made once per
// process.

var (
	hintOnce  sync.Once
	hint16ths int64 // measured duration of one spin hint, in 16ths of a nanosecond, at least 1
)

// maxPerCall bounds the hints of one spinPause call, so that each call is
// short (an assembly call is not preempted).
const maxPerCall = 1 << 10

func calibrateHint() {
	// Double the count until a run takes long enough to time well, twice:
	// the first pass may include warming up (an emulator translating the
	// code, cold caches). Then keep the fastest of a few runs, since any
	// run may be stretched by preemption.
	var n int
	for pass := 0; pass < 2; pass++ {
		n = 64
		for timeHints(n) < 20*time.Microsecond && n < 1<<22 {
			n *= 2
		}
	}
	best := timeHints(n)
	for i := 0; i < 3; i++ {
		best = min(best, timeHints(n))
	}
	hint16ths = max(1, int64(best)*16/int64(n))
}

// timeHints returns how long n spin hints take.
func timeHints(n int) time.Duration {
	t := time.Now()
	pauseFor(n)
	return time.Since(t)
}

// hintsFor returns how many spin hints take about d, at least 1.
func hintsFor(d time.Duration) int {
	hintOnce.Do(calibrateHint)
	return int(max(1, int64(d)*16/hint16ths))
}

// pauseFor spins n hints, in bounded calls.
func pauseFor(n int) {
	for n > 0 {
		k := min(n, maxPerCall)
		spinPause(k)
		n -= k
	}
}
