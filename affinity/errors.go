package affinity

import "errors"

// The errors of this package. Functions wrap them with %w and add what was
// wrong (the CPU, the allowed list, the profile field), so test for them
// with errors.Is.
var (
	// ErrUnsupported is returned on operating systems where this package
	// cannot pin threads (everything but Linux). A bus that gets it may run
	// unpinned.
	ErrUnsupported = errors.New("affinity: CPU pinning is not supported on this operating system")
	// ErrEmptySet is returned when asked to pin to a set with no CPUs.
	ErrEmptySet = errors.New("affinity: empty CPU set")
	// ErrNotAllowed is returned for an online CPU that this process may not
	// run on (outside its affinity mask or cpuset cgroup).
	ErrNotAllowed = errors.New("affinity: CPU not in the allowed set")
	// ErrOffline is returned for a CPU that is offline or does not exist.
	ErrOffline = errors.New("affinity: CPU offline or absent")
	// ErrBadCPUList is returned for text that is not a kernel cpu list.
	ErrBadCPUList = errors.New("affinity: bad cpu list")
	// ErrBadProfile is wrapped by every error that reports a malformed or
	// inconsistent profile.
	ErrBadProfile = errors.New("affinity: bad profile")
	// ErrOtherMachine is returned by CheckProfile and LoadProfile for a
	// profile whose Machine fields describe a different machine.
	ErrOtherMachine = errors.New("affinity: profile was made for another machine")
	// ErrNotConfirmed is returned when the kernel accepted a pin but the
	// thread's mask read back, or the CPU it then ran on, differs from
	// what was asked.
	ErrNotConfirmed = errors.New("affinity: pin not confirmed")
)
