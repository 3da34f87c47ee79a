package probe

import "github.com/eventbus/eventbus/affinity"

const (
	fileOnline   = "sys/devices/system/cpu/online"
	fileIsolated = "sys/devices/system/cpu/isolated"
	fileNohzFull = "sys/devices/system/cpu/nohz_full"
	fileCoreCPUs = "sys/devices/cpu_core/cpus" // Intel hybrid: performance cores
	fileAtomCPUs = "sys/devices/cpu_atom/cpus" // Intel hybrid: efficiency cores
)

// readCPUList reads a sysfs file that holds one cpu list.
func (fsys FS) readCPUList(rel string) (Fact[affinity.CPUSet], error) {
	b, err := fsys.readFile(rel)
	if err != nil {
		return Fact[affinity.CPUSet]{}, err
	}
	s, err := parseCPUListFile(name(rel), b)
	if err != nil {
		return Fact[affinity.CPUSet]{}, err
	}
	return known(s, name(rel)), nil
}
