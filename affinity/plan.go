package affinity

import (
	"fmt"
	"slices"

	"github.com/eventbus/eventbus/bus"
)

// PinPlan returns a bus.PinFunc that pins each consumer of a bus to the CPU
// plan gives it. A consumer is matched by name first: the placement whose
// Name equals the consumer's name. Failing that, it takes the placement at
// its index in plan.Consumers, provided that placement has no name (a named
// placement belongs to the consumer of that name). A consumer with no
// placement, or with CPU -1, is not pinned: its release does nothing and may
// be called any number of times. Otherwise the consumer is pinned as by
// PinCPU, and an error names the consumer and wraps the errors of Pin.
//
// The PinFunc must be called on the consumer's own goroutine, as the bus
// does, and release on that same goroutine. Threads lists a consumer's
// thread with the consumer's name as its Label (or "consumer N" when the
// name is empty). PinPlan copies plan, so changing plan afterwards does not
// change the PinFunc, which any number of goroutines may call at once.
func PinPlan(plan Plan) bus.PinFunc {
	plan = Plan{Producers: slices.Clone(plan.Producers), Consumers: slices.Clone(plan.Consumers)}
	return func(name string, index int) (func(), error) {
		cpu, ok := consumerCPU(plan, name, index)
		if !ok || cpu == -1 {
			return noop, nil
		}
		label := name
		if label == "" {
			label = fmt.Sprintf("consumer %d", index)
		}
		release, err := pinCPU(cpu, label)
		if err != nil {
			return nil, fmt.Errorf("affinity: pinning consumer %q (index %d) to cpu %d: %w", name, index, cpu, err)
		}
		return release, nil
	}
}

func consumerCPU(plan Plan, name string, index int) (cpu int, ok bool) {
	if name != "" {
		for _, p := range plan.Consumers {
			if p.Name == name {
				return p.CPU, true
			}
		}
	}
	if index >= 0 && index < len(plan.Consumers) && plan.Consumers[index].Name == "" {
		return plan.Consumers[index].CPU, true
	}
	return 0, false
}

// PinProducer pins the calling goroutine to the CPU that plan gives the
// producer at index, so a producer pins itself with one call and defers the
// release. An index with no entry in plan.Producers, or CPU -1, pins
// nothing and returns a release that does nothing. Otherwise it behaves as
// PinCPU, and Threads lists the thread with Label "producer N".
func PinProducer(plan Plan, index int) (release func(), err error) {
	if index < 0 || index >= len(plan.Producers) || plan.Producers[index] == -1 {
		return noop, nil
	}
	cpu := plan.Producers[index]
	release, err = pinCPU(cpu, fmt.Sprintf("producer %d", index))
	if err != nil {
		return nil, fmt.Errorf("affinity: pinning producer %d to cpu %d: %w", index, cpu, err)
	}
	return release, nil
}

func noop() {}
