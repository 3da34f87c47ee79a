package bus

import (
	"testing"
	"unsafe"
)

func TestArenaPlacesSequencesPadApart(t *testing.T) {
	for _, pad := range []int{64, 128, 256} {
		a := newSeqArena(pad)
		var prev uintptr
		for i := 0; i < 3*seqsPerChunk; i++ {
			s := a.next()
			addr := uintptr(unsafe.Pointer(s))
			if addr%uintptr(pad) != 0 {
				t.Fatalf("pad %d: sequence %d at %#x is not %d-byte aligned", pad, i, addr, pad)
			}
			if s.Load() != InitialSequence {
				t.Fatalf("pad %d: new sequence holds %d", pad, s.Load())
			}
			// Within a chunk the next sequence is exactly pad bytes on.
			if i%seqsPerChunk != 0 && addr-prev != uintptr(pad) {
				t.Fatalf("pad %d: sequences %d and %d are %d bytes apart", pad, i-1, i, addr-prev)
			}
			// Leading and trailing pad stay inside the chunk.
			start := uintptr(unsafe.Pointer(&a.chunk[0]))
			end := start + uintptr(len(a.chunk))*8
			if addr-start < uintptr(pad) || end-addr < uintptr(2*pad) {
				t.Fatalf("pad %d: sequence at offset %d of a %d-byte chunk lacks padding", pad, addr-start, end-start)
			}
			prev = addr
		}
	}
}

func TestArenaPadZeroPacksSequences(t *testing.T) {
	a := newSeqArena(0)
	s1, s2 := a.next(), a.next()
	if d := uintptr(unsafe.Pointer(s2)) - uintptr(unsafe.Pointer(s1)); d != 8 {
		t.Fatalf("pad 0 sequences are %d bytes apart, want 8", d)
	}
}

func TestProducerFieldsAreIsolated(t *testing.T) {
	var s SingleProducerSequencer
	off := unsafe.Offsetof(s.next)
	if off < unsafe.Offsetof(s.sequencerCore)+unsafe.Sizeof(s.sequencerCore)+maxPad {
		t.Fatalf("producer fields at offset %d share a line with the shared fields", off)
	}
	if unsafe.Offsetof(s.waiter)-unsafe.Offsetof(s.cached) < maxPad {
		t.Fatal("producer fields are not padded after")
	}
}
