package probe

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"

	"github.com/eventbus/eventbus/affinity"
)

const (
	fileGOMAXPROCS = "busprobe/gomaxprocs"
)

// parseGOMAXPROCS parses a captured busprobe/gomaxprocs: the runtime's
// GOMAXPROCS, which is at least 1.
func parseGOMAXPROCS(file string, data []byte) (int, error) {
	v, err := parseIntFile(file, data)
	if err != nil {
		return 0, err
	}
	if v < 1 {
		return 0, fmt.Errorf("%w: %s: GOMAXPROCS %d is not positive", ErrMalformed, file, v)
	}
	return v, nil
}

// Snapshot is everything the probe read about a machine and the process
// on it, in three views. Read returns one; it is plain data.
type Snapshot struct {
	// Root is the directory the snapshot was read from ("/" when live).
	Root string `json:"root"`
	// Hardware is the view from CPUID.
	Hardware Hardware `json:"hardware"`
	// OS is the view from sysfs.
	OS OSView `json:"os"`
	// Process is the view of this process's limits.
	Process Process `json:"process"`
	// Conflicts lists disagreements between sources.
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// Notes lists what could not be read and what was assumed instead.
	Notes []string `json:"notes,omitempty"`
}

// OSView is what the kernel says about the machine's CPUs in sysfs.
type OSView struct {
	// Hostname is the machine's name.
	Hostname Fact[string] `json:"hostname"`
	// Online is the set of online CPUs.
	Online Fact[affinity.CPUSet] `json:"online"`
	// Isolated is the set of CPUs removed from the scheduler's balancing
	// (isolcpus=); the empty set when the file says so.
	Isolated Fact[affinity.CPUSet] `json:"isolated"`
	// NohzFull is the set of CPUs with the scheduler tick stopped when
	// they run one task (nohz_full=).
	NohzFull Fact[affinity.CPUSet] `json:"nohz_full"`
	// Efficiency is the set of efficiency (small) cores of a hybrid or
	// big.LITTLE processor, empty when all cores are alike.
	Efficiency Fact[affinity.CPUSet] `json:"efficiency"`
	// CacheLine is the largest coherency_line_size of a data or unified
	// cache.
	CacheLine Fact[int] `json:"cache_line"`
	// CPUs describes each online CPU that has a topology directory in
	// sysfs, in CPU order. An online CPU without one is known only by its
	// number: it is left out here, and out of every plan.
	CPUs []CPU `json:"cpus"`
	// Nodes describes the NUMA nodes, in node order; empty when sysfs has
	// no NUMA information.
	Nodes []Node `json:"nodes,omitempty"`
}

// Process is what limits this process's use of CPUs.
type Process struct {
	// Allowed is the affinity mask: sched_getaffinity when live, the
	// Cpus_allowed_list of /proc/self/status in a captured tree.
	Allowed Fact[affinity.CPUSet] `json:"allowed"`
	// CgroupVersion is 1 or 2.
	CgroupVersion Fact[int] `json:"cgroup_version"`
	// Cgroup is the process's cgroup path.
	Cgroup Fact[string] `json:"cgroup"`
	// Quota is the CFS bandwidth limit in CPUs (1.5 is 150 ms of CPU time
	// per 100 ms period); 0 means no limit.
	Quota Fact[float64] `json:"quota"`
	// Cpuset is the cgroup's effective cpuset.
	Cpuset Fact[affinity.CPUSet] `json:"cpuset"`
	// GOMAXPROCS is the Go scheduler's limit on running goroutines.
	GOMAXPROCS Fact[int] `json:"gomaxprocs"`
}

// Usable returns the CPUs this process can really run on: the online CPUs
// that are also allowed by its affinity and its cgroup cpuset (each only
// when known).
func (s *Snapshot) Usable() affinity.CPUSet {
	u := s.OS.Online.Value
	if !s.OS.Online.Known() {
		for _, c := range s.OS.CPUs {
			u = u.Union(affinity.NewCPUSet(c.ID))
		}
	}
	if s.Process.Allowed.Known() {
		u = u.Intersect(s.Process.Allowed.Value)
	}
	if s.Process.Cpuset.Known() {
		u = u.Intersect(s.Process.Cpuset.Value)
	}
	return u
}

