//go:build !linux || !amd64 || race

package bus

const relaxedStoreSupported = false

func registerFence() bool { return false }

func heavyFence() {}

func (s *Sequence) storeRelease(v int64) { s.v.Store(v) }
