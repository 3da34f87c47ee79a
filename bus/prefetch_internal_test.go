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
// lines past the next batch, from 2 to maxBatchLines of them and none
// past the ring's end, the flags of the same slots, and only slots the
// consumers have left.
func TestBatchLines(t *testing.T) {
	for _, c := range []struct {
		name                    string
		n                       int
		hi, size, gating        int64
		shift                   uint
		first, lines, flagLines int64
		ok                      bool
	}{
		{"16 int64s, empty ring", 16, 15, 1024, -1, 3, 47, 2, 1, true},
		{"16 int64s, ring too small", 16, 15, 32, -1, 3, 47, 2, 1, false},
		{"16 int64s, consumers one slot short", 16, 1015, 1024, 37, 3, 1047, 2, 1, false},
		{"16 int64s, consumers just far enough", 16, 1015, 1024, 38, 3, 1047, 2, 1, true},
		{"2 events", 2, 1, 1024, -1, 3, 19, 2, 1, true},
		{"3 lines' worth", 24, 23, 1024, -1, 3, 63, 3, 2, true},
		{"a long batch is capped", 1000, 999, 65536, -1, 3, 2015, maxBatchLines, 4, true},
		{"slots of a line or more", 16, 15, 1024, -1, 0, 33, maxBatchLines, 1, true},
		{"slots of a line or more, ring too small", 16, 15, 32, -1, 0, 33, maxBatchLines, 1, false},
		{"a later lap", 16, 1039, 1024, 1014, 3, 1071, 2, 1, true},
		{"stops at the ring's end", 16, 91, 64, 74, 3, 123, 1, 1, true},
		{"from the ring's last slot", 16, 31, 64, 14, 3, 63, 1, 1, true},
		{"bytes, flags stop at the ring's end", 2, 854, 1024, 87, 6, 984, 1, 3, true},
	} {
		first, lines, flagLines, ok := batchLines(c.n, c.hi, c.size, c.gating, c.shift)
		if first != c.first || lines != c.lines || flagLines != c.flagLines || ok != c.ok {
			t.Errorf("%s: batchLines(%d, %d, %d, %d, %d) = %d, %d, %d, %v, want %d, %d, %d, %v",
				c.name, c.n, c.hi, c.size, c.gating, c.shift, first, lines, flagLines, ok, c.first, c.lines, c.flagLines, c.ok)
		}
		if first <= c.hi+int64(c.n) {
			t.Errorf("%s: prefetches from %d, inside the next batch (up to %d)", c.name, first, c.hi+int64(c.n))
		}
		line := int64(1) << c.shift
		if i := first & (c.size - 1); i+(lines-1)*line >= c.size || (flagLines-1)*prefetchFlags >= c.size-i {
			t.Errorf("%s: %d lines and %d lines of flags from index %d pass the end of a ring of %d", c.name, lines, flagLines, i, c.size)
		}
	}
}
