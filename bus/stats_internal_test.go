package bus

import (
	"testing"
	"time"
)

// TestWaitHistogramBuckets: a wait lands in the first bucket whose bound
// is at or above it, and one past the last bound only in the total.
func TestWaitHistogramBuckets(t *testing.T) {
	last := time.Duration(1) << (waitShift + waitBuckets - 1)
	for _, c := range []struct {
		d    time.Duration
		want int // the first bucket counting it; waitBuckets for none
	}{{0, 0}, {1, 0}, {1024, 0}, {1025, 1}, {2048, 1}, {2049, 2}, {time.Millisecond, 10}, {last, waitBuckets - 1}, {last + 1, waitBuckets}} {
		var h waitHistogram
		h.record(c.d)
		p := h.snapshot()
		if p.Waits != 1 || p.WaitTime != c.d {
			t.Errorf("%v: %d waits for %v", c.d, p.Waits, p.WaitTime)
		}
		for i, k := range p.Buckets {
			want := int64(0)
			if i >= c.want {
				want = 1
			}
			if k.Count != want {
				t.Errorf("%v: bucket %d (up to %v) counts %d, want %d", c.d, i, k.UpTo, k.Count, want)
			}
		}
	}
}
