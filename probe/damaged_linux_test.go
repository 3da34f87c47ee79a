package probe

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sentinel is the content of files planted outside a test tree. It must
// never show up in what the probe reports or copies.
const sentinel = "4242-SENTINEL-OUTSIDE-THE-TREE"

// damagedTree copies the kvm-epyc-2cpu fixture to base/a/b/root, where
// base is a new temporary directory, so that paths climbing three levels
// out of the root land in base. It returns base and the root.
func damagedTree(t *testing.T) (base, root string) {
	t.Helper()
	base = t.TempDir()
	root = filepath.Join(base, "a", "b", "root")
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "kvm-epyc-2cpu"))); err != nil {
		t.Fatal(err)
	}
	return base, root
}

// put writes content at rel below root, replacing what is there.
func put(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// replace removes rel below root and calls make with its path.
func replace(t *testing.T, root, rel string, make func(p string) error) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := make(p); err != nil {
		t.Skipf("cannot make %s here: %v", rel, err)
	}
}

// readWithin reads root and recommends for it, failing the test when that
// takes longer than limit (a hang on a named pipe, a huge file).
func readWithin(t *testing.T, root string, limit time.Duration) (*Snapshot, Recommendation) {
	t.Helper()
	fsys, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		s   *Snapshot
		r   Recommendation
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		s, err := fsys.Read()
		if err != nil {
			done <- result{err: err}
			return
		}
		r, err := Recommend(s, nil, Options{})
		done <- result{s, r, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatal(res.err)
		}
		if d := time.Since(start); d > limit {
			t.Errorf("reading and recommending took %v, more than %v", d, limit)
		}
		checkPlanUsable(t, res.s, res.r)
		return res.s, res.r
	case <-time.After(limit + 5*time.Second):
		t.Fatalf("reading %s did not finish in %v", root, limit+5*time.Second)
		return nil, Recommendation{}
	}
}

// checkPlanUsable fails when the plan puts a bus thread on a CPU that is
// not usable or that sysfs does not describe.
func checkPlanUsable(t *testing.T, s *Snapshot, r Recommendation) {
	t.Helper()
	cpus := slices.Clone(r.Affinity.Producers)
	for _, c := range r.Affinity.Consumers {
		cpus = append(cpus, c.CPU)
	}
	for _, cpu := range cpus {
		if _, described := s.CPU(cpu); cpu >= 0 && (!s.Usable().Contains(cpu) || !described) {
			t.Errorf("CPU %d planned: usable %s, described %v", cpu, s.Usable(), described)
		}
	}
}

// hasNote fails unless a note contains every one of want.
func hasNote(t *testing.T, s *Snapshot, want ...string) {
	t.Helper()
	for _, n := range s.Notes {
		if containsAll(n, want) {
			return
		}
	}
	t.Errorf("no note with %q; notes:\n  %s", want, strings.Join(s.Notes, "\n  "))
}

