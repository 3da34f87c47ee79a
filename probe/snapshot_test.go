package probe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSnapshotFixtures checks the facts each tree must yield, with their
// sources.
func TestSnapshotFixtures(t *testing.T) {
	tests := []struct {
		tree                         string
		arch, online, usable, iso    string
		line, nodes, cgroup          int
		quota                        float64
		quotaSrc, allowedSrc, hwLine string
		efficiency                   string
		conflicts                    []string
	}{
		{tree: "kvm-epyc-2cpu", arch: "amd64", online: "0-1", usable: "0-1", iso: "", line: 64, nodes: 1, cgroup: 1,
			quotaSrc: "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", allowedSrc: "/proc/self/status Cpus_allowed_list", hwLine: "captured cpuid (busprobe/cpuid.json)"},
		{tree: "server-2s-smt2", arch: "amd64", online: "0-31", usable: "0-31", iso: "4-7,20-23", line: 64, nodes: 2, cgroup: 2,
			quotaSrc: "/sys/fs/cgroup/system.slice/trading.service/cpu.max", allowedSrc: "/proc/self/status Cpus_allowed_list", hwLine: "captured cpuid (busprobe/cpuid.json)"},
		{tree: "arm64-128b", arch: "arm64", online: "0-15", usable: "0-15", line: 128, nodes: 1, cgroup: 2,
			allowedSrc: "/proc/self/status Cpus_allowed_list", hwLine: "captured cpuid (busprobe/cpuid.json)", conflicts: []string{"cache line"}},
		{tree: "hybrid-desktop", arch: "amd64", online: "0-19", usable: "0-19", line: 64, nodes: 1, cgroup: 2, efficiency: "16-19",
			quotaSrc: "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope/cpu.max", allowedSrc: "/proc/self/status Cpus_allowed_list", hwLine: "captured cpuid (busprobe/cpuid.json)"},
		{tree: "container-1.5cpu", arch: "amd64", online: "0-15", usable: "2-5", line: 64, nodes: 0, cgroup: 2, quota: 1.5,
			quotaSrc: "/sys/fs/cgroup/cpu.max", allowedSrc: "/proc/self/status Cpus_allowed_list", hwLine: "/proc/cpuinfo"},
		{tree: "s390x-256b", arch: "s390x", online: "0-7", usable: "0-7", line: 256, nodes: 1, cgroup: 1,
			quotaSrc: "/sys/fs/cgroup/cpu,cpuacct/system.slice/feed.service/cpu.cfs_quota_us", allowedSrc: "/proc/self/status Cpus_allowed_list", hwLine: "/proc/cpuinfo"},
	}
	for _, tt := range tests {
		s := readFixture(t, tt.tree)
		check := func(what string, got, want any) {
			t.Helper()
			if got != want {
				t.Errorf("%s: %s = %v, want %v", tt.tree, what, got, want)
			}
		}
		check("arch", s.Hardware.Arch.Value, tt.arch)
		check("online", s.OS.Online.Value.String(), tt.online)
		check("usable", s.Usable().String(), tt.usable)
		check("isolated", s.OS.Isolated.Value.String(), tt.iso)
		check("sysfs line", s.OS.CacheLine.Value, tt.line)
		check("nodes", len(s.OS.Nodes), tt.nodes)
		check("cgroup version", s.Process.CgroupVersion.Value, tt.cgroup)
		check("quota", s.Process.Quota.Value, tt.quota)
		check("quota source", s.Process.Quota.Source, tt.quotaSrc)
		check("allowed source", s.Process.Allowed.Source, tt.allowedSrc)
		check("hardware line source", s.Hardware.CacheLine.Source, tt.hwLine)
		check("efficiency", s.OS.Efficiency.Value.String(), tt.efficiency)
		var topics []string
		for _, c := range s.Conflicts {
			topics = append(topics, c.Topic)
		}
		check("conflicts", strings.Join(topics, ","), strings.Join(tt.conflicts, ","))
		for i, c := range s.OS.CPUs {
			if i > 0 && c.ID <= s.OS.CPUs[i-1].ID {
				t.Errorf("%s: CPUs out of order at %d", tt.tree, c.ID)
			}
			if !c.Siblings.Contains(c.ID) {
				t.Errorf("%s: CPU %d is not its own sibling: %s", tt.tree, c.ID, c.Siblings)
			}
		}
	}
}

func TestServerTopology(t *testing.T) {
	s := readFixture(t, "server-2s-smt2")
	c, ok := s.CPU(20)
	if !ok || c.Package != 0 || c.Core != 4 || c.Node != 0 || c.Siblings.String() != "4,20" || c.Governor != "performance" {
		t.Errorf("CPU 20 = %+v", c)
	}
	if l3, ok := c.Cache(3); !ok || l3.Size != 18<<20 || l3.SharedWith.String() != "0-7,16-23" {
		t.Errorf("CPU 20 L3 = %+v", l3)
	}
	if d := s.OS.Nodes[1].Distances; len(d) != 2 || d[0] != 21 || d[1] != 10 {
		t.Errorf("node1 distances = %v", d)
	}
	if s.OS.NohzFull.Value.String() != "4-7,20-23" {
		t.Errorf("nohz_full = %s", s.OS.NohzFull.Value)
	}
}

