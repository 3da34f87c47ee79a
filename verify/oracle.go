package verify

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/anishathalye/porcupine"
)

// TileClaims is a second, independent check of a claim history, in
// O(n log n) and without a search: sorted by claimed range, the successful
// claims must tile the sequence space from 0 with no overlap and no gap,
// each the size asked for; a claim that returned before another was called
// must hold the lower range; and no claim may reach a slot (hi - size) that
// no gating consumer could yet have passed (an Advance to it called before
// the claim returned). It does not judge TryNext failures.
func TileClaims(h *History) Result {
	t := newTileCheck(h.RingSize, h.Consumers)
	ops := make([]cop, len(h.Ops))
	for i, op := range h.Ops {
		ops[i] = compact(op)
	}
	slices.SortStableFunc(ops, func(a, b cop) int { return cmp.Compare(a.call, b.call) })
	t.feed(ops)
	return t.result()
}

// tileCheck is TileClaims fed one stretch between quiescent points at a
// time: every claim and advance of earlier stretches is over before the
// next begins, so only the next free sequence and each consumer's highest
// advance carry over.
type tileCheck struct {
	size   int64
	next   int64   // the lowest sequence no claim has taken
	seen   []int64 // each consumer's highest advance in earlier stretches
	res    Result
	failed bool
}

func newTileCheck(size int64, consumers int) *tileCheck {
	t := &tileCheck{size: size, seen: make([]int64, consumers),
		res: Result{Check: "claims tiling", Verdict: porcupine.Ok}}
	for c := range t.seen {
		t.seen[c] = -1
	}
	return t
}

func (t *tileCheck) result() Result { return t.res }

func (t *tileCheck) fail(format string, args ...any) {
	t.failed = true
	t.res.Verdict = porcupine.Illegal
	t.res.Detail = fmt.Sprintf(format, args...)
}

// feed checks the claims and advances of one stretch, sorted by call time.
func (t *tileCheck) feed(ops []cop) {
	t.res.Rounds++
	var claims []cop
	adv := make([][]cop, len(t.seen))
	for _, o := range ops {
		switch {
		case o.kind == Claim && !o.full:
			claims = append(claims, o)
		case o.kind == Advance && int(o.cons) < len(adv):
			adv[o.cons] = append(adv[o.cons], o)
		}
	}
	t.res.Ops += len(claims)
	if t.failed {
		return
	}
	slices.SortFunc(claims, func(a, b cop) int { return cmp.Compare(a.a, b.a) })
	var maxCall int64 = -1 << 62
	var maxCallOp cop
	for _, o := range claims {
		switch {
		case o.a > t.next:
			t.fail("gap: no claim holds %d..%d", t.next, o.a-1)
			return
		case o.a < t.next:
			t.fail("overlap: %s takes %d, already claimed", describeOp(o.input(), o.output()), o.a)
			return
		case o.b-o.a+1 != int64(o.n):
			t.fail("%s is not %d slots", describeOp(o.input(), o.output()), o.n)
			return
		case o.ret < maxCall:
			t.fail("real-time order: %s returned before %s was called, yet holds a higher range",
				describeOp(maxCallOp.input(), maxCallOp.output()), describeOp(o.input(), o.output()))
			return
		}
		if o.call > maxCall {
			maxCall, maxCallOp = o.call, o
		}
		t.next = o.b + 1
	}
	// Capacity: the highest progress each consumer could have shown by the
	// time the claim returned. adv[c] is in call order.
	seen := make([][]int64, len(adv)) // seen[c][i]: highest Seq among adv[c][:i+1] and earlier stretches
	for c := range adv {
		seen[c] = make([]int64, len(adv[c]))
		m := t.seen[c]
		for i, a := range adv[c] {
			m = max(m, a.a)
			seen[c][i] = m
		}
	}
	for _, o := range claims {
		gate := int64(1) << 62
		for c := range adv {
			k, _ := slices.BinarySearchFunc(adv[c], o.ret, func(a cop, ret int64) int {
				if a.call > ret {
					return 1
				}
				return -1
			})
			s := t.seen[c]
			if k > 0 {
				s = seen[c][k-1]
			}
			gate = min(gate, s)
		}
		if o.b-t.size > gate {
			t.fail("capacity: %s overwrites slot of sequence %d, but the gating consumers had reached at most %d",
				describeOp(o.input(), o.output()), o.b-t.size, gate)
			return
		}
	}
	for c := range adv {
		if n := len(seen[c]); n > 0 {
			t.seen[c] = seen[c][n-1]
		}
	}
}
