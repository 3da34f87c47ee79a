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
// two sees the other's write. Where the producer publishes the cursor with
// a release store instead (fence is set; see fence.go), a parker that
// waits on the cursor runs an asymmetric fence between its increment and
// its re-read, which restores the same guarantee. Parkers that wait on
// consumers' sequences (stored sequentially consistently) need no fence.
type notifier struct {
	fence   bool // the cursor is published with release stores (next to waiters, which Publish reads too); set at construction
	waiters atomic.Int32
	mu      sync.Mutex
	parked  []chan struct{}
}

// parkFence is heavyFence, in a variable so that a test can plant the bug
// of leaving it out (see TestBlockingWaitLosesNoWakeUp).
var parkFence = heavyFence

// park registers c to be woken. onCursor says the parker waits on the
// cursor, and so may need the fence.
func (n *notifier) park(c chan struct{}, onCursor bool) {
	n.mu.Lock()
	n.parked = append(n.parked, c)
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

// wake wakes every parked goroutine if there is any. It is the only part of
// the wait machinery on the publish path.
func (n *notifier) wake() {
	if n.waiters.Load() != 0 {
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
