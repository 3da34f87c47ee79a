package bus

import "unsafe"

// Ring is a preallocated, fixed-size ring of events of type T, indexed by
// sequence number. Its size is a power of two, so the slot of a sequence is
// seq & (size-1). Events live in the ring and are written and read in place
// through pointers: nothing is copied through an interface and nothing is
// allocated after NewRing.
//
// A Ring does no synchronization of its own: a sequencer's Publish
// synchronizes before any barrier WaitFor that observes it, which is what
// makes a producer's writes to a slot visible to its consumers.
type Ring[T any] struct {
	mask    int64
	entries []T
}

// NewRing returns a ring of size events, each the zero value of T. size
// must be a power of two between 1 and 2^30, and the slots may take at
// most MaxRingBytes(). The ring's storage is padded
// with pad bytes on each side (one of ValidPads), so that the first and
// last slots share no cache line with other objects.
func NewRing[T any](size, pad int) (*Ring[T], error) {
	if err := checkRingSize(size); err != nil {
		return nil, errorf("NewRing: %v", err)
	}
	if err := checkPad(pad); err != nil {
		return nil, errorf("NewRing: %v", err)
	}
	var zero T
	if err := checkRingBytes(size, int64(unsafe.Sizeof(zero)), 0); err != nil {
		return nil, errorf("NewRing: %v", err)
	}
	return newRing[T](size, pad), nil
}

// newRing is NewRing for a size and pad already checked.
func newRing[T any](size, pad int) *Ring[T] {
	var zero T
	padEntries := 0
	if sz := int(unsafe.Sizeof(zero)); sz > 0 {
		padEntries = (pad + sz - 1) / sz
	}
	all := make([]T, size+2*padEntries)
	return &Ring[T]{mask: int64(size - 1), entries: all[padEntries : padEntries+size : padEntries+size]}
}

// Get returns a pointer to the slot for sequence seq. The pointer stays
// valid for the life of the ring; the slot is reused by seq+Size().
func (r *Ring[T]) Get(seq int64) *T { return &r.entries[seq&r.mask] }

// Size returns the number of slots.
func (r *Ring[T]) Size() int { return len(r.entries) }

// Fill calls fn on every slot, for preallocating what events point to
// (buffers, maps) before the bus starts.
func (r *Ring[T]) Fill(fn func(*T)) {
	for i := range r.entries {
		fn(&r.entries[i])
	}
}
