package stress

import (
	"math/rand/v2"
	"time"

	"github.com/eventbus/eventbus/bus"
)

// Generate returns the scenario for seed. The same seed gives the same
// scenario in every process and on every platform (math/rand/v2's PCG).
func Generate(seed uint64) Scenario { return generate(seed, nil) }

// GenerateOn returns the scenario for seed on layout l, as in a profile
// that busprobe wrote: its pad, ring size and wait strategy are l's, and
// every other dimension (graph, producers, publish mode, batches, slow and
// failing handlers, ending) is drawn from the seed around them, as by
// Generate. Run it with Options.Profile set to the profile of l. The same
// seed and layout give the same scenario everywhere.
func GenerateOn(seed uint64, l bus.Layout) Scenario { return generate(seed, &l) }

// generate draws the scenario for seed; a non-nil l fixes its layout.
func generate(seed uint64, l *bus.Layout) Scenario {
	r := rand.New(rand.NewPCG(seed, 0x5eed_b05_5b05_5eed))
	s := Scenario{Seed: seed}
	// Producers: one or two most often, up to eight.
	switch x := r.IntN(10); {
	case x < 3:
		s.Producers = 1
	case x < 6:
		s.Producers = 2
	default:
		s.Producers = 3 + r.IntN(6)
	}
	s.Multi = s.Producers > 1 || r.IntN(3) == 0
	s.Publish = allPublishModes[r.IntN(len(allPublishModes))]
	// Ring sizes from 2 to 4096, tiny rings often: they wrap around and fill
	// up all the time.
	if r.IntN(2) == 0 {
		s.RingSize = 1 << (1 + r.IntN(3)) // 2..8
	} else {
		s.RingSize = 1 << (1 + r.IntN(12)) // 2..4096
	}
	if l != nil {
		s.RingSize = l.RingSize
	}
	s.MaxBatch = 1
	if s.Publish == PublishBatch || s.Publish == PublishTryBatch || s.Publish == PublishNext {
		s.MaxBatch = 1 + r.IntN(min(s.RingSize, 32))
	}
	kinds := bus.WaitKinds()
	s.Wait = kinds[r.IntN(len(kinds))]
	if l != nil {
		s.Pad, s.Wait = l.PadBytes, l.Wait
	}
	if r.IntN(3) == 0 {
		s.BatchLimit = 1 + r.IntN(8)
	}
	s.GOMAXPROCS = 1 + r.IntN(4)

	s.Topology, s.Stages = generateGraph(r)

	total := 200 + r.IntN(3800)
	if s.Wait == bus.WaitBusySpin {
		// Spinners that share a CPU hand over in preemption slices (10ms
		// each): keep their runs short, and shorter still where they
		// outnumber the Ps and the ring is small, so that a run stays under
		// a second or so even under the race detector.
		total = 20 + r.IntN(180)
		if s.goroutines() > s.GOMAXPROCS {
			total = min(total, 4*s.RingSize)
		}
	}

	if r.IntN(4) == 0 {
		s.SlowEvery = 1 + r.IntN(200)
		if r.IntN(2) == 0 {
			s.SlowFor = time.Duration(10+r.IntN(200)) * time.Microsecond
		}
	}
	total = min(total*eventScale(s)/scaleUnit, maxEvents)
	switch {
	case s.SlowEvery == 0:
	case s.Wait == bus.WaitBusySpin && s.goroutines() > s.GOMAXPROCS:
		// A slow handler that sleeps or yields hands its P to a spinner
		// for a whole preemption slice.
		total = min(total, maxSpinSlows*s.SlowEvery)
	case s.SlowFor > 0:
		total = min(total, maxSleeps*s.SlowEvery)
	}
	s.Events = max(1, total/s.Producers)

	// Failing handlers in a third of the scenarios, never in a poller.
	if fallible := s.fallible(); len(fallible) > 0 && r.IntN(3) == 0 {
		s.Fail = FailError
		if r.IntN(2) == 0 {
			s.Fail = FailPanic
		}
		s.FailAt = fallible[r.IntN(len(fallible))]
		if r.IntN(2) == 0 {
			s.Policy = PolicySkip
			s.FailEvery = 2 + r.IntN(50)
		} else {
			s.Policy = PolicyStop
			s.FailEvery = r.IntN(s.Events)
		}
	} else {
		s.Policy = PolicyStop
		if r.IntN(2) == 0 {
			s.Policy = PolicySkip
		}
	}

	switch x := r.IntN(4); {
	case x < 2:
		s.End = EndDrain
	case x == 2:
		s.End = EndShutdown
	default:
		s.End = EndHalt
	}
	if s.End != EndDrain {
		s.EndAfter = r.IntN(s.Events*s.Producers + 1)
	}
	if s.pollers() > 0 && r.IntN(2) == 0 {
		s.PollBreak = 1 + r.IntN(16)
	}
	return s
}

