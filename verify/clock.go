package verify

import "sync/atomic"

// Clock is a logical clock for recording histories: every Tick returns a
// number larger than any Tick that happened before it. The zero value is
// ready to use.
//
// Ticks come from one atomic counter, and Go's atomic operations are
// sequentially consistent, so if operation A's closing Tick returned before
// operation B's opening Tick was taken, A's timestamps are smaller than
// B's on every architecture. Wall-clock time gives no such guarantee on
// weakly ordered CPUs (two cores' reads of a clock may be reordered with
// the memory accesses around them), which turns into false violations on
// ARM64.
type Clock struct {
	n atomic.Int64
}

// Tick returns the next timestamp.
func (c *Clock) Tick() int64 { return c.n.Add(1) }
