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
// instruction, and its store buffer hides the same transfers.
//
// So a multi-producer Bus publish, once it has claimed, asks for the
// lines of a slot and of a flag a little ahead of its claim with a
// prefetch for write (PREFETCHW). It is a hint with no effect on memory
// or on ordering; the transfers then overlap with the producers' work
// instead of stalling their claims. docs/results.md has the distances
// tried and what each was measured to be worth.

// prefetchBytes is how far ahead of its claim, in bytes of slots, a
// multi-producer publish prefetches: two cache lines.
const prefetchBytes = 128

// prefetchFlags is how far ahead, in flags, it prefetches the flags: one
// 64-byte line of 4-byte flags.
const prefetchFlags = 16

// prefetchAhead returns how many slots of size bytes make prefetchBytes.
func prefetchAhead(size uintptr) int64 {
	return int64(max(prefetchBytes/max(size, 1), 1))
}

// prefetchClaim prefetches, for writing, the slot ahead slots after hi
// and the flag prefetchFlags after it, where the CPU has the instruction.
func (b *Bus[T]) prefetchClaim(hi int64) {
	if hasPrefetchW {
		prefetchW(unsafe.Pointer(b.ring.Get(hi+b.ahead)), unsafe.Pointer(&b.mp.avail[(hi+prefetchFlags)&b.mp.mask]))
	}
}
