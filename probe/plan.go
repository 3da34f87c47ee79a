package probe

// This file holds the affinity plan of a recommendation: which cores the
// consumers and producers get, in which cache and NUMA domain.

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/eventbus/eventbus/affinity"
)

// coresSharing returns the number of physical cores among cpus, at least 1.
func coresSharing(s *Snapshot, cpus affinity.CPUSet) int {
	keys := map[string]bool{}
	for _, id := range cpus.CPUs() {
		c, ok := s.CPU(id)
		if !ok {
			c = CPU{ID: id}
		}
		keys[c.CoreKey()] = true
	}
	return max(len(keys), 1)
}

// core is one physical core the planner may use.
type core struct {
	cpu      int // the CPU chosen on this core
	isolated bool
	hasCPU0  bool
	node     int
	llc      string // key of the last-level cache shared with others
	llcSize  int
	llcLevel int
}

type cpuPlan struct {
	affinity  affinity.Plan
	producers []int
	consumers []int
	domain    []core // the cores of the chosen L3/NUMA domain, in preference order
}

// planCPUs places consumers first (they wait for every event, so they gain
// most from a core of their own), then producers, each on a distinct
// physical core of one L3 and NUMA domain, never on CPU 0's core.
func planCPUs(s *Snapshot, opt Options, why func(string, string, ...any)) cpuPlan {
	var p cpuPlan
	need := opt.Producers + opt.Consumers
	usable := s.Usable()
	var described []int
	for _, c := range s.OS.CPUs {
		if c.ID >= 0 && c.ID <= affinity.MaxCPU {
			described = append(described, c.ID)
		}
	}
	eligible := usable.Intersect(affinity.NewCPUSet(described...))
	if unknown := usable.Difference(eligible); !unknown.IsEmpty() {
		why("cpus", "usable CPUs %s left out: sysfs describes neither their cores nor their caches", unknown)
	}
	if e := s.OS.Efficiency.Value; !e.IsEmpty() {
		if rest := eligible.Difference(e); !rest.IsEmpty() {
			eligible = rest
			why("cpus", "efficiency cores %s excluded: a bus thread there runs at a fraction of a performance core's speed", e)
		}
	}
	if iso := s.OS.Isolated.Value; !iso.IsEmpty() {
		if out := iso.Difference(usable); !out.IsEmpty() {
			why("cpus", "isolated CPUs %s are outside this process's allowed CPUs %s; start it with taskset -c to let the plan use them", out, usable)
		}
	}
	cores := collectCores(s, eligible)
	var withoutZero []core
	for _, c := range cores {
		if !c.hasCPU0 {
			withoutZero = append(withoutZero, c)
		}
	}
	if len(withoutZero) < len(cores) {
		why("cpus", "CPU 0's core left to the kernel: it takes timers, interrupts and housekeeping that cannot move")
	}
	p.domain = chooseDomain(withoutZero, need)

	cpus := make([]int, need)
	for i := range cpus {
		cpus[i] = -1
		if i < len(p.domain) {
			cpus[i] = p.domain[i].cpu
		}
	}
	p.consumers, p.producers = cpus[:opt.Consumers], cpus[opt.Consumers:]
	short := ""
	if need > len(p.domain) {
		short = fmt.Sprintf("the %s (%s) leave %s for %d bus threads", count(usable.Len(), "usable CPU"), usable, count(len(p.domain), "free physical core"), need)
		if len(p.domain) < len(withoutZero) {
			short = fmt.Sprintf("only %s share an L3 and NUMA node", count(len(p.domain), "free physical core"))
		}
	}
	describe := func(role string, i, cpu int) {
		if cpu < 0 {
			why(role, "%s %d not pinned: %s; pinning it beside another bus thread would make two waiting threads share a CPU, and they hand off in milliseconds", role, i, short)
			return
		}
		c := p.domain[slices.IndexFunc(p.domain, func(c core) bool { return c.cpu == cpu })]
		var parts []string
		if c.isolated {
			parts = append(parts, "isolated from the scheduler")
		}
		if s.OS.NohzFull.Value.Contains(cpu) {
			parts = append(parts, "tickless (nohz_full)")
		}
		parts = append(parts, "a physical core of its own")
		sib, _ := s.CPU(cpu)
		others := sib.Siblings.Difference(affinity.NewCPUSet(cpu))
		if idle := others.Intersect(usable); !idle.IsEmpty() {
			parts = append(parts, fmt.Sprintf("SMT sibling %s left idle", idle))
		}
		if busy := others.Difference(usable); !busy.IsEmpty() {
			parts = append(parts, fmt.Sprintf("SMT sibling %s is outside the usable CPUs and may run other work", busy))
		}
		if c.llcSize > 0 && min(need, len(p.domain)) > 1 {
			parts = append(parts, fmt.Sprintf("shares the %s L%d with the other bus threads", formatSize(c.llcSize), c.llcLevel))
		}
		if len(s.OS.Nodes) > 1 {
			parts = append(parts, fmt.Sprintf("NUMA node %d", c.node))
		}
		why(role, "%s %d on CPU %d: %s", role, i, cpu, strings.Join(parts, ", "))
	}
	for i, c := range p.consumers {
		describe("consumer", i, c)
		p.affinity.Consumers = append(p.affinity.Consumers, affinity.Placement{CPU: c})
	}
	for i, c := range p.producers {
		describe("producer", i, c)
		p.affinity.Producers = append(p.affinity.Producers, c)
	}
	governors := map[string][]int{}
	for _, cpu := range cpus {
		if c, ok := s.CPU(cpu); ok && c.Governor != "" && c.Governor != "performance" {
			governors[c.Governor] = append(governors[c.Governor], cpu)
		}
	}
	for _, g := range slices.Sorted(maps.Keys(governors)) {
		why("cpus", "frequency governor %q on planned CPUs %s: set \"performance\" there for steady latency; a thread that wakes from sleep starts at a low clock", g, affinity.NewCPUSet(governors[g]...))
	}
	return p
}

