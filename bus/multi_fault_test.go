//go:build busfault

package bus_test

import (
	"strings"
	"testing"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// TestCloseDropsClaimIsCaught plants close-drops-claim, a Close that
// releases a producer holding its claim and leaves the claim unpublished,
// and requires closeWhileHolding, the check TestCloseCompletesAHeldClaim
// runs, to catch it: Shutdown can then never drain.
func TestCloseDropsClaimIsCaught(t *testing.T) {
	if err := bus.SetFault("close-drops-claim"); err != nil {
		t.Fatal(err)
	}
	defer bus.SetFault("none")
	for _, k := range []bus.WaitKind{bus.WaitBlocking, bus.WaitYielding} {
		err := closeWhileHolding(k, 100*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "left unpublished") {
			t.Errorf("%s: with close-drops-claim planted, closeWhileHolding = %v, want Shutdown unable to drain", k, err)
		}
	}
}
