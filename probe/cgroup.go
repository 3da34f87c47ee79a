package probe

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

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

// maxCgroupPath is the longest cgroup path the probe accepts: PATH_MAX.
const maxCgroupPath = 4096

// parseProcCgroup parses /proc/self/cgroup. The lines are untrusted: the
// probe joins their controllers and paths to directory names below
// /sys/fs/cgroup, so a controller must be a plain name (letters, digits,
// '_', '-', '.', '=', and not "." or "..") and a path must be absolute,
// printable, at most PATH_MAX long and without "." or ".." elements.
// The kernel never prints anything else for the process's own cgroups.
func parseProcCgroup(file string, data []byte) ([]cgroupLine, error) {
	var out []cgroupLine
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		bad := func(why string) error {
			return fmt.Errorf("%w: %s line %d: %s %s", ErrMalformed, file, i+1, quote(line), why)
		}
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			return nil, bad("is not hierarchy:controllers:/path")
		}
		var ctl []string
		if parts[1] != "" {
			ctl = strings.Split(parts[1], ",")
		}
		for _, c := range ctl {
			if !controllerName(c) {
				return nil, bad(fmt.Sprintf("has %s, which is not a controller name", quote(c)))
			}
		}
		if !cgroupPath(parts[2]) {
			return nil, bad("has a path that is not an absolute, printable path without . or .. elements")
		}
		out = append(out, cgroupLine{hierarchy: parts[0], controllers: ctl, path: parts[2]})
	}
	return out, nil
}

// controllerName reports whether c can be a cgroup v1 controller or
// hierarchy name ("cpu", "cpuacct", "name=systemd"), and so a safe
// directory name.
func controllerName(c string) bool {
	if c == "" || c == "." || c == ".." || len(c) > 64 {
		return false
	}
	for i := 0; i < len(c); i++ {
		switch b := c[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '_', b == '-', b == '.', b == '=':
		default:
			return false
		}
	}
	return true
}

// cgroupPath reports whether p is a cgroup path the probe may join below
// a mount point: absolute, at most maxCgroupPath bytes, printable, and
// without "." or ".." elements (which the kernel prints only for a cgroup
// outside the reader's namespace).
func cgroupPath(p string) bool {
	if !strings.HasPrefix(p, "/") || len(p) > maxCgroupPath || !utf8.ValidString(p) ||
		strings.ContainsFunc(p, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return false
	}
	for e := range strings.SplitSeq(p[1:], "/") {
		if e == "." || e == ".." {
			return false
		}
	}
	return true
}

// The kernel's bounds on CFS bandwidth (kernel/sched/core.c,
// tg_set_cfs_bandwidth): a period from 1 ms to 1 s, a quota of at least
// 1 ms and at most max_cfs_runtime, 2^44-1 µs; anything else is refused
// with EINVAL, so a file holding it was not written by a kernel.
const (
	minCFSPeriod = 1000    // µs
	maxCFSPeriod = 1000000 // µs
	minCFSQuota  = 1000    // µs
	maxCFSQuota  = 1<<44 - 1
)

// parseCFSPeriod parses a period in µs and checks the kernel's bounds.
func parseCFSPeriod(file, s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < minCFSPeriod || p > maxCFSPeriod {
		return 0, fmt.Errorf("%w: %s: period %s is not %d to %d µs, as the kernel requires", ErrMalformed, file, quote(s), minCFSPeriod, maxCFSPeriod)
	}
	return p, nil
}

// parseCFSQuotaValue parses a quota in µs and checks the kernel's bounds.
func parseCFSQuotaValue(file, s, unlimited string) (int, error) {
	q, err := strconv.Atoi(s)
	if err != nil || q < minCFSQuota || q > maxCFSQuota {
		return 0, fmt.Errorf("%w: %s: quota %s is not %s or %d to %d µs, as the kernel requires", ErrMalformed, file, quote(s), unlimited, minCFSQuota, maxCFSQuota)
	}
	return q, nil
}

// parseCPUMax parses a cgroup v2 cpu.max file, "150000 100000" or
// "max 100000", and returns the quota in CPUs, 0 for no limit. A quota or
// period outside the kernel's bounds wraps ErrMalformed.
func parseCPUMax(file string, data []byte) (float64, error) {
	f := strings.Fields(string(data))
	if len(f) == 0 || len(f) > 2 {
		return 0, fmt.Errorf("%w: %s: %s is not \"quota period\"", ErrMalformed, file, quote(strings.TrimSpace(string(data))))
	}
	period := 100000
	if len(f) == 2 {
		p, err := parseCFSPeriod(file, f[1])
		if err != nil {
			return 0, err
		}
		period = p
	}
	if f[0] == "max" {
		return 0, nil
	}
	q, err := parseCFSQuotaValue(file, f[0], `"max"`)
	if err != nil {
		return 0, err
	}
	return float64(q) / float64(period), nil
}

