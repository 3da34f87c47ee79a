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

// TestBatchLines checks which lines a batch publish prefetches: whole
// lines past the next batch, from 2 to maxBatchLines of them, and
// only slots the consumers have left.
func TestBatchLines(t *testing.T) {
	for _, c := range []struct {
		name             string
		n                int
		hi, size, gating int64
		shift            uint
		first, lines     int64
		ok               bool
	}{
		{"16 int64s, empty ring", 16, 15, 1024, -1, 3, 47, 2, true},
		{"16 int64s, ring too small", 16, 15, 32, -1, 3, 47, 2, false},
		{"16 int64s, consumers one slot short", 16, 1015, 1024, 37, 3, 1047, 2, false},
		{"16 int64s, consumers just far enough", 16, 1015, 1024, 38, 3, 1047, 2, true},
		{"2 events", 2, 1, 1024, -1, 3, 19, 2, true},
		{"3 lines' worth", 24, 23, 1024, -1, 3, 63, 3, true},
		{"a long batch is capped", 1000, 999, 65536, -1, 3, 2015, maxBatchLines, true},
		{"slots of a line or more", 16, 15, 1024, -1, 0, 33, maxBatchLines, true},
		{"slots of a line or more, ring too small", 16, 15, 32, -1, 0, 33, maxBatchLines, false},
	} {
		first, lines, ok := batchLines(c.n, c.hi, c.size, c.gating, c.shift)
		if first != c.first || lines != c.lines || ok != c.ok {
			t.Errorf("%s: batchLines(%d, %d, %d, %d, %d) = %d, %d, %v, want %d, %d, %v",
				c.name, c.n, c.hi, c.size, c.gating, c.shift, first, lines, ok, c.first, c.lines, c.ok)
		}
		if first <= c.hi+int64(c.n) {
			t.Errorf("%s: prefetches from %d, inside the next batch (up to %d)", c.name, first, c.hi+int64(c.n))
		}
	}
}
