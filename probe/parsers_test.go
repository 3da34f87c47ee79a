package probe

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseProcCgroup(t *testing.T) {
	lines, err := parseProcCgroup("f", []byte("12:cpuset:/\n3:cpu,cpuacct:/docker/ab\n0::/system.slice/x.service\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || !slices.Equal(lines[1].controllers, []string{"cpu", "cpuacct"}) || lines[1].path != "/docker/ab" ||
		lines[2].hierarchy != "0" || lines[2].controllers != nil {
		t.Errorf("parseProcCgroup = %+v", lines)
	}
	for _, bad := range []string{"garbage", "1:cpu", "1:cpu:relative"} {
		if _, err := parseProcCgroup("/proc/self/cgroup", []byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseProcCgroup(%q) error = %v", bad, err)
		}
	}
}

func TestParseCPUMax(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"max 100000\n", 0, true},
		{"150000 100000", 1.5, true},
		{"50000 100000", 0.5, true},
		{"200000", 2, true},
		{"", 0, false},
		{"max 0", 0, false},
		{"max -5", 0, false},
		{"max abc", 0, false},
		{"50000 1", 0, false},
		{"500 100000", 0, false},
		{"150000 2000000", 0, false},
		{"17592186044416 100000", 0, false},
		{"1000 1000000", 0.001, true},
		{"10 0", 0, false},
		{"-5 100000", 0, false},
		{"1 2 3", 0, false},
	}
	for _, tt := range tests {
		got, err := parseCPUMax("cpu.max", []byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseCPUMax(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("parseCPUMax(%q) error does not wrap ErrMalformed", tt.in)
		}
	}
}

func TestParseCFSQuota(t *testing.T) {
	tests := []struct {
		q, p string
		want float64
		ok   bool
	}{
		{"-1", "100000", 0, true},
		{"150000", "100000", 1.5, true},
		{"50000", "50000", 1, true},
		{"x", "100000", 0, false},
		{"100", "0", 0, false},
		{"-1", "0", 0, false},
		{"-5", "100000", 0, false},
		{"0", "100000", 0, false},
		{"50000", "1", 0, false},
		{"150000", "100000\n", 1.5, true},
	}
	for _, tt := range tests {
		got, err := parseCFSQuota("q", []byte(tt.q), "p", []byte(tt.p))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseCFSQuota(%q, %q) = %v, %v; want %v ok=%v", tt.q, tt.p, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseStatusAllowed(t *testing.T) {
	s, err := parseStatusAllowed("status", []byte("Name:\tx\nCpus_allowed:\tff\nCpus_allowed_list:\t0-3,8\n"))
	if err != nil || s.String() != "0-3,8" {
		t.Errorf("parseStatusAllowed = %q, %v", s, err)
	}
	if _, err := parseStatusAllowed("status", []byte("Name:\tx\n")); !errors.Is(err, ErrMalformed) {
		t.Errorf("no Cpus_allowed_list: error = %v", err)
	}
	if _, err := parseStatusAllowed("status", []byte("Cpus_allowed_list:\t0-x\n")); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad list: error = %v", err)
	}
}

func TestParseDistance(t *testing.T) {
	d, err := parseDistance("distance", []byte("10 21 31\n"), 3)
	if err != nil || !slices.Equal(d, []int{10, 21, 31}) {
		t.Errorf("parseDistance = %v, %v", d, err)
	}
	for _, bad := range []string{"", "10 x", "0", "10 21 31 41"} {
		if _, err := parseDistance("distance", []byte(bad), 3); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseDistance(%q) error = %v", bad, err)
		}
	}
}

func TestParseCache(t *testing.T) {
	c, err := parseCache("index2", cacheFiles{level: []byte("2\n"), typ: []byte("Unified\n"), size: []byte("1280K\n"), shared: []byte("0,16\n")})
	if err != nil || c.Level != 2 || c.Type != "Unified" || c.Size != 1280<<10 || c.SharedWith.String() != "0,16" {
		t.Errorf("parseCache = %+v, %v", c, err)
	}
	c, err = parseCache("index0", cacheFiles{level: []byte("1"), typ: []byte("Data")})
	if err != nil || c.Size != 0 || c.LineSize != 0 {
		t.Errorf("parseCache with optional files absent = %+v, %v", c, err)
	}
	for _, f := range []cacheFiles{
		{level: []byte("x"), typ: []byte("Data")},
		{level: []byte("1"), typ: []byte("Trace")},
		{level: []byte("1"), typ: []byte("Data"), size: []byte("big")},
		{level: []byte("1"), typ: []byte("Data"), shared: []byte("1-")},
	} {
		if _, err := parseCache("index9", f); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseCache(%+v) error = %v", f, err)
		}
	}
}

func TestParseCPUInfo(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want cpuInfo
	}{
		{"x86 VM", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu hypervisor lahf_lm\nclflush size\t: 64\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\n",
			cpuInfo{arch: "amd64", vendor: "AuthenticAMD", model: "AMD EPYC 7B13", hypervisor: true, lineSize: 64, processors: 2}},
		{"x86 bare metal", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nflags\t\t: fpu hypervisorx\n",
			cpuInfo{arch: "amd64", vendor: "GenuineIntel", model: "Xeon", processors: 1}},
		{"arm64", "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n",
			cpuInfo{arch: "arm64", vendor: "ARM", model: "ARM part 0xd0c", processors: 1}},
		{"s390x", "vendor_id       : IBM/S390\ncache0          : level=1 type=Data scope=Private size=128K line_size=256 associativity=8\nprocessor 0: version = 00,  identification = 1A2B3C,  machine = 8561\n",
			cpuInfo{arch: "s390x", vendor: "IBM/S390", model: "IBM Z machine type 8561", lineSize: 256}},
	}
	for _, tt := range tests {
		got, err := parseCPUInfo("cpuinfo", []byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("%s: parseCPUInfo = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
	if _, err := parseCPUInfo("cpuinfo", []byte("nothing here\n")); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty cpuinfo: error = %v", err)
	}
	if _, err := parseCPUInfo("cpuinfo", []byte("vendor_id : GenuineIntel\nclflush size : big\n")); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad clflush size: error = %v", err)
	}
}

