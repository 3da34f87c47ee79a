package stress

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// watch samples progress until finished is closed. When nothing moves for
// stall, or ctx ends, it halts the bus; it returns true if the run then
// still did not finish within another stall.
func (r *run) watch(ctx context.Context, stall time.Duration, finished <-chan struct{}) (abandoned bool) {
	tick := time.NewTicker(max(stall/50, time.Millisecond))
	defer tick.Stop()
	last, lastAt := r.progress(), time.Now()
	var stoppedAt time.Time
	done := ctx.Done()
	for {
		select {
		case <-finished:
			return false
		case <-done:
			done = nil
			if stoppedAt.IsZero() {
				stoppedAt = time.Now()
				r.stop()
			}
		case <-tick.C:
		}
		if !stoppedAt.IsZero() {
			if time.Since(stoppedAt) > stall {
				msg := fmt.Sprintf("the bus did not stop within %v of Halt", stall)
				r.mu.Lock()
				if r.first != nil && r.first.Invariant == Progress {
					r.first.Detail += "; then " + msg
					r.first.Dump = dumpGoroutines()
				}
				r.mu.Unlock()
				r.violateDump(Progress, msg, dumpGoroutines())
				return true
			}
			continue
		}
		if p := r.progress(); p != last {
			last, lastAt = p, time.Now()
			continue
		}
		if time.Since(lastAt) >= stall {
			r.violateDump(Progress, fmt.Sprintf("nothing moved for %v with %d events published, %d handled; the bus was halted", stall, r.published.Load(), r.handled()), dumpGoroutines())
			stoppedAt = time.Now()
			r.stop()
		}
	}
}

// stop ends the run early: it halts the bus, which releases producers and
// pollers, and cancels Shutdown's context.
func (r *run) stop() {
	r.cancel()
	r.b.Halt()
}

func (r *run) progress() int64 {
	n := r.handled()
	for _, pr := range r.prods {
		n += pr.pub.Load()
	}
	return n
}

func (r *run) handled() int64 {
	var n int64
	for _, c := range r.cons {
		n += c.handled.Load()
	}
	return n
}

func dumpGoroutines() string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= 16<<20 {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}
