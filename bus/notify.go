package bus

import (
	"sync"
	"sync/atomic"
)

// notifier wakes goroutines parked by a blocking wait. Publishers and
// consumers check waiters with one atomic load after advancing a sequence
// and take the lock only when somebody is parked, so a bus whose waits
// never park pays one load per publish and nothing more.
//
// No wake-up is lost: a parker increments waiters and then re-reads the
// sequence it waits on; an advancer stores the sequence and then reads
// waiters. Go's atomics are sequentially consistent, so at least one of the
// two sees the other's write. Where producers publish with release stores
// instead (fence is set; see fence.go), a parker that waits on what they
// publish (the cursor, or a multi-producer ring's flags) runs an
// asymmetric fence between its increment and its re-read, which restores
// the same guarantee. Parkers that wait on consumers' sequences (stored
// sequentially consistently) need no fence.
//
// A parked goroutine takes a while to be scheduled and unpark, and every
// advance meanwhile would take the lock to send it a wake-up it already
// has. So wakeAll, having sent one to every parked goroutine, sets woken,
// and wake skips wakeAll while it is set; park clears it (under the lock,
// after registering, before incrementing waiters). An advancer that reads
// woken set therefore read it after the wakeAll that set it, which took
// the lock after every parker whose clearing it could have missed had
// registered: each of those holds a wake-up, and re-checks its sequence
// after it (a parker that then misses the advance parks again, clearing
// woken first, and the argument above applies to its re-read).
type notifier struct {
	fence   bool // the cursor or the flags are published with release stores (next to waiters, which Publish reads too); set at construction
	waiters atomic.Int32
	woken   atomic.Bool // every parked goroutine has been sent a wake-up since the last park
	mu      sync.Mutex
	parked  []chan struct{}
}

// parkFence is heavyFence, in a variable so that a test can plant the bug
// of leaving it out (see TestBlockingWaitLosesNoWakeUp).
var parkFence = heavyFence

// parkClear is clearWoken, in a variable so that a test can plant the bug
// of leaving it out (see TestStaleWokenLosesWakeUps).
var parkClear = clearWoken

func clearWoken(n *notifier) { n.woken.Store(false) }

// park registers c to be woken. onCursor says the parker waits on what
// producers publish (the cursor or the flags), and so may need the fence.
func (n *notifier) park(c chan struct{}, onCursor bool) {
	n.mu.Lock()
	n.parked = append(n.parked, c)
	parkClear(n)
	n.mu.Unlock()
	n.waiters.Add(1)
	if n.fence && onCursor {
		parkFence()
	}
}

func (n *notifier) unpark(c chan struct{}) {
	n.waiters.Add(-1)
	n.mu.Lock()
	for i, p := range n.parked {
		if p == c {
			last := len(n.parked) - 1
			n.parked[i] = n.parked[last]
			n.parked[last] = nil
			n.parked = n.parked[:last]
			break
		}
	}
	n.mu.Unlock()
}

// wake wakes every parked goroutine if there is any that has not been sent
// a wake-up since it parked. It is the only part of the wait machinery on
// the publish path: one load when nobody is parked, two while the parked
// goroutines have yet to run.
func (n *notifier) wake() {
	if n.waiters.Load() != 0 {
		n.wakeUnwoken()
	}
}

// wakeUnwoken is wake's slow path. It is kept out of line so that wake
// inlines into the publish paths (go build -gcflags=-m=2).
//
//go:noinline
func (n *notifier) wakeUnwoken() {
	if !n.woken.Load() {
		n.wakeAll()
	}
}

func (n *notifier) wakeAll() {
	n.mu.Lock()
	for _, c := range n.parked {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	n.woken.Store(true)
	n.mu.Unlock()
}

// alert is a one-way flag with a channel closed when it is raised, so that
// spinning waits poll the flag and parked waits select on the channel.
type alert struct {
	raised atomic.Bool
	once   sync.Once
	ch     chan struct{}
}

func newAlert() *alert { return &alert{ch: make(chan struct{})} }

func (a *alert) raise() {
	a.once.Do(func() {
		a.raised.Store(true)
		close(a.ch)
	})
}

func (a *alert) isRaised() bool { return a.raised.Load() }
