package probe

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// TestRecommendFixtures states, for each captured or hand-built machine, the
// plan a performance engineer would make and why.
func TestRecommendFixtures(t *testing.T) {
	tests := []struct {
		tree      string
		opt       Options
		pad       int
		ring      int
		wait      bus.WaitKind
		consumers []int
		producers []int
		why       string
	}{
		{"kvm-epyc-2cpu", Options{}, 128, 4096, bus.WaitPhasedBackoff, []int{1}, []int{-1},
			"2 vCPUs: CPU 0 stays with the kernel, the consumer gets CPU 1 alone and the producer is left unpinned " +
				"rather than sharing CPU 1; with fewer free cores than spinners busy-spin would hand off in milliseconds. " +
				"Pad 128 for x86's adjacent-line prefetcher; 4096 x 64 B fills half the 512K L2."},
		{"server-2s-smt2", Options{}, 128, 8192, bus.WaitBusySpin, []int{4}, []int{5},
			"isolated, tickless cores 4 and 5 on socket 0 share an L3 and NUMA node; one thread per core, siblings 20 and 21 idle; " +
				"with cores to spare and no quota, busy-spin gives the lowest latency."},
		{"server-2s-smt2", Options{Consumers: 3, Producers: 2}, 128, 8192, bus.WaitBusySpin, []int{4, 5, 6}, []int{7, 1},
			"four isolated cores are taken first; the fifth thread goes to a non-isolated core of the same socket (1), never to CPU 0 or to socket 1."},
		{"arm64-128b", Options{}, 128, 8192, bus.WaitBusySpin, []int{1}, []int{2},
			"sysfs says 128-byte lines where captured cpuid says 64: the larger pad is safe; the 16M L2 is shared by 16 cores, so the ring gets half of one core's share."},
		{"hybrid-desktop", Options{}, 128, 8192, bus.WaitBusySpin, []int{2}, []int{4},
			"E-cores 16-19 are excluded, P-core 0/1 left to the kernel; consumer and producer on different P-cores with their SMT siblings idle."},
		{"container-1.5cpu", Options{}, 128, 4096, bus.WaitBlocking, []int{2}, []int{3},
			"a 1.5-CPU quota cannot feed two spinning threads: spinning would get the cgroup throttled for the rest of each period, so block; " +
				"pinning within the cpuset 2-5 still keeps the threads on separate cores."},
		{"s390x-256b", Options{}, 256, 32768, bus.WaitBusySpin, []int{2}, []int{4},
			"256-byte lines need a 256-byte pad; the 4M private L2 takes a 2M ring."},
		{"kvm-epyc-2cpu", Options{EventSize: 1 << 20}, 128, 16, bus.WaitPhasedBackoff, []int{1}, []int{-1},
			"1 MiB events cannot fit any cache: the ring takes the minimum of 16 slots."},
	}
	for _, tt := range tests {
		s := readFixture(t, tt.tree)
		r, err := Recommend(s, nil, tt.opt)
		if err != nil {
			t.Fatal(err)
		}
		var cons []int
		for _, c := range r.Affinity.Consumers {
			cons = append(cons, c.CPU)
		}
		if r.Layout.PadBytes != tt.pad || r.Layout.RingSize != tt.ring || r.Layout.Wait != tt.wait ||
			!slices.Equal(cons, tt.consumers) || !slices.Equal(r.Affinity.Producers, tt.producers) {
			t.Errorf("%s %+v: got pad %d ring %d wait %s consumers %v producers %v;\nwant pad %d ring %d wait %s consumers %v producers %v\nbecause %s\nreasons:\n%s",
				tt.tree, tt.opt, r.Layout.PadBytes, r.Layout.RingSize, r.Layout.Wait, cons, r.Affinity.Producers,
				tt.pad, tt.ring, tt.wait, tt.consumers, tt.producers, tt.why, reasonsText(r))
		}
		checkProfile(t, tt.tree, s, r)
	}
}

