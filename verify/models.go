package verify

import (
	"fmt"
	"math"
	"strings"

	"github.com/anishathalye/porcupine"
)

// MaxConsumers is the most gating consumers a claim history may hold.
const MaxConsumers = 8

// MaxProducers is the most producers a recorded history may hold. A seqSet
// holds one run of members above its contiguous prefix per producer (see
// seqSet), so this bounds its size.
const MaxProducers = 8

// maxSpans is how many runs of members above its contiguous prefix a
// seqSet can hold. Each run is preceded by a hole: a range claimed and not
// yet published (or, in a worker pool, taken and not yet handled). A
// producer publishes its claims in order and claims again only after it
// published, so in any order consistent with real time each producer (or
// worker) leaves at most one hole, whatever the ring size.
const maxSpans = MaxProducers

// span is the run of sequences Lo..Hi.
type span struct{ Lo, Hi int64 }

// seqSet is a set of sequences: everything up to W, plus the runs Spans[:N]
// above it, sorted, disjoint, neither adjacent to each other nor to W, with
// the unused entries zero. It is comparable (two equal sets are ==), so
// model states built from it work with porcupine's == fallback. It
// occupies 144 bytes.
type seqSet struct {
	W     int64
	N     int
	Spans [maxSpans]span
}

func newSeqSet() seqSet { return seqSet{W: -1} }

func (s seqSet) has(seq int64) bool {
	if seq <= s.W {
		return true
	}
	for _, sp := range s.Spans[:s.N] {
		if sp.Lo <= seq && seq <= sp.Hi {
			return true
		}
	}
	return false
}

// add returns s with lo..hi added, and false if any of them was already in
// s or s would need more than maxSpans runs (more holes than producers).
func (s seqSet) add(lo, hi int64) (seqSet, bool) {
	if lo <= s.W {
		return s, false
	}
	var list [maxSpans + 1]span
	n := 0
	for _, sp := range s.Spans[:s.N] {
		if lo <= sp.Hi && hi >= sp.Lo {
			return s, false
		}
		list[n] = sp
		n++
	}
	// Insert lo..hi in order.
	i := n
	for i > 0 && list[i-1].Lo > lo {
		list[i] = list[i-1]
		i--
	}
	list[i] = span{lo, hi}
	n++
	out := seqSet{W: s.W}
	for _, sp := range list[:n] {
		switch {
		case out.N == 0 && sp.Lo == out.W+1:
			out.W = sp.Hi
		case out.N > 0 && sp.Lo == out.Spans[out.N-1].Hi+1:
			out.Spans[out.N-1].Hi = sp.Hi
		case out.N == maxSpans:
			return s, false
		default:
			out.Spans[out.N] = sp
			out.N++
		}
	}
	return out, true
}

// highest returns the highest h >= from-1 such that from..h are all in s.
func (s seqSet) highest(from int64) int64 {
	if from <= s.W {
		return s.W
	}
	for _, sp := range s.Spans[:s.N] {
		if sp.Lo <= from && from <= sp.Hi {
			return sp.Hi
		}
	}
	return from - 1
}

func (s seqSet) hash() uint64 {
	h := uint64(s.W) * 0x9e3779b97f4a7c15
	for _, sp := range s.Spans[:s.N] {
		h = (h^uint64(sp.Lo))*0x100000001b3 ^ uint64(sp.Hi)
	}
	return h
}

func (s seqSet) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "..%d", s.W)
	for _, sp := range s.Spans[:s.N] {
		fmt.Fprintf(&b, " %d..%d", sp.Lo, sp.Hi)
	}
	return b.String()
}

// spec is one sequential specification, in a form the round checker can
// carry across quiescent points: step checks and applies an operation,
// apply only applies it (used to compute the state at the start of the
// next round, where every operation of the round is known to be over).
type spec struct {
	name     string
	init     any
	filter   func(Input) bool
	step     func(st any, in Input, out Output) (bool, any)
	apply    func(st any, in Input, out Output) any
	hash     func(st any) uint64
	describe func(st any) string
	// handled, for delivery checks, names whose handled events must
	// number as many as were published; nil for other checks.
	handled *handler
}

