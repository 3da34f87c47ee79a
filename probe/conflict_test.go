package probe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventbus/eventbus/affinity"
)

func TestConflicts(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(s *Snapshot)
		topic string
		text  string
	}{
		{"line sizes", func(s *Snapshot) { s.Hardware.CacheLine = known(64, "cpuid"); s.OS.CacheLine = known(128, "sysfs") },
			"cache line", "cpuid says 64-byte cache lines, sysfs says 128"},
		{"L2 sizes", func(s *Snapshot) { s.Hardware.L2 = known(512<<10, "cpuid") }, "L2 size", "cpuid says L2 is 512K"},
		{"hybrid without E-cores", func(s *Snapshot) {
			s.Hardware.Hybrid = known(true, "cpuid")
			s.OS.Efficiency = known(affinity.CPUSet{}, "capacity")
		}, "core types", "hybrid"},
		{"allowed offline CPUs", func(s *Snapshot) { s.Process.Allowed = known(affinity.MustParseCPUList("0-5"), "status") }, "allowed CPUs", "CPUs 4-5"},
		{"allowed outside cpuset", func(s *Snapshot) {
			s.Process.Cpuset = known(affinity.MustParseCPUList("0-1"), "cpuset")
			s.Process.GOMAXPROCS = known(2, "runtime")
		}, "allowed CPUs", "outside the cgroup cpuset"},
		{"GOMAXPROCS above quota", func(s *Snapshot) { s.Process.Quota = known(1.5, "cpu.max") }, "GOMAXPROCS", "quota is 1.5 CPUs"},
	}
	for _, tt := range tests {
		s := synthetic(4)
		if got := conflicts(s); len(got) != 0 {
			t.Fatalf("synthetic snapshot has conflicts %v", got)
		}
		tt.edit(s)
		got := conflicts(s)
		if len(got) != 1 || got[0].Topic != tt.topic || !strings.Contains(got[0].Text, tt.text) {
			t.Errorf("%s: conflicts = %+v, want one %q mentioning %q", tt.name, got, tt.topic, tt.text)
		}
	}
}

func writeTree(t *testing.T, files map[string]string) FS {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	open, done, err := fsys.open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(done)
	return open
}

func TestCgroupLayouts(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		version int
		quota   float64
		source  string
		cpuset  string
	}{
		{"v2 nested: the tighter parent wins", map[string]string{
			"proc/self/cgroup":                        "0::/a/b\n",
			"sys/fs/cgroup/a/cpu.max":                 "50000 100000\n",
			"sys/fs/cgroup/a/b/cpu.max":               "max 100000\n",
			"sys/fs/cgroup/a/b/cpuset.cpus.effective": "1-2\n",
		}, 2, 0.5, "/sys/fs/cgroup/a/cpu.max", "1-2"},
		{"v2 namespaced: leaf not visible, read the mount point", map[string]string{
			"proc/self/cgroup":      "0::/kubepods/pod1/ctr\n",
			"sys/fs/cgroup/cpu.max": "200000 100000\n",
		}, 2, 2, "/sys/fs/cgroup/cpu.max", ""},
		{"v1 with cpu,cpuacct mount", map[string]string{
			"proc/self/cgroup": "4:cpu,cpuacct:/docker/x\n3:cpuset:/docker/x\n",
			"sys/fs/cgroup/cpu,cpuacct/docker/x/cpu.cfs_quota_us":  "150000\n",
			"sys/fs/cgroup/cpu,cpuacct/docker/x/cpu.cfs_period_us": "100000\n",
			"sys/fs/cgroup/cpuset/docker/x/cpuset.cpus":            "0-3\n",
		}, 1, 1.5, "/sys/fs/cgroup/cpu,cpuacct/docker/x/cpu.cfs_quota_us", "0-3"},
		{"no /proc/self/cgroup", map[string]string{
			"sys/fs/cgroup/cpu.max": "100000 100000\n",
		}, 2, 1, "/sys/fs/cgroup/cpu.max", ""},
	}
	for _, tt := range tests {
		var n notes
		v := writeTree(t, tt.files).readCgroup(&n)
		if v.version.Value != tt.version || v.quota.Value != tt.quota || v.quota.Source != tt.source || v.cpuset.Value.String() != tt.cpuset {
			t.Errorf("%s: version %d quota %v from %q cpuset %q; want %d %v %q %q (notes %q)", tt.name,
				v.version.Value, v.quota.Value, v.quota.Source, v.cpuset.Value, tt.version, tt.quota, tt.source, tt.cpuset, n.list)
		}
	}
}
