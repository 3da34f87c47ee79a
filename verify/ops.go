package verify

import (
	"fmt"
	"sort"

	"github.com/anishathalye/porcupine"
)

// Kind says which operation an Input records.
type Kind uint8

// The operations a history holds.
const (
	// Claim is a sequencer's Next (Try false) or TryNext (Try true) of N
	// slots; its Output holds Lo and Hi, or Full when TryNext reported
	// ErrInsufficientCapacity.
	Claim Kind = iota + 1
	// Publish makes Lo..Hi available (a sequencer's Publish, or a Bus
	// publish whose fill saw Lo..Hi).
	Publish
	// Observe is a consumer asking its barrier how far, from Seq on, the
	// events are available; Output.Hi is the answer (Seq-1 for none).
	Observe
	// Advance is consumer Consumer storing Seq into its gating sequence.
	Advance
	// Handle is consumer Consumer reading the event at Seq; Output.Val is
	// the payload it read.
	Handle
)

// String returns the operation's name: claim, publish, observe, advance
// or handle.
func (k Kind) String() string {
	switch k {
	case Claim:
		return "claim"
	case Publish:
		return "publish"
	case Observe:
		return "observe"
	case Advance:
		return "advance"
	case Handle:
		return "handle"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Input is the call half of a recorded operation: what was asked.
type Input struct {
	Kind     Kind
	Consumer int   // Advance, Handle: the consumer's index
	N        int   // Claim: slots asked for
	Try      bool  // Claim: TryNext rather than Next
	Lo, Hi   int64 // Publish: the range
	Seq      int64 // Observe: first sequence wanted; Advance, Handle: the sequence
}

// Output is the return half of a recorded operation: what came back.
type Output struct {
	Lo, Hi int64 // Claim: the claimed range; Observe: Hi is the highest available
	Full   bool  // Claim: TryNext failed for want of capacity
	Val    int64 // Handle: the payload read
}

// Payload is the value a recorder's producer writes into the event at seq
// and a consumer must read back. It is never 0 (a slot never written) and
// differs from the payload of the same slot on other laps of any ring.
func Payload(seq int64) int64 { return seq*2 + 1 }

func describeOp(in, out any) string {
	i, o := asIn(in), asOut(out)
	switch i.Kind {
	case Claim:
		name := "Next"
		if i.Try {
			name = "TryNext"
		}
		if o.Full {
			return fmt.Sprintf("%s(%d) -> full", name, i.N)
		}
		return fmt.Sprintf("%s(%d) -> %d..%d", name, i.N, o.Lo, o.Hi)
	case Publish:
		return fmt.Sprintf("Publish(%d..%d)", i.Lo, i.Hi)
	case Observe:
		return fmt.Sprintf("c%d Available(%d) -> %d", i.Consumer, i.Seq, o.Hi)
	case Advance:
		return fmt.Sprintf("c%d Advance(%d)", i.Consumer, i.Seq)
	case Handle:
		return fmt.Sprintf("c%d Handle(%d) -> %d", i.Consumer, i.Seq, o.Val)
	}
	return fmt.Sprintf("%v -> %v", i, o)
}

// History is a recorded run: operations with logical timestamps from one
// Clock, plus what the recorder noticed outside any operation.
type History struct {
	// Ops are the operations; Input and Output hold an Input and an Output.
	Ops []porcupine.Operation
	// RingSize is the ring size of the recorded bus.
	RingSize int64
	// Consumers is how many consumers (gating or handling) took part.
	Consumers int
	// Deps lists, for consumer i, the consumers it runs after (a pipeline).
	Deps [][]int
	// Pool lists the consumers that form a worker pool (each event is
	// handled by exactly one of them); they are absent from the per
	// consumer delivery checks.
	Pool []int
	// Published is how many events were published, the count every
	// consumer (and the pool as a whole) must handle.
	Published int64
	// Faults are errors the recorder saw: a consumer stalled with events
	// published, an operation that returned an unexpected error.
	Faults []string
}

// recorder collects one goroutine's operations without locks.
type recorder struct {
	clk    *Clock
	client int
	ops    []porcupine.Operation
}

func (r *recorder) add(call int64, in Input, out Output, ret int64) {
	r.ops = append(r.ops, porcupine.Operation{ClientId: r.client, Input: in, Call: call, Output: out, Return: ret})
}

func mergeOps(rs []*recorder) []porcupine.Operation {
	n := 0
	for _, r := range rs {
		n += len(r.ops)
	}
	out := make([]porcupine.Operation, 0, n)
	for _, r := range rs {
		out = append(out, r.ops...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Call < out[j].Call })
	return out
}

// asIn and asOut read an operation's halves; a nil Output (an operation
// recorded without one) reads as the zero Output.
func asIn(v any) Input {
	in, _ := v.(Input)
	return in
}

func asOut(v any) Output {
	out, _ := v.(Output)
	return out
}
