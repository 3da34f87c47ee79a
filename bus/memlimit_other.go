//go:build !linux

package bus

// processMemory returns 0 where the memory the process may use is not
// read: New then sets no default limit on a ring.
func processMemory() int64 { return 0 }
