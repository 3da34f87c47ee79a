package probe

import (
	"cmp"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// Options shapes the bus a recommendation is made for. The zero value asks
// for one producer, one consumer and 64-byte events.
type Options struct {
	// Producers is the number of publishing goroutines; 0 means 1.
	Producers int
	// Consumers is the number of consumer goroutines; 0 means 1.
	Consumers int
	// EventSize is the size in bytes of one ring slot; 0 means 64.
	EventSize int
}

func (o Options) withDefaults() (Options, error) {
	if o.Producers < 0 || o.Consumers < 0 || o.EventSize < 0 {
		return o, fmt.Errorf("%w: negative option in %+v", ErrMalformed, o)
	}
	if o.Producers == 0 {
		o.Producers = 1
	}
	if o.Consumers == 0 {
		o.Consumers = 1
	}
	if o.EventSize == 0 {
		o.EventSize = 64
	}
	if o.Producers+o.Consumers > 1024 {
		return o, fmt.Errorf("%w: %d producers and %d consumers: at most 1024 goroutines can be planned", ErrMalformed, o.Producers, o.Consumers)
	}
	return o, nil
}

// Recommendation is a layout and affinity plan for a bus on one machine,
// with a reason for every decision.
type Recommendation struct {
	// Layout is the pad, ring size and wait strategy.
	Layout bus.Layout `json:"layout"`
	// Affinity says where each producer and consumer should run; -1 means
	// "do not pin".
	Affinity affinity.Plan `json:"affinity"`
	// Reasons explains each decision in one line, in the order made.
	Reasons []affinity.Reason `json:"reasons"`
}

// Ring size bounds, in slots.
const (
	minRing = 16
	maxRing = 1 << 20
)

// Recommend derives a bus layout and affinity plan from a snapshot and,
// when m is not nil, from measurements taken on the same machine. It is a
// pure function: the same inputs give the same recommendation. It fails
// only on bad options.
func Recommend(s *Snapshot, m *Measurements, opt Options) (Recommendation, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return Recommendation{}, err
	}
	var r Recommendation
	why := func(topic, format string, args ...any) {
		r.Reasons = append(r.Reasons, affinity.Reason{Topic: topic, Text: fmt.Sprintf(format, args...)})
	}
	r.Layout.PadBytes = choosePad(s, m, why)

	plan := planCPUs(s, opt, why)
	r.Affinity = plan.affinity
	consumerCPU := -1
	if len(plan.consumers) > 0 {
		consumerCPU = plan.consumers[0]
	}
	r.Layout.EventSize = opt.EventSize
	r.Layout.RingSize = chooseRing(s, consumerCPU, opt.EventSize, why)
	r.Layout.Wait = chooseWait(s, plan, opt, why)
	latencyReason(m, plan, why)
	return r, nil
}

// Profile returns r as a layout profile for the bus, identifying the
// machine of s. The profile passes affinity.ParseProfile.
func (r Recommendation) Profile(s *Snapshot) affinity.Profile {
	return affinity.Profile{
		Schema: affinity.ProfileSchema,
		Machine: affinity.Machine{
			Hostname: s.OS.Hostname.Value,
			CPUModel: s.Hardware.Model.Value,
			Online:   s.OS.Online.Value,
			Allowed:  s.Usable(),
			GOARCH:   s.Hardware.Arch.Value,
		},
		Layout:   r.Layout,
		Affinity: r.Affinity,
		Reasons:  r.Reasons,
	}
}

// lineSize returns the cache line size to believe: sysfs over cpuid, the
// larger when they disagree, 64 when neither knows.
func lineSize(s *Snapshot) (int, string) {
	hw, os := s.Hardware.CacheLine, s.OS.CacheLine
	switch {
	case hw.Known() && os.Known() && hw.Value != os.Value:
		l := max(hw.Value, os.Value)
		return l, fmt.Sprintf("sources disagree (cpuid %d, sysfs %d); the larger, %d, is safe for both", hw.Value, os.Value, l)
	case os.Known():
		return os.Value, fmt.Sprintf("%d-byte coherency lines (sysfs)", os.Value)
	case hw.Known():
		return hw.Value, fmt.Sprintf("%d-byte cache lines (%s)", hw.Value, hw.Source)
	}
	return 64, "cache line size unknown, assuming 64 bytes"
}

func roundPad(n int) int {
	for _, p := range []int{64, 128, 256} {
		if n <= p {
			return p
		}
	}
	return 256
}

func choosePad(s *Snapshot, m *Measurements, why func(string, string, ...any)) int {
	line, lineWhy := lineSize(s)
	pad := roundPad(line)
	text := lineWhy
	arch := s.Hardware.Arch.Value
	if (arch == "amd64" || arch == "386") && pad < 128 {
		pad = 128
		text += "; x86's adjacent-line prefetcher fetches lines in 128-byte pairs, so neighbours one line apart still interfere"
	}
	if m != nil && m.FalseSharing != nil && m.FalseSharing.Distance > 0 {
		d := m.FalseSharing.Distance
		switch {
		case d < line:
			text += fmt.Sprintf("; the measured false-sharing distance, %d bytes, is below the %d-byte line, where two writers always interfere: noise, not used", d, line)
		case d > pad:
			pad = roundPad(d)
			text += fmt.Sprintf("; measured: two writers stop slowing each other only %d bytes apart", d)
		default:
			text += fmt.Sprintf("; measured: two writers stop slowing each other %d bytes apart, within this pad", d)
		}
	}
	if line > 256 {
		text += "; lines wider than 256 bytes cannot be padded fully by the bus"
	}
	why("pad", "%d bytes: %s", pad, text)
	return pad
}

