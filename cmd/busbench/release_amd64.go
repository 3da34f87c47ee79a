//go:build amd64 && !race

package main

import (
	"sync/atomic"
	"unsafe"
)

// storeRelease stores v into w with release ordering only, as the bus
// publishes its cursor and Marks where it can (see bus/fence.go): on
// amd64 a plain MOV, which the CPU (TSO) makes visible after every store
// before it. Unlike atomic.Int64.Store (an XCHG, which waits for the
// line), it lets the writer go on while the line is on its way. The race
// detector cannot tell it from a data race, so race builds use Store.
func storeRelease(w *atomic.Int64, v int64) {
	*(*int64)(unsafe.Pointer(w)) = v
}