// lastLevel returns the outermost data or unified cache of c.
func lastLevel(c CPU) (Cache, bool) {
	var best Cache
	found := false
	for _, k := range c.Caches {
		if k.Type != "Instruction" && k.Level >= best.Level {
			best, found = k, true
		}
	}
	return best, found
}

// collectCores groups the eligible CPUs by physical core and picks one CPU
// per core, preferring an isolated one.
func collectCores(s *Snapshot, eligible affinity.CPUSet) []core {
	byKey := map[string]*core{}
	var order []string
	var llcs setNames
	isolated := s.OS.Isolated.Value
	for _, id := range eligible.CPUs() {
		c, ok := s.CPU(id)
		if !ok {
			c = CPU{ID: id, Node: -1}
		}
		key := c.CoreKey()
		k, seen := byKey[key]
		if !seen {
			k = &core{cpu: id, node: max(c.Node, 0), isolated: isolated.Contains(id)}
			if l, found := lastLevel(c); found {
				k.llc, k.llcSize, k.llcLevel = llcs.name(l.SharedWith), l.Size, l.Level
			} else if c.Package >= 0 {
				k.llc = fmt.Sprintf("package %d", c.Package)
			}
			byKey[key] = k
			order = append(order, key)
		} else if !k.isolated && isolated.Contains(id) {
			k.cpu, k.isolated = id, true
		}
		k.hasCPU0 = k.hasCPU0 || c.Siblings.Contains(0) || id == 0
	}
	var out []core
	for _, key := range order {
		out = append(out, *byKey[key])
	}
	return out
}

// setNames names CPU sets, equal sets alike, for grouping. Printing a set
// takes time linear in its CPUs, and on a large machine thousands of cores
// have the same last-level cache set, so a set equal to one named before
// (among the last few of its size) takes that one's name without being
// printed again.
type setNames struct {
	bySize map[int][]namedSet
}

type namedSet struct {
	set  affinity.CPUSet
	name string
}

// recent is how many sets of one size setNames compares a set with before
// printing it: real machines have a handful of cache domains of one size.
const recent = 4

func (x *setNames) name(s affinity.CPUSet) string {
	if x.bySize == nil {
		x.bySize = map[int][]namedSet{}
	}
	n := s.Len()
	same := x.bySize[n]
	for i := len(same) - 1; i >= max(0, len(same)-recent); i-- {
		if same[i].set.Equal(s) {
			return same[i].name
		}
	}
	name := s.String()
	x.bySize[n] = append(same[max(0, len(same)-recent+1):], namedSet{s, name})
	return name
}

// chooseDomain picks the L3/NUMA domain best suited to need threads (most
// isolated cores, then most cores, then lowest CPU) and returns its cores,
// isolated ones first.
func chooseDomain(cores []core, need int) []core {
	type domain struct {
		cores    []core
		isolated int
	}
	byKey := map[string]*domain{}
	var keys []string
	for _, c := range cores {
		key := fmt.Sprintf("%d/%s", c.node, c.llc)
		d, ok := byKey[key]
		if !ok {
			d = &domain{}
			byKey[key] = d
			keys = append(keys, key)
		}
		d.cores = append(d.cores, c)
		if c.isolated {
			d.isolated++
		}
	}
	if len(keys) == 0 {
		return nil
	}
	best := byKey[keys[0]]
	for _, k := range keys[1:] {
		d := byKey[k]
		if cmp.Or(cmp.Compare(min(d.isolated, need), min(best.isolated, need)),
			cmp.Compare(min(len(d.cores), need), min(len(best.cores), need))) > 0 {
			best = d
		}
	}
	out := slices.Clone(best.cores)
	slices.SortStableFunc(out, func(a, b core) int {
		if a.isolated != b.isolated {
			if a.isolated {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.cpu, b.cpu)
	})
	return out
}
