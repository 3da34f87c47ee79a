//go:build !linux || !amd64 || race

package bus

import "sync/atomic"

const relaxedStoreSupported = false

func registerFence() bool { return false }

func heavyFence() {}

func (s *Sequence) storeRelease(v int64) { s.v.Store(v) }

func storeRelease32(p *atomic.Int32, v int32) { p.Store(v) }

func storeRelease64(p *atomic.Int64, v int64) { p.Store(v) }
