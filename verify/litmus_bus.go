package verify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/eventbus/eventbus/bus"
)

func newSequencer(multi bool, size int) sequencer {
	var s sequencer
	var err error
	if multi {
		s, err = bus.NewMultiProducerSequencer(size, bus.WithPad(0))
	} else {
		s, err = bus.NewSingleProducerSequencer(size, bus.WithPad(0))
	}
	if err != nil {
		panic("verify: " + err.Error())
	}
	return s
}

func producerName(multi bool) string {
	if multi {
		return "multi"
	}
	return "single"
}

type availability interface{ IsAvailable(seq int64) bool }

// Litmuses returns the bus's litmus tests, ported in spirit from the LMAX
// Disruptor's jcstress tests, for the single- and the multi-producer
// sequencer where both apply:
//
//   - publish-order: publish(0); publish(1) against isAvailable(1),
//     isAvailable(0): seeing 1 available but not 0 is forbidden.
//   - write-publish: a plain write to the slot before publish must be
//     visible to a consumer that sees the publish.
//   - claim-unique: two producers' concurrent Next(1) claims never get the
//     same slot, and the cursor counts both (no lost update).
//   - sequence-cas: two CAS-increment loops on a Sequence never lose an
//     increment.
//   - sequence-torn: a Sequence written with all-zeros and all-ones is
//     never read with one 32-bit half of each (tearing, on 386 and arm).
//   - gating: TryNext(2) on a full ring of 4 whose consumer reaches only
//     the first slot must fail: success means a slot was overwritten
//     before it was consumed.
//   - hold-close: the multi-producer Next(1) on a full ring of 4 against
//     Close, then the consumer making room: a Next that claimed and then
//     returned ErrClosed must have published its slot (marked as
//     skipped), or later claims and Shutdown's drain would wait for it
//     forever.
//
// and for the single-producer Bus whose events embed bus.Mark (the
// Marks, not the cursor, publish each event):
//
//   - write-publish/marked: Publish(v = 42) against one Poll: a Poll that
//     hands over sequence 0 must see 42.
//   - publish-order/marked: Publish(v = 42); Publish(v = 43) against one
//     Poll: it hands over nothing, 0, or 0 and 1, each with its data.
func Litmuses() []*Litmus {
	var out []*Litmus
	for _, multi := range []bool{false, true} {
		out = append(out, publishOrder(multi), writePublish(multi), gating(multi))
	}
	out = append(out, writePublishMarked(), publishOrderMarked())
	return append(out, claimUnique(), holdClose(), sequenceCAS(), sequenceTorn())
}

type pubOrderState struct {
	s      sequencer
	r1, r2 bool
}

func publishOrder(multi bool) *Litmus {
	return &Litmus{
		Name:        "publish-order/" + producerName(multi),
		Description: "publish(0); publish(1) || isAvailable(1); isAvailable(0)",
		New: func() any {
			s := newSequencer(multi, 8)
			if _, _, err := s.Next(2); err != nil {
				panic("verify: " + err.Error())
			}
			return &pubOrderState{s: s}
		},
		Actors: []func(any){
			func(st any) {
				s := st.(*pubOrderState).s
				_ = s.Publish(0, 0)
				_ = s.Publish(1, 1)
			},
			func(st any) {
				p := st.(*pubOrderState)
				a := p.s.(availability)
				p.r1 = a.IsAvailable(1)
				p.r2 = a.IsAvailable(0)
			},
		},
		Arbiter: func(st any) string {
			p := st.(*pubOrderState)
			return fmt.Sprintf("available(1)=%t, available(0)=%t", p.r1, p.r2)
		},
		Outcomes: map[string]Grade{
			"available(1)=false, available(0)=false": Acceptable,
			"available(1)=false, available(0)=true":  Interesting,
			"available(1)=true, available(0)=true":   Acceptable,
		},
		Other: Forbidden,
	}
}

type writePubState struct {
	s    sequencer
	data [8]int64 // plain memory: only the publish orders it
	r    int64
}

func writePublish(multi bool) *Litmus {
	return &Litmus{
		Name:        "write-publish/" + producerName(multi),
		Description: "lo := Next(1); data[lo] = 42; Publish(lo) || if isAvailable(0) { r = data[0] }",
		New:         func() any { return &writePubState{s: newSequencer(multi, 8)} },
		Actors: []func(any){
			func(st any) {
				w := st.(*writePubState)
				lo, hi, err := w.s.Next(1)
				if err != nil {
					return
				}
				w.data[lo&7] = 42
				_ = w.s.Publish(lo, hi)
			},
			func(st any) {
				w := st.(*writePubState)
				w.r = -1
				if w.s.(availability).IsAvailable(0) {
					w.r = w.data[0]
				}
			},
		},
		Arbiter: func(st any) string {
			switch r := st.(*writePubState).r; r {
			case -1:
				return "not yet published"
			case 42:
				return "published, data=42"
			default:
				return "published, data=" + strconv.FormatInt(r, 10)
			}
		},
		Outcomes: map[string]Grade{"not yet published": Acceptable, "published, data=42": Acceptable},
		Other:    Forbidden,
	}
}

