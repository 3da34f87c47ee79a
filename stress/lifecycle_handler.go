package stress

// This file holds the handlers of the lifecycle scenarios: consumers that
// record what they handled, and one whose callbacks fail, panic or stick.

import (
	"errors"
	"sync"
)

// lifeEvent is the event of the lifecycle scenarios: the id of the
// publish that wrote it, from 1 (0 is a slot no publish wrote).
type lifeEvent struct{ id int64 }

// lifeConsumer records the ids one consumer handled.
type lifeConsumer struct {
	name    string
	ordered bool // a processor or poller of a single producer: ids must rise
	mu      sync.Mutex
	ids     []int64
}

func (c *lifeConsumer) add(id int64) {
	c.mu.Lock()
	c.ids = append(c.ids, id)
	c.mu.Unlock()
}

func (c *lifeConsumer) OnEvent(e *lifeEvent, _ int64, _ bool) error { c.add(e.id); return nil }

// Name implements bus.Namer.
func (c *lifeConsumer) Name() string { return c.name }

// lifeHooked is a consumer with every lifecycle hook, one of which panics
// (callback), and which can be made to stop responding (stuckAt).
type lifeHooked struct {
	lifeConsumer
	callback string
	stuckAt  int64 // the id it stops at; 0 means never
	entered  chan struct{}
	release  chan struct{}
	once     sync.Once
}

// unstick lets a stuck OnEvent return; it may be called more than once.
func (h *lifeHooked) unstick() { h.once.Do(func() { close(h.release) }) }

func (h *lifeHooked) OnStart() error {
	if h.callback == "start" {
		panic("lifecycle: OnStart")
	}
	return nil
}

func (h *lifeHooked) OnShutdown() {
	if h.callback == "shutdown" {
		panic("lifecycle: OnShutdown")
	}
}

func (h *lifeHooked) OnTimeout(int64) error {
	switch h.callback {
	case "timeout":
		panic("lifecycle: OnTimeout")
	case "policy":
		return errors.New("lifecycle: OnTimeout failed")
	}
	return nil
}

func (h *lifeHooked) OnEvent(e *lifeEvent, _ int64, _ bool) error {
	if h.stuckAt != 0 && e.id == h.stuckAt {
		close(h.entered)
		<-h.release
	}
	h.add(e.id)
	return nil
}
