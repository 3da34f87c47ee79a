package probe

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/eventbus/eventbus/affinity"
)

const (
	fileHostname   = "proc/sys/kernel/hostname"
	fileGOMAXPROCS = "busprobe/gomaxprocs"
)

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
	// CPUs describes each online CPU, in CPU order.
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

// CPU returns the sysfs description of cpu and whether there is one.
func (s *Snapshot) CPU(cpu int) (CPU, bool) {
	for _, c := range s.OS.CPUs {
		if c.ID == cpu {
			return c, true
		}
	}
	return CPU{}, false
}

// Read reads the three views from fs. It fails only when the root cannot
// be read at all; everything that is missing or malformed below it becomes
// a note, and the views hold what could be known.
func (fsys FS) Read() (*Snapshot, error) {
	if fsys.root == "" {
		return nil, fmt.Errorf("%w: FS has no root; use NewFS or NewDefaultFS", ErrBadRoot)
	}
	if _, err := os.ReadDir(fsys.root); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRoot, err)
	}
	var n notes
	s := &Snapshot{Root: fsys.root}
	s.Hardware = fsys.readHardware(&n)
	s.OS = fsys.readOS(&n)
	s.Process = fsys.readProcess(&n, s.OS.Online)
	s.Conflicts = conflicts(s)
	s.Notes = n.list
	return s, nil
}

func (fsys FS) readOS(n *notes) OSView {
	var v OSView
	if b, err := fsys.readFile(fileHostname); err == nil {
		v.Hostname = known(strings.TrimSpace(string(b)), name(fileHostname))
	} else if fsys.live {
		if h, err := os.Hostname(); err == nil {
			v.Hostname = known(h, "os.Hostname")
		}
	}
	var err error
	if v.Online, err = fsys.readCPUList(fileOnline); err != nil {
		dirs := fsys.glob("sys/devices/system/cpu/cpu[0-9]*")
		var ids []int
		for _, d := range dirs {
			if id, err := strconv.Atoi(strings.TrimPrefix(d, "sys/devices/system/cpu/cpu")); err == nil && id <= affinity.MaxCPU {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			v.Online = known(affinity.NewCPUSet(ids...), "derived: /sys/devices/system/cpu/cpu* directories")
			n.add(err.Error() + "; assuming every cpuN directory is online")
		} else {
			n.add(err.Error() + "; no per-CPU topology is known")
		}
	}
	for _, x := range []struct {
		dst  *Fact[affinity.CPUSet]
		file string
		what string
	}{
		{&v.Isolated, fileIsolated, "no CPU is known to be isolated"},
		{&v.NohzFull, fileNohzFull, "no CPU is known to run tickless"},
	} {
		f, err := fsys.readCPUList(x.file)
		if err != nil {
			if !isNotExist(err) || x.file == fileIsolated {
				n.add(err.Error() + "; " + x.what)
			}
			continue
		}
		*x.dst = f
	}
	for _, id := range v.Online.Value.CPUs() {
		v.CPUs = append(v.CPUs, fsys.readCPU(id, n))
	}
	v.Nodes = fsys.readNodes(n)
	for _, nd := range v.Nodes {
		for i := range v.CPUs {
			if nd.CPUs.Contains(v.CPUs[i].ID) {
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
		if v, err := parseIntFile(name(fileGOMAXPROCS), b); err == nil && v > 0 {
			p.GOMAXPROCS = known(v, "captured runtime ("+fileGOMAXPROCS+")")
		}
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
