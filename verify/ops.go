package verify

import (
	"cmp"
	"fmt"
	"slices"

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
	// Held bounds how many slots claims may hold, at one time, while they
	// wait for room: the multi-producer Next claims with one atomic add
	// and then waits, so a TryNext may find the ring full because of
	// claims the claim model has not linearized yet (a claim linearizes
	// once it has room). A failed TryNext is judged against the claimed
	// prefix plus Held. RecordSequencer sets it to (Producers-1) ×
	// MaxBatch for the multi-producer sequencer (each other producer
	// holds at most one claim), and 0 for one producer, where a failed
	// TryNext is judged exactly.
	Held int64
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

// cop is one recorded operation in compact form: 40 bytes and no
// pointers, so an open round is one allocation the garbage collector need
// not scan. A round becomes porcupine.Operations (two boxed values each)
// only while it is checked.
type cop struct {
	call, ret int64
	// a and b are, by kind: Claim the claimed Lo and Hi; Publish Lo and
	// Hi; Observe Seq and the answer Hi; Advance Seq; Handle Seq and the
	// value read.
	a, b   int64
	client uint16
	n      uint16 // Claim: slots asked for
	kind   Kind
	cons   uint8 // Observe, Advance, Handle: the consumer
	try    bool  // Claim: TryNext
	full   bool  // Claim: TryNext found no room
}

func (o *cop) input() Input {
	in := Input{Kind: o.kind, Consumer: int(o.cons)}
	switch o.kind {
	case Claim:
		in.N, in.Try = int(o.n), o.try
	case Publish:
		in.Lo, in.Hi = o.a, o.b
	default:
		in.Seq = o.a
	}
	return in
}

func (o *cop) output() Output {
	switch o.kind {
	case Claim:
		if o.full {
			return Output{Full: true}
		}
		return Output{Lo: o.a, Hi: o.b}
	case Observe:
		return Output{Hi: o.b}
	case Handle:
		return Output{Val: o.b}
	}
	return Output{}
}

func (o *cop) operation() porcupine.Operation {
	return porcupine.Operation{ClientId: int(o.client), Input: o.input(), Call: o.call, Output: o.output(), Return: o.ret}
}

// seq is the sequence the operation is about, for ordering a round's
// effects.
func (o *cop) seq() int64 {
	if o.kind == Claim {
		return o.b
	}
	return o.a
}

// compact encodes op, whose Input and Output hold an Input and an Output.
// Consumer numbers above 255 and claims above 65535 slots do not fit; no
// recorder makes them.
func compact(op porcupine.Operation) cop {
	in, out := asIn(op.Input), asOut(op.Output)
	o := cop{call: op.Call, ret: op.Return, client: uint16(op.ClientId), kind: in.Kind, cons: uint8(in.Consumer)}
	switch in.Kind {
	case Claim:
		o.n, o.try, o.full, o.a, o.b = uint16(in.N), in.Try, out.Full, out.Lo, out.Hi
	case Publish:
		o.a, o.b = in.Lo, in.Hi
	case Observe:
		o.a, o.b = in.Seq, out.Hi
	case Handle:
		o.a, o.b = in.Seq, out.Val
	default:
		o.a = in.Seq
	}
	return o
}

func operations(ops []cop) []porcupine.Operation {
	out := make([]porcupine.Operation, len(ops))
	for i := range ops {
		out[i] = ops[i].operation()
	}
	return out
}

// recorder collects one goroutine's operations without locks.
type recorder struct {
	client uint16
	ops    []cop
}

func (r *recorder) add(o cop) {
	o.client = r.client
	r.ops = append(r.ops, o)
}

// mergeOps returns the operations of rs sorted by call time and empties
// the recorders (keeping their buffers). Every goroutine that records into
// rs must be stopped, or must not record until the caller's next
// synchronization with it.
func mergeOps(rs []*recorder) []cop {
	n := 0
	for _, r := range rs {
		n += len(r.ops)
	}
	out := make([]cop, 0, n)
	for _, r := range rs {
		out = append(out, r.ops...)
		r.ops = r.ops[:0]
	}
	slices.SortFunc(out, func(a, b cop) int { return cmp.Compare(a.call, b.call) })
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