// generateGraph draws a consumer graph from r: its topology's name and
// its stages.
func generateGraph(r *rand.Rand) (string, []Stage) {
	h := func(w int) Stage { return Stage{StageHandlers, w} }
	switch r.IntN(6) {
	case 0:
		return "parallel", []Stage{h(1 + r.IntN(4))}
	case 1:
		st := make([]Stage, 2+r.IntN(3))
		for i := range st {
			st[i] = h(1)
		}
		return "pipeline", st
	case 2:
		st := []Stage{h(2 + r.IntN(2)), h(1)}
		if r.IntN(2) == 0 {
			st = append(st, h(1+r.IntN(2)))
		}
		return "diamond", st
	case 3:
		st := []Stage{{StagePool, 1 + r.IntN(4)}}
		if r.IntN(2) == 0 {
			st = append(st, h(1))
		}
		return "pool", st
	case 4:
		if r.IntN(2) == 0 {
			return "poller", []Stage{{StagePoller, 1 + r.IntN(2)}}
		}
		return "poller", []Stage{h(1 + r.IntN(2)), {StagePoller, 1}}
	default:
		st := []Stage{h(1 + r.IntN(2)), {StagePool, 2 + r.IntN(2)}, h(1)}
		if r.IntN(2) == 0 {
			st = append(st, Stage{StagePoller, 1})
		}
		return "mixed", st
	}
}

// Event counts are drawn from 200 to 4000 and then sized for what an event
// costs in the scenario's configuration: cheap scenarios move many events,
// costly ones do not take the run's time. Profiles of the suite show that
// the time of a run goes into the bus's waits, not into the checks (under
// 2% of CPU, with or without the race detector): an event costs about
// 0.1µs (2 to 4µs under the race detector) with blocking or backoff waits
// in a ring of 256 slots or more, where 4000 events are over in a
// millisecond or two of setup; and 40 to 100µs (300µs under the race
// detector) where yielding or sleeping consumers share a ring of 8 slots or
// fewer with their producers, who hand over every few events.
const (
	// scaleUnit is eventScale's denominator: a scale of scaleUnit keeps the
	// drawn count.
	scaleUnit = 4
	// maxEvents bounds the events of a scenario, so that none takes more
	// than a few seconds under the race detector.
	maxEvents = 1 << 17
	// maxSleeps bounds the sleeps of each slow handler: a sleep of 10µs
	// takes 50µs to a millisecond, whatever it asks for.
	maxSleeps = 128
	// maxSpinSlows bounds the slow events of each handler where busy
	// spinners outnumber the Ps.
	maxSpinSlows = 4
)

// eventScale returns by how much, in quarters, s's drawn event count is
// scaled (see scaleUnit). Busy-spin scenarios are sized where they are
// drawn; slow handlers, and on a multi-producer bus pollers and batch
// limits, are never scaled up.
func eventScale(s Scenario) int {
	if s.Wait == bus.WaitBusySpin {
		return scaleUnit
	}
	// By ring size: 8 slots or fewer, 16 to 128, 256 or more. Yielding and
	// sleeping waits hand over through the scheduler and the timer: an
	// event costs them several times what it costs the others in a ring
	// of the same size.
	scales := [3]int{scaleUnit, 8 * scaleUnit, 64 * scaleUnit}
	if s.Wait == bus.WaitYielding || s.Wait == bus.WaitSleeping {
		scales = [3]int{scaleUnit / 4, scaleUnit, 4 * scaleUnit}
	}
	scale := scales[2]
	switch {
	case s.RingSize <= 8:
		scale = scales[0]
	case s.RingSize <= 128:
		scale = scales[1]
	}
	// On a multi-producer bus a consumer reads the published flag of every
	// slot up to the cursor each time it waits: a poller on each Poll, a
	// processor after each batch. Where a poll breaks early or a batch
	// limit cuts batches short, an event costs in proportion to the ring's
	// size (100µs in a ring of 4096 under the race detector). Slow
	// handlers cost what they sleep.
	if s.SlowEvery > 0 || s.Multi && (s.pollers() > 0 || s.BatchLimit > 0) {
		scale = min(scale, scaleUnit)
	}
	return scale
}
