package bus

import "testing"

func TestParseMemoryMax(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"max\n", 0, false},
		{"8589934592\n", 8589934592, true},
		{"9223372036854771712\n", 0, false}, // cgroup v1: no limit
		{"0\n", 0, false},
		{"", 0, false},
		{"12x", 0, false},
	} {
		n, ok := parseMemoryMax([]byte(tc.in))
		if n != tc.want || ok != tc.ok {
			t.Errorf("parseMemoryMax(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.want, tc.ok)
		}
	}
}

func TestParseCgroupPath(t *testing.T) {
	for in, want := range map[string]string{
		"0::/user.slice/session-3.scope\n":          "/user.slice/session-3.scope",
		"12:memory:/docker/abc\n0::/\n":             "/",
		"12:memory:/docker/abc\n11:cpu:/docker/a\n": "",
	} {
		if got := parseCgroupPath([]byte(in)); got != want {
			t.Errorf("parseCgroupPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckRingBytes(t *testing.T) {
	if err := checkRingBytes(1<<30, 1<<20, 1<<40); err == nil {
		t.Error("a 2^50-byte ring passed a 2^40 limit")
	}
	if err := checkRingBytes(1024, 64, 1<<16); err != nil {
		t.Errorf("a ring at the limit: %v", err)
	}
	if MaxRingBytes() < 0 {
		t.Errorf("MaxRingBytes() = %d", MaxRingBytes())
	}
}
