package affinity

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

const onlinePath = "/sys/devices/system/cpu/online"

// pinFrame is one Pin on a thread that is not yet released.
type pinFrame struct {
	label string
}

// threadPins records the unreleased pins of one thread.
type threadPins struct {
	base   CPUSet // the thread's mask before its first pin
	frames []pinFrame
}

// pins maps a thread id to its unreleased pins. An entry lives from the
// first Pin on a thread to the release of the last, or, when the pinned
// goroutine ends without releasing (and its thread with it), until the next
// Pin prunes it.
var (
	pinsMu sync.Mutex
	pins   = map[int]*threadPins{}
)

func pin(set CPUSet, label string) (release func(), err error) {
	if set.IsEmpty() {
		return nil, ErrEmptySet
	}
	runtime.LockOSThread()
	tid := unix.Gettid()
	prev, err := getaffinity()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("affinity: reading the mask of thread %d: %w", tid, err)
	}
	base := baseMask(tid, prev)
	on, onErr := online()
	if err := checkSet(set, base, on, onErr == nil); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	if err := setaffinity(set); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("affinity: pinning thread %d to cpus %s: %w", tid, set, err)
	}
	if err := confirm(set); err != nil {
		if rerr := setaffinity(prev); rerr != nil {
			// The thread keeps a mask nobody asked for: leave the
			// goroutine locked so the thread ends with it.
			return nil, fmt.Errorf("%w (restoring cpus %s also failed: %v)", err, prev, rerr)
		}
		runtime.UnlockOSThread()
		return nil, err
	}

	pinsMu.Lock()
	tp := pins[tid]
	if tp == nil {
		pruneLocked()
		tp = &threadPins{base: prev}
		pins[tid] = tp
	}
	tp.frames = append(tp.frames, pinFrame{label: label})
	depth := len(tp.frames)
	pinsMu.Unlock()

	var released atomic.Bool
	return func() {
		if released.Load() {
			panic("affinity: release called twice")
		}
		// Only the pinning goroutine can run on the locked thread tid.
		if unix.Gettid() != tid {
			panic("affinity: release called from a goroutine other than the one that pinned")
		}
		if !released.CompareAndSwap(false, true) {
			panic("affinity: release called twice")
		}
		pinsMu.Lock()
		tp := pins[tid]
		if tp == nil || len(tp.frames) != depth {
			pinsMu.Unlock()
			panic("affinity: pins of one goroutine released out of order")
		}
		tp.frames = tp.frames[:depth-1]
		if len(tp.frames) == 0 {
			delete(pins, tid)
		}
		pinsMu.Unlock()
		if err := setaffinity(prev); err != nil {
			// Keep the goroutine locked: no other goroutine may run on
			// a thread with a mask it did not ask for.
			return
		}
		runtime.UnlockOSThread()
	}, nil
}

// baseMask returns the mask thread tid had before this package first pinned
// it, or cur when it is not pinned.
func baseMask(tid int, cur CPUSet) CPUSet {
	pinsMu.Lock()
	defer pinsMu.Unlock()
	if tp := pins[tid]; tp != nil {
		return tp.base
	}
	return cur
}

// pruneLocked forgets threads that ended while pinned. pinsMu must be held.
func pruneLocked() {
	for tid := range pins {
		if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid)); errors.Is(err, fs.ErrNotExist) {
			delete(pins, tid)
		}
	}
}

// checkSet returns an error for the first CPU of set that is offline (when
// the online set is known) or not allowed.
func checkSet(set, allowed, on CPUSet, onKnown bool) error {
	for _, c := range set.CPUs() {
		if err := checkCPU(c, allowed, on, onKnown); err != nil {
			return err
		}
	}
	return nil
}

func checkCPU(c int, allowed, on CPUSet, onKnown bool) error {
	if onKnown && !on.Contains(c) {
		return fmt.Errorf("%w: cpu %d (online %q, allowed %q)", ErrOffline, c, on, allowed)
	}
	if !allowed.Contains(c) {
		return fmt.Errorf("%w: cpu %d (allowed %q)", ErrNotAllowed, c, allowed)
	}
	return nil
}

