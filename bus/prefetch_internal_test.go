package bus

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestLineShift(t *testing.T) {
	for _, c := range []struct {
		size uintptr
		want uint
	}{
		{0, 6}, {1, 6}, {2, 5}, {4, 4}, {8, 3}, {12, 2}, {16, 2}, {24, 1}, {32, 1}, {33, 0}, {64, 0}, {4096, 0},
	} {
		if got := lineShift(c.size); got != c.want {
			t.Errorf("lineShift(%d) = %d, want %d", c.size, got, c.want)
		}
	}
}

// TestPrefetchWMatchesTheCPU checks the CPUID probe against what the
// kernel says the CPU has.
func TestPrefetchWMatchesTheCPU(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		if hasPrefetchW {
			t.Fatalf("hasPrefetchW on %s/%s, which has no prefetch assembly", runtime.GOOS, runtime.GOARCH)
		}
		return
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	var flags []string
	for line := range strings.Lines(string(info)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			flags = strings.Fields(value)
			break
		}
	}
	if flags == nil {
		t.Fatal("no flags line in /proc/cpuinfo")
	}
	kernel := false
	for _, f := range flags {
		if f == "3dnowprefetch" {
			kernel = true
		}
	}
	if hasPrefetchW != kernel {
		t.Fatalf("hasPrefetchW = %v, but /proc/cpuinfo lists 3dnowprefetch: %v", hasPrefetchW, kernel)
	}
}