func chooseRing(s *Snapshot, consumerCPU, eventSize int, why func(string, string, ...any)) int {
	budget, what := 0, ""
	c, ok := s.CPU(consumerCPU)
	if !ok && len(s.OS.CPUs) > 0 {
		usable := s.Usable()
		for _, x := range s.OS.CPUs {
			if usable.Contains(x.ID) {
				c, ok = x, true
				break
			}
		}
	}
	where := "the consumer's"
	if consumerCPU < 0 {
		where = "a usable CPU's"
	}
	if ok {
		for _, level := range []int{2, 3} {
			k, found := c.Cache(level)
			if !found || k.Size == 0 {
				continue
			}
			share := coresSharing(s, k.SharedWith)
			budget = k.Size / share / 2
			if share == 1 {
				what = fmt.Sprintf("half of %s %s L%d (CPU %d)", where, formatSize(k.Size), level, c.ID)
			} else {
				what = fmt.Sprintf("half of %s share of the %s L%d that %d cores share", where, formatSize(k.Size), level, share)
			}
			break
		}
	}
	if budget == 0 && s.Hardware.L2.Known() {
		budget, what = s.Hardware.L2.Value/2, fmt.Sprintf("half of the %s L2 (%s)", formatSize(s.Hardware.L2.Value), s.Hardware.L2.Source)
	}
	if budget == 0 {
		why("ring", "1024 slots: cache sizes are unknown, so the bus default")
		return 1024
	}
	n := budget / eventSize
	ring := minRing
	if n >= minRing {
		ring = 1 << (bits.Len(uint(n)) - 1)
	}
	ring = min(ring, maxRing)
	bytes := ring * eventSize
	switch {
	case n < minRing:
		why("ring", "%d slots (the minimum): %d-byte events do not fit %s, so the ring streams from L3 or memory", ring, eventSize, what)
	default:
		why("ring", "%d slots x %d-byte events = %s, the largest power of two within %s, leaving the rest for the handler's own data", ring, eventSize, formatSize(bytes), what)
	}
	return ring
}

// count returns "1 thing" or "n things".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

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

func chooseWait(s *Snapshot, p cpuPlan, opt Options, why func(string, string, ...any)) bus.WaitKind {
	spinners := opt.Producers + opt.Consumers
	quota := s.Process.Quota.Value
	pinned := 0
	for _, c := range append(slices.Clone(p.consumers), p.producers...) {
		if c >= 0 {
			pinned++
		}
	}
	gmp := s.Process.GOMAXPROCS.Value
	switch {
	case quota > 0 && quota < float64(spinners):
		why("wait", "%s: %d spinning threads would burn the %.3g-CPU cgroup quota and the whole cgroup would be throttled until the next period; blocking uses CPU only for work", bus.WaitBlocking, spinners, quota)
		return bus.WaitBlocking
	case pinned < spinners:
		why("wait", "%s: only %d of %d bus threads get a physical core of their own, and a busy-spinning thread sharing a CPU stalls the thread it waits for", bus.WaitPhasedBackoff, pinned, spinners)
		return bus.WaitPhasedBackoff
	case quota > 0 && quota < float64(spinners+1):
		why("wait", "%s: %d busy-spinning threads would use all but %.2g of the %.3g-CPU quota, starving the rest of the program", bus.WaitPhasedBackoff, spinners, quota-float64(spinners), quota)
		return bus.WaitPhasedBackoff
	case gmp > 0 && gmp <= spinners:
		why("wait", "%s: GOMAXPROCS is %d, so %d busy-spinning goroutines would leave no P for the rest of the program", bus.WaitPhasedBackoff, gmp, spinners)
		return bus.WaitPhasedBackoff
	}
	q := "no CPU quota"
	if quota > 0 {
		q = fmt.Sprintf("the %.3g-CPU quota leaves room for the rest", quota)
	}
	why("wait", "%s: each of the %d bus threads has a physical core of its own, %s, and GOMAXPROCS %d leaves Ps for the rest of the program", bus.WaitBusySpin, spinners, q, gmp)
	return bus.WaitBusySpin
}

// latencyReason adds what the measurements say about the planned CPUs.
func latencyReason(m *Measurements, p cpuPlan, why func(string, string, ...any)) {
	if m == nil || len(m.Latency) == 0 {
		return
	}
	a, b := -1, -1
	if len(p.consumers) > 0 {
		a = p.consumers[0]
	}
	if len(p.producers) > 0 {
		b = p.producers[0]
	}
	for _, l := range m.Latency {
		if (l.A == a && l.B == b) || (l.A == b && l.B == a) {
			why("latency", "producer to consumer, CPU %d to %d: %s", l.A, l.B, l.Summary())
			return
		}
	}
	var best *PairLatency
	for i, l := range m.Latency {
		if l.Unmeasured == "" && (best == nil || l.MedianNS < best.MedianNS) {
			best = &m.Latency[i]
		}
	}
	if best == nil {
		return
	}
	lead := "the planned pair was not measured"
	if a < 0 || b < 0 {
		lead = "a bus thread is not pinned, so hand-offs may cross any pair"
	}
	why("latency", "%s; fastest measured pair, CPU %d to %d: %s", lead, best.A, best.B, best.Summary())
}