func containsAll(s string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// TestReadSkipsWhatIsNotARegularFileInTheTree replaces kernel files with
// what a hostile or damaged tree holds instead: each is skipped quickly
// with a note naming the file and why, and nothing outside the tree is
// read.
func TestReadSkipsWhatIsNotARegularFileInTheTree(t *testing.T) {
	const online = "sys/devices/system/cpu/online"
	const coreID = "sys/devices/system/cpu/cpu1/topology/core_id"
	tests := []struct {
		name   string
		damage func(t *testing.T, base, root string)
		want   []string
	}{
		{"named pipe as online", func(t *testing.T, base, root string) {
			replace(t, root, online, func(p string) error { return syscall.Mkfifo(p, 0o644) })
		}, []string{"/sys/devices/system/cpu/online", "a named pipe, not a regular file"}},
		{"directory as online", func(t *testing.T, base, root string) {
			replace(t, root, online, func(p string) error { return os.Mkdir(p, 0o755) })
		}, []string{"/sys/devices/system/cpu/online", "a directory"}},
		{"character device as online", func(t *testing.T, base, root string) {
			// /dev/null's numbers; only root may make device nodes.
			replace(t, root, online, func(p string) error { return syscall.Mknod(p, syscall.S_IFCHR|0o644, 1<<8|3) })
		}, []string{"/sys/devices/system/cpu/online", "a character device"}},
		{"link to /dev/zero as online", func(t *testing.T, base, root string) {
			replace(t, root, online, func(p string) error { return os.Symlink("/dev/zero", p) })
		}, []string{"/sys/devices/system/cpu/online", "escapes"}},
		{"1 MiB cpu list as online", func(t *testing.T, base, root string) {
			put(t, root, online, strings.Repeat("0-65535,", 1<<17))
		}, []string{"/sys/devices/system/cpu/online", "larger than the 64 KiB"}},
		{"absolute link out of the tree", func(t *testing.T, base, root string) {
			put(t, base, "secret", sentinel)
			replace(t, root, coreID, func(p string) error { return os.Symlink(filepath.Join(base, "secret"), p) })
		}, []string{"/sys/devices/system/cpu/cpu1/topology/core_id", "escapes"}},
		{"relative link out of the tree", func(t *testing.T, base, root string) {
			put(t, base, "secret", sentinel)
			replace(t, root, coreID, func(p string) error {
				return os.Symlink(strings.Repeat("../", 9)+"secret", p)
			})
		}, []string{"/sys/devices/system/cpu/cpu1/topology/core_id", "escapes"}},
		{"directory linked out of the tree", func(t *testing.T, base, root string) {
			put(t, base, "topology/core_id", sentinel)
			replace(t, root, "sys/devices/system/cpu/cpu1/topology", func(p string) error {
				return os.Symlink(filepath.Join(base, "topology"), p)
			})
		}, []string{"/sys/devices/system/cpu/cpuN/topology: not present for online CPUs 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, root := damagedTree(t)
			tt.damage(t, base, root)
			s, _ := readWithin(t, root, time.Second)
			hasNote(t, s, tt.want...)
			if j := mustJSON(t, s); strings.Contains(j, sentinel) || len(j) > 64<<10 {
				t.Errorf("the snapshot holds the content of a file outside the tree or is %d bytes:\n%.2000s", len(j), j)
			}
			for _, n := range s.Notes {
				if len(n) > 400 {
					t.Errorf("note of %d bytes: %.400s...", len(n), n)
				}
			}
		})
	}
}

// TestReadFollowsLinksInsideTheTree checks that confinement does not cost
// the links a tree may hold inside itself.
func TestReadFollowsLinksInsideTheTree(t *testing.T) {
	_, root := damagedTree(t)
	put(t, root, "elsewhere/online", "0-1\n")
	replace(t, root, "sys/devices/system/cpu/online", func(p string) error {
		return os.Symlink("../../../../elsewhere/online", p)
	})
	s, _ := readWithin(t, root, time.Second)
	if s.OS.Online.Value.String() != "0-1" || s.OS.Online.Source != "/sys/devices/system/cpu/online" {
		t.Errorf("online = %+v, want 0-1 from the linked file", s.OS.Online)
	}
}

// TestCgroupLineCannotLeaveTheTree plants a CPU quota where a v1 cgroup
// line with ".." in its controllers points, outside the tree, and checks
// that neither Read nor Capture goes there.
func TestCgroupLineCannotLeaveTheTree(t *testing.T) {
	base, root := damagedTree(t)
	put(t, root, "proc/self/cgroup", "4:cpu,xx,../../../../../../outside:/\n")
	// The controllers joined by "," ("cpu,xx,../../../../../../outside")
	// climb one level out of base/a/b/root, the last one alone three.
	for _, dir := range []string{"a/b/outside", "outside"} {
		put(t, base, dir+"/cpu.cfs_quota_us", "4242000\n")
		put(t, base, dir+"/cpu.cfs_period_us", "100000\n")
	}
	s, _ := readWithin(t, root, time.Second)
	if s.Process.Quota.Value != 0 || strings.Contains(s.Process.Quota.Source, "outside") {
		t.Errorf("quota %+v read from outside the tree", s.Process.Quota)
	}
	hasNote(t, s, "/proc/self/cgroup line 1", "not a controller name")

	before := listFiles(t, base)
	src, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(base, "x", "y", "capture")
	written, err := Capture(src, capture)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range written {
		if !filepath.IsLocal(rel) {
			t.Errorf("Capture wrote %s, outside the capture directory", rel)
		}
	}
	for _, p := range listFiles(t, base) {
		if !slices.Contains(before, p) && !strings.HasPrefix(p, "x/y/capture/") {
			t.Errorf("Capture created %s outside the capture directory", p)
		}
	}
}

// listFiles returns the slash-separated paths of the files below dir.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCaptureCopiesNothingFromOutside captures a tree whose files link
// out of it: the capture holds no link and no outside content.
func TestCaptureCopiesNothingFromOutside(t *testing.T) {
	base, root := damagedTree(t)
	put(t, base, "secret", sentinel)
	replace(t, root, "sys/devices/system/cpu/cpu1/topology/core_id", func(p string) error {
		return os.Symlink(filepath.Join(base, "secret"), p)
	})
	replace(t, root, "proc/sys/kernel/hostname", func(p string) error { return syscall.Mkfifo(p, 0o644) })
	src, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(t.TempDir(), "capture")
	if _, err := Capture(src, capture); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(capture, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			t.Errorf("capture holds %s of type %v", p, d.Type())
		}
		b, err := os.ReadFile(p)
		if strings.Contains(string(b), sentinel) {
			t.Errorf("capture copied the outside file into %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadNotesOddValues gives the probe values no kernel or processor
// produces, one at a time: each is a note naming the file, the value and
// what the probe assumed instead.
func TestReadNotesOddValues(t *testing.T) {
	const (
		line0  = "sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size"
		cpuMax = "sys/fs/cgroup/cpu.max"
		v2     = "0::/\n"
	)
	tests := []struct {
		name  string
		files map[string]string
		want  []string
		check func(s *Snapshot) bool
	}{
		{"3-byte cache line", map[string]string{line0: "3\n"},
			[]string{"/sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size", " 3 ", "taken as unknown"},
			func(s *Snapshot) bool { return s.OS.CacheLine.Value == 64 }},
		{"2^40-byte cache line", map[string]string{line0: "1099511627776\n"},
			[]string{"coherency_line_size", "1099511627776", "taken as unknown"},
			func(s *Snapshot) bool { return s.OS.CacheLine.Value == 64 }},
		{"cpuid cache line of 3", map[string]string{"busprobe/cpuid.json": `{"goarch":"amd64","cache_line":3}`},
			[]string{"/busprobe/cpuid.json", "cache line 3", "taken as unknown"},
			func(s *Snapshot) bool { return !s.Hardware.CacheLine.Known() }},
		{"cpu.max max 0", map[string]string{"proc/self/cgroup": v2, cpuMax: "max 0\n"},
			[]string{"/sys/fs/cgroup/cpu.max", `period "0"`, "no CPU quota"}, nil},
		{"cpu.max max -5", map[string]string{"proc/self/cgroup": v2, cpuMax: "max -5\n"},
			[]string{"/sys/fs/cgroup/cpu.max", `period "-5"`, "no CPU quota"}, nil},
		{"cpu.max max abc", map[string]string{"proc/self/cgroup": v2, cpuMax: "max abc\n"},
			[]string{"/sys/fs/cgroup/cpu.max", `period "abc"`, "no CPU quota"}, nil},
		{"cpu.max over a 1 µs period", map[string]string{"proc/self/cgroup": v2, cpuMax: "50000 1\n"},
			[]string{"/sys/fs/cgroup/cpu.max", `period "1"`, "no CPU quota"},
			func(s *Snapshot) bool { return s.Process.Quota.Value == 0 }},
		{"v1 quota over a 1 µs period", map[string]string{"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "50000\n", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "1\n"},
			[]string{"/sys/fs/cgroup/cpu/cpu.cfs_period_us", `period "1"`, "no CPU quota"},
			func(s *Snapshot) bool { return s.Process.Quota.Value == 0 }},
		{"GOMAXPROCS 0", map[string]string{"busprobe/gomaxprocs": "0\n"},
			[]string{"/busprobe/gomaxprocs", "GOMAXPROCS 0", "Go's default"},
			func(s *Snapshot) bool { return s.Process.GOMAXPROCS.Value == 2 }},
		{"GOMAXPROCS -3", map[string]string{"busprobe/gomaxprocs": "-3\n"},
			[]string{"/busprobe/gomaxprocs", "GOMAXPROCS -3", "Go's default"},
			func(s *Snapshot) bool { return s.Process.GOMAXPROCS.Value == 2 }},
		{"v2 cpuset that does not parse", map[string]string{"proc/self/cgroup": v2, "sys/fs/cgroup/cpuset.cpus.effective": "0-\n"},
			[]string{"/sys/fs/cgroup/cpuset.cpus.effective", `"0-"`, "cpuset is taken as unknown"},
			func(s *Snapshot) bool {
				return !s.Process.Cpuset.Known() && !strings.Contains(strings.Join(s.Notes, "\n"), "not present; the cpuset")
			}},
		{"nohz_full (null)", map[string]string{"sys/devices/system/cpu/nohz_full": "(null)\n"}, nil,
			func(s *Snapshot) bool {
				return s.OS.NohzFull.Known() && s.OS.NohzFull.Value.IsEmpty() && !strings.Contains(strings.Join(s.Notes, "\n"), "nohz_full")
			}},
		{"online CPUs without topology", map[string]string{"sys/devices/system/cpu/online": "0-7\n", "proc/self/status": "Cpus_allowed_list:\t0-7\n"},
			[]string{"/sys/devices/system/cpu/cpuN/topology: not present for online CPUs 2-7", "no bus thread is planned on them"},
			func(s *Snapshot) bool { return len(s.OS.CPUs) == 2 }},
	}
	for _, bad := range []string{"0-", "5-2", "a,b", "-1", "0-99999999"} {
		tests = append(tests, struct {
			name  string
			files map[string]string
			want  []string
			check func(s *Snapshot) bool
		}{"v1 cpuset " + bad, map[string]string{"sys/fs/cgroup/cpuset/cpuset.effective_cpus": bad + "\n"},
			[]string{"/sys/fs/cgroup/cpuset/cpuset.effective_cpus", "cpuset is taken as unknown"},
			func(s *Snapshot) bool { return !s.Process.Cpuset.Known() }})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, root := damagedTree(t)
			for rel, content := range tt.files {
				put(t, root, rel, content)
			}
			s, r := readWithin(t, root, time.Second)
			if tt.want != nil {
				hasNote(t, s, tt.want...)
			}
			if tt.check != nil && !tt.check(s) {
				t.Errorf("snapshot %s", mustJSON(t, s))
			}
			if tt.name == "online CPUs without topology" && (r.Affinity.Consumers[0].CPU != 1 || r.Affinity.Producers[0] != -1) {
				t.Errorf("plan %+v: only CPU 1 is described and not CPU 0's core", r.Affinity)
			}
		})
	}
}

// TestRead65536OnlineCPUs reads a tree that lists every possible CPU
// online and describes two: the lookups are indexed and the snapshot
// small.
func TestRead65536OnlineCPUs(t *testing.T) {
	_, root := damagedTree(t)
	put(t, root, "sys/devices/system/cpu/online", "0-65535\n")
	put(t, root, "proc/self/status", "Cpus_allowed_list:\t0-65535\n")
	s, r := readWithin(t, root, time.Second)
	hasNote(t, s, "not present for online CPUs 2-65535")
	if j := mustJSON(t, s); len(j) > 64<<10 {
		t.Errorf("snapshot of %d bytes", len(j))
	}
	if r.Affinity.Consumers[0].CPU != 1 {
		t.Errorf("plan %+v, want the consumer on CPU 1, the only described CPU off CPU 0's core", r.Affinity)
	}
}

// TestRecommend65536CPUs recommends for 65536 described CPUs that share
// one L3: each lookup of a CPU is indexed, so this takes a fraction of a
// second (it took over a minute when each was a scan).
func TestRecommend65536CPUs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 65536 CPUs")
	}
	s := synthetic(65536)
	start := time.Now()
	r, err := Recommend(s, nil, Options{Consumers: 4})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("Recommend on 65536 CPUs: %v", d)
	// Generous for a loaded machine and the race detector; a scan per
	// lookup takes minutes.
	if limit := 10 * time.Second; d > limit {
		t.Errorf("Recommend took %v, more than %v", d, limit)
	}
	checkPlanUsable(t, s, r)
}

// TestReadCPUInfoOfAHugeMachine reads a /proc/cpuinfo larger than the cap
// on one file: the probe needs only its beginning, and reads that.
func TestReadCPUInfoOfAHugeMachine(t *testing.T) {
	_, root := damagedTree(t)
	if err := os.Remove(filepath.Join(root, "busprobe", "cpuid.json")); err != nil {
		t.Fatal(err)
	}
	entry := "processor\t: %d\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu hypervisor " + strings.Repeat("flag ", 250) + "\nclflush size\t: 64\n\n"
	var b strings.Builder
	for i := range 8192 {
		b.WriteString(strings.Replace(entry, "%d", strconv.Itoa(i), 1))
	}
	put(t, root, "proc/cpuinfo", b.String())
	s, _ := readWithin(t, root, time.Second)
	if s.Hardware.Model.Value != "AMD EPYC 7B13" || s.Hardware.CacheLine.Value != 64 || s.Hardware.Hypervisor.Value != "unknown" {
		t.Errorf("hardware from a %d-byte cpuinfo: %+v; notes %q", b.Len(), s.Hardware, s.Notes)
	}
}
