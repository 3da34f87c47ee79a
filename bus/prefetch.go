package bus

import (
	"runtime"
	"unsafe"
)

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
// So a Bus publish asks for lines ahead of it with a prefetch for write
// (PREFETCHW). A single event that enters a new cache line asks, with one
// producer, for the slots two and three lines ahead (not the next line,
// which a consumer that keeps up may be polling); with several, for the
// slot two lines ahead and the next line of flags. A batch of n events
// asks for as many lines as it spans (at least two, at most
// maxBatchLines), from n slots and two lines past its claim on: lines the
// batch after the next one will write, and with several producers their
// flags too. It is a hint with no effect on memory or on ordering; the
// transfers then overlap with the producers' work instead of stalling
// them. Only lines whose slots every consumer has left (as the cached
// gating sequence shows) are asked for: on a ring that is nearly full
// they are still being read. docs/results.md has the distances tried and
// what each was measured to be worth.

// prefetchFlags is how far ahead of its claim, in flags, a single-event
// multi-producer publish prefetches the flags: one 64-byte line of
// 4-byte flags, which is also how many flags share a line.
const prefetchFlags = 16

// lineShift returns k such that 2^k slots of size bytes fit in a 64-byte
// cache line: 0 for slots of 33 bytes or more.
func lineShift(size uintptr) uint {
	k := uint(0)
	for size <= 32>>k && k < 6 {
		k++
	}
	return k
}

// prefetches reports whether a claim of n slots that ends at hi should
// prefetch the lines ahead (see above): a single event that enters a new
// line, or any batch, on a Bus that prefetches (prefetchOn). It inlines
// into the publish paths, so that the publishes that do not prefetch pay
// no call.
func (b *Bus[T]) prefetches(n int, hi int64) bool {
	return b.prefetch && (n > 1 || hi&(int64(1)<<b.shift-1) == 0)
}

// prefetchOn reports whether a Bus created now prefetches: where the CPU
// has the instruction, and GOMAXPROCS lets its producers and consumers
// run on different cores. With one P there are no transfers between
// cores to hide, and the prefetches measured a cost (docs/results.md).
func prefetchOn() bool {
	return hasPrefetchW && runtime.GOMAXPROCS(0) > 1
}

// prefetchClaim prefetches, for writing, the lines ahead of the claim of
// n slots that ends at hi, those whose slots the consumers have left.
func (b *Bus[T]) prefetchClaim(n int, hi int64) {
	line := int64(1) << b.shift
	var gating int64
	if b.mp != nil {
		gating = b.mp.cachedGating.Load()
	} else {
		gating = b.sp.cached
	}
	if n > 1 {
		first, lines, flagLines, ok := batchLines(n, hi, b.core.size, gating, b.shift)
		if !ok {
			return
		}
		i := first & b.ring.mask
		prefetchWLines(unsafe.Pointer(&b.ring.entries[i]), uintptr(line)*unsafe.Sizeof(b.ring.entries[0]), int(lines))
		if b.mp != nil {
			prefetchWLines(unsafe.Pointer(&b.mp.avail[i]), prefetchFlags*unsafe.Sizeof(b.mp.avail[0]), int(flagLines))
		}
		return
	}
	if b.mp != nil {
		if hi+max(2*line, prefetchFlags)-b.core.size <= gating {
			prefetchW(unsafe.Pointer(b.ring.Get(hi+2*line)), unsafe.Pointer(&b.mp.avail[(hi+prefetchFlags)&b.mp.mask]))
		}
		return
	}
	if hi+3*line-b.core.size <= gating {
		prefetchW(unsafe.Pointer(b.ring.Get(hi+2*line)), unsafe.Pointer(b.ring.Get(hi+3*line)))
	}
}

// batchLines returns what a batch claim of n slots that ends at hi
// prefetches, on a ring of size slots with 2^shift slots a line: from
// the slot of sequence first (n slots and two lines past hi), lines lines
// of slots and, on a multi-producer ring, flagLines lines of their flags
// (prefetchFlags a line). lines is at least two and at most
// maxBatchLines, and fewer where the ring's end comes first: the claims
// after it prefetch afresh. ok is false when the consumers, whose slowest
// has reached gating, have not left every slot of those lines.
func batchLines(n int, hi, size, gating int64, shift uint) (first, lines, flagLines int64, ok bool) {
	line := int64(1) << shift
	lines = min(max(int64(n)>>shift, 2), maxBatchLines)
	first = hi + int64(n) + 2*line
	ok = first+lines*line-1-size <= gating
	i := first & (size - 1)
	lines = min(lines, (size-i+line-1)>>shift)
	slots := min(lines*line, size-i)
	return first, lines, (slots + prefetchFlags - 1) / prefetchFlags, ok
}

// maxBatchLines is the most lines a batch publish prefetches.
const maxBatchLines = 8
