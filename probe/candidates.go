package probe

import (
	"fmt"
	"slices"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// The names of the two candidates every tuning starts from.
const (
	CandidateDefault   = "default"
	CandidateRuleBased = "rule-based"
)

// Candidates returns the layouts and plans worth measuring for a bus of
// shape opt on the machine of s, most promising first: the default (what
// a bus gets with no options), the rule-based recommendation rec, and
// variants of rec that each change one thing the facts leave open: the
// phased-backoff Poll (2, 4 and 8µs) and its spin and yield phases, the
// affinity plan (unpinned, every thread pinned, the pinned threads moved
// to other CPUs), the ring size (a quarter and four times), the pad (the
// other sizes no smaller than the cache line) and busy-spin or yielding
// waits where every thread can have a CPU of its own. Every candidate's
// layout records opt's event size; names say what changed.
func Candidates(s *Snapshot, rec Recommendation, opt Options) ([]affinity.Candidate, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	def := bus.DefaultLayout()
	def.EventSize = opt.EventSize
	out := []affinity.Candidate{
		{Name: CandidateDefault, Layout: def},
		{Name: CandidateRuleBased, Layout: rec.Layout, Affinity: rec.Affinity},
	}
	seen := map[string]bool{}
	add := func(name string, l bus.Layout, p affinity.Plan) {
		key := fmt.Sprintf("%+v %+v", l, p)
		if seen[key] || l.Validate() != nil {
			return
		}
		seen[key] = true
		out = append(out, affinity.Candidate{Name: name, Layout: l, Affinity: p})
	}
	for _, c := range out {
		seen[fmt.Sprintf("%+v %+v", c.Layout, c.Affinity)] = true
	}
	with := func(edit func(*bus.Layout)) bus.Layout {
		l := rec.Layout
		edit(&l)
		return l
	}
	threads := opt.Producers + opt.Consumers
	usable := s.Usable()

	// The wait strategy first: Poll is the knob that has measurably
	// mattered on VMs with slow core-to-core transfers.
	phased := func(l *bus.Layout) {
		if l.Wait != bus.WaitPhasedBackoff {
			*l = bus.Layout{PadBytes: l.PadBytes, RingSize: l.RingSize, EventSize: l.EventSize, Wait: bus.WaitPhasedBackoff}
		}
	}
	if rec.Layout.Wait != bus.WaitPhasedBackoff {
		add(string(bus.WaitPhasedBackoff), with(phased), rec.Affinity)
	}
	for _, poll := range []time.Duration{4 * time.Microsecond, 2 * time.Microsecond, 8 * time.Microsecond} {
		add(fmt.Sprintf("poll %v", poll), with(func(l *bus.Layout) { phased(l); l.Poll = poll }), rec.Affinity)
	}

	// The plan: unpinned, everything pinned, and the pinned threads moved.
	add("unpinned", rec.Layout, affinity.Plan{})
	if all, ok := pinAll(usable, opt); ok {
		add("all pinned", rec.Layout, all)
	}
	if moved, ok := movePinned(usable, rec.Affinity); ok {
		add("moved", rec.Layout, moved)
	}

	add(fmt.Sprintf("ring %d", rec.Layout.RingSize*4), with(func(l *bus.Layout) { l.RingSize *= 4 }), rec.Affinity)
	add(fmt.Sprintf("ring %d", rec.Layout.RingSize/4), with(func(l *bus.Layout) { l.RingSize /= 4 }), rec.Affinity)

	line, _ := lineSize(s)
	for _, pad := range bus.ValidPads() {
		if pad >= line && pad != rec.Layout.PadBytes {
			add(fmt.Sprintf("pad %d", pad), with(func(l *bus.Layout) { l.PadBytes = pad }), rec.Affinity)
		}
	}
	add("spin 10µs, yield 100µs", with(func(l *bus.Layout) { phased(l); l.SpinFor, l.YieldFor = 10*time.Microsecond, 100*time.Microsecond }), rec.Affinity)
	if usable.Len() >= threads {
		for _, w := range []bus.WaitKind{bus.WaitBusySpin, bus.WaitYielding} {
			add(string(w), with(func(l *bus.Layout) {
				*l = bus.Layout{PadBytes: l.PadBytes, RingSize: l.RingSize, EventSize: l.EventSize, Wait: w}
			}), rec.Affinity)
		}
	}
	return out, nil
}

// pinAll places every thread of opt on a CPU of its own, consumers first,
// in the order of usable, CPU 0 included; false when there are too few.
func pinAll(usable affinity.CPUSet, opt Options) (affinity.Plan, bool) {
	cpus := usable.CPUs()
	if len(cpus) < opt.Producers+opt.Consumers {
		return affinity.Plan{}, false
	}
	var p affinity.Plan
	for i := range opt.Consumers {
		p.Consumers = append(p.Consumers, affinity.Placement{CPU: cpus[len(cpus)-1-i]})
	}
	for i := range opt.Producers {
		p.Producers = append(p.Producers, cpus[len(cpus)-1-opt.Consumers-i])
	}
	return p, true
}

// movePinned moves each pinned thread of plan to a usable CPU the plan
// does not use, in order; false when plan pins nothing or there are not
// enough other CPUs.
func movePinned(usable affinity.CPUSet, plan affinity.Plan) (affinity.Plan, bool) {
	used := map[int]bool{}
	n := 0
	for _, c := range plan.Producers {
		used[c] = true
		if c >= 0 {
			n++
		}
	}
	for _, pl := range plan.Consumers {
		used[pl.CPU] = true
		if pl.CPU >= 0 {
			n++
		}
	}
	var free []int
	for _, c := range usable.CPUs() {
		if !used[c] {
			free = append(free, c)
		}
	}
	if n == 0 || len(free) < n {
		return affinity.Plan{}, false
	}
	next := func(c int) int {
		if c < 0 {
			return c
		}
		c, free = free[0], free[1:]
		return c
	}
	out := affinity.Plan{Producers: slices.Clone(plan.Producers), Consumers: slices.Clone(plan.Consumers)}
	for i := range out.Consumers {
		out.Consumers[i].CPU = next(out.Consumers[i].CPU)
	}
	for i := range out.Producers {
		out.Producers[i] = next(out.Producers[i])
	}
	return out, true
}