// handler is a consumer, or a worker pool as a whole.
type handler struct {
	pool     bool
	consumer int
}

func (h *handler) String() string {
	if h.pool {
		return "the pool"
	}
	return fmt.Sprintf("consumer %d", h.consumer)
}

func (s *spec) model(init any) porcupine.Model {
	return porcupine.Model{
		Init:              func() any { return init },
		Step:              func(st, in, out any) (bool, any) { return s.step(st, asIn(in), asOut(out)) },
		Hash:              s.hash,
		DescribeOperation: describeOp,
		DescribeState:     s.describe,
	}
}

// claimState is the claim model's state: the highest claimed sequence and
// each gating consumer's progress.
type claimState struct {
	Next int64
	Cons [MaxConsumers]int64
	N    int // consumers in use
}

func (c claimState) gate() int64 {
	if c.N == 0 {
		return math.MaxInt64
	}
	m := c.Cons[0]
	for _, v := range c.Cons[1:c.N] {
		m = min(m, v)
	}
	return m
}

// claimSpec is the claim model of a ring of size slots gated by consumers
// consumers, where claims waiting for room may hold up to held slots the
// model has not linearized (History.Held).
//
// A claim linearizes at a point where it is the contiguous range after the
// previous one and has room. For a compare-and-swap claim that is its
// CAS. The multi-producer Next claims with an atomic add and then waits
// for room; its point is the later of its add and the first instant it has
// room. Those points are ordered as the adds are, since a higher range
// needs the gating consumers to have gone further, so a history of such
// claims stays linearizable. But a claim waiting for room is not yet
// linearized while the cursor already counts it, so a TryNext that fails
// then may be right to fail where the model's claimed prefix shows room.
// A failed TryNext is therefore checked only against what is provable:
// the ring lacked room for the claimed prefix plus held slots.
func claimSpec(size int64, consumers int, held int64) *spec {
	init := claimState{Next: -1, N: consumers}
	for i := range init.Cons {
		init.Cons[i] = -1
	}
	apply := func(st any, in Input, out Output) any {
		c := st.(claimState)
		switch in.Kind {
		case Claim:
			if !out.Full {
				c.Next = max(c.Next, out.Hi)
			}
		case Advance:
			c.Cons[in.Consumer] = max(c.Cons[in.Consumer], in.Seq)
		}
		return c
	}
	return &spec{
		name:   "claims",
		init:   init,
		filter: func(in Input) bool { return in.Kind == Claim || in.Kind == Advance },
		step: func(st any, in Input, out Output) (bool, any) {
			c := st.(claimState)
			switch in.Kind {
			case Claim:
				if out.Full {
					// TryNext may fail only when the ring really lacked
					// room, counting the claims that may be waiting for it.
					return in.Try && c.Next+held+int64(in.N)-size > c.gate(), c
				}
				// Contiguous, no gap, no overlap, and no slot a gating
				// consumer has not passed.
				ok := out.Lo == c.Next+1 && out.Hi == out.Lo+int64(in.N)-1 && out.Hi-size <= c.gate()
				if !ok {
					return false, c
				}
				c.Next = out.Hi
				return true, c
			case Advance:
				if in.Consumer >= c.N || in.Seq < c.Cons[in.Consumer] || in.Seq > c.Next {
					return false, c
				}
				c.Cons[in.Consumer] = in.Seq
				return true, c
			}
			return false, c
		},
		apply: apply,
		hash: func(st any) uint64 {
			c := st.(claimState)
			h := uint64(c.Next)
			for _, v := range c.Cons[:c.N] {
				h = h*31 + uint64(v)
			}
			return h
		},
		describe: func(st any) string {
			c := st.(claimState)
			return fmt.Sprintf("claimed ..%d, consumers %v", c.Next, c.Cons[:c.N])
		},
	}
}