// markedState is a trial of the marked litmus tests: a fresh
// single-producer bus of 8 slots whose events embed bus.Mark, never
// started (Publish and Poll need no Start, and no goroutine is left
// behind), and its poller; n of seqs and vals are what one Poll handed
// over.
type markedState struct {
	b          *bus.Bus[markedEvent]
	p          *bus.Poller[markedEvent]
	n          int
	seqs, vals [2]int64
}

// markedLitmus is a litmus test on markedState: actor 1 publishes events
// with v = 42, 43, ... one Publish each; actor 2 polls once.
func markedLitmus(name, desc string, events int, arbiter func(*markedState) string, outcomes map[string]Grade) *Litmus {
	return &Litmus{
		Name:        name,
		Description: desc,
		New: func() any {
			b, err := bus.New[markedEvent](bus.WithSize(8), bus.WithPad(0))
			if err != nil {
				panic("verify: " + err.Error())
			}
			return &markedState{b: b, p: b.NewPoller()}
		},
		Actors: []func(any){
			func(st any) {
				m := st.(*markedState)
				for i := range events {
					_ = m.b.Publish(func(e *markedEvent, _ int64) { e.v = 42 + int64(i) })
				}
			},
			func(st any) {
				m := st.(*markedState)
				_, _ = m.p.Poll(func(e *markedEvent, seq int64, _ bool) bool {
					m.seqs[m.n], m.vals[m.n] = seq, e.v
					m.n++
					return m.n < len(m.seqs)
				})
			},
		},
		Arbiter:  func(st any) string { return arbiter(st.(*markedState)) },
		Outcomes: outcomes,
		Other:    Forbidden,
	}
}

func writePublishMarked() *Litmus {
	return markedLitmus("write-publish/marked",
		"Publish(v = 42) || Poll: if it hands over 0, r = v", 1,
		func(m *markedState) string {
			switch {
			case m.n == 0:
				return "not yet published"
			case m.n == 1 && m.seqs[0] == 0:
				return "published, data=" + strconv.FormatInt(m.vals[0], 10)
			}
			return fmt.Sprintf("handed over %d events, first %d", m.n, m.seqs[0])
		},
		map[string]Grade{"not yet published": Acceptable, "published, data=42": Acceptable})
}

func publishOrderMarked() *Litmus {
	return markedLitmus("publish-order/marked",
		"Publish(v = 42); Publish(v = 43) || Poll: what it hands over", 2,
		func(m *markedState) string {
			if m.n == 0 {
				return "none"
			}
			var b strings.Builder
			for i := range m.n {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%d: data=%d", m.seqs[i], m.vals[i])
			}
			return b.String()
		},
		map[string]Grade{"none": Acceptable, "0: data=42": Acceptable, "0: data=42, 1: data=43": Acceptable})
}

type gatingState struct {
	s    sequencer
	gate *bus.Sequence
	r    string
}

// fullRing returns a sequencer of 4 slots, all claimed and published,
// gated by a consumer sequence that has passed none of them.
func fullRing(multi bool) (sequencer, *bus.Sequence) {
	s := newSequencer(multi, 4)
	g := s.NewSequence()
	s.AddGatingSequences(g)
	lo, hi, err := s.Next(4)
	if err != nil {
		panic("verify: " + err.Error())
	}
	_ = s.Publish(lo, hi)
	return s, g
}

func gating(multi bool) *Litmus {
	return &Litmus{
		Name:        "gating/" + producerName(multi),
		Description: "ring of 4, all claimed, consumer at -1: TryNext(2) || consumer advances to 0",
		New: func() any {
			s, g := fullRing(multi)
			return &gatingState{s: s, gate: g}
		},
		Actors: []func(any){
			func(st any) {
				g := st.(*gatingState)
				lo, hi, err := g.s.TryNext(2)
				switch {
				case errors.Is(err, bus.ErrInsufficientCapacity):
					g.r = "full"
				case err != nil:
					g.r = err.Error()
				default:
					g.r = fmt.Sprintf("claimed %d..%d", lo, hi)
				}
			},
			func(st any) {
				g := st.(*gatingState)
				g.gate.Store(0)
				g.s.Signal()
			},
		},
		Arbiter:  func(st any) string { return st.(*gatingState).r },
		Outcomes: map[string]Grade{"full": Acceptable},
		Other:    Forbidden,
	}
}

