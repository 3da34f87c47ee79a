package bus

import (
	"sync/atomic"
	"unsafe"
)

// Mark, embedded in an event type, makes a single-producer Bus publish
// each event through its own slot: Publish writes the event's sequence
// into its Mark, in the cache line the event's fields are in, and
// consumers that follow the producer read the Marks of the slots they
// wait for instead of the sequencer's cursor. A hand-off then moves one
// cache line from the producer's core to the consumer's (the slot) where
// the cursor protocol moves two (the cursor, then the slot), which is
// what a ping-pong's round trip is made of; in exchange, a consumer
// catching up reads one Mark per event instead of the cursor once per
// batch. The cursor is still published, after the Marks, for Shutdown,
// Stats and Cursor. A multi-producer bus ignores Marks: its consumers
// read its availability flags.
//
// The Mark belongs to the bus: handlers and fill functions must not write
// it (assigning a whole event does: assign its fields instead). Embed
// Mark itself, not a pointer to one; New refuses a *Mark. A Publish
// synchronizes before every WaitFor (and Poll) that sees its Mark, as it
// does with the cursor.
type Mark struct {
	seq atomic.Int64 // the slot's last published sequence plus one; 0 before the first
}

func (m *Mark) busMark() *Mark { return m }

// marker is implemented by pointers to event types that embed Mark.
type marker interface{ busMark() *Mark }

// marks locates the Mark in each slot of a ring whose events embed one.
type marks struct {
	base   unsafe.Pointer // the ring's first slot
	stride uintptr        // the size of a slot
	off    uintptr        // the Mark's offset in a slot
	mask   int64
	limit  int64 // the most Marks one look reads (see highest)
}

// maxMarkScan bounds the Marks one look at a marked ring reads: a
// consumer far behind takes its backlog in batches of at most this many
// events, each found by reading their Marks once.
const maxMarkScan = 1024

// marksOf returns the marks of r, nil if T does not embed Mark, or an
// error if T embeds a *Mark.
func marksOf[T any](r *Ring[T]) (*marks, error) {
	var zero T
	mk, ok := any(&zero).(marker)
	if !ok {
		return nil, nil
	}
	start, size := uintptr(unsafe.Pointer(&zero)), unsafe.Sizeof(zero)
	at := uintptr(unsafe.Pointer(mk.busMark()))
	if at < start || at >= start+size {
		return nil, errorf("the event type embeds a *Mark: embed a Mark")
	}
	return &marks{
		base:   unsafe.Pointer(&r.entries[0]),
		stride: size,
		off:    at - start,
		mask:   r.mask,
		limit:  min(r.mask+1, maxMarkScan),
	}, nil
}

// at returns the Mark of seq's slot.
func (m *marks) at(seq int64) *atomic.Int64 {
	return (*atomic.Int64)(unsafe.Add(m.base, uintptr(seq&m.mask)*m.stride+m.off))
}

// highest returns the highest sequence h such that seq..h are all
// published, or seq-1, reading at most limit Marks.
func (m *marks) highest(seq int64) int64 {
	s, end := seq, seq+m.limit
	for s < end && m.at(s).Load() == markOf(s) {
		s++
	}
	return s - 1
}

// publish marks lo..hi published, with release stores where release
// says so (see fence.go).
func (m *marks) publish(lo, hi int64, release bool) {
	for s := lo; s <= hi; s++ {
		if release {
			storeRelease64(m.at(s), markOf(s))
		} else {
			m.at(s).Store(markOf(s))
		}
	}
}

// markOf returns what the Mark of a published seq holds: seq+1, so that a
// slot never written (a zero Mark) is not taken for sequence 0. The
// mark-zero-based fault (busfault builds) makes it seq, and falls into
// that trap.
func markOf(seq int64) int64 {
	if faultsEnabled && faultActive(faultMarkZeroBased) {
		return seq
	}
	return seq + 1
}
