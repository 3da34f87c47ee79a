package affinity

import "fmt"

// Pin locks the calling goroutine to its OS thread (runtime.LockOSThread)
// and sets that thread's affinity mask to set, so the goroutine runs only on
// those CPUs. It then confirms where the thread landed: the mask read back
// from the kernel must equal set, and the CPU the thread runs on right after
// must be in set; otherwise the pin is undone and the error wraps
// ErrNotConfirmed.
//
// Every CPU of set must be online and in this process's allowed set (see
// Allowed); the first one that is not gives an error wrapping ErrOffline or
// ErrNotAllowed that names the CPU and the online and allowed lists. An
// empty set gives ErrEmptySet, and an operating system other than Linux
// gives ErrUnsupported. On any error the goroutine is unlocked and its
// thread keeps the mask it had (but for an unconfirmed pin whose old mask
// cannot be put back, which is handled as for release below).
//
// On success Pin returns release, which must be called by the same
// goroutine: it restores the mask the thread had before Pin and unlocks the
// goroutine from the thread. Pins nest (pinning an already pinned goroutine
// narrows or moves it, and its release moves it back) and must be released
// in the reverse order. Calling release twice, from another goroutine, or
// out of order is a bug and panics with a message starting "affinity:".
// If the old mask cannot be restored (its CPUs went offline meanwhile), the
// goroutine stays locked to its thread, so that no other goroutine
// inherits the narrow mask, and the thread ends when the goroutine does.
//
// A pinned goroutine that ends without calling release takes its thread
// with it: the runtime destroys a thread whose goroutine exits while locked
// (or, for the main thread, parks it for good).
// That is the right ending for a pinned consumer; see the package comment.
func Pin(set CPUSet) (release func(), err error) { return pin(set, "") }

// PinCPU is Pin for the set of the one CPU cpu. A negative cpu, or one above
// MaxCPU, is absent and gives an error wrapping ErrOffline.
func PinCPU(cpu int) (release func(), err error) { return pinCPU(cpu, "") }

func pinCPU(cpu int, label string) (release func(), err error) {
	if cpu < 0 || cpu > MaxCPU {
		return nil, fmt.Errorf("%w: cpu %d does not exist", ErrOffline, cpu)
	}
	return pin(NewCPUSet(cpu), label)
}

// Current returns the affinity mask of the calling goroutine's thread: the
// CPUs it may run on now. Unless the goroutine is pinned (or locked to its
// thread), the next statement may run on another thread with another mask.
func Current() (CPUSet, error) { return current() }

// CPU returns the number of the CPU the calling goroutine's thread is
// running on, as the kernel reports it in field 39 ("processor") of
// /proc/self/task/<tid>/stat. Unless the goroutine is pinned to one CPU, the
// answer may be stale by the time it is returned.
func CPU() (int, error) { return cpuNow() }

// Allowed returns the CPUs this process may run on: the affinity mask of
// its threads as set by taskset, sched_setaffinity or a cpuset cgroup. When
// called from a goroutine pinned by this package it returns the mask the
// thread had before the first Pin, not the pinned one. A plan's CPUs must be
// in this set.
func Allowed() (CPUSet, error) { return allowed() }

// Online returns the CPUs the kernel has online, from
// /sys/devices/system/cpu/online.
func Online() (CPUSet, error) { return online() }

// Threads lists the threads of this process, in ascending TID order, with
// each one's allowed CPUs, the CPU it last ran on and its context switch
// counts, read from /proc/self/task/*/status and stat. Threads that end
// while the list is read are left out. Use it to see that pinned consumers
// sit where their plan put them and how often the kernel preempts them.
func Threads() ([]Thread, error) { return threads() }

// Thread is one thread of this process as Threads saw it. It is a snapshot:
// counts go on growing and CPUs change after it is taken.
type Thread struct {
	// TID is the kernel's thread id.
	TID int `json:"tid"`
	// Name is the thread's command name (comm); for a Go program it is the
	// same on every thread.
	Name string `json:"name"`
	// Allowed is the thread's affinity mask: the CPUs it may run on.
	Allowed CPUSet `json:"allowed"`
	// LastCPU is the CPU the thread last ran on.
	LastCPU int `json:"last_cpu"`
	// Voluntary counts the times the thread gave up its CPU: it blocked,
	// slept or yielded.
	Voluntary uint64 `json:"voluntary_switches"`
	// Involuntary counts the times the kernel took the CPU away from the
	// thread to run another (preemption). A pinned busy-spinning consumer
	// whose count grows quickly shares its CPU with something else.
	Involuntary uint64 `json:"involuntary_switches"`
	// Pinned reports whether a goroutine of this process has pinned the
	// thread through this package and not yet released it.
	Pinned bool `json:"pinned"`
	// Label says who pinned the thread through PinPlan or PinProducer: the
	// consumer's name, "consumer N" for a consumer without a name, or
	// "producer N". It is empty for a thread pinned by Pin or not pinned.
	// For nested pins it is the label of the innermost.
	Label string `json:"label,omitempty"`
}
