package verify_test

import (
	"math/rand/v2"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/eventbus/eventbus/verify"
)

type (
	in  = verify.Input
	out = verify.Output
)

const (
	claim   = verify.Claim
	publish = verify.Publish
	observe = verify.Observe
	advance = verify.Advance
	handle  = verify.Handle
)

// Hand-written histories, each run through the check it is for, with the
// verdict it must get: the models must accept what the bus may do and
// reject each kind of bug.
func TestModels(t *testing.T) {
	p := verify.Payload
	tests := []struct {
		name  string
		check func(*verify.History) porcupine.CheckResult
		h     verify.History
		want  porcupine.CheckResult
	}{
		{"claims in order", claims, verify.History{RingSize: 4, Consumers: 1, Ops: ops(
			op(0, 1, 2, in{Kind: claim, N: 2}, out{Lo: 0, Hi: 1}),
			op(1, 3, 4, in{Kind: claim, N: 2}, out{Lo: 2, Hi: 3}))}, porcupine.Ok},
		{"concurrent claims in either order", claims, verify.History{RingSize: 4, Ops: ops(
			op(0, 1, 4, in{Kind: claim, N: 1}, out{Lo: 1, Hi: 1}),
			op(1, 2, 3, in{Kind: claim, N: 1}, out{Lo: 0, Hi: 0}))}, porcupine.Ok},
		{"overlapping claims", claims, verify.History{RingSize: 4, Ops: ops(
			op(0, 1, 4, in{Kind: claim, N: 2}, out{Lo: 0, Hi: 1}),
			op(1, 2, 3, in{Kind: claim, N: 2}, out{Lo: 1, Hi: 2}))}, porcupine.Illegal},
		{"gap between claims", claims, verify.History{RingSize: 8, Ops: ops(
			op(0, 1, 2, in{Kind: claim, N: 1}, out{Lo: 0, Hi: 0}),
			op(0, 3, 4, in{Kind: claim, N: 1}, out{Lo: 2, Hi: 2}))}, porcupine.Illegal},
		{"claims against real time", claims, verify.History{RingSize: 8, Ops: ops(
			op(0, 1, 2, in{Kind: claim, N: 1}, out{Lo: 1, Hi: 1}),
			op(1, 3, 4, in{Kind: claim, N: 1}, out{Lo: 0, Hi: 0}))}, porcupine.Illegal},
		{"claim past the gating consumer", claims, verify.History{RingSize: 2, Consumers: 1, Ops: ops(
			op(0, 1, 2, in{Kind: claim, N: 2}, out{Lo: 0, Hi: 1}),
			op(0, 3, 4, in{Kind: claim, N: 1}, out{Lo: 2, Hi: 2}))}, porcupine.Illegal},
		{"claim after the consumer advanced", claims, verify.History{RingSize: 2, Consumers: 1, Ops: ops(
			op(0, 1, 2, in{Kind: claim, N: 2}, out{Lo: 0, Hi: 1}),
			op(1, 3, 6, in{Kind: advance, Seq: 0}, out{}),
			op(0, 4, 5, in{Kind: claim, N: 1}, out{Lo: 2, Hi: 2}))}, porcupine.Ok},
		{"TryNext full on a full ring", claims, verify.History{RingSize: 2, Consumers: 1, Ops: ops(
			op(0, 1, 2, in{Kind: claim, N: 2}, out{Lo: 0, Hi: 1}),
			op(0, 3, 4, in{Kind: claim, N: 1, Try: true}, out{Full: true}))}, porcupine.Ok},
		{"TryNext full with room", claims, verify.History{RingSize: 4, Consumers: 1, Ops: ops(
			op(0, 1, 2, in{Kind: claim, N: 2}, out{Lo: 0, Hi: 1}),
			op(0, 3, 4, in{Kind: claim, N: 1, Try: true}, out{Full: true}))}, porcupine.Illegal},
		{"observe after publish", pub, verify.History{Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 0, Hi: 1}, out{}),
			op(1, 3, 4, in{Kind: observe, Seq: 0}, out{Hi: 1}))}, porcupine.Ok},
		{"observe before publish", pub, verify.History{Ops: ops(
			op(1, 1, 2, in{Kind: observe, Seq: 0}, out{Hi: 0}),
			op(0, 3, 4, in{Kind: publish, Lo: 0, Hi: 0}, out{}))}, porcupine.Illegal},
		{"later slot seen, earlier not published", pub, verify.History{Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 1, Hi: 1}, out{}),
			op(1, 3, 4, in{Kind: observe, Seq: 0}, out{Hi: 1}))}, porcupine.Illegal},
		{"publish twice", pub, verify.History{Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 0, Hi: 0}, out{}),
			op(0, 3, 4, in{Kind: publish, Lo: 0, Hi: 0}, out{}))}, porcupine.Illegal},
		{"delivery in order", delivery, verify.History{Consumers: 1, Published: 2, Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 0, Hi: 1}, out{}),
			op(1, 3, 4, in{Kind: handle, Seq: 0}, out{Val: p(0)}),
			op(1, 5, 6, in{Kind: handle, Seq: 1}, out{Val: p(1)}))}, porcupine.Ok},
		{"delivery out of order", delivery, verify.History{Consumers: 1, Published: 2, Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 0, Hi: 1}, out{}),
			op(1, 3, 4, in{Kind: handle, Seq: 1}, out{Val: p(1)}),
			op(1, 5, 6, in{Kind: handle, Seq: 0}, out{Val: p(0)}))}, porcupine.Illegal},
		{"delivery twice", delivery, verify.History{Consumers: 1, Published: 1, Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 0, Hi: 0}, out{}),
			op(1, 3, 4, in{Kind: handle, Seq: 0}, out{Val: p(0)}),
			op(1, 5, 6, in{Kind: handle, Seq: 0}, out{Val: p(0)}))}, porcupine.Illegal},
		{"delivery of an unwritten event", delivery, verify.History{Consumers: 1, Published: 1, Ops: ops(
			op(0, 1, 4, in{Kind: publish, Lo: 0, Hi: 0}, out{}),
			op(1, 2, 3, in{Kind: handle, Seq: 0}, out{Val: 0}))}, porcupine.Illegal},
		{"event lost", delivery, verify.History{Consumers: 1, Published: 2, Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 0, Hi: 1}, out{}),
			op(1, 3, 4, in{Kind: handle, Seq: 0}, out{Val: p(0)}))}, porcupine.Illegal},
		{"pipeline stage before its upstream", delivery, verify.History{Consumers: 2, Deps: [][]int{1: {0}}, Published: 1, Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 0, Hi: 0}, out{}),
			op(2, 3, 4, in{Kind: handle, Consumer: 1, Seq: 0}, out{Val: p(0)}),
			op(1, 5, 6, in{Kind: handle, Consumer: 0, Seq: 0}, out{Val: p(0)}))}, porcupine.Illegal},
		{"worker pool, each once", delivery, verify.History{Consumers: 2, Pool: []int{0, 1}, Published: 2, Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 0, Hi: 1}, out{}),
			op(1, 3, 6, in{Kind: handle, Consumer: 0, Seq: 1}, out{Val: p(1)}),
			op(2, 4, 5, in{Kind: handle, Consumer: 1, Seq: 0}, out{Val: p(0)}))}, porcupine.Ok},
		{"worker pool, one event twice", delivery, verify.History{Consumers: 2, Pool: []int{0, 1}, Published: 2, Ops: ops(
			op(0, 1, 2, in{Kind: publish, Lo: 0, Hi: 1}, out{}),
			op(1, 3, 6, in{Kind: handle, Consumer: 0, Seq: 0}, out{Val: p(0)}),
			op(2, 4, 5, in{Kind: handle, Consumer: 1, Seq: 0}, out{Val: p(0)}))}, porcupine.Illegal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.check(&tt.h); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func ops(o ...porcupine.Operation) []porcupine.Operation { return o }

func worst(rs []verify.Result) porcupine.CheckResult {
	for _, r := range rs {
		if r.Verdict != porcupine.Ok {
			return r.Verdict
		}
	}
	return porcupine.Ok
}

func claims(h *verify.History) porcupine.CheckResult {
	rs := verify.CheckClaims(h, verify.Options{})
	return rs[0].Verdict
}

func pub(h *verify.History) porcupine.CheckResult {
	return verify.CheckPublish(h, verify.Options{}).Verdict
}

func delivery(h *verify.History) porcupine.CheckResult {
	return worst(verify.CheckDelivery(h, verify.Options{}))
}

// TestTilingAgrees checks the fast claim oracle against Porcupine on
// random claim histories, correct and broken: they must give the same
// verdict every time.
func TestTilingAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var seen [2]int
	for i := range 500 {
		h := randomClaims(rng, 3+rng.IntN(30), rng.IntN(3))
		p := verify.CheckClaims(h, verify.Options{})
		if p[0].Verdict != p[1].Verdict {
			t.Fatalf("history %d: porcupine %v, tiling %v\n%v", i, p[0], p[1], h.Ops)
		}
		if p[0].Verdict == porcupine.Ok {
			seen[0]++
		} else {
			seen[1]++
		}
	}
	if seen[0] < 50 || seen[1] < 50 {
		t.Errorf("verdicts ok/illegal %v: the generator does not exercise both", seen)
	}
}

// randomClaims builds a claim history of n claims by up to 3 clients with
// random overlapping intervals, then maybe breaks it (mutation 0: none).
func randomClaims(rng *rand.Rand, n, mutation int) *verify.History {
	h := &verify.History{RingSize: 1 << 20}
	var clock int64
	next := int64(0)
	for i := range n {
		k := 1 + rng.IntN(3)
		call := clock + 1
		// The claim takes effect at some point; operations overlap by
		// starting before the previous one ends.
		ret := call + 1 + int64(rng.IntN(4))
		clock = call + int64(rng.IntN(2))
		h.Ops = append(h.Ops, op(i%3, call, ret, in{Kind: claim, N: k}, out{Lo: next, Hi: next + int64(k) - 1}))
		next += int64(k)
		clock = max(clock, call)
	}
	if mutation == 0 || n < 2 {
		return h
	}
	i := 1 + rng.IntN(n-1)
	o := h.Ops[i].Output.(verify.Output)
	switch mutation {
	case 1: // overlap: shift the claim one slot down
		o.Lo--
		o.Hi--
	case 2: // gap: shift it one slot up
		o.Lo++
		o.Hi++
	}
	h.Ops[i].Output = o
	return h
}
