package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventbus/eventbus/affinity"
)

func TestSpread(t *testing.T) {
	if got := spread([]int{0, 1, 2}, 8); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("spread of 3 = %v", got)
	}
	cpus := make([]int, 64)
	for i := range cpus {
		cpus[i] = i
	}
	got := spread(cpus, 8)
	if len(got) != 8 || got[0] != 0 || got[7] != 63 || !slices.IsSorted(got) {
		t.Errorf("spread(0..63, 8) = %v", got)
	}
}

func TestMeasureNeedsTwoCPUs(t *testing.T) {
	_, err := Measure(context.Background(), affinity.NewCPUSet(0), MeasureOptions{Budget: time.Millisecond})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("Measure on one CPU: err = %v, want ErrUnsupported", err)
	}
}

func TestMeasureCanceled(t *testing.T) {
	if !canPin() {
		t.Skip("no pinning on this OS")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err := Measure(ctx, usableHere(t), MeasureOptions{Budget: time.Second})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("canceled Measure took %v", el)
	}
}

// TestMeasureShape runs the real measurement briefly and checks the shape of
// the result, not the speed of this machine.
func TestMeasureShape(t *testing.T) {
	if !canPin() {
		t.Skip("no pinning on this OS")
	}
	cpus := usableHere(t)
	var steps, total int
	start := time.Now()
	m, err := Measure(context.Background(), cpus, MeasureOptions{
		Budget: 300 * time.Millisecond, Runs: 3, MaxCPUs: 3,
		Progress: func(d, n int) { steps, total = d, n },
	})
	if err != nil {
		if errors.Is(err, ErrStalled) {
			t.Skipf("a vCPU stalled: %v", err)
		}
		t.Fatal(err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("a 300ms budget took %v", el)
	}
	if steps != total || total == 0 {
		t.Errorf("progress ended at %d of %d", steps, total)
	}
	n := min(cpus.Len(), 3)
	if len(m.Latency) != n*(n-1)/2 {
		t.Errorf("%d pairs measured, want %d", len(m.Latency), n*(n-1)/2)
	}
	for _, l := range m.Latency {
		if !cpus.Contains(l.A) || !cpus.Contains(l.B) || l.A >= l.B {
			t.Errorf("pair %d,%d not two ordered usable CPUs", l.A, l.B)
		}
		if l.Unmeasured != "" {
			continue // a vCPU stalled; TestMeasureStalledPair covers this
		}
		if !(l.MedianNS > 0) || l.P10NS > l.MedianNS || l.P90NS < l.MedianNS || len(l.RunMedians) != 3 {
			t.Errorf("pair %d,%d: %+v", l.A, l.B, l)
		}
	}
	fs := m.FalseSharing
	if fs != nil && fs.Unmeasured != "" {
		t.Skipf("false sharing: a vCPU stalled: %s", fs.Unmeasured)
	}
	if fs == nil || len(fs.Spacings) != 4 || len(fs.Rounds)+fs.Dropped == 0 {
		t.Fatalf("FalseSharing = %+v", fs)
	}
	for _, s := range fs.Spacings {
		if !(s.NSPerOp > 0) || math.IsInf(s.Slowdown, 0) {
			t.Errorf("spacing %d: %+v", s.Bytes, s)
		}
	}
	if fs.Distance != 0 && !slices.Contains(falseSharingSpacings, fs.Distance) {
		t.Errorf("Distance %d is not a tested spacing", fs.Distance)
	}
}

// TestMeasureUnpinnableCPU checks that a CPU the affinity package cannot
// pin to ends the measurement with an error naming why.
func TestMeasureUnpinnableCPU(t *testing.T) {
	if !canPin() {
		t.Skip("no pinning on this OS")
	}
	cpus := affinity.NewCPUSet(usableHere(t).CPUs()[0], affinity.MaxCPU)
	_, err := Measure(context.Background(), cpus, MeasureOptions{Budget: 100 * time.Millisecond, Runs: 1})
	if !errors.Is(err, ErrUnsupported) || !(errors.Is(err, affinity.ErrOffline) || errors.Is(err, affinity.ErrNotAllowed)) {
		t.Errorf("Measure on %q: err = %v, want ErrUnsupported and affinity.ErrOffline or ErrNotAllowed", cpus, err)
	}
}

// canPin reports whether the affinity package can pin threads here.
func canPin() bool {
	_, err := affinity.Allowed()
	return !errors.Is(err, affinity.ErrUnsupported)
}

func usableHere(t *testing.T) affinity.CPUSet {
	t.Helper()
	s, err := NewDefaultFS().Read()
	if err != nil {
		t.Fatal(err)
	}
	u := s.Usable()
	if u.Len() < 2 {
		t.Skipf("need two usable CPUs, have %q", u)
	}
	return u
}

func TestRetryStalled(t *testing.T) {
	var waits []time.Duration
	v, err := retryStalled(func(stall time.Duration) (int, error) {
		waits = append(waits, stall)
		if len(waits) < 3 {
			return 0, ErrStalled
		}
		return 7, nil
	})
	if v != 7 || err != nil || !slices.Equal(waits, stallTimeouts) {
		t.Errorf("retryStalled = %d, %v after waits %v; want 7, nil after %v", v, err, waits, stallTimeouts)
	}
	if !slices.IsSorted(stallTimeouts) || stallTimeouts[0] == stallTimeouts[len(stallTimeouts)-1] {
		t.Errorf("stallTimeouts %v do not lengthen", stallTimeouts)
	}
	calls := 0
	_, err = retryStalled(func(time.Duration) (int, error) { calls++; return 0, ErrStalled })
	if !errors.Is(err, ErrStalled) || calls != len(stallTimeouts) || !strings.Contains(err.Error(), "tried 3 times") {
		t.Errorf("always stalled: %v after %d calls", err, calls)
	}
	calls = 0
	_, err = retryStalled(func(time.Duration) (int, error) { calls++; return 0, context.Canceled })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("other errors must not be retried: %v after %d calls", err, calls)
	}
}