// CPU returns the sysfs description of cpu and whether there is one. It
// looks cpu up by binary search, so s.OS.CPUs must be in CPU order, as
// Read returns it.
func (s *Snapshot) CPU(cpu int) (CPU, bool) {
	if i, ok := cpuIndex(s.OS.CPUs, cpu); ok {
		return s.OS.CPUs[i], true
	}
	return CPU{}, false
}

// cpuIndex returns the index of cpu in cpus, which are in CPU order, and
// whether it is there.
func cpuIndex(cpus []CPU, cpu int) (int, bool) {
	return slices.BinarySearchFunc(cpus, cpu, func(c CPU, id int) int { return cmp.Compare(c.ID, id) })
}

// Read reads the three views from fs. It fails only when the root cannot
// be read at all; everything that is missing or malformed below it becomes
// a note, and the views hold what could be known.
func (fsys FS) Read() (*Snapshot, error) {
	if fsys.dir == nil {
		open, done, err := fsys.open()
		if err != nil {
			return nil, err
		}
		defer done()
		fsys = open
	}
	var n notes
	s := &Snapshot{Root: fsys.root}
	s.Hardware = fsys.readHardware(&n)
	s.OS = fsys.readOS(&n)
	s.Process = fsys.readProcess(&n, s.OS.Online)
	s.Conflicts = conflicts(s)
	s.Notes = n.all()
	return s, nil
}

// cpuRoot is the directory of the per-CPU directories cpuN.
const cpuRoot = "sys/devices/system/cpu"

func (fsys FS) readOS(n *notes) OSView {
	var v OSView
	if b, err := fsys.readFile(fileHostname); err == nil {
		if h, err := parseHostname(name(fileHostname), b); err == nil {
			v.Hostname = known(h, name(fileHostname))
		} else {
			n.add(err.Error() + "; the host name is unknown")
		}
	} else if fsys.live {
		if h, err := os.Hostname(); err == nil {
			v.Hostname = known(h, "os.Hostname")
		}
	}
	ids, dirErr := fsys.numbered(cpuRoot, "cpu")
	if dirErr != nil && !isNotExist(dirErr) {
		n.add(dirErr.Error())
	}
	dirs := affinity.NewCPUSet(ids...)
	var err error
	if v.Online, err = fsys.readCPUList(fileOnline); err != nil {
		if !dirs.IsEmpty() {
			v.Online = known(dirs, "derived: /sys/devices/system/cpu/cpu* directories")
			n.add(err.Error() + "; assuming every cpuN directory is online")
		} else {
			n.add(err.Error() + "; no per-CPU topology is known")
		}
	}
	for _, x := range []struct {
		dst   *Fact[affinity.CPUSet]
		file  string
		parse func(string, []byte) (affinity.CPUSet, error)
		what  string
	}{
		{&v.Isolated, fileIsolated, parseCPUListFile, "no CPU is known to be isolated"},
		{&v.NohzFull, fileNohzFull, parseNohzFull, "no CPU is known to run tickless"},
	} {
		f, err := fsys.readSet(x.file, x.parse)
		if err != nil {
			if !isNotExist(err) || x.file == fileIsolated {
				n.add(err.Error() + "; " + x.what)
			}
			continue
		}
		*x.dst = f
	}
	var unknown []int
	for _, id := range v.Online.Value.CPUs() {
		if !dirs.Contains(id) {
			unknown = append(unknown, id)
			continue
		}
		cpu, done := fsys.within(cpuDir(id))
		if cpu.isDir(cpuDir(id) + "/topology") {
			v.CPUs = append(v.CPUs, cpu.readCPU(id, n))
		} else {
			unknown = append(unknown, id)
		}
		done()
	}
	if len(unknown) > 0 {
		n.add(fmt.Sprintf("/sys/devices/system/cpu/cpuN/topology: not present for online CPUs %s; nothing is known of their cores and caches, so no bus thread is planned on them", affinity.NewCPUSet(unknown...)))
	}
	v.Nodes = fsys.readNodes(n)
	for _, nd := range v.Nodes {
		for _, id := range nd.CPUs.CPUs() {
			if i, ok := cpuIndex(v.CPUs, id); ok {
				v.CPUs[i].Node = nd.ID
			}
		}
	}
	v.Efficiency = fsys.readEfficiency(v.CPUs)
	for _, c := range v.CPUs {
		for _, k := range c.Caches {
			if k.Type != "Instruction" && k.LineSize > v.CacheLine.Value {
				v.CacheLine = known(k.LineSize, name(cpuDir(c.ID))+"/cache/index*/coherency_line_size")
			}
		}
	}
	return v
}

