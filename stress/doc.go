// Package stress runs randomized scenarios against the bus package and
// checks, on every run, that nothing is lost, duplicated or reordered: a
// suite for users to run in CI, under the race detector, for as long as
// they like.
//
// # Scenarios
//
// Generate derives a Scenario from a seed: 1 to 8 producers (a single- or
// multi-producer bus) publishing with Publish, PublishBatch, TryPublish,
// TryPublishBatch or Next and PublishRange; a consumer graph (parallel
// handlers, a pipeline, a diamond, a worker pool, pollers, or a mix of
// them); a ring of 2 to 4096 slots, tiny ones often, so that it wraps
// around and fills up all the time; every wait strategy of bus.WaitKinds;
// a batch limit; GOMAXPROCS from 1 to 4; handlers that are slow, that
// return errors or panic, under StopOnError or SkipOnError; and an ending:
// Shutdown after everything was published, Shutdown while producers are
// still publishing, or Halt while they are. Run builds that bus, runs it and
// checks it.
//
// The time of a run goes into the bus's waits, not into the checks (they
// take under 2% of its CPU, with the race detector or without): an event
// costs about 0.1µs in a large ring with blocking waits, and a hundred
// times that where yielding or sleeping consumers share a ring of a few
// slots with their producers, or where busy spinners outnumber the Ps and
// hand over in 10ms preemption slices. So the event count, drawn from 200
// to 4000, is sized for the scenario's configuration: up to 64 times more
// (at most 131072) in rings of 256 slots or more, a quarter for yielding
// and sleeping waits on rings of 8 slots or fewer, a few ring-fulls for
// busy spinners that outnumber the Ps, at most 128 sleeps for each slow
// handler, and no more for pollers and batch limits on a multi-producer
// bus (their consumers rescan the ring's published flags every few
// events). Cheap scenarios move many events, and costly ones, still drawn
// as often, do not take the run's time.
//
// # Profiles
//
// GenerateOn draws a scenario on a given layout, the one a machine profile
// (package affinity, written by busprobe -o) chose: its pad, ring size and
// wait strategy, with every other dimension drawn around them. Run it with
// Options.Profile, and its consumers and producers are pinned to the CPUs
// of the profile's plan: the bus is checked as it will run in production.
//
// # Invariants
//
// Every event carries its producer, the producer's counter and a check word,
// and each consumer marks the events it handled. Run reports a *Violation
// naming the Invariant, the consumer, the producer and the event when:
//
//   - an event whose Publish returned nil was not handled by every consumer
//     after Shutdown returned nil (Lost), or a consumer skipped one;
//   - a consumer, or a worker pool as a whole, handled an event twice
//     (Duplicated), or saw a producer's events out of order (Reordered;
//     workers of a pool are exempt, the pool must see each exactly once);
//   - a consumer's sequence went backwards or skipped (ForwardOnly);
//   - a slot held something no producer wrote (Integrity);
//   - a consumer handled an event before, or without, a consumer it
//     follows (Dependency);
//   - a handler's OnStart and OnShutdown hooks did not run exactly once,
//     before its first event and after its last (Lifecycle);
//   - the bus ended with the wrong error: StopOnError must end the run
//     with the failing handler's *bus.EventError, anything else with nil;
//     Publish after the end must return bus.ErrClosed (Outcome);
//   - nothing was published or handled for Options.Stall while work was
//     pending (Progress): the watchdog dumps every goroutine into the
//     violation, halts the bus and ends the run, so that a deadlock or a
//     livelock fails the run instead of timing out the CI job;
//   - a goroutine outlived the run (Leak, checked with go.uber.org/goleak).
//
// Which events must be handled depends on the ending. After a Shutdown that
// returned nil, every event published with a nil error is handled by every
// consumer exactly once (with SkipOnError the failed events too: the
// policy skips an event for the failing consumer only, so downstream
// consumers still see it). After Halt, or after StopOnError stopped the bus,
// each consumer has seen a prefix: no duplicates, no reordering, forward
// only, and nothing a consumer it follows had not handled.
//
// # Seeds and replay
//
// A Scenario prints on one line, seed first, and every violation names the
// seed: Generate(seed) gives the same scenario on every machine, so
//
//	go test ./stress -run TestScenarios -stress.seed=SEED
//	go run ./cmd/busstress -seed SEED
//
// replay it. The interleaving of goroutines is not replayed (that is the
// scheduler's), only the scenario; a scenario that fails once in many runs
// fails again under busstress -seed SEED -repeat N.
//
// # In CI
//
// go test ./stress runs about three seconds of scenarios from seed 1, plus
// deterministic tests of the blocking and timeout wait strategies and of the
// shutdown paths under testing/synctest. Give the race detector a longer
// budget, and a fresh base seed for new coverage on every run; -v prints
// the events moved and the scenarios run:
//
//	go test -race ./stress -run TestScenarios -stress.budget=2m -stress.base=$RANDOM -timeout 5m -v
//
// Add -stress.profile=FILE to run every scenario on a machine profile. For
// soak tests, go run ./cmd/busstress -duration 1h shows progress, prints a
// report (-json for a machine) when it ends or is interrupted, and exits
// non-zero on any violation.
package stress
