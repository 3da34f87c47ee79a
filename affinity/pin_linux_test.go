package affinity

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func mustAllowed(t *testing.T) CPUSet {
	t.Helper()
	a, err := Allowed()
	if err != nil {
		t.Fatal(err)
	}
	if a.IsEmpty() {
		t.Fatal("Allowed() is empty")
	}
	return a
}

// spun counts spin's loops, so that the loop has an effect.
var spun int

// spin burns CPU for about d so that the scheduler has had its chance to
// move the thread.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		spun++
	}
}

func findThread(t *testing.T, tid int) Thread {
	t.Helper()
	ts, err := Threads()
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range ts {
		if th.TID == tid {
			return th
		}
	}
	t.Fatalf("thread %d not in Threads()", tid)
	return Thread{}
}

func TestPinEachAllowedCPU(t *testing.T) {
	allowed := mustAllowed(t)
	for _, c := range allowed.CPUs() {
		release, err := PinCPU(c)
		if err != nil {
			t.Fatalf("PinCPU(%d): %v", c, err)
		}
		tid := unix.Gettid()
		cur, err := Current()
		if err != nil || !cur.Equal(NewCPUSet(c)) {
			t.Errorf("pinned to %d: Current() = %q, %v", c, cur, err)
		}
		if a, err := Allowed(); err != nil || !a.Equal(allowed) {
			t.Errorf("pinned to %d: Allowed() = %q, %v; want the unpinned %q", c, a, err, allowed)
		}
		spin(5 * time.Millisecond)
		runtime.Gosched()
		if got, err := CPU(); err != nil || got != c {
			t.Errorf("pinned to %d: CPU() = %d, %v", c, got, err)
		}
		if unix.Gettid() != tid {
			t.Errorf("pinned goroutine moved from thread %d to %d", tid, unix.Gettid())
		}
		th := findThread(t, tid)
		if !th.Allowed.Equal(NewCPUSet(c)) || th.LastCPU != c || !th.Pinned || th.Label != "" {
			t.Errorf("pinned to %d: Threads() row %+v", c, th)
		}
		release()
		if th := findThread(t, tid); th.Pinned || !th.Allowed.Equal(allowed) {
			t.Errorf("after release: thread %d row %+v, want allowed %q, not pinned", tid, th, allowed)
		}
	}
}

func TestPinSetAndNested(t *testing.T) {
	allowed := mustAllowed(t)
	outer, err := Pin(allowed)
	if err != nil {
		t.Fatal(err)
	}
	first := allowed.CPUs()[0]
	inner, err := PinCPU(first)
	if err != nil {
		t.Fatal(err)
	}
	if cur, _ := Current(); !cur.Equal(NewCPUSet(first)) {
		t.Errorf("inner pin: Current() = %q, want %d", cur, first)
	}
	inner()
	if cur, _ := Current(); !cur.Equal(allowed) {
		t.Errorf("after inner release: Current() = %q, want %q", cur, allowed)
	}
	outer()
}

func TestPinErrors(t *testing.T) {
	allowed := mustAllowed(t)
	before, err := Current()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pin  func() (func(), error)
		want error
		text string
	}{
		{"cpu 4096", func() (func(), error) { return PinCPU(4096) }, ErrOffline, "cpu 4096"},
		{"cpu MaxCPU+1", func() (func(), error) { return PinCPU(MaxCPU + 1) }, ErrOffline, "cpu 65536"},
		{"cpu -1", func() (func(), error) { return PinCPU(-1) }, ErrOffline, "cpu -1"},
		{"empty set", func() (func(), error) { return Pin(CPUSet{}) }, ErrEmptySet, ""},
		{"set with one cpu beyond", func() (func(), error) { return Pin(allowed.Union(NewCPUSet(4000))) }, ErrOffline, "cpu 4000"},
	}
	for _, tc := range tests {
		release, err := tc.pin()
		if !errors.Is(err, tc.want) || release != nil || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: release %v, error %v; want %v naming %q", tc.name, release != nil, err, tc.want, tc.text)
		}
	}
	if after, err := Current(); err != nil || !after.Equal(before) {
		t.Errorf("failed pins changed the mask: %q -> %q (%v)", before, after, err)
	}
	if err := checkCPU(4096, allowed, allowed, true); !strings.Contains(err.Error(), "allowed \""+allowed.String()+"\"") {
		t.Errorf("error does not name the allowed list: %v", err)
	}
}

