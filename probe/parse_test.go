package probe

import (
	"errors"
	"strings"
	"testing"

	"github.com/eventbus/eventbus/affinity"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"32K\n", 32 << 10},
		{"1024K", 1 << 20},
		{"32M", 32 << 20},
		{"1G", 1 << 30},
		{"512", 512},
	}
	for _, tt := range tests {
		got, err := parseSize("f", []byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "K", "12X", "-1K", "1.5M", "99999999999G"} {
		if _, err := parseSize("/sys/x/size", []byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseSize(%q) error = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestParseIntFile(t *testing.T) {
	if n, err := parseIntFile("f", []byte(" 1024\n")); n != 1024 || err != nil {
		t.Errorf("parseIntFile(1024) = %d, %v", n, err)
	}
	_, err := parseIntFile("/sys/devices/system/cpu/cpu0/topology/core_id", []byte("x"))
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "core_id") {
		t.Errorf("parseIntFile(x) error = %v, want ErrMalformed naming the file", err)
	}
}

func TestParseCPUListFile(t *testing.T) {
	s, err := parseCPUListFile("f", []byte("0-3,8\n"))
	if err != nil || s.String() != "0-3,8" {
		t.Errorf("parseCPUListFile(0-3,8) = %q, %v", s, err)
	}
	_, err = parseCPUListFile("/sys/devices/system/cpu/online", []byte("0-3,x\n"))
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, affinity.ErrBadCPUList) || !strings.Contains(err.Error(), "/sys/devices/system/cpu/online") {
		t.Errorf("parseCPUListFile(0-3,x) error = %v, want ErrMalformed and affinity.ErrBadCPUList naming the file", err)
	}
}

func TestFormatSize(t *testing.T) {
	for in, want := range map[int]string{48 << 10: "48K", 2 << 20: "2M", 1536 << 10: "1536K", 100: "100"} {
		if got := formatSize(in); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", in, got, want)
		}
	}
}
