//go:build !amd64 || race

package main

import "sync/atomic"

// storeRelease stores v into w: an atomic Store where a plain store is not
// a release store, and under the race detector (see release_amd64.go).
func storeRelease(w *atomic.Int64, v int64) { w.Store(v) }
