package bus

import (
	"testing"
	"unsafe"
)

// TestProcessorLayout guards the size of BatchEventProcessor. The
// processor writes cur and sink on every event; Go's allocator places
// objects of one size class at multiples of that size from a page
// boundary, so a size that is a multiple of a 64-byte line keeps those
// writes off the lines of the next object, often the processor of a
// parallel consumer, which reads its own fields on every batch. The
// figures that showed it are in docs/results.md. It holds for 32-bit
// pointers too (processorPad).
func TestProcessorLayout(t *testing.T) {
	if got := unsafe.Sizeof(BatchEventProcessor[int64]{}); got%64 != 0 || got > 128 {
		t.Errorf("BatchEventProcessor occupies %d bytes, want 128 (or another multiple of 64 no larger)", got)
	}
}