// withNarrowThread runs f on a goroutine locked to a thread whose mask was
// narrowed to set behind this package's back, as taskset would.
func withNarrowThread(t *testing.T, set CPUSet, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		old, err := getaffinity()
		if err != nil {
			t.Error(err)
			return // exits locked: the thread ends with the goroutine
		}
		if err := setaffinity(set); err != nil {
			t.Error(err)
			return
		}
		f()
		if err := setaffinity(old); err != nil {
			t.Error(err)
			return
		}
		runtime.UnlockOSThread()
	}()
	<-done
}

func TestPinNotAllowed(t *testing.T) {
	allowed := mustAllowed(t)
	if allowed.Len() < 2 {
		t.Skipf("needs two allowed CPUs to make one not allowed; this process has %q", allowed)
	}
	cpus := allowed.CPUs()
	withNarrowThread(t, NewCPUSet(cpus[0]), func() {
		release, err := PinCPU(cpus[1])
		if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "cpu "+strconv.Itoa(cpus[1])) {
			t.Errorf("PinCPU(%d) on a thread allowed %d: %v", cpus[1], cpus[0], err)
		}
		if release != nil {
			release()
		}
	})
}

func TestReleaseMisuse(t *testing.T) {
	allowed := mustAllowed(t)
	c := allowed.CPUs()[0]
	mustPanic := func(name, want string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if s, _ := r.(string); !strings.HasPrefix(s, "affinity: ") || !strings.Contains(s, want) {
				t.Errorf("%s: recovered %v, want a panic containing %q", name, r, want)
			}
		}()
		f()
	}

	release, err := PinCPU(c)
	if err != nil {
		t.Fatal(err)
	}
	release()
	mustPanic("release twice", "twice", release)

	// Release from another goroutine, then properly.
	pinned := make(chan func())
	proceed := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		r, err := PinCPU(c)
		if err != nil {
			t.Error(err)
			close(pinned)
			return
		}
		pinned <- r
		<-proceed
		r()
	}()
	if r, ok := <-pinned; ok {
		mustPanic("release from another goroutine", "other than the one that pinned", r)
	}
	close(proceed)
	<-finished

	// Out of order.
	outer, err := PinCPU(c)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := PinCPU(c)
	if err != nil {
		t.Fatal(err)
	}
	mustPanic("out of order", "out of order", outer)
	inner()
	// outer is spent by the panic; its lock and frame stay, so end this
	// thread with a goroutine instead of the test's: undo by hand.
	pinsMu.Lock()
	delete(pins, unix.Gettid())
	pinsMu.Unlock()
	if err := setaffinity(allowed); err != nil {
		t.Fatal(err)
	}
	runtime.UnlockOSThread()
}

func TestExitWhileLockedEndsThread(t *testing.T) {
	c := mustAllowed(t).CPUs()[0]
	pinAndExit := func() int {
		tids := make(chan int, 1)
		go func() {
			if _, err := PinCPU(c); err != nil {
				t.Error(err)
				tids <- 0
				return
			}
			tids <- unix.Gettid()
			// Return without release: the runtime ends the thread.
		}()
		return <-tids
	}
	tid := pinAndExit()
	if tid == os.Getpid() {
		// The goroutine ran on the main thread, which cannot exit: the
		// runtime parks it for good instead. Try again on another.
		tid = pinAndExit()
	}
	if tid == 0 || tid == os.Getpid() {
		t.Fatalf("pinned goroutine ran on thread %d", tid)
	}
	path := "/proc/self/task/" + strconv.Itoa(tid)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d still exists 10s after its pinned goroutine returned", tid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The next pin forgets the dead thread.
	release, err := PinCPU(c)
	if err != nil {
		t.Fatal(err)
	}
	release()
	pinsMu.Lock()
	_, stale := pins[tid]
	pinsMu.Unlock()
	if stale {
		t.Errorf("dead thread %d still recorded as pinned", tid)
	}
}

func TestCPUMatchesProcfs(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := CPU()
	if err != nil {
		t.Fatal(err)
	}
	if on, err := Online(); err != nil || !on.Contains(c) {
		t.Errorf("CPU() = %d, Online() = %q, %v", c, on, err)
	}
	if th := findThread(t, unix.Gettid()); th.Allowed.IsEmpty() || th.Name == "" {
		t.Errorf("Threads() row for this thread: %+v", th)
	}
}

func TestThreadsSorted(t *testing.T) {
	ts, err := Threads()
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) < 2 {
		t.Fatalf("Threads() found %d threads; a Go program has several", len(ts))
	}
	for i := 1; i < len(ts); i++ {
		if ts[i-1].TID >= ts[i].TID {
			t.Fatalf("Threads() not in TID order: %d before %d", ts[i-1].TID, ts[i].TID)
		}
	}
	if ts[0].TID != os.Getpid() {
		t.Errorf("first thread %d, want the main thread %d", ts[0].TID, os.Getpid())
	}
}
