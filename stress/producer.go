package stress

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

// producer publishes one producer's events of a run, numbered from 0, as
// the scenario's publish mode says.
type producer struct {
	r      *run
	id     int
	rng    *rand.Rand
	next   int64 // events written into the ring (fill ran)
	ok     int64 // events whose publish returned nil
	pub    atomic.Int64
	fillFn func(*event, int64)
}

func (pr *producer) fill(e *event, _ int64) {
	*e = event{P: int32(pr.id), N: pr.next, Check: tag(pr.r.s.Seed, pr.id, pr.next)}
	pr.next++
}

func (pr *producer) run() {
	r, b, s := pr.r, pr.r.b, pr.r.s
	if r.plan != nil {
		release, err := affinity.PinProducer(*r.plan, pr.id)
		if err != nil {
			r.failPin(err)
			return
		}
		defer release()
	}
	for pr.ok < int64(s.Events) {
		k := 1
		if s.MaxBatch > 1 {
			k = 1 + pr.rng.IntN(min(s.MaxBatch, s.Events-int(pr.ok)))
		}
		var err error
		switch s.Publish {
		case PublishOne:
			err = b.Publish(pr.fillFn)
		case PublishBatch:
			err = b.PublishBatch(k, pr.fillFn)
		case PublishTry, PublishTryBatch:
			for {
				if k == 1 {
					err = b.TryPublish(pr.fillFn)
				} else {
					err = b.TryPublishBatch(k, pr.fillFn)
				}
				if !errors.Is(err, bus.ErrInsufficientCapacity) {
					break
				}
				runtime.Gosched()
			}
		case PublishNext:
			var lo, hi int64
			if lo, hi, err = b.Next(k); err == nil {
				for seq := lo; seq <= hi; seq++ {
					pr.fill(b.Ring().Get(seq), seq)
				}
				err = b.PublishRange(lo, hi)
			}
		}
		if errors.Is(err, bus.ErrClosed) {
			return
		}
		if err != nil {
			r.violate(Outcome, wholeRun.event(pr.id, pr.ok), fmt.Sprintf("%s of %d returned %v", s.Publish, k, err))
			return
		}
		pr.ok += int64(k)
		if pr.ok != pr.next {
			r.violate(Outcome, wholeRun.event(pr.id, pr.ok), fmt.Sprintf("%s of %d filled %d events", s.Publish, k, pr.next-(pr.ok-int64(k))))
			return
		}
		pr.pub.Store(pr.ok)
		if total := r.published.Add(int64(k)); s.End != EndDrain && total >= int64(s.EndAfter) {
			r.trigOnce.Do(func() { close(r.trigger) })
		}
	}
}

// failPin records that a producer could not pin itself, and stops the run:
// it did not run as the profile says.
func (r *run) failPin(err error) {
	r.mu.Lock()
	if r.pinned == nil {
		r.pinned = err
	}
	r.mu.Unlock()
	r.stop()
}

// pinErr returns the first error of a producer that could not pin itself.
func (r *run) pinErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pinned
}