// checkProfile checks the invariants every recommendation keeps.
func checkProfile(t *testing.T, tree string, s *Snapshot, r Recommendation) {
	t.Helper()
	p := r.Profile(s)
	b, err := p.MarshalIndent()
	if err != nil {
		t.Fatalf("%s: profile does not validate: %v", tree, err)
	}
	if _, err := affinity.ParseProfile(b); err != nil {
		t.Fatalf("%s: profile does not parse back: %v", tree, err)
	}
	topics := map[string]bool{}
	for _, reason := range r.Reasons {
		topics[reason.Topic] = true
		if reason.Text == "" || strings.Contains(reason.Text, "\n") {
			t.Errorf("%s: reason %q is not one line", tree, reason.Text)
		}
	}
	for _, need := range []string{"pad", "ring", "wait", "producer", "consumer"} {
		if !topics[need] {
			t.Errorf("%s: no reason for %q", tree, need)
		}
	}
	// No two bus threads on one core, nothing outside the usable CPUs,
	// never CPU 0, and busy-spin only when every thread is pinned.
	usable := s.Usable()
	seen := map[string]bool{}
	all := slices.Clone(r.Affinity.Producers)
	for _, c := range r.Affinity.Consumers {
		all = append(all, c.CPU)
	}
	for _, cpu := range all {
		if cpu < 0 {
			if r.Layout.Wait == bus.WaitBusySpin {
				t.Errorf("%s: busy-spin with an unpinned thread", tree)
			}
			continue
		}
		c, _ := s.CPU(cpu)
		if !usable.Contains(cpu) || cpu == 0 || seen[c.CoreKey()] {
			t.Errorf("%s: CPU %d planned: usable %s, core %s already used %v", tree, cpu, usable, c.CoreKey(), seen[c.CoreKey()])
		}
		seen[c.CoreKey()] = true
	}
}

func reasonsText(r Recommendation) string {
	var b strings.Builder
	for _, x := range r.Reasons {
		b.WriteString("  " + x.Topic + ": " + x.Text + "\n")
	}
	return b.String()
}

// synthetic builds a snapshot of n single-thread cores sharing one L3.
func synthetic(n int) *Snapshot {
	s := &Snapshot{}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	set := affinity.NewCPUSet(all...)
	s.Hardware.Arch = known("amd64", "test")
	s.OS.Online = known(set, "test")
	s.OS.CacheLine = known(64, "test")
	for i := range n {
		s.OS.CPUs = append(s.OS.CPUs, CPU{ID: i, Core: i, Node: 0, Siblings: affinity.NewCPUSet(i), Caches: []Cache{
			{Level: 2, Type: "Unified", Size: 1 << 20, LineSize: 64, SharedWith: affinity.NewCPUSet(i)},
			{Level: 3, Type: "Unified", Size: 32 << 20, LineSize: 64, SharedWith: set},
		}})
	}
	s.Process.Allowed = known(set, "test")
	s.Process.GOMAXPROCS = known(n, "test")
	return s
}