func TestContainerGOMAXPROCSDerived(t *testing.T) {
	s := readFixture(t, "container-1.5cpu")
	g := s.Process.GOMAXPROCS
	if g.Value != 2 || !strings.HasPrefix(g.Source, "derived") {
		t.Errorf("GOMAXPROCS = %+v, want 2 derived from 4 CPUs and a 1.5-CPU quota", g)
	}
}

func TestNewFSBadRoot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, root := range []string{"", filepath.Join(t.TempDir(), "absent"), file} {
		if _, err := NewFS(root); !errors.Is(err, ErrBadRoot) {
			t.Errorf("NewFS(%q) error = %v, want ErrBadRoot", root, err)
		}
	}
	if _, err := (FS{}).Read(); !errors.Is(err, ErrBadRoot) {
		t.Errorf("zero FS Read error = %v", err)
	}
}

// TestReadDegrades reads trees with files missing or broken and checks the
// probe keeps what it can, says what it could not, and never panics.
func TestReadDegrades(t *testing.T) {
	t.Run("empty tree", func(t *testing.T) {
		fsys, _ := NewFS(t.TempDir())
		s, err := fsys.Read()
		if err != nil {
			t.Fatal(err)
		}
		if len(s.OS.CPUs) != 0 || len(s.Notes) == 0 {
			t.Errorf("empty tree: %d CPUs, notes %q", len(s.OS.CPUs), s.Notes)
		}
		r, err := Recommend(s, nil, Options{})
		if err != nil || r.Affinity.Consumers[0].CPU != -1 || r.Layout.RingSize != 1024 {
			t.Errorf("empty tree recommendation %+v, %v", r, err)
		}
	})
	t.Run("broken files", func(t *testing.T) {
		dir := t.TempDir()
		write := func(rel, content string) {
			p := filepath.Join(dir, rel)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(content), 0o644)
		}
		write("sys/devices/system/cpu/online", "0-3\n")
		write("sys/devices/system/cpu/isolated", "2-x\n")
		write("sys/devices/system/cpu/cpu1/topology/core_id", "one\n")
		write("sys/devices/system/cpu/cpu1/cache/index0/level", "1\n")
		write("sys/devices/system/cpu/cpu1/cache/index0/type", "Data\n")
		write("sys/devices/system/cpu/cpu1/cache/index0/size", "lots\n")
		write("proc/self/status", "Cpus_allowed_list:\t0-3,,\n")
		write("proc/self/cgroup", "0::/\n")
		write("sys/fs/cgroup/cpu.max", "a lot\n")
		fsys, _ := NewFS(dir)
		s, err := fsys.Read()
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(s.Notes, "\n")
		for _, want := range []string{
			"/sys/devices/system/cpu/isolated", "/sys/devices/system/cpu/cpu1/topology/core_id",
			"/sys/devices/system/cpu/cpu1/cache/index0/size", "/proc/self/status", "/sys/fs/cgroup/cpu.max",
			"/sys/devices/system/cpu/cpuN/topology/physical_package_id",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("notes do not name %s:\n%s", want, all)
			}
		}
		if len(s.OS.CPUs) != 1 || s.Process.Allowed.Known() || s.Usable().String() != "0-3" ||
			!strings.Contains(all, "topology: not present for online CPUs 0,2-3") {
			t.Errorf("kept %d CPUs, allowed %+v, usable %s", len(s.OS.CPUs), s.Process.Allowed, s.Usable())
		}
		if _, err := Recommend(s, nil, Options{}); err != nil {
			t.Error(err)
		}
	})
	t.Run("no online file", func(t *testing.T) {
		dir := t.TempDir()
		for _, c := range []string{"cpu0", "cpu1", "cpufreq"} {
			os.MkdirAll(filepath.Join(dir, "sys/devices/system/cpu", c), 0o755)
		}
		fsys, _ := NewFS(dir)
		s, _ := fsys.Read()
		if s.OS.Online.Value.String() != "0-1" || !strings.HasPrefix(s.OS.Online.Source, "derived") {
			t.Errorf("online = %+v", s.OS.Online)
		}
	})
}

func TestReadLive(t *testing.T) {
	s, err := NewDefaultFS().Read()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Hardware.Arch.Known() || !s.Process.GOMAXPROCS.Known() || s.Process.GOMAXPROCS.Source != "runtime" {
		t.Errorf("live snapshot lacks arch or GOMAXPROCS: %+v %+v", s.Hardware.Arch, s.Process.GOMAXPROCS)
	}
	if canPin() && s.Process.Allowed.Source != "sched_getaffinity" {
		t.Errorf("live allowed CPUs from %q, want sched_getaffinity", s.Process.Allowed.Source)
	}
}
