package probe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/eventbus/eventbus/affinity"
)

const (
	fileProcCgroup = "proc/self/cgroup"
	cgroupMount    = "sys/fs/cgroup"
)

// cgroupLine is one line of /proc/self/cgroup: "4:cpu,cpuacct:/docker/ab".
type cgroupLine struct {
	hierarchy   string
	controllers []string
	path        string
}

// parseProcCgroup parses /proc/self/cgroup.
func parseProcCgroup(file string, data []byte) ([]cgroupLine, error) {
	var out []cgroupLine
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			return nil, fmt.Errorf("%w: %s line %d: %q is not hierarchy:controllers:/path", ErrMalformed, file, i+1, line)
		}
		var ctl []string
		if parts[1] != "" {
			ctl = strings.Split(parts[1], ",")
		}
		out = append(out, cgroupLine{hierarchy: parts[0], controllers: ctl, path: parts[2]})
	}
	return out, nil
}

// parseCPUMax parses a cgroup v2 cpu.max file, "150000 100000" or
// "max 100000", and returns the quota in CPUs, 0 for no limit.
func parseCPUMax(file string, data []byte) (float64, error) {
	f := strings.Fields(string(data))
	if len(f) == 0 || len(f) > 2 {
		return 0, fmt.Errorf("%w: %s: %q is not \"quota period\"", ErrMalformed, file, strings.TrimSpace(string(data)))
	}
	if f[0] == "max" {
		return 0, nil
	}
	period := 100000
	if len(f) == 2 {
		p, err := strconv.Atoi(f[1])
		if err != nil || p <= 0 {
			return 0, fmt.Errorf("%w: %s: period %q is not a positive integer", ErrMalformed, file, f[1])
		}
		period = p
	}
	q, err := strconv.Atoi(f[0])
	if err != nil || q <= 0 {
		return 0, fmt.Errorf("%w: %s: quota %q is not \"max\" or a positive integer", ErrMalformed, file, f[0])
	}
	return float64(q) / float64(period), nil
}

// parseCFSQuota parses the cgroup v1 pair cpu.cfs_quota_us and
// cpu.cfs_period_us and returns the quota in CPUs, 0 for no limit (-1).
func parseCFSQuota(quotaFile string, quota []byte, periodFile string, period []byte) (float64, error) {
	q, err := parseIntFile(quotaFile, quota)
	if err != nil {
		return 0, err
	}
	if q < 0 {
		return 0, nil
	}
	p, err := parseIntFile(periodFile, period)
	if err != nil {
		return 0, err
	}
	if q == 0 || p <= 0 {
		return 0, fmt.Errorf("%w: %s / %s: quota %d over period %d", ErrMalformed, quotaFile, periodFile, q, p)
	}
	return float64(q) / float64(p), nil
}

// cgroupView is what the probe learns from cgroups.
type cgroupView struct {
	version Fact[int]
	path    Fact[string]
	quota   Fact[float64]
	cpuset  Fact[affinity.CPUSet]
}

// dirs returns the cgroup directories below mount to look in for the
// cgroup at p, leaf first, then each ancestor. When the leaf does not exist
// (a container with its own cgroup namespace sees its cgroup at the mount
// point) it returns only the mount point.
func (fsys FS) cgroupDirs(mount, p string) []string {
	leaf := path.Join(mount, p)
	if st, err := os.Stat(filepath.Join(fsys.root, filepath.FromSlash(leaf))); err != nil || !st.IsDir() {
		return []string{mount}
	}
	var out []string
	for d := path.Clean(p); ; d = path.Dir(d) {
		out = append(out, path.Join(mount, d))
		if d == "/" || d == "." {
			return out
		}
	}
}