// confirm checks that the calling thread's mask is set and that it now runs
// on a CPU of set. The kernel moves a thread off a CPU that its new mask
// excludes before sched_setaffinity returns, so both hold at once.
func confirm(set CPUSet) error {
	got, err := getaffinity()
	if err != nil {
		return fmt.Errorf("%w: reading back the mask: %v", ErrNotConfirmed, err)
	}
	if !got.Equal(set) {
		return fmt.Errorf("%w: asked for cpus %q, the kernel set %q", ErrNotConfirmed, set, got)
	}
	c, err := threadCPU(unix.Gettid())
	if err != nil {
		return nil // /proc is not mounted: the mask alone must do
	}
	if !set.Contains(c) {
		return fmt.Errorf("%w: asked for cpus %q, the thread runs on cpu %d", ErrNotConfirmed, set, c)
	}
	return nil
}

// getaffinity returns the calling thread's mask, growing the buffer for
// kernels built for more than 1024 CPUs.
func getaffinity() (CPUSet, error) {
	for n := 1024; ; n *= 2 {
		s := unix.NewCPUSet(n)
		err := unix.SchedGetaffinityDynamic(0, s)
		if errors.Is(err, unix.EINVAL) && n <= MaxCPU {
			continue
		}
		if err != nil {
			return CPUSet{}, err
		}
		var w []uint64
		for c := 0; c < n; c++ {
			if s.IsSet(c) {
				w = setRange(w, c, c)
			}
		}
		return CPUSet{words: trim(w)}, nil
	}
}

func setaffinity(set CPUSet) error {
	cpus := set.CPUs()
	if len(cpus) == 0 {
		return syscall.EINVAL
	}
	s := unix.NewCPUSet(cpus[len(cpus)-1] + 1)
	for _, c := range cpus {
		s.Set(c)
	}
	return unix.SchedSetaffinityDynamic(0, s)
}

func current() (CPUSet, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	set, err := getaffinity()
	if err != nil {
		return CPUSet{}, fmt.Errorf("affinity: reading the thread's mask: %w", err)
	}
	return set, nil
}

func cpuNow() (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return threadCPU(unix.Gettid())
}

// threadCPU returns the CPU thread tid of this process runs or last ran on.
func threadCPU(tid int) (int, error) {
	path := "/proc/self/task/" + strconv.Itoa(tid) + "/stat"
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("affinity: %w", err)
	}
	c, err := parseStatCPU(data)
	if err != nil {
		return 0, fmt.Errorf("affinity: %s: %w", path, err)
	}
	return c, nil
}

func allowed() (CPUSet, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cur, err := getaffinity()
	if err != nil {
		return CPUSet{}, fmt.Errorf("affinity: reading the thread's mask: %w", err)
	}
	return baseMask(unix.Gettid(), cur), nil
}

func online() (CPUSet, error) {
	data, err := os.ReadFile(onlinePath)
	if err != nil {
		return CPUSet{}, fmt.Errorf("affinity: %w", err)
	}
	set, err := ParseCPUList(string(data))
	if err != nil {
		return CPUSet{}, fmt.Errorf("%s: %w", onlinePath, err)
	}
	return set, nil
}

func threads() ([]Thread, error) {
	pfs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, fmt.Errorf("affinity: %w", err)
	}
	procs, err := pfs.AllThreads(os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("affinity: listing threads: %w", err)
	}
	pinsMu.Lock()
	labels := make(map[int]string, len(pins))
	for tid, tp := range pins {
		labels[tid] = tp.frames[len(tp.frames)-1].label
	}
	pinsMu.Unlock()

	out := make([]Thread, 0, len(procs))
	for _, p := range procs {
		status, err := p.NewStatus()
		if gone(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("affinity: thread %d status: %w", p.PID, err)
		}
		stat, err := p.Stat()
		if gone(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("affinity: thread %d stat: %w", p.PID, err)
		}
		var set []uint64
		for _, c := range status.CpusAllowedList {
			if c <= MaxCPU {
				set = setRange(set, int(c), int(c))
			}
		}
		label, pinned := labels[p.PID]
		out = append(out, Thread{
			TID:         p.PID,
			Name:        status.Name,
			Allowed:     CPUSet{words: trim(set)},
			LastCPU:     int(stat.Processor),
			Voluntary:   status.VoluntaryCtxtSwitches,
			Involuntary: status.NonVoluntaryCtxtSwitches,
			Pinned:      pinned,
			Label:       label,
		})
	}
	slices.SortFunc(out, func(a, b Thread) int { return a.TID - b.TID })
	return out, nil
}

// gone reports whether err says a thread ended while it was being read.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}
