package bus

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// InitialSequence is the value a new Sequence holds: nothing has been
// claimed, published or processed yet. The first sequence number is 0.
const InitialSequence int64 = -1

// Sequence is an int64 counter read and written by different goroutines:
// a sequencer's cursor, or a consumer's progress. The zero value holds 0 and
// is usable, but is not padded; NewSequence and the sequencers hand out
// sequences that sit alone on their cache lines, which is what keeps the
// producer's and consumers' counters from sharing a line.
//
// A Store synchronizes before any Load that observes the stored value.
type Sequence struct {
	v atomic.Int64
}

// Load returns the current value.
func (s *Sequence) Load() int64 { return s.v.Load() }

// Store sets the value.
func (s *Sequence) Store(v int64) { s.v.Store(v) }

// CompareAndSwap sets the value to new if it is old, and reports whether it did.
func (s *Sequence) CompareAndSwap(old, new int64) bool { return s.v.CompareAndSwap(old, new) }

// Add adds delta to the value and returns the new value, as one atomic
// read-modify-write: concurrent Adds never lose an update.
func (s *Sequence) Add(delta int64) int64 { return s.v.Add(delta) }

// NewSequence returns a sequence holding InitialSequence, alone on a block
// of pad bytes with pad bytes of padding on each side. pad must be one of
// ValidPads; 0 gives an unpadded sequence.
func NewSequence(pad int) (*Sequence, error) {
	if err := checkPad(pad); err != nil {
		return nil, errorf("NewSequence: %v", err)
	}
	a := newSeqArena(pad)
	return a.next(), nil
}

// minSequence returns the smallest value among seqs, or dflt when seqs is empty.
func minSequence(seqs []*Sequence, dflt int64) int64 {
	m := dflt
	for _, s := range seqs {
		if v := s.Load(); v < m {
			m = v
		}
	}
	return m
}

// seqArena hands out sequences laid out pad bytes apart. With pad 0 they
// are packed 8 bytes apart, so that consecutive sequences share a cache
// line: that layout exists to show what false sharing costs.
//
// Each chunk is one allocation of Sequence values. The first handed-out
// sequence of a chunk is placed at an address that is a multiple of pad,
// with at least pad bytes of the chunk before it and after the last one,
// so no other allocation shares its pad-sized block. Go's heap does not
// move objects, so an address-based alignment stays valid.
type seqArena struct {
	mu    sync.Mutex
	pad   int
	chunk []Sequence
	used  int // sequences handed out from chunk
	first int // index in chunk of the first sequence
}

const seqsPerChunk = 8

func newSeqArena(pad int) *seqArena { return &seqArena{pad: pad} }

func (a *seqArena) next() *Sequence {
	a.mu.Lock()
	defer a.mu.Unlock()
	stride := a.pad / 8
	if stride == 0 {
		stride = 1
	}
	if a.chunk == nil || a.used == seqsPerChunk {
		if a.pad == 0 {
			a.chunk = make([]Sequence, seqsPerChunk)
			a.first = 0
		} else {
			// One block of leading pad, up to one block to reach alignment,
			// the sequences, and one block of trailing pad.
			a.chunk = make([]Sequence, stride*(seqsPerChunk+3))
			addr := uintptr(unsafe.Pointer(&a.chunk[0]))
			skew := int(addr % uintptr(a.pad)) // bytes past the last pad boundary
			a.first = stride                   // leading pad block
			if skew != 0 {
				a.first += (a.pad - skew) / 8
			}
		}
		a.used = 0
	}
	s := &a.chunk[a.first+a.used*stride]
	a.used++
	s.Store(InitialSequence)
	return s
}