// parseCFSQuota parses the cgroup v1 pair cpu.cfs_quota_us and
// cpu.cfs_period_us and returns the quota in CPUs, 0 for no limit (-1). A
// quota or period outside the kernel's bounds wraps ErrMalformed.
func parseCFSQuota(quotaFile string, quota []byte, periodFile string, period []byte) (float64, error) {
	p, err := parseCFSPeriod(periodFile, strings.TrimSpace(string(period)))
	if err != nil {
		return 0, err
	}
	qs := strings.TrimSpace(string(quota))
	if qs == "-1" {
		return 0, nil
	}
	q, err := parseCFSQuotaValue(quotaFile, qs, "-1")
	if err != nil {
		return 0, err
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

// cgroupDirs returns the cgroup directories below mount to look in for
// the cgroup at p, leaf first, then each ancestor. When the leaf does not
// exist (a container with its own cgroup namespace sees its cgroup at the
// mount point) it returns only the mount point. p is a path that
// parseProcCgroup accepted.
func (fsys FS) cgroupDirs(mount, p string) []string {
	if !fsys.isDir(path.Join(mount, p)) {
		return []string{mount}
	}
	var out []string
	for d := path.Clean(p); ; d = path.Dir(d) {
		out = append(out, path.Join(mount, d))
		if d == "/" {
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
			v.cpuset, _ = fsys.readCpuset(fsys.v1Mount(v1cpuset), v1cpuset.path, n, "cpuset.effective_cpus", "cpuset.cpus")
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
		if isNotExist(err) {
			continue
		}
		found = true
		var q float64
		if err == nil {
			q, err = parseCPUMax(name(rel), b)
		}
		if err != nil {
			n.add(err.Error() + "; this file is taken as no CPU quota")
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
	var present bool
	if v.cpuset, present = fsys.readCpuset(cgroupMount, v2.path, n, "cpuset.cpus.effective"); !present {
		n.add(fmt.Sprintf("%s/cpuset.cpus.effective: not present; the cpuset controller is not enabled for this cgroup", name(dirs[0])))
	}
	return v
}

// v1Mount returns where a v1 hierarchy is mounted: the first existing of
// sys/fs/cgroup/<controllers joined by ","> and sys/fs/cgroup/<controller>.
// The controllers are names parseProcCgroup accepted, so each candidate is
// one directory below the mount.
func (fsys FS) v1Mount(l *cgroupLine) string {
	cands := []string{path.Join(cgroupMount, strings.Join(l.controllers, ","))}
	for _, c := range l.controllers {
		cands = append(cands, path.Join(cgroupMount, c))
	}
	for _, c := range cands {
		if fsys.isDir(c) {
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
		if isNotExist(err) {
			continue
		}
		var pb []byte
		if err == nil {
			pb, err = fsys.readFile(pf)
		}
		var q float64
		if err == nil {
			q, err = parseCFSQuota(name(qf), qb, name(pf), pb)
		}
		if err != nil {
			n.add(err.Error() + "; this cgroup is taken as no CPU quota")
			continue
		}
		if q > 0 && (!out.Known() || out.Value == 0 || q < out.Value) {
			out = known(q, name(qf))
		} else if !out.Known() {
			out = known(0.0, name(qf))
		}
	}
	if !out.Known() {
		n.add(fmt.Sprintf("%s: no usable cpu.cfs_quota_us found; assuming no CPU quota", name(path.Join(fsys.v1Mount(l), l.path))))
	}
	return out
}

// readCpuset reads the first of the named files found from the leaf cgroup
// upwards, skipping empty ones, and reports whether any of them is
// present. A file that cannot be read or does not parse ends the search
// with a note naming it, and the cpuset is unknown.
func (fsys FS) readCpuset(mount, p string, n *notes, files ...string) (Fact[affinity.CPUSet], bool) {
	present := false
	for _, d := range fsys.cgroupDirs(mount, p) {
		for _, f := range files {
			s, err := fsys.readCPUList(path.Join(d, f))
			switch {
			case isNotExist(err):
				continue
			case err != nil:
				n.add(err.Error() + "; the cgroup cpuset is taken as unknown")
				return Fact[affinity.CPUSet]{}, true
			}
			present = true
			if !s.Value.IsEmpty() {
				return s, true
			}
		}
	}
	return Fact[affinity.CPUSet]{}, present
}

func isNotExist(err error) bool { return err != nil && errors.Is(err, fs.ErrNotExist) }