// TestMeasureStalledPair: a pair whose partner never answers is retried
// with every stall bound, then reported unmeasured while the rest of the
// measurement completes; when nothing answers, Measure fails with
// ErrStalled.
func TestMeasureStalledPair(t *testing.T) {
	if !canPin() {
		t.Skip("no pinning on this OS")
	}
	cpus := usableHere(t)
	defer func() { runPingPong, runContend = pingPong, contend }()
	tries := 0
	runPingPong = func(_ context.Context, a, b int, _, stall time.Duration) ([]float64, error) {
		tries++
		return nil, fmt.Errorf("%w: cpu %d and %d: no answer within %v", ErrStalled, a, b, stall)
	}
	runContend = func(context.Context, [2]int, int, time.Duration, time.Duration) (float64, error) { return 5, nil }
	m, err := Measure(context.Background(), cpus, MeasureOptions{Budget: 200 * time.Millisecond, Runs: 3, MaxCPUs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Latency) != 1 || !strings.Contains(m.Latency[0].Unmeasured, "no answer within 4s") || tries != len(stallTimeouts) {
		t.Errorf("latency %+v after %d tries, want one pair unmeasured after %d", m.Latency, tries, len(stallTimeouts))
	}
	if s := m.Latency[0].Summary(); !strings.HasPrefix(s, "not measured: ") {
		t.Errorf("Summary() = %q", s)
	}
	if fs := m.FalseSharing; fs == nil || fs.Unmeasured != "" || len(fs.Rounds)+fs.Dropped != 7 {
		t.Errorf("false sharing %+v, want its 7 rounds", fs)
	}
	runContend = func(_ context.Context, pair [2]int, _ int, _, stall time.Duration) (float64, error) {
		return 0, fmt.Errorf("%w: cpu %d: partner on cpu %d did not start within %v", ErrStalled, pair[0], pair[1], stall)
	}
	if _, err := Measure(context.Background(), cpus, MeasureOptions{Budget: 200 * time.Millisecond, Runs: 3, MaxCPUs: 2}); !errors.Is(err, ErrStalled) {
		t.Errorf("nothing answers: %v, want ErrStalled", err)
	}
}

func TestMeasureNeedsTwoPs(t *testing.T) {
	if !canPin() {
		t.Skip("no pinning on this OS")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	_, err := Measure(context.Background(), affinity.NewCPUSet(0, 1), MeasureOptions{Budget: 100 * time.Millisecond})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("Measure with GOMAXPROCS 1: err = %v, want ErrUnsupported", err)
	}
}
