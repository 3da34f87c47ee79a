//go:build !race

package bus

import (
	"runtime"
	"testing"
	"time"
)

// plainStoreLoad is the litmus step with plain stores and loads, which
// neither the compiler nor the processor need keep in order: the planted
// fault the litmus must see. (It races by design, so the race detector's
// builds leave this file out.)
func plainStoreLoad(mine, theirs *int64, v int64) int64 {
	*mine = v
	return *theirs
}

// TestStoreBufferingLitmusSeesPlainReordering shows that the litmus behind
// requireStoreLoadOrder can see the reordering it probes for: with plain
// stores and loads, which x86's store buffer and ARM let a load pass, it
// must see both loads miss in some rounds. A litmus that could not would
// let the store-then-load tests run, and flake, on a machine that
// reorders.
func TestStoreBufferingLitmusSeesPlainReordering(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("the litmus needs two goroutines running at once (GOMAXPROCS >= 2)")
	}
	both, ran := storeBuffering(litmusRounds, 10*time.Second, plainStoreLoad)
	if ran == 0 {
		t.Fatal("the litmus ran no rounds")
	}
	if both == 0 {
		t.Fatalf("plain stores and loads: 0 of %d rounds saw both loads miss; the litmus cannot see a store-load reordering", ran)
	}
	t.Logf("plain stores and loads: %d of %d rounds saw both loads miss", both, ran)
}