// publishSpec: Publish adds to the published set (never twice); Observe
// from s answers an h such that all of s..h are published, so a slot is
// never seen before its publish, and a later slot is never seen available
// while an earlier one is not.
func publishSpec() *spec {
	apply := func(st any, in Input, out Output) any {
		p := st.(seqSet)
		if in.Kind == Publish {
			p, _ = p.add(in.Lo, in.Hi)
		}
		return p
	}
	return &spec{
		name:   "publish",
		init:   newSeqSet(),
		filter: func(in Input) bool { return in.Kind == Publish || in.Kind == Observe },
		step: func(st any, in Input, out Output) (bool, any) {
			p := st.(seqSet)
			switch in.Kind {
			case Publish:
				p, ok := p.add(in.Lo, in.Hi)
				return ok, p
			case Observe:
				// Every sequence from Seq to the answer is published. The
				// answer may stop short of the published run: the barrier
				// bounds its scan by a cursor it read earlier, and with
				// producers publishing out of order there may be no instant
				// at which the run ended exactly there.
				return out.Hi >= in.Seq-1 && out.Hi <= p.highest(in.Seq), p
			}
			return false, p
		},
		apply:    apply,
		hash:     func(st any) uint64 { return st.(seqSet).hash() },
		describe: func(st any) string { return "published " + st.(seqSet).String() },
	}
}

// deliveryState is one consumer's view: what is published, the next
// sequence the consumer must handle, and how far the consumers it follows
// have got.
type deliveryState struct {
	Pub  seqSet
	Next int64
	Deps [MaxConsumers]int64 // next sequence each upstream consumer will handle
}

// deliverySpec: consumer c handles every published event exactly once, in
// sequence order, after it was published and after the consumers deps
// handled it, and reads the payload the producer wrote.
func deliverySpec(c int, deps []int) *spec {
	depIdx := map[int]int{}
	for i, d := range deps {
		depIdx[d] = i
	}
	apply := func(st any, in Input, out Output) any {
		d := st.(deliveryState)
		switch in.Kind {
		case Publish:
			d.Pub, _ = d.Pub.add(in.Lo, in.Hi)
		case Handle:
			if in.Consumer == c {
				d.Next = max(d.Next, in.Seq+1)
			} else if i, ok := depIdx[in.Consumer]; ok {
				d.Deps[i] = max(d.Deps[i], in.Seq+1)
			}
		}
		return d
	}
	return &spec{
		name:    fmt.Sprintf("delivery c%d", c),
		handled: &handler{consumer: c},
		init:    deliveryState{Pub: newSeqSet()},
		filter: func(in Input) bool {
			if in.Kind == Publish {
				return true
			}
			_, dep := depIdx[in.Consumer]
			return in.Kind == Handle && (in.Consumer == c || dep)
		},
		step: func(st any, in Input, out Output) (bool, any) {
			d := st.(deliveryState)
			switch in.Kind {
			case Publish:
				var ok bool
				d.Pub, ok = d.Pub.add(in.Lo, in.Hi)
				return ok, d
			case Handle:
				if in.Consumer != c {
					i := depIdx[in.Consumer]
					if in.Seq != d.Deps[i] || !d.Pub.has(in.Seq) {
						return false, d
					}
					d.Deps[i]++
					return true, d
				}
				if in.Seq != d.Next || !d.Pub.has(in.Seq) || out.Val != Payload(in.Seq) {
					return false, d
				}
				for i := range deps {
					if d.Deps[i] <= in.Seq {
						return false, d
					}
				}
				d.Next++
				return true, d
			}
			return false, d
		},
		apply: apply,
		hash: func(st any) uint64 {
			d := st.(deliveryState)
			h := d.Pub.hash() ^ uint64(d.Next)<<17
			for _, v := range d.Deps[:len(deps)] {
				h = h*31 + uint64(v)
			}
			return h
		},
		describe: func(st any) string {
			d := st.(deliveryState)
			return fmt.Sprintf("published %v, next %d, upstream next %v", d.Pub, d.Next, d.Deps[:len(deps)])
		},
	}
}

