package affinity

import (
	"strings"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	// Fields 3..52 of a real /proc/self/stat line, processor (39) = 7.
	rest := "S 1 2 3 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 4 0 12345 1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 7 0 0 0 0 0 0 0 0 0 0 0 0 0"
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1234 (busbench) " + rest, 7, true},
		{"1234 (a b) c)) " + rest + "\n", 7, true},
		{"1234 (x) " + strings.Replace(rest, " 17 7 ", " 17 12 ", 1), 12, true},
		{"1234 busbench " + rest, 0, false},
		{"1234 (x) S 1 2 3", 0, false},
		{"1234 (x) " + strings.Replace(rest, " 17 7 ", " 17 -3 ", 1), 0, false},
		{"1234 (x) " + strings.Replace(rest, " 17 7 ", " 17 z ", 1), 0, false},
	}
	for _, tc := range tests {
		got, err := parseStatCPU([]byte(tc.in))
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("parseStatCPU(%.30q...) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if !tc.ok && err == nil {
			t.Errorf("parseStatCPU(%.30q...) = %d, want an error", tc.in, got)
		}
	}
}
