package verify

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/anishathalye/porcupine"
)

// MaxConsumers is the most gating consumers a claim history may hold.
const MaxConsumers = 8

// window is how far above its contiguous prefix a seqSet can hold
// members: published sequences that wait for an earlier one.
const window = 64

// seqSet is a set of sequences: everything up to W, plus those in
// W+1..W+64 whose bit is set (bit i is W+1+i). It is comparable, so model
// states built from it work with porcupine's == fallback.
type seqSet struct {
	W    int64
	Mask uint64
}

func newSeqSet() seqSet { return seqSet{W: -1} }

func (s seqSet) has(seq int64) bool {
	if seq <= s.W {
		return true
	}
	d := seq - s.W - 1
	return d < window && s.Mask&(1<<uint(d)) != 0
}

// add returns s with seq added and false if seq was already in s or lies
// beyond the window.
func (s seqSet) add(seq int64) (seqSet, bool) {
	if s.has(seq) {
		return s, false
	}
	d := seq - s.W - 1
	if d >= window {
		return s, false
	}
	s.Mask |= 1 << uint(d)
	n := bits.TrailingZeros64(^s.Mask) // contiguous members right after W
	s.W += int64(n)
	if n == 64 {
		s.Mask = 0
	} else {
		s.Mask >>= uint(n)
	}
	return s, true
}

// highest returns the highest h >= from-1 such that from..h are all in s.
func (s seqSet) highest(from int64) int64 {
	h := from - 1
	for s.has(h + 1) {
		h++
	}
	return h
}

func (s seqSet) hash() uint64 { return uint64(s.W)*0x9e3779b97f4a7c15 ^ s.Mask }

func (s seqSet) String() string {
	if s.Mask == 0 {
		return fmt.Sprintf("..%d", s.W)
	}
	return fmt.Sprintf("..%d +%#x", s.W, s.Mask)
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

func claimSpec(size int64, consumers int) *spec {
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
					// TryNext may fail only when the ring really lacked room.
					return in.Try && c.Next+int64(in.N)-size > c.gate(), c
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
			for s := in.Lo; s <= in.Hi; s++ {
				p, _ = p.add(s)
			}
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
				for s := in.Lo; s <= in.Hi; s++ {
					var ok bool
					if p, ok = p.add(s); !ok {
						return false, st
					}
				}
				return true, p
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
			for s := in.Lo; s <= in.Hi; s++ {
				d.Pub, _ = d.Pub.add(s)
			}
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
		name: fmt.Sprintf("delivery c%d", c),
		init: deliveryState{Pub: newSeqSet()},
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
				for s := in.Lo; s <= in.Hi; s++ {
					var ok bool
					if d.Pub, ok = d.Pub.add(s); !ok {
						return false, st
					}
				}
				return true, d
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
			for s := i.Lo; s <= i.Hi; s++ {
				p.Pub, _ = p.Pub.add(s)
			}
		case Handle:
			p.Done, _ = p.Done.add(i.Seq)
		}
		return p
	}
	return &spec{
		name:   "worker pool",
		init:   poolState{Pub: newSeqSet(), Done: newSeqSet()},
		filter: func(i Input) bool { return i.Kind == Publish || (i.Kind == Handle && in[i.Consumer]) },
		step: func(st any, i Input, out Output) (bool, any) {
			p := st.(poolState)
			switch i.Kind {
			case Publish:
				for s := i.Lo; s <= i.Hi; s++ {
					var ok bool
					if p.Pub, ok = p.Pub.add(s); !ok {
						return false, st
					}
				}
				return true, p
			case Handle:
				if !p.Pub.has(i.Seq) || out.Val != Payload(i.Seq) {
					return false, p
				}
				var ok bool
				if p.Done, ok = p.Done.add(i.Seq); !ok {
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
// kinds Claim and Advance.
func ClaimModel(size, consumers int) porcupine.Model {
	s := claimSpec(int64(size), consumers)
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
