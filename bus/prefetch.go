package bus

import "unsafe"

// A multi-producer claim is a locked instruction on the cursor (a
// compare-and-swap, or Next's atomic add), and on amd64 a locked
// instruction first waits for every earlier store of its core to reach
// the cache: the previous publish's slot and flag. Those stores go to
// lines the consumer read last, a lap ago for a slot and moments ago for
// a flag, so each waits for its line to come back from the consumer's
// core, and the claim waits with them: one core-to-core transfer per
// line, taken serially. A single-producer publish has no locked
// instruction, but its stores to slots the consumer read a lap ago queue
// up in the store buffer the same way, one transfer each.
//
// So a Bus publish, once it has claimed, asks for lines ahead of its
// claim with a prefetch for write (PREFETCHW): one producer, the slots
// two and three cache lines ahead (not the next line, which a consumer
// that keeps up may be polling); several, the slot two lines ahead and
// the next line of flags. It is a hint with no effect on memory or on
// ordering; the transfers then overlap with the producers' work instead
// of stalling them. docs/results.md has the distances tried and what
// each was measured to be worth.

// prefetchFlags is how far ahead of its claim, in flags, a multi-producer
// publish prefetches the flags: one 64-byte line of 4-byte flags.
const prefetchFlags = 16

// lineSlots returns how many slots of size bytes share a 64-byte cache
// line: at least 1.
func lineSlots(size uintptr) int64 {
	return int64(max(64/max(size, 1), 1))
}

// prefetchClaim prefetches, for writing, the lines ahead of a claim that
// ends at hi (see above), where the CPU has the instruction.
func (b *Bus[T]) prefetchClaim(hi int64) {
	if !hasPrefetchW {
		return
	}
	if b.mp != nil {
		prefetchW(unsafe.Pointer(b.ring.Get(hi+2*b.line)), unsafe.Pointer(&b.mp.avail[(hi+prefetchFlags)&b.mp.mask]))
		return
	}
	prefetchW(unsafe.Pointer(b.ring.Get(hi+2*b.line)), unsafe.Pointer(b.ring.Get(hi+3*b.line)))
}