// readEfficiency finds the efficiency cores: the cpu_atom PMU's CPUs on
// Intel hybrid parts, else the CPUs whose cpu_capacity is below the largest.
func (fsys FS) readEfficiency(cpus []CPU) Fact[affinity.CPUSet] {
	if atom, err := fsys.readCPUList(fileAtomCPUs); err == nil {
		return atom
	}
	maxCap := 0
	for _, c := range cpus {
		maxCap = max(maxCap, c.Capacity)
	}
	if maxCap == 0 {
		return Fact[affinity.CPUSet]{}
	}
	var small []int
	for _, c := range cpus {
		if c.Capacity > 0 && c.Capacity < maxCap*3/4 {
			small = append(small, c.ID)
		}
	}
	return known(affinity.NewCPUSet(small...), "derived: /sys/devices/system/cpu/cpu*/cpu_capacity below 3/4 of the largest")
}

func (fsys FS) readProcess(n *notes, online Fact[affinity.CPUSet]) Process {
	var p Process
	if fsys.live {
		switch s, err := affinity.Allowed(); {
		case err == nil:
			p.Allowed = known(s, "sched_getaffinity")
		case !errors.Is(err, affinity.ErrUnsupported):
			n.add(err.Error())
		}
	}
	if !p.Allowed.Known() {
		if s, err := fsys.readStatusAllowed(); err == nil {
			p.Allowed = s
		} else {
			n.add(err.Error() + "; assuming every online CPU is allowed")
		}
	}
	cg := fsys.readCgroup(n)
	p.CgroupVersion, p.Cgroup, p.Quota, p.Cpuset = cg.version, cg.path, cg.quota, cg.cpuset
	if fsys.live {
		p.GOMAXPROCS = known(runtime.GOMAXPROCS(0), "runtime")
	} else if b, err := fsys.readFile(fileGOMAXPROCS); err == nil {
		if v, err := parseGOMAXPROCS(name(fileGOMAXPROCS), b); err == nil {
			p.GOMAXPROCS = known(v, "captured runtime ("+fileGOMAXPROCS+")")
		} else {
			n.add(err.Error() + "; using Go's default from the allowed CPUs and the CPU quota")
		}
	} else if !isNotExist(err) {
		n.add(err.Error() + "; using Go's default from the allowed CPUs and the CPU quota")
	}
	if !p.GOMAXPROCS.Known() {
		// Go's default since 1.25: the allowed CPUs, capped by the
		// cgroup quota rounded up (at least 2 when a quota applies).
		u := online.Value
		if p.Allowed.Known() {
			u = p.Allowed.Value
		}
		if p.Cpuset.Known() {
			u = u.Intersect(p.Cpuset.Value)
		}
		g := max(u.Len(), 1)
		if p.Quota.Value > 0 {
			g = min(g, max(2, int(math.Ceil(p.Quota.Value))))
		}
		p.GOMAXPROCS = known(g, "derived: Go's default from the allowed CPUs and the CPU quota")
	}
	return p
}
