package bus

import "sync"

// The sequencers publish with release stores where the hardware allows
// it: the single-producer sequencer its cursor, the multi-producer one
// each slot's flag. On amd64 that is a plain MOV, which the CPU's store
// buffer absorbs, where Go's atomic store is an XCHG that waits for the
// buffer to drain and for the cache line to come back from the cores
// polling it. A release store keeps the one ordering consumers rely on
// (everything written before Publish is visible to a WaitFor that sees
// the published sequence), but it lets the producer's later loads pass
// the store. Two places need that store followed by a load to stay in
// order, each pairing the producer with a rare, slow operation:
//
//   - a consumer that parks increments the waiter count and re-reads the
//     cursor (or the flags), while the producer publishes and then reads
//     the waiter count to decide whether to wake anyone;
//   - Close raises the closed flag and (in Bus.Shutdown) reads the cursor,
//     while the producer publishes and then reads the closed flag.
//
// Both slow sides run an asymmetric fence (Linux membarrier, private
// expedited) between their store and their load: it makes every running
// thread of the process execute a full memory barrier, so the producer's
// publish is either visible to the slow side's load, or was not yet made
// when the barrier hit, in which case the producer's own later load sees
// the slow side's store. Where the fence is not available (other systems,
// a kernel or sandbox without membarrier, the race detector), publishing
// uses Go's sequentially consistent store and the fence is not needed.

var (
	fenceOnce sync.Once
	fenceOK   bool
)

// relaxedPublishing reports whether this process publishes with release
// stores: the platform has them and the asymmetric fence registered.
func relaxedPublishing() bool {
	fenceOnce.Do(func() { fenceOK = relaxedStoreSupported && registerFence() })
	return fenceOK
}
