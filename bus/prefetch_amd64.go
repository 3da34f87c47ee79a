package bus

import "unsafe"

// hasPrefetchW reports whether the CPU executes PREFETCHW (CPUID
// 0x80000001, ECX bit 8).
var hasPrefetchW = cpuHasPrefetchW()

// cpuHasPrefetchW asks CPUID whether PREFETCHW is there.
func cpuHasPrefetchW() bool

// prefetchW prefetches the cache lines at a and b for writing.
//
//go:noescape
func prefetchW(a, b unsafe.Pointer)

// prefetchWLines prefetches, for writing, the cache lines at p, p+stride,
// and so on, n of them.
//
//go:noescape
func prefetchWLines(p unsafe.Pointer, stride uintptr, n int)