// readCgroup finds this process's cgroup and reads its CPU quota and cpuset.
// With nested cgroups the smallest quota on the way to the root counts.
func (fsys FS) readCgroup(n *notes) cgroupView {
	var v cgroupView
	b, err := fsys.readFile(fileProcCgroup)
	var lines []cgroupLine
	if err == nil {
		lines, err = parseProcCgroup(name(fileProcCgroup), b)
	}
	if err != nil {
		n.add(err.Error() + "; looking for cgroup files at " + name(cgroupMount))
		lines = []cgroupLine{{hierarchy: "0", path: "/"}}
	}
	var v1cpu, v1cpuset, v2 *cgroupLine
	for i := range lines {
		l := &lines[i]
		if l.hierarchy == "0" && len(l.controllers) == 0 {
			v2 = l
		}
		for _, c := range l.controllers {
			switch c {
			case "cpu":
				v1cpu = l
			case "cpuset":
				v1cpuset = l
			}
		}
	}
	if v1cpu != nil || v1cpuset != nil {
		v.version = known(1, name(fileProcCgroup))
		if v1cpu != nil {
			v.path = known(v1cpu.path, name(fileProcCgroup))
			v.quota = fsys.readV1Quota(v1cpu, n)
		}
		if v1cpuset != nil {
			v.cpuset = fsys.readCpuset(fsys.v1Mount(v1cpuset), v1cpuset.path, "cpuset.effective_cpus", "cpuset.cpus")
		}
		if v.quota.Known() || v.cpuset.Known() {
			return v
		}
	}
	if v2 == nil {
		n.add("no cgroup v1 cpu controller or v2 hierarchy found; assuming no CPU quota")
		return v
	}
	v.version = known(2, name(fileProcCgroup))
	v.path = known(v2.path, name(fileProcCgroup))
	dirs := fsys.cgroupDirs(cgroupMount, v2.path)
	found := false
	for _, d := range dirs {
		rel := path.Join(d, "cpu.max")
		b, err := fsys.readFile(rel)
		if err != nil {
			continue
		}
		found = true
		q, err := parseCPUMax(name(rel), b)
		if err != nil {
			n.add(err.Error())
			continue
		}
		if q > 0 && (!v.quota.Known() || v.quota.Value == 0 || q < v.quota.Value) {
			v.quota = known(q, name(rel))
		} else if !v.quota.Known() {
			v.quota = known(0.0, name(rel))
		}
	}
	if !found {
		n.add(fmt.Sprintf("%s/cpu.max: not present; the cpu controller is not enabled for this cgroup, assuming no CPU quota", name(dirs[0])))
	}
	v.cpuset = fsys.readCpuset(cgroupMount, v2.path, "cpuset.cpus.effective")
	if !v.cpuset.Known() {
		n.add(fmt.Sprintf("%s/cpuset.cpus.effective: not present; the cpuset controller is not enabled for this cgroup", name(dirs[0])))
	}
	return v
}

// v1Mount returns where a v1 hierarchy is mounted: the first existing of
// sys/fs/cgroup/<controllers joined by ","> and sys/fs/cgroup/<controller>.
func (fsys FS) v1Mount(l *cgroupLine) string {
	cands := []string{path.Join(cgroupMount, strings.Join(l.controllers, ","))}
	for _, c := range l.controllers {
		cands = append(cands, path.Join(cgroupMount, c))
	}
	for _, c := range cands {
		if _, err := os.Stat(filepath.Join(fsys.root, filepath.FromSlash(c))); err == nil {
			return c
		}
	}
	return cands[0]
}

func (fsys FS) readV1Quota(l *cgroupLine, n *notes) Fact[float64] {
	var out Fact[float64]
	for _, d := range fsys.cgroupDirs(fsys.v1Mount(l), l.path) {
		qf, pf := path.Join(d, "cpu.cfs_quota_us"), path.Join(d, "cpu.cfs_period_us")
		qb, err := fsys.readFile(qf)
		if err != nil {
			continue
		}
		pb, err := fsys.readFile(pf)
		if err != nil {
			n.add(err.Error())
			continue
		}
		q, err := parseCFSQuota(name(qf), qb, name(pf), pb)
		if err != nil {
			n.add(err.Error())
			continue
		}
		if q > 0 && (!out.Known() || out.Value == 0 || q < out.Value) {
			out = known(q, name(qf))
		} else if !out.Known() {
			out = known(0.0, name(qf))
		}
	}
	if !out.Known() {
		n.add(fmt.Sprintf("%s: no cpu.cfs_quota_us found; assuming no CPU quota", name(path.Join(fsys.v1Mount(l), l.path))))
	}
	return out
}

// readCpuset reads the first of the named files found from the leaf cgroup
// upwards.
func (fsys FS) readCpuset(mount, p string, files ...string) Fact[affinity.CPUSet] {
	for _, d := range fsys.cgroupDirs(mount, p) {
		for _, f := range files {
			s, err := fsys.readCPUList(path.Join(d, f))
			if err == nil && !s.Value.IsEmpty() {
				return s
			}
			if err != nil && !isNotExist(err) {
				return Fact[affinity.CPUSet]{}
			}
		}
	}
	return Fact[affinity.CPUSet]{}
}

func isNotExist(err error) bool { return err != nil && errors.Is(err, fs.ErrNotExist) }