func TestParseCPUIDFacts(t *testing.T) {
	f, err := parseCPUIDFacts("cpuid.json", []byte(`{"goarch":"arm64","cache_line":64}`))
	if err != nil || f.GOARCH != "arm64" || f.CacheLine != 64 {
		t.Errorf("parseCPUIDFacts = %+v, %v", f, err)
	}
	for _, bad := range []string{`{`, `{"cache_line":64}`} {
		if _, err := parseCPUIDFacts("cpuid.json", []byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseCPUIDFacts(%s) error = %v", bad, err)
		}
	}
}

func TestLiveCPUID(t *testing.T) {
	f := LiveCPUID()
	if f.GOARCH == "" {
		t.Error("LiveCPUID has no GOARCH")
	}
	h := hardwareFromCPUID(f, "cpuid")
	if !h.Arch.Known() || h.Arch.Source != "cpuid" {
		t.Errorf("hardware view %+v", h)
	}
}

func TestParseProcCgroupUntrusted(t *testing.T) {
	for _, bad := range []string{
		"4:cpu,xx,../../../../../../outside:/",
		"4:cpu,..:/",
		"4:cpu,a/b:/",
		"4:cpu,:/",
		"0::/a/../../b",
		"0::/a/./b",
		"0::/a\x00b",
		"0::/" + strings.Repeat("a", 5000),
	} {
		if _, err := parseProcCgroup("/proc/self/cgroup", []byte(bad+"\n")); !errors.Is(err, ErrMalformed) || len(err.Error()) > 200 {
			t.Errorf("parseProcCgroup(%.60q) error = %v", bad, err)
		}
	}
	for _, good := range []string{"1:name=systemd:/user.slice/x.scope", "0::/", "3:cpu,cpuacct:/docker/a-b_c.d", "0::/a b/c"} {
		if _, err := parseProcCgroup("/proc/self/cgroup", []byte(good+"\n")); err != nil {
			t.Errorf("parseProcCgroup(%q) error = %v", good, err)
		}
	}
}

func TestParseLineSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"64\n", 64, true}, {"16", 16, true}, {"128", 128, true}, {"256", 256, true}, {"1024", 1024, true},
		{"3", 0, false}, {"8", 0, false}, {"96", 0, false}, {"2048", 0, false}, {"1099511627776", 0, false},
		{"0", 0, false}, {"-64", 0, false}, {"x", 0, false},
	}
	for _, tt := range tests {
		got, err := parseLineSize("coherency_line_size", []byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Errorf("parseLineSize(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseNohzFull(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"(null)\n", "", true}, {"\n", "", true}, {"4-7,20-23\n", "4-7,20-23", true}, {"null", "", false}, {"(null) 1", "", false},
	}
	for _, tt := range tests {
		got, err := parseNohzFull("nohz_full", []byte(tt.in))
		if (err == nil) != tt.ok || got.String() != tt.want {
			t.Errorf("parseNohzFull(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseGOMAXPROCS(t *testing.T) {
	for in, want := range map[string]int{"2\n": 2, "1": 1, "0": 0, "-3": 0, "x": 0, "": 0} {
		got, err := parseGOMAXPROCS("gomaxprocs", []byte(in))
		if got != want || (want == 0) != errors.Is(err, ErrMalformed) {
			t.Errorf("parseGOMAXPROCS(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestParseSiblings(t *testing.T) {
	tests := []struct {
		in   string
		id   int
		want string
		ok   bool
	}{
		{"0,16\n", 16, "0,16", true}, {"5", 5, "5", true}, {"0-7", 3, "0-7", true},
		{"0,16", 1, "", false}, {"0-8", 0, "", false}, {"0-65535", 0, "", false}, {"1-", 1, "", false},
	}
	for _, tt := range tests {
		got, err := parseSiblings("thread_siblings_list", []byte(tt.in), tt.id)
		if (err == nil) != tt.ok || got.String() != tt.want || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Errorf("parseSiblings(%q, %d) = %q, %v; want %q ok=%v", tt.in, tt.id, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseHostname(t *testing.T) {
	for in, want := range map[string]string{"db-01\n": "db-01", "(none)": "(none)", strings.Repeat("h", 64): strings.Repeat("h", 64)} {
		if got, err := parseHostname("hostname", []byte(in)); got != want || err != nil {
			t.Errorf("parseHostname(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{strings.Repeat("h", 65), "a\x1b[2Jb", "\xff\xfe", strings.Repeat("x", 1<<20)} {
		if _, err := parseHostname("hostname", []byte(bad)); !errors.Is(err, ErrMalformed) || len(err.Error()) > 200 {
			t.Errorf("parseHostname(%.40q) error = %v", bad, err)
		}
	}
}

func TestParseCPUInfoLongModel(t *testing.T) {
	in := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: " + strings.Repeat("X", 1<<16) + "\n"
	if _, err := parseCPUInfo("cpuinfo", []byte(in)); !errors.Is(err, ErrMalformed) || len(err.Error()) > 200 {
		t.Errorf("parseCPUInfo with a 64 KiB model name: error = %.200v", err)
	}
}
