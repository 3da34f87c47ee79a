//go:build !amd64

package bus

import "unsafe"

// hasPrefetchW is false where there is no assembly for the prefetch: the
// other architectures have not been measured with one.
const hasPrefetchW = false

func prefetchW(a, b unsafe.Pointer) {}

func prefetchWLines(p unsafe.Pointer, stride uintptr, n int) {}
