//go:build linux && amd64 && !race

package bus

import (
	"sync/atomic"
	"syscall"
	"unsafe"
)

const relaxedStoreSupported = true

// membarrier(2), which the syscall package does not name.
const (
	sysMembarrier                         = 324
	membarrierCmdPrivateExpedited         = 1 << 3
	membarrierCmdRegisterPrivateExpedited = 1 << 4
	membarrierCmdQuery                    = 0
)

// registerFence registers the process for private expedited membarrier
// and reports whether that worked (Linux 4.14 or later, and no seccomp
// filter refusing the call).
func registerFence() bool {
	want := uintptr(membarrierCmdPrivateExpedited | membarrierCmdRegisterPrivateExpedited)
	mask, _, errno := syscall.RawSyscall(sysMembarrier, membarrierCmdQuery, 0, 0)
	if errno != 0 || mask&want != want {
		return false
	}
	_, _, errno = syscall.RawSyscall(sysMembarrier, membarrierCmdRegisterPrivateExpedited, 0, 0)
	return errno == 0
}

// heavyFence makes every running thread of the process execute a full
// memory barrier before it returns.
func heavyFence() {
	if _, _, errno := syscall.Syscall(sysMembarrier, membarrierCmdPrivateExpedited, 0, 0); errno != 0 {
		// Registered, so this cannot fail; carrying on would risk a
		// lost wake-up or a lost event.
		panic("bus: membarrier failed after registering: " + errno.Error())
	}
}

// storeRelease stores v with release ordering only: a plain MOV, which is
// what the runtime's own release store (internal/runtime/atomic.StoreRel64)
// is on amd64. The compiler keeps stores in program order, and the CPU
// (TSO) makes them visible to other cores in that order, so every store
// the producer made before this one is visible to a core that sees it.
// A plain store is not a call: publishCursor inlines into
// SingleProducerSequencer.Publish and into Bus's publish (go build
// -gcflags=-m=2).
func (s *Sequence) storeRelease(v int64) {
	*(*int64)(unsafe.Pointer(&s.v)) = v
}

// storeRelease32 is storeRelease for a multi-producer slot's flag (see
// MultiProducerSequencer.publishRange).
func storeRelease32(p *atomic.Int32, v int32) {
	*(*int32)(unsafe.Pointer(p)) = v
}

// storeRelease64 is storeRelease for a Mark (see mark.go).
func storeRelease64(p *atomic.Int64, v int64) {
	*(*int64)(unsafe.Pointer(p)) = v
}
