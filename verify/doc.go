// Package verify checks the bus's sequencers for linearizability, and
// proves the checks can fail.
//
// The race detector cannot see an atomicity bug built from atomics: an
// atomic load followed by an atomic store, where a compare-and-swap was
// needed, passes -race silently. A linearizability check sees it, because
// it compares what the operations returned with what any sequential
// execution could have returned.
//
// # What is checked
//
// Histories are recorded from the real bus, under real goroutines, never
// from a copy of its logic: RecordSequencer drives a
// SingleProducerSequencer or MultiProducerSequencer with producers that
// claim (Next, TryNext), write, and publish, and consumers that ask their
// barrier what is available, read the events and advance gating
// sequences; RecordBus drives the public Bus end to end, with parallel
// consumers, a pipeline stage and a worker pool, and with events that
// embed bus.Mark (BusConfig.Marked) the single-producer bus publishes
// through its slots' Marks. Each history is checked
// against Porcupine models (github.com/anishathalye/porcupine):
//
//   - ClaimModel: every claim is the contiguous range after the previous
//     one (no overlap, no gap, in an order consistent with real time),
//     never reaches a slot a gating consumer has not passed, and TryNext
//     fails only when the ring really lacked room. The multi-producer Next
//     claims with an atomic add and then waits for room; it linearizes
//     once it has room, so in a multi-producer history a failed TryNext
//     is judged against the claimed prefix plus the slots such waiting
//     claims may hold (History.Held), a weaker check. A second, independent
//     oracle, TileClaims, checks the same claims by sorting them by range;
//     CheckClaims runs both and a history passes only if both agree.
//   - PublishModel: a consumer never observes a slot as available before
//     it was published, and never sees a later slot available while an
//     earlier one is not.
//   - DeliveryModel and PoolModel: each consumer handles every published
//     event exactly once, in sequence order, after the consumers it follows,
//     and reads what the producer wrote; a worker pool handles each event
//     exactly once in total.
//
// Litmuses are litmus tests in the style of jcstress, ported in spirit
// from the LMAX Disruptor's: actors run against fresh state many times,
// and each outcome is counted and graded acceptable, interesting or
// forbidden.
//
// # Timestamps
//
// Each operation is bracketed by two ticks of a Clock, a logical clock
// read from one atomic counter. Go's atomics are sequentially consistent,
// so if one operation ended before another began, their ticks say so on
// every architecture. Wall-clock timestamps do not: on weakly ordered CPUs
// such as ARM64 they give false violations.
//
// # Large histories and long runs
//
// Recorders stop every few hundred claims until the consumers have caught
// up, which leaves quiescent points: instants when no operation is in
// flight. VerifySequencer and VerifyBus check a run as it is recorded: at
// each quiescent point the recorder hands over the stretch just finished,
// in a compact form (40 bytes an operation, no pointers), and the checker
// splits each model's share of it into rounds, computes the state at the
// end of each round from its start (every operation of a round is over
// before the next begins, so applying them in any order gives it), and
// queues the rounds to workers that run Porcupine with the model's Hash
// and a time limit. The queue is bounded: a recorder that runs ahead of
// the checkers waits. A checked round is dropped; only the models' state
// and the last two rounds are kept, so memory stays flat however long the
// run (TestLargeHistory asserts under 100 MiB resident; -verify.big sets
// its size). RecordSequencer, RecordBus and CheckAll keep whole histories,
// for tests that build or inspect one.
//
// On a violation the Result names the round and the configuration and
// seed that replay the run, and Options.HTML names the file that gets
// Porcupine's visualisation of the failing round with the two rounds
// before it (when they still show the violation within the time limit),
// annotated with round boundaries and the replay, capped in size.
//
// The models' sets of published or handled sequences hold their
// contiguous prefix and one run above it per producer (or worker), so
// rings of any size are checked: with the ring a busprobe profile chose,
// for instance (SeqConfig.WithProfile, BusConfig.WithProfile).
//
// # Planted bugs
//
// Built with -tags busfault, the bus package compiles fault branches into
// its sequencers (in normal builds they are constant-false and removed by
// the compiler), and PlantFault selects one: claim-no-cas (the
// multi-producer claim as a load then a store), publish-early (the claim
// is published before the producer writes the event), wrap-off-by-one
// (the wrap point one slot too far), no-gating-check, mark-zero-based
// (a marked bus's Marks hold seq instead of seq+1, so slot 0, never
// written, reads as published for sequence 0) and close-drops-claim
// (Close releases a multi-producer Next that holds its claim, leaving its
// slots unpublished). Each of the first four yields the processor at its
// racy spot half the time, so that it shows with GOMAXPROCS=1 and under
// emulators; mark-zero-based needs no race window, only a consumer that
// looks before the first publish, and close-drops-claim no yield, since
// Close comes from another goroutine while the claim waits. The
// detection test requires each
// fault to be caught in at least 95% of runs at GOMAXPROCS 1, 2 and 4, and
// the correct sequencer never to be flagged.
//
// # What emulation proves
//
// Run under qemu-user on an x86 host (cmd/busverify), the suite checks
// function, 64-bit alignment and byte order on other architectures, not
// their weak memory ordering: qemu runs the guest's memory accesses with
// the host's stronger ordering. Weak-ordering coverage needs native arm64
// or ppc64le hardware; docs/verification.md says how to run the same
// runner there.
package verify
