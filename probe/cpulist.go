package probe

import (
	"bytes"

	"github.com/eventbus/eventbus/affinity"
)

const (
	fileOnline   = "sys/devices/system/cpu/online"
	fileIsolated = "sys/devices/system/cpu/isolated"
	fileNohzFull = "sys/devices/system/cpu/nohz_full"
	fileCoreCPUs = "sys/devices/cpu_core/cpus" // Intel hybrid: performance cores
	fileAtomCPUs = "sys/devices/cpu_atom/cpus" // Intel hybrid: efficiency cores
)

// readCPUList reads a sysfs file that holds one cpu list.
func (fsys FS) readCPUList(rel string) (Fact[affinity.CPUSet], error) {
	return fsys.readSet(rel, parseCPUListFile)
}

// readSet reads the file at rel and parses it with parse.
func (fsys FS) readSet(rel string, parse func(file string, data []byte) (affinity.CPUSet, error)) (Fact[affinity.CPUSet], error) {
	b, err := fsys.readFile(rel)
	if err != nil {
		return Fact[affinity.CPUSet]{}, err
	}
	s, err := parse(name(rel), b)
	if err != nil {
		return Fact[affinity.CPUSet]{}, err
	}
	return known(s, name(rel)), nil
}

// parseNohzFull parses /sys/devices/system/cpu/nohz_full. A kernel built
// with NO_HZ_FULL but booted without nohz_full= has no mask to print and
// prints "(null)": no CPU runs tickless.
func parseNohzFull(file string, data []byte) (affinity.CPUSet, error) {
	if string(bytes.TrimSpace(data)) == "(null)" {
		return affinity.CPUSet{}, nil
	}
	return parseCPUListFile(file, data)
}