// poolState is a worker pool's view: what is published and what some
// worker has handled.
type poolState struct {
	Pub, Done seqSet
}

// poolSpec: the workers together handle every published event exactly
// once, after it was published, reading the payload the producer wrote.
func poolSpec(workers []int) *spec {
	in := map[int]bool{}
	for _, w := range workers {
		in[w] = true
	}
	apply := func(st any, i Input, out Output) any {
		p := st.(poolState)
		switch i.Kind {
		case Publish:
			p.Pub, _ = p.Pub.add(i.Lo, i.Hi)
		case Handle:
			p.Done, _ = p.Done.add(i.Seq, i.Seq)
		}
		return p
	}
	return &spec{
		name:    "worker pool",
		handled: &handler{pool: true},
		init:    poolState{Pub: newSeqSet(), Done: newSeqSet()},
		filter:  func(i Input) bool { return i.Kind == Publish || (i.Kind == Handle && in[i.Consumer]) },
		step: func(st any, i Input, out Output) (bool, any) {
			p := st.(poolState)
			switch i.Kind {
			case Publish:
				var ok bool
				p.Pub, ok = p.Pub.add(i.Lo, i.Hi)
				return ok, p
			case Handle:
				if !p.Pub.has(i.Seq) || out.Val != Payload(i.Seq) {
					return false, p
				}
				var ok bool
				if p.Done, ok = p.Done.add(i.Seq, i.Seq); !ok {
					return false, p
				}
				return true, p
			}
			return false, p
		},
		apply: apply,
		hash:  func(st any) uint64 { p := st.(poolState); return p.Pub.hash()*31 ^ p.Done.hash() },
		describe: func(st any) string {
			p := st.(poolState)
			return fmt.Sprintf("published %v, handled %v", p.Pub, p.Done)
		},
	}
}

// ClaimModel returns the Porcupine model of a sequencer's claims on a ring
// of size slots gated by consumers consumers: every successful claim is the
// contiguous range right after the previous one (no overlap, no gap), never
// reaches a slot that a gating consumer has not passed, and TryNext fails
// only when the ring lacked room. Operations are Input/Output pairs of
// kinds Claim and Advance. It judges a failed TryNext exactly, as for one
// producer; CheckClaims judges one of a multi-producer history against
// the claimed prefix plus History.Held, since the multi-producer Next
// holds its claim while it waits for room.
func ClaimModel(size, consumers int) porcupine.Model {
	s := claimSpec(int64(size), consumers, 0)
	return s.model(s.init)
}

// PublishModel returns the Porcupine model of publication: Publish adds a
// range to the published set, each sequence once; Observe(s) returns some
// h >= s-1 such that every sequence from s to h is published. So a consumer
// never sees a slot before it was published, and never sees a later slot
// available while an earlier one is not. Operations are of kinds Publish
// and Observe.
func PublishModel() porcupine.Model {
	s := publishSpec()
	return s.model(s.init)
}

// DeliveryModel returns the Porcupine model of one consumer of a bus:
// consumer c handles every published event once, in sequence order, after
// its publish and after the consumers deps handled it, and reads the
// payload the producer wrote (Payload). Operations are of kinds Publish and
// Handle.
func DeliveryModel(c int, deps ...int) porcupine.Model {
	s := deliverySpec(c, deps)
	return s.model(s.init)
}

// PoolModel returns the Porcupine model of a worker pool: the workers
// together handle every published event exactly once, after its publish,
// reading the payload the producer wrote. Operations are of kinds Publish
// and Handle.
func PoolModel(workers ...int) porcupine.Model {
	s := poolSpec(workers)
	return s.model(s.init)
}
