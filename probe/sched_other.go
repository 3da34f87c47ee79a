//go:build !linux

package probe

import (
	"fmt"

	"github.com/eventbus/eventbus/affinity"
)

func schedGetaffinity() (affinity.CPUSet, error) {
	return affinity.CPUSet{}, fmt.Errorf("%w: sched_getaffinity is Linux only", ErrUnsupported)
}

func pinThread(cpu int) error {
	return fmt.Errorf("%w: pinning threads is Linux only", ErrUnsupported)
}

const canPin = false
