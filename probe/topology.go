package probe

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/eventbus/eventbus/affinity"
)

// CPU is what sysfs says about one logical CPU.
type CPU struct {
	// ID is the logical CPU number.
	ID int `json:"id"`
	// Package is the physical package (socket) id, -1 if unknown.
	Package int `json:"package"`
	// Core is the core id within its package, -1 if unknown.
	Core int `json:"core"`
	// Node is the NUMA node the CPU belongs to, -1 if unknown.
	Node int `json:"node"`
	// Siblings is the set of hardware threads sharing this CPU's core,
	// including the CPU itself (topology/thread_siblings_list).
	Siblings affinity.CPUSet `json:"siblings"`
	// Capacity is the scheduler's relative capacity (cpu_capacity, 1024 for
	// the biggest cores), 0 when the kernel does not say.
	Capacity int `json:"capacity,omitempty"`
	// Governor is the cpufreq scaling governor, empty when there is none
	// (as in most VMs).
	Governor string `json:"governor,omitempty"`
	// Caches lists the CPU's caches from cache/index*, innermost first.
	Caches []Cache `json:"caches,omitempty"`
}

// CoreKey returns a string that is equal for CPUs on the same physical
// core: the thread sibling list, or the CPU itself when it is unknown.
func (c CPU) CoreKey() string {
	if c.Siblings.IsEmpty() {
		return strconv.Itoa(c.ID)
	}
	return c.Siblings.String()
}

// Cache returns the CPU's data or unified cache of the given level and
// whether it has one.
func (c CPU) Cache(level int) (Cache, bool) {
	for _, k := range c.Caches {
		if k.Level == level && k.Type != "Instruction" {
			return k, true
		}
	}
	return Cache{}, false
}

// maxGovernor is the longest cpufreq governor name (CPUFREQ_NAME_LEN less
// its NUL).
const maxGovernor = 15

// maxSMT is the most hardware threads a core has on any processor Linux
// runs on (POWER's SMT8).
const maxSMT = 8

// parseSiblings parses a cpuN/topology/thread_siblings_list: the hardware
// threads of CPU id's core, which the kernel always lists with id among
// them, and never more than maxSMT. Anything else wraps ErrMalformed.
func parseSiblings(file string, data []byte, id int) (affinity.CPUSet, error) {
	s, err := parseCPUListFile(file, data)
	if err != nil {
		return affinity.CPUSet{}, err
	}
	if !s.Contains(id) || s.Len() > maxSMT {
		return affinity.CPUSet{}, fmt.Errorf("%w: %s: %s is not up to %d threads including CPU %d", ErrMalformed, file, quote(strings.TrimSpace(string(data))), maxSMT, id)
	}
	return s, nil
}

func cpuDir(id int) string { return "sys/devices/system/cpu/cpu" + strconv.Itoa(id) }

// readCPU reads the topology, capacity, governor and caches of one CPU.
// Files that are missing leave their fields unknown and add a note.
func (fsys FS) readCPU(id int, n *notes) CPU {
	c := CPU{ID: id, Package: -1, Core: -1, Node: -1}
	dir := cpuDir(id)
	readInt := func(rel string) (int, bool) {
		b, err := fsys.readFile(path.Join(dir, rel))
		if err != nil {
			n.add(missingOnAll(err, id))
			return 0, false
		}
		v, err := parseIntFile(name(path.Join(dir, rel)), b)
		if err != nil {
			n.add(err.Error())
			return 0, false
		}
		return v, true
	}
	if v, ok := readInt("topology/physical_package_id"); ok {
		c.Package = v
	}
	if v, ok := readInt("topology/core_id"); ok {
		c.Core = v
	}
	if b, err := fsys.readFile(path.Join(dir, "topology/thread_siblings_list")); err != nil {
		n.add(missingOnAll(err, id))
	} else if s, err := parseSiblings(name(path.Join(dir, "topology/thread_siblings_list")), b, id); err != nil {
		n.add(err.Error() + "; this CPU is taken as a core of its own")
	} else {
		c.Siblings = s
	}
	if b, err := fsys.readFile(path.Join(dir, "cpu_capacity")); err == nil {
		if v, err := parseIntFile(name(path.Join(dir, "cpu_capacity")), b); err == nil {
			c.Capacity = v
		} else {
			n.add(err.Error())
		}
	} else if !isNotExist(err) {
		n.add(err.Error())
	}
	if b, err := fsys.readFile(path.Join(dir, "cpufreq/scaling_governor")); !isNotExist(err) && err != nil {
		n.add(err.Error())
	} else if err == nil {
		g := strings.TrimSpace(string(b))
		if err := checkText(name(path.Join(dir, "cpufreq/scaling_governor")), "governor", g, maxGovernor); err != nil {
			n.add(generic(err.Error(), id) + "; the governor is taken as unknown")
		} else {
			c.Governor = g
		}
	}
	c.Caches = fsys.readCaches(id, n)
	return c
}

// missingOnAll returns the note for an error reading a file of cpuN: for a
// missing file, one about all CPUs (see generic); for any other, the
// error, naming the CPU.
func missingOnAll(err error, id int) string {
	if isNotExist(err) {
		return generic(err.Error(), id)
	}
	return err.Error()
}

// generic turns a message about cpuN into one about all CPUs, so that a
// file missing on every CPU gives one note, not one per CPU.
func generic(msg string, id int) string {
	return strings.ReplaceAll(msg, fmt.Sprintf("/cpu%d/", id), "/cpuN/")
}