func TestRecommendRules(t *testing.T) {
	tests := []struct {
		name   string
		s      func() *Snapshot
		m      *Measurements
		opt    Options
		check  func(r Recommendation) bool
		reason string
	}{
		{"quota between spinners and spinners+1", func() *Snapshot {
			s := synthetic(8)
			s.Process.Quota = known(2.5, "test")
			return s
		}, nil, Options{}, func(r Recommendation) bool { return r.Layout.Wait == bus.WaitPhasedBackoff },
			"2 spinners fit a 2.5-CPU quota but would starve the rest of the program"},
		{"ample quota", func() *Snapshot {
			s := synthetic(8)
			s.Process.Quota = known(4.0, "test")
			return s
		}, nil, Options{}, func(r Recommendation) bool { return r.Layout.Wait == bus.WaitBusySpin },
			"4 CPUs of quota for 2 spinners on their own cores"},
		{"GOMAXPROCS too small", func() *Snapshot {
			s := synthetic(8)
			s.Process.GOMAXPROCS = known(2, "test")
			return s
		}, nil, Options{}, func(r Recommendation) bool { return r.Layout.Wait == bus.WaitPhasedBackoff },
			"two busy-spinning goroutines would hold both Ps"},
		{"more threads than cores", func() *Snapshot { return synthetic(4) }, nil, Options{Consumers: 4},
			func(r Recommendation) bool {
				return r.Layout.Wait == bus.WaitPhasedBackoff && r.Affinity.Producers[0] == -1 &&
					r.Affinity.Consumers[0].CPU == 1 && r.Affinity.Consumers[3].CPU == -1
			}, "3 free cores for 5 threads: consumers first, the rest unpinned, no busy-spin"},
		{"one usable CPU", func() *Snapshot {
			s := synthetic(4)
			s.Process.Allowed = known(affinity.NewCPUSet(0), "test")
			return s
		}, nil, Options{}, func(r Recommendation) bool {
			return r.Affinity.Consumers[0].CPU == -1 && r.Affinity.Producers[0] == -1 && r.Layout.Wait != bus.WaitBusySpin
		}, "only CPU 0 is allowed: nothing can be pinned"},
		{"nothing known", func() *Snapshot { return &Snapshot{} }, nil, Options{},
			func(r Recommendation) bool {
				return r.Layout.PadBytes == 64 && r.Layout.RingSize == 1024 && r.Layout.Wait == bus.WaitPhasedBackoff
			}, "a non-Linux machine with no facts gets the safe defaults"},
		{"measured distance raises the pad", func() *Snapshot { return synthetic(4) },
			&Measurements{FalseSharing: &FalseSharing{Distance: 256}}, Options{},
			func(r Recommendation) bool { return r.Layout.PadBytes == 256 },
			"writers still interfering at 128 bytes need a 256-byte pad"},
		{"measured distance below the line keeps the pad", func() *Snapshot { return synthetic(4) },
			&Measurements{FalseSharing: &FalseSharing{Distance: 64}}, Options{},
			func(r Recommendation) bool { return r.Layout.PadBytes == 128 },
			"a clean 64 on x86 does not remove the prefetcher pair"},
		{"measured distance within one line is noise", func() *Snapshot { return synthetic(4) },
			&Measurements{FalseSharing: &FalseSharing{Distance: 8, Rounds: []int{8, 64, 8}, Agree: 2}}, Options{},
			func(r Recommendation) bool {
				return r.Layout.PadBytes == 128 && strings.Contains(reasonsText(r), "8 bytes, is below the 64-byte line") &&
					strings.Contains(reasonsText(r), "noise, not used")
			},
			"two writers 8 bytes apart share a line: flagged, never used"},
		{"an unmeasured pair is not the fastest", func() *Snapshot { return synthetic(2) },
			&Measurements{Latency: []PairLatency{{A: 0, B: 1, Unmeasured: "probe: measurement partner stalled"}}}, Options{},
			func(r Recommendation) bool { return !strings.Contains(reasonsText(r), "latency") },
			"a pair that never answered has no figure to report"},
		{"isolated CPUs outside the affinity", func() *Snapshot {
			s := synthetic(8)
			s.OS.Isolated = known(affinity.NewCPUSet(6, 7), "test")
			s.Process.Allowed = known(affinity.MustParseCPUList("0-5"), "test")
			return s
		}, nil, Options{}, func(r Recommendation) bool {
			return strings.Contains(reasonsText(r), "taskset") && r.Affinity.Consumers[0].CPU == 1
		}, "the plan cannot use isolated CPUs the process may not run on, and says how to fix it"},
		{"latency of the planned pair", func() *Snapshot { return synthetic(4) },
			&Measurements{Latency: []PairLatency{{A: 1, B: 2, MedianNS: 80, P10NS: 70, P90NS: 90, RunMedians: []float64{80}, Stability: Stable}}}, Options{},
			func(r Recommendation) bool { return strings.Contains(reasonsText(r), "CPU 1 to 2: median 80 ns") },
			"the measured round trip between consumer and producer is reported"},
		{"latency with an unpinned producer", func() *Snapshot { return synthetic(2) },
			&Measurements{Latency: []PairLatency{{A: 0, B: 1, MedianNS: 90, P10NS: 87, P90NS: 426, RunMedians: []float64{88, 90, 92, 420, 433, 440}, Stability: Bimodal, Modes: []float64{90, 433}}}}, Options{},
			func(r Recommendation) bool {
				t := reasonsText(r)
				return strings.Contains(t, "not pinned, so hand-offs may cross any pair") && strings.Contains(t, "bimodal")
			}, "on a 2-vCPU VM the producer floats, and the bimodal figure is passed on"},
	}
	for _, tt := range tests {
		s := tt.s()
		r, err := Recommend(s, tt.m, tt.opt)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !tt.check(r) {
			t.Errorf("%s: %s\ngot %+v %+v\n%s", tt.name, tt.reason, r.Layout, r.Affinity, reasonsText(r))
		}
		if tt.name != "nothing known" {
			checkProfile(t, tt.name, s, r)
		}
	}
}

func TestRecommendBadOptions(t *testing.T) {
	for _, o := range []Options{{Producers: -1}, {EventSize: -8}, {Consumers: 2000}} {
		if _, err := Recommend(synthetic(2), nil, o); !errors.Is(err, ErrMalformed) {
			t.Errorf("Recommend(%+v) error = %v, want ErrMalformed", o, err)
		}
	}
}

func TestRecommendIsPure(t *testing.T) {
	s := readFixture(t, "server-2s-smt2")
	a, _ := Recommend(s, nil, Options{Consumers: 2})
	b, _ := Recommend(s, nil, Options{Consumers: 2})
	if mustJSON(t, a) != mustJSON(t, b) {
		t.Error("two calls with the same input differ")
	}
}
