package probe

import (
	"fmt"
	"math"
)

// conflicts compares the sources of s that speak about the same fact.
func conflicts(s *Snapshot) []Conflict {
	var out []Conflict
	add := func(topic, format string, args ...any) {
		out = append(out, Conflict{Topic: topic, Text: fmt.Sprintf(format, args...)})
	}
	hw, os, p := s.Hardware, s.OS, s.Process
	if hw.CacheLine.Known() && os.CacheLine.Known() && hw.CacheLine.Value != os.CacheLine.Value {
		add("cache line", "%s says %d-byte cache lines, %s says %d", hw.CacheLine.Source, hw.CacheLine.Value, os.CacheLine.Source, os.CacheLine.Value)
	}
	if hw.L2.Known() && len(os.CPUs) > 0 {
		if k, ok := os.CPUs[0].Cache(2); ok && k.Size > 0 && k.Size != hw.L2.Value {
			add("L2 size", "%s says L2 is %s, %s/cache says %s", hw.L2.Source, formatSize(hw.L2.Value), name(cpuDir(os.CPUs[0].ID)), formatSize(k.Size))
		}
	}
	if hw.Hybrid.Value && os.Efficiency.Known() && os.Efficiency.Value.IsEmpty() {
		add("core types", "%s says the processor is hybrid, but %s finds no efficiency cores", hw.Hybrid.Source, os.Efficiency.Source)
	}
	if p.Allowed.Known() && os.Online.Known() {
		if off := p.Allowed.Value.Difference(os.Online.Value); !off.IsEmpty() {
			add("allowed CPUs", "%s allows CPUs %s that %s does not list as online", p.Allowed.Source, off, os.Online.Source)
		}
	}
	if p.Allowed.Known() && p.Cpuset.Known() {
		if out := p.Allowed.Value.Difference(p.Cpuset.Value); !out.IsEmpty() {
			add("allowed CPUs", "%s allows CPUs %s outside the cgroup cpuset %s (%s)", p.Allowed.Source, out, p.Cpuset.Value, p.Cpuset.Source)
		}
	}
	if g := p.GOMAXPROCS; g.Known() {
		u := s.Usable().Len()
		if u > 0 && g.Value > u {
			add("GOMAXPROCS", "GOMAXPROCS is %d (%s) but only %d CPUs are usable", g.Value, g.Source, u)
		}
		if q := p.Quota.Value; q > 0 && float64(g.Value) > math.Max(2, math.Ceil(q)) {
			add("GOMAXPROCS", "GOMAXPROCS is %d (%s) but the cgroup quota is %.2g CPUs (%s)", g.Value, g.Source, q, p.Quota.Source)
		}
	}
	return out
}
