//go:build linux

package probe

import (
	"fmt"

	"github.com/eventbus/eventbus/affinity"
	"golang.org/x/sys/unix"
)

// schedGetaffinity returns the CPUs the calling thread may run on.
func schedGetaffinity() (affinity.CPUSet, error) {
	var m unix.CPUSet
	if err := unix.SchedGetaffinity(0, &m); err != nil {
		return affinity.CPUSet{}, fmt.Errorf("sched_getaffinity: %w", err)
	}
	var cpus []int
	for c := 0; c < len(m)*64 && c <= affinity.MaxCPU; c++ {
		if m.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return affinity.NewCPUSet(cpus...), nil
}

// pinThread restricts the calling OS thread to cpu. The caller must hold
// runtime.LockOSThread.
func pinThread(cpu int) error {
	var m unix.CPUSet
	m.Set(cpu)
	if err := unix.SchedSetaffinity(0, &m); err != nil {
		return fmt.Errorf("pinning a thread to cpu %d: %w", cpu, err)
	}
	return nil
}

const canPin = true