type claimState2 struct {
	s      sequencer
	r1, r2 int64
}

func claimUnique() *Litmus {
	claim := func(s sequencer) int64 {
		lo, _, err := s.Next(1)
		if err != nil {
			return -2
		}
		return lo
	}
	return &Litmus{
		Name:        "claim-unique/multi",
		Description: "Next(1) || Next(1) on the multi-producer sequencer",
		New:         func() any { return &claimState2{s: newSequencer(true, 8)} },
		Actors: []func(any){
			func(st any) { c := st.(*claimState2); c.r1 = claim(c.s) },
			func(st any) { c := st.(*claimState2); c.r2 = claim(c.s) },
		},
		Arbiter: func(st any) string {
			c := st.(*claimState2)
			return fmt.Sprintf("claims {%d, %d}, cursor %d", min(c.r1, c.r2), max(c.r1, c.r2), c.s.Cursor())
		},
		Outcomes: map[string]Grade{"claims {0, 1}, cursor 1": Acceptable},
		Other:    Forbidden,
	}
}

type holdCloseState struct {
	s    sequencer
	gate *bus.Sequence
	err  error
}

func holdClose() *Litmus {
	return &Litmus{
		Name:        "hold-close/multi",
		Description: "ring of 4, all claimed, consumer at -1: Next(1); Publish || Close; consumer advances to 0",
		New: func() any {
			s, g := fullRing(true)
			return &holdCloseState{s: s, gate: g}
		},
		Actors: []func(any){
			func(st any) {
				h := st.(*holdCloseState)
				var lo, hi int64
				if lo, hi, h.err = h.s.Next(1); h.err == nil {
					h.err = h.s.Publish(lo, hi)
				}
			},
			func(st any) {
				h := st.(*holdCloseState)
				h.s.Close()
				h.gate.Store(0)
				h.s.Signal()
			},
		},
		Arbiter: func(st any) string {
			h := st.(*holdCloseState)
			how := "claimed"
			switch {
			case errors.Is(h.err, bus.ErrClosed):
				how = "closed"
			case h.err != nil:
				how = h.err.Error()
			}
			return fmt.Sprintf("Next %s, cursor %d, slot 4 published %t", how, h.s.Cursor(), h.s.(availability).IsAvailable(4))
		},
		Outcomes: map[string]Grade{
			"Next claimed, cursor 4, slot 4 published true": Acceptable,
			"Next closed, cursor 3, slot 4 published false": Acceptable,  // closed before it claimed
			"Next closed, cursor 4, slot 4 published true":  Interesting, // held its claim across Close: published skipped
		},
		Other: Forbidden,
	}
}

func sequenceCAS() *Litmus {
	inc := func(st any) {
		s := st.(*bus.Sequence)
		for {
			v := s.Load()
			if s.CompareAndSwap(v, v+1) {
				return
			}
		}
	}
	return &Litmus{
		Name:        "sequence-cas",
		Description: "CAS-increment || CAS-increment on a Sequence holding 0",
		New:         func() any { return new(bus.Sequence) },
		Actors:      []func(any){inc, inc},
		Arbiter:     func(st any) string { return "value " + strconv.FormatInt(st.(*bus.Sequence).Load(), 10) },
		Outcomes:    map[string]Grade{"value 2": Acceptable},
		Other:       Forbidden,
	}
}

type tornState struct {
	s    bus.Sequence
	torn int64
}

// tornRounds is how many stores and loads each trial of sequence-torn makes.
const tornRounds = 64

func sequenceTorn() *Litmus {
	return &Litmus{
		Name:        "sequence-torn",
		Description: "Store(-1); Store(0); ... || Load() has equal 32-bit halves",
		New:         func() any { return new(tornState) },
		Actors: []func(any){
			func(st any) {
				t := st.(*tornState)
				for i := range tornRounds {
					t.s.Store(-int64(i & 1)) // 0xffffffff_ffffffff, 0
				}
			},
			func(st any) {
				t := st.(*tornState)
				for range tornRounds {
					v := uint64(t.s.Load())
					if uint32(v) != uint32(v>>32) {
						t.torn = int64(v)
						return
					}
				}
			},
		},
		Arbiter: func(st any) string {
			if v := st.(*tornState).torn; v != 0 {
				return fmt.Sprintf("torn %#016x", uint64(v))
			}
			return "whole values"
		},
		Outcomes: map[string]Grade{"whole values": Acceptable},
		Other:    Forbidden,
	}
}
