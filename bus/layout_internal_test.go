package bus

import (
	"testing"
	"time"
)

// TestWithLayoutSetsPhasedParameters: WithLayout gives the bus a
// PhasedBackoffWait with the layout's parameters.
func TestWithLayoutSetsPhasedParameters(t *testing.T) {
	l := Layout{PadBytes: 64, RingSize: 256, Wait: WaitPhasedBackoff, SpinFor: time.Microsecond, YieldFor: 5 * time.Microsecond, Poll: 8 * time.Microsecond}
	o, err := parseOptions([]Option{WithLayout(l)}, optLast-1)
	if err != nil {
		t.Fatal(err)
	}
	pb, ok := o.wait.(*PhasedBackoffWait)
	if !ok || pb.SpinFor != l.SpinFor || pb.YieldFor != l.YieldFor || pb.Poll != l.Poll {
		t.Errorf("wait strategy %#v, want phased backoff with %v, %v, %v", o.wait, l.SpinFor, l.YieldFor, l.Poll)
	}
}
