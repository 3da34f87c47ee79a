package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sentinel is the content of the files planted outside each damaged tree;
// busprobe must never print it or copy it.
const sentinel = "4242-SENTINEL-OUTSIDE-THE-TREE"

// damaged is a tree that busprobe -root must get through quickly, with a
// note: the kvm-epyc-2cpu fixture with files replaced.
type damaged struct {
	name  string
	files map[string]string                     // rel -> content
	make  func(t *testing.T, base, root string) // other damage, nil for none
	want  []string                              // in one line of the report; none: no note may name nohz_full
}

// link replaces rel below root with a symbolic link to target.
func link(rel, target string) func(t *testing.T, base, root string) {
	return func(t *testing.T, base, root string) {
		p := filepath.Join(root, rel)
		os.Remove(p)
		if err := os.Symlink(strings.ReplaceAll(target, "BASE", base), p); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	online  = "sys/devices/system/cpu/online"
	line0   = "sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size"
	cpuMax  = "sys/fs/cgroup/cpu.max"
	cgroup  = "proc/self/cgroup"
	v2      = "0::/\n"
	quotaV1 = "sys/fs/cgroup/cpu/cpu.cfs_quota_us"
)

var damagedTrees = []damaged{
	{name: "cgroup v1 controllers with ..", files: map[string]string{cgroup: "4:cpu,xx,../../../../../../outside:/\n"},
		want: []string{"/proc/self/cgroup line 1", "not a controller name"}},
	{name: "topology file linked out of the tree", make: link("sys/devices/system/cpu/cpu1/topology/core_id", "BASE/secret"),
		want: []string{"/sys/devices/system/cpu/cpu1/topology/core_id", "path escapes"}},
	{name: "named pipe as online", make: func(t *testing.T, base, root string) {
		p := filepath.Join(root, online)
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}, want: []string{"/sys/devices/system/cpu/online", "a named pipe, not a regular file"}},
	{name: "online linked to /dev/zero", make: link(online, "/dev/zero"),
		want: []string{"/sys/devices/system/cpu/online", "path escapes"}},
	{name: "16 MiB online", files: map[string]string{online: strings.Repeat("0-65535,", 2<<20)},
		want: []string{"/sys/devices/system/cpu/online", "larger than the 64 KiB"}},
	{name: "65536 online CPUs", files: map[string]string{online: "0-65535\n", "proc/self/status": "Cpus_allowed_list:\t0-65535\n"},
		want: []string{"not present for online CPUs 2-65535"}},
	{name: "v1 cpuset 0-", files: map[string]string{"sys/fs/cgroup/cpuset/cpuset.effective_cpus": "0-\n"},
		want: []string{"/sys/fs/cgroup/cpuset/cpuset.effective_cpus", "cpuset is taken as unknown"}},
	{name: "v1 cpuset 5-2", files: map[string]string{"sys/fs/cgroup/cpuset/cpuset.effective_cpus": "5-2\n"},
		want: []string{"/sys/fs/cgroup/cpuset/cpuset.effective_cpus", "range ends before it starts"}},
	{name: "v1 cpuset a,b", files: map[string]string{"sys/fs/cgroup/cpuset/cpuset.effective_cpus": "a,b\n"},
		want: []string{"/sys/fs/cgroup/cpuset/cpuset.effective_cpus", "cpuset is taken as unknown"}},
	{name: "v1 cpuset -1", files: map[string]string{"sys/fs/cgroup/cpuset/cpuset.effective_cpus": "-1\n"},
		want: []string{"/sys/fs/cgroup/cpuset/cpuset.effective_cpus", "cpuset is taken as unknown"}},
	{name: "v1 cpuset 0-99999999", files: map[string]string{"sys/fs/cgroup/cpuset/cpuset.effective_cpus": "0-99999999\n"},
		want: []string{"/sys/fs/cgroup/cpuset/cpuset.effective_cpus", "above the limit"}},
	{name: "v2 cpuset a,b", files: map[string]string{cgroup: v2, "sys/fs/cgroup/cpuset.cpus.effective": "a,b\n"},
		want: []string{"/sys/fs/cgroup/cpuset.cpus.effective", "cpuset is taken as unknown"}},
	{name: "cpu.max max 0", files: map[string]string{cgroup: v2, cpuMax: "max 0\n"},
		want: []string{"/sys/fs/cgroup/cpu.max", `period "0"`, "no CPU quota"}},
	{name: "cpu.max max -5", files: map[string]string{cgroup: v2, cpuMax: "max -5\n"},
		want: []string{"/sys/fs/cgroup/cpu.max", `period "-5"`, "no CPU quota"}},
	{name: "cpu.max max abc", files: map[string]string{cgroup: v2, cpuMax: "max abc\n"},
		want: []string{"/sys/fs/cgroup/cpu.max", `period "abc"`, "no CPU quota"}},
	{name: "v1 quota over a 1 µs period", files: map[string]string{quotaV1: "50000\n", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "1\n"},
		want: []string{"/sys/fs/cgroup/cpu/cpu.cfs_period_us", `period "1"`, "no CPU quota"}},
	{name: "3-byte cache lines", files: map[string]string{line0: "3\n"},
		want: []string{"/sys/devices/system/cpu/cpu0/cache/index0/coherency_line_size", "3 is not a cache line size", "taken as unknown"}},
	{name: "2^40-byte cache lines", files: map[string]string{line0: "1099511627776\n"},
		want: []string{"coherency_line_size", "1099511627776 is not a cache line size", "taken as unknown"}},
	{name: "GOMAXPROCS 0", files: map[string]string{"busprobe/gomaxprocs": "0\n"},
		want: []string{"/busprobe/gomaxprocs", "GOMAXPROCS 0 is not positive", "Go's default"}},
	{name: "GOMAXPROCS -3", files: map[string]string{"busprobe/gomaxprocs": "-3\n"},
		want: []string{"/busprobe/gomaxprocs", "GOMAXPROCS -3 is not positive", "Go's default"}},
	{name: "online CPUs without sysfs directories", files: map[string]string{online: "0-7\n", "proc/self/status": "Cpus_allowed_list:\t0-7\n"},
		want: []string{"not present for online CPUs 2-7", "no bus thread is planned on them"}},
	{name: "nohz_full (null)", files: map[string]string{"sys/devices/system/cpu/nohz_full": "(null)\n"}},
}

// planted are the files outside each tree, below its base: where a link
// leads (secret) and where the cgroup line with .. leads, one, two or three
// levels out of the root (a quota of 42.42 CPUs). The line's controllers
// joined by "," climb one level from the root, so 40efa48 read the quota
// in a/b/outside and -capture wrote it to x/y/outside.
var planted = map[string]bool{
	"secret":                        true,
	"outside/cpu.cfs_quota_us":      true,
	"outside/cpu.cfs_period_us":     true,
	"a/outside/cpu.cfs_quota_us":    true,
	"a/outside/cpu.cfs_period_us":   true,
	"a/b/outside/cpu.cfs_quota_us":  true,
	"a/b/outside/cpu.cfs_period_us": true,
}

// buildDamaged copies the kvm-epyc-2cpu fixture to base/a/b/root, plants
// the sentinel where links and .. lead outside it, and damages it.
func buildDamaged(t *testing.T, d damaged) (base, root string) {
	t.Helper()
	base = t.TempDir()
	root = filepath.Join(base, "a", "b", "root")
	if err := os.CopyFS(root, os.DirFS(filepath.Join(trees, "kvm-epyc-2cpu"))); err != nil {
		t.Fatal(err)
	}
	write := func(p, content string) {
		os.Remove(p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for rel := range planted {
		content := sentinel
		if strings.HasSuffix(rel, "quota_us") {
			content = "4242000\n"
		} else if strings.HasSuffix(rel, "period_us") {
			content = "100000\n"
		}
		write(filepath.Join(base, rel), content)
	}
	for rel, content := range d.files {
		write(filepath.Join(root, rel), content)
	}
	if d.make != nil {
		d.make(t, base, root)
	}
	return base, root
}

// TestDamagedTrees runs busprobe -root on each damaged tree: it must
// finish within a second, print the note, never print the sentinel, and
// plan no CPU outside the two the fixture describes.
func TestDamagedTrees(t *testing.T) {
	for _, d := range damagedTrees {
		t.Run(d.name, func(t *testing.T) {
			_, root := buildDamaged(t, d)
			var out, errOut bytes.Buffer
			done := make(chan error, 1)
			start := time.Now()
			go func() { done <- run([]string{"-root", root}, &out, &errOut) }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("busprobe -root did not finish in 10s")
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("busprobe -root took %v", took)
			}
			report := out.String()
			if strings.Contains(report, sentinel) || strings.Contains(report, "42.4 CPUs") || len(report) > 16<<10 {
				t.Errorf("the report shows what is outside the tree, or is %d bytes:\n%.4000s", len(report), report)
			}
			if !hasLine(report, d.want) {
				t.Errorf("no line of the report has %q:\n%s", d.want, report)
			}
			if _, notes, _ := strings.Cut(report, "\nNotes\n"); d.want == nil && strings.Contains(notes, "nohz_full") {
				t.Errorf("a note about nohz_full:\n%s", report)
			}
			for _, l := range strings.Split(report, "\n") {
				if f, ok := strings.CutPrefix(strings.TrimSpace(l), "producer CPUs"); ok && strings.TrimSpace(f) != "not pinned" {
					t.Errorf("producer planned on %s: only CPU 1 of the fixture is free", f)
				}
			}
		})
	}
}

func hasLine(report string, want []string) bool {
	if want == nil {
		return true
	}
	for _, l := range strings.Split(report, "\n") {
		all := true
		for _, w := range want {
			all = all && strings.Contains(l, w)
		}
		if all {
			return true
		}
	}
	return false
}

// TestCaptureDamagedTrees captures each damaged tree: nothing is written
// outside the capture directory, nothing is copied from outside the tree,
// and every file of the capture is a regular file.
func TestCaptureDamagedTrees(t *testing.T) {
	for _, d := range damagedTrees {
		t.Run(d.name, func(t *testing.T) {
			base, root := buildDamaged(t, d)
			capture := filepath.Join(base, "x", "y", "capture")
			var out bytes.Buffer
			if err := run([]string{"-root", root, "-capture", capture}, &out, &out); err != nil {
				t.Fatal(err)
			}
			err := filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
				if err != nil || e.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(base, p)
				rel = filepath.ToSlash(rel)
				switch {
				case strings.HasPrefix(rel, "a/b/root/"), planted[rel]:
				case strings.HasPrefix(rel, "x/y/capture/"):
					b, err := os.ReadFile(p)
					if !e.Type().IsRegular() || err != nil || bytes.Contains(b, []byte(sentinel)) {
						t.Errorf("capture holds %s: type %v, %v", rel, e.Type(), err)
					}
				default:
					t.Errorf("-capture wrote %s outside the capture directory", rel)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
