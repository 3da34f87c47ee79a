package bus

// fault names one planted bug. Normal builds never plant one
// (fault_off.go); builds with -tags busfault can (fault_on.go).
type fault uint8

const (
	faultNone            fault = iota
	faultClaimNoCAS            // multi-producer claim as load-then-store, not CAS (TryNext) or atomic add (Next)
	faultPublishEarly          // a claim is published before the producer writes the event
	faultWrapOffByOne          // the wrap point is one slot too far: a claim overwrites an unconsumed slot
	faultNoGatingCheck         // claims ignore the gating sequences altogether
	faultMarkZeroBased         // Marks hold seq, not seq+1: a never-written slot 0 reads as published for sequence 0
	faultCloseDropsClaim       // Close releases a producer that claimed and waits for room, its range left unpublished

	// Lifecycle faults, listed by LifecycleFaults in busfault builds.

	faultGateAtStart            // consumers gate the producer only from Start, moved up to the cursor
	faultShutdownIgnoresContext // Shutdown waits for the consumer goroutines past its context
	faultFillPanicUnmarked      // a claim whose fill panicked is published as if it were an event
)
