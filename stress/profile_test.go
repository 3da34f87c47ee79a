package stress

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// onProfile returns a profile for this machine's last allowed CPU: the
// largest pad, a ring of 16 slots, blocking waits, producer 0 and consumer
// s0.h0 pinned to that CPU. It skips the test where pinning is not
// supported.
func onProfile(t *testing.T) (*affinity.Profile, int) {
	t.Helper()
	allowed, err := affinity.Allowed()
	if errors.Is(err, affinity.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	cpus := allowed.CPUs()
	cpu := cpus[len(cpus)-1]
	p := affinity.DefaultProfile()
	p.Layout = bus.Layout{PadBytes: slices.Max(bus.ValidPads()), RingSize: 16, Wait: bus.WaitBlocking}
	p.Affinity = affinity.Plan{Producers: []int{cpu}, Consumers: []affinity.Placement{{Name: "s0.h0", CPU: cpu}}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return &p, cpu
}

// TestGenerateOnKeepsTheLayout: every scenario drawn on a layout has its
// pad, ring and wait, and says so; every other dimension is still drawn.
func TestGenerateOnKeepsTheLayout(t *testing.T) {
	l := bus.Layout{PadBytes: slices.Max(bus.ValidPads()), RingSize: 64, Wait: bus.WaitPhasedBackoff}
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 1000; seed++ {
		s := GenerateOn(seed, l)
		if err := s.Validate(); err != nil {
			t.Fatalf("GenerateOn(%d) = %v: %v", seed, s, err)
		}
		if s.Pad != l.PadBytes || s.RingSize != l.RingSize || s.Wait != l.Wait {
			t.Fatalf("GenerateOn(%d) = %v, not on %+v", seed, s, l)
		}
		if !strings.Contains(s.String(), fmt.Sprintf(" ring=64 pad=%d wait=phased-backoff ", l.PadBytes)) {
			t.Fatalf("%v does not show its layout", s)
		}
		for _, k := range []string{"topology=" + s.Topology, "publish=" + string(s.Publish), "end=" + string(s.End),
			"fail=" + string(s.Fail) + "/" + string(s.Policy), "producers=" + itoa(s.Producers)} {
			seen[k] = true
		}
	}
	// 6 topologies, 5 publish modes, 3 endings, 6 failure modes and
	// policies, 8 producer counts.
	if len(seen) != 6+5+3+6+8 {
		t.Errorf("1000 seeds on one layout drew only %v", slices.Sorted(maps.Keys(seen)))
	}
}

// TestRunOnProfile runs scenarios on a profile that pins producer 0 and
// consumer s0.h0: while events flow, their threads are pinned to the
// profile's CPU, under the labels the plan gives them.
func TestRunOnProfile(t *testing.T) {
	p, cpu := onProfile(t)
	s := scenario(Stage{StageHandlers, 2}, Stage{StageHandlers, 1})
	s.Pad, s.RingSize, s.Wait = p.Layout.PadBytes, p.Layout.RingSize, p.Layout.Wait
	var once sync.Once
	var labels []string
	seeHook = func(_ context.Context, h string, e *event, _ int64) bool {
		if h == "s0.h0" && e.P == 0 && e.N == 100 {
			once.Do(func() {
				if c, err := affinity.CPU(); err != nil || c != cpu {
					t.Errorf("consumer s0.h0 runs on cpu %d (%v), want %d", c, err, cpu)
				}
				ths, err := affinity.Threads()
				if err != nil {
					t.Error(err)
				}
				for _, th := range ths {
					if th.Pinned && th.Allowed.Equal(affinity.NewCPUSet(cpu)) {
						labels = append(labels, th.Label)
					}
				}
			})
		}
		return false
	}
	defer func() { seeHook = nil }()
	if _, err := Run(context.Background(), s, Options{Profile: p}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(labels)
	if want := []string{"producer 0", "s0.h0"}; !slices.Equal(labels, want) {
		t.Errorf("threads pinned to cpu %d: %q, want %q", cpu, labels, want)
	}
	for seed := uint64(1); seed <= 20; seed++ {
		s := GenerateOn(seed, p.Layout)
		if _, err := Run(context.Background(), s, Options{Profile: p}); err != nil {
			t.Errorf("%v: %v", s, err)
		}
	}
}

// TestRunOnProfileRejects: a scenario not drawn on the profile's layout,
// and a plan that cannot be pinned, are errors, not violations.
func TestRunOnProfileRejects(t *testing.T) {
	p, _ := onProfile(t)
	s := scenario(Stage{StageHandlers, 1})
	_, err := Run(context.Background(), s, Options{Profile: p})
	if err == nil || !strings.Contains(err.Error(), "draw it with GenerateOn") {
		t.Errorf("Run on another layout = %v", err)
	}
	bad := *p
	bad.Affinity = affinity.Plan{Producers: []int{affinity.MaxCPU}}
	s.Pad, s.RingSize, s.Wait = p.Layout.PadBytes, p.Layout.RingSize, p.Layout.Wait
	_, err = Run(context.Background(), s, Options{Profile: &bad})
	var v *Violation
	if err == nil || errors.As(err, &v) || !strings.Contains(err.Error(), "pinning producer 0") {
		t.Errorf("Run with a plan that cannot pin = %v, want the pinning error", err)
	}
}
