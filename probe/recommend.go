package probe

import (
	"fmt"
	"math/bits"
	"slices"

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
