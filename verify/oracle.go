package verify

import (
	"fmt"
	"sort"

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
	res := Result{Check: "claims tiling", Verdict: porcupine.Ok, Rounds: 1}
	var claims []porcupine.Operation
	adv := make([][]porcupine.Operation, h.Consumers)
	for _, op := range h.Ops {
		in, out := asIn(op.Input), asOut(op.Output)
		switch {
		case in.Kind == Claim && !out.Full:
			claims = append(claims, op)
		case in.Kind == Advance && in.Consumer < h.Consumers:
			adv[in.Consumer] = append(adv[in.Consumer], op)
		}
	}
	res.Ops = len(claims)
	fail := func(format string, args ...any) Result {
		res.Verdict = porcupine.Illegal
		res.Detail = fmt.Sprintf(format, args...)
		return res
	}
	sort.Slice(claims, func(i, j int) bool { return asOut(claims[i].Output).Lo < asOut(claims[j].Output).Lo })
	next := int64(0)
	var maxCall int64 = -1 << 62
	var maxCallOp porcupine.Operation
	for _, op := range claims {
		in, out := asIn(op.Input), asOut(op.Output)
		switch {
		case out.Lo > next:
			return fail("gap: no claim holds %d..%d", next, out.Lo-1)
		case out.Lo < next:
			return fail("overlap: %s takes %d, already claimed", describeOp(in, out), out.Lo)
		case out.Hi-out.Lo+1 != int64(in.N):
			return fail("%s is not %d slots", describeOp(in, out), in.N)
		case op.Return < maxCall:
			return fail("real-time order: %s returned before %s was called, yet holds a higher range",
				describeOp(maxCallOp.Input, maxCallOp.Output), describeOp(in, out))
		}
		if op.Call > maxCall {
			maxCall, maxCallOp = op.Call, op
		}
		next = out.Hi + 1
	}
	// Capacity: the highest progress each consumer could have shown by the
	// time the claim returned.
	seen := make([][]int64, len(adv)) // seen[c][i]: highest Seq among adv[c][:i+1]
	for c := range adv {
		sort.Slice(adv[c], func(i, j int) bool { return adv[c][i].Call < adv[c][j].Call })
		seen[c] = make([]int64, len(adv[c]))
		m := int64(-1)
		for i, a := range adv[c] {
			m = max(m, asIn(a.Input).Seq)
			seen[c][i] = m
		}
	}
	for _, op := range claims {
		out := asOut(op.Output)
		gate := int64(1) << 62
		for c := range adv {
			k := sort.Search(len(adv[c]), func(i int) bool { return adv[c][i].Call > op.Return })
			s := int64(-1)
			if k > 0 {
				s = seen[c][k-1]
			}
			gate = min(gate, s)
		}
		if out.Hi-h.RingSize > gate {
			return fail("capacity: %s overwrites slot of sequence %d, but the gating consumers had reached at most %d",
				describeOp(op.Input, op.Output), out.Hi-h.RingSize, gate)
		}
	}
	return res
}
