// Package bus is an LMAX-style disruptor: a preallocated ring of events
// shared by producers and consumers that coordinate through sequence
// numbers instead of locks or channels, with no allocation per event.
//
// # Concepts
//
// A [Ring] holds the events; sequence s lives in slot s & (size-1), and
// producers and consumers read and write slots in place through pointers.
//
// A sequencer hands out sequences to producers: [SingleProducerSequencer]
// for one producing goroutine (no atomic read-modify-write on a claim) and
// [MultiProducerSequencer] for many (Next claims with one atomic add on
// the cursor and then waits for room, TryNext with a compare-and-swap, and
// a per-slot flag holding each slot's lap number, so consumers never see a
// slot before its own producer published it). Next(n) claims n slots,
// waiting while the ring is full; TryNext(n) returns
// [ErrInsufficientCapacity] instead of waiting; Publish(lo, hi) makes the
// claimed slots visible. A producer never overwrites a slot that a gating
// consumer has not passed.
//
// A [Sequence] is a padded counter. Each consumer owns one and advances it
// after each batch; the sequencer's gating sequences and downstream
// barriers read them. Sequences are laid out pad bytes apart (64, 128 or
// 256, chosen at construction; see [DefaultPad] and [WithPad]) so that no
// two hot counters share a cache line.
//
// A [Barrier] is what a consumer waits on: WaitFor(seq) returns the highest
// available sequence, which may be well past seq, so consumers handle
// everything available as one batch. It waits with a [WaitStrategy] only
// when the sequence is not available yet: [BusySpinWait], [YieldingWait],
// [SleepingWait], [BlockingWait], [TimeoutBlockingWait] and
// [PhasedBackoffWait] trade latency against CPU, and each doc comment says
// when to use it.
//
// A [BatchEventProcessor] runs a [Handler] for each event, in sequence
// order, on its own goroutine. A handler that also implements
// [BatchHandler] gets each batch as slices of the ring instead, one call
// per run of events: the fastest way to consume, since Go cannot inline an
// interface call made per event.
//
// [Bus] puts these together: New with options, consumer graphs
// (HandleEventsWith for parallel consumers, Then for pipelines and
// diamonds, HandleEventsWithWorkerPool for a pool in which each event goes
// to one worker, NewPoller for a consumer driven by the caller's
// goroutine), Publish with a function that fills the event in place
// (PublishBatch and PublishSlices for many at once), Shutdown that loses
// nothing, Close, Halt, and error policies for handlers that fail or
// panic. An event type that embeds [Mark] is published through its slot,
// so that a hand-off moves one cache line instead of two.
//
// # Guarantees
//
// Publish synchronizes before any WaitFor (and so any handler call) that
// observes the published sequence, through the cursor or through the
// slot's Mark: a producer's writes to a slot before Publish are visible
// to every consumer that handles it. A handler's writes
// for sequence s synchronize before the handler calls of consumers added
// after it with Then, for s. Consumers see a sequence only once it and
// every sequence before it are published.
//
// On linux/amd64 the sequencers publish with release stores (plain MOVs
// of the cursor, or of a multi-producer slot's flag), not Go's
// sequentially consistent XCHG, and the rare
// operations that need a store-then-load order against a publish (a
// consumer parking, Close and Shutdown) run an asymmetric fence
// (membarrier) instead; the guarantees above hold either way. See
// fence.go.
//
// # The contract
//
// A nil return from Publish, PublishBatch, TryPublish, PublishContext or
// PublishRange means that every consumer that should see the event
// handles it, unless the bus reports otherwise: a Halt, a failure, or a
// Shutdown abandoned at its context's end (see State). In memory-model
// terms: the return of Publish synchronizes before the handler call of
// each consumer that should see the event, and those calls happen before
// Shutdown returns nil. A consumer should see the events published after
// it was added (and a consumer added with Then also those its upstream
// consumers had not handled yet); this holds before Start too:
// consumers gate the ring from the moment they are added, as in the LMAX
// Disruptor, so events published before Start wait in the ring, and a
// Publish on a full ring waits for Start and the consumers to make room,
// or for Shutdown, Close or Halt to release it with ErrClosed.
//
// Every user callback runs under the same containment: OnEvent, OnBatch,
// OnStart, OnTimeout, OnShutdown, the error policy and the pin function.
// An error or a panic becomes an *EventError (a *PanicError inside for a
// panic) that names the handler and the Phase, and takes the documented
// path: the error policy for OnEvent, OnBatch and OnTimeout, a failed bus
// for the others. Start returns a failure of the pin or of OnStart and
// leaves the bus ended. A fill function that panics has its claim marked
// as skipped, so that no handler sees the unfilled slot and no producer
// waits on it, and the panic goes on in the caller (see Publish).
//
// Every wait has an exit: producers blocked on a full ring return
// [ErrClosed] after Shutdown, Close or Halt, and their context's error
// with PublishContext and NextContext (a Bus claims nothing until its ring
// has room, so Close releases its producers at once; only a raw
// MultiProducerSequencer.Next holds a claim while it waits, see there);
// consumers' waits return
// [ErrHalted] after Halt, whatever the wait strategy's parameters; and
// Shutdown never waits past its context, like http.Server.Shutdown.
//
// A bus ends once, in one [State]: drained (Shutdown returned nil),
// halted, failed (with the failure) or abandoned (Shutdown's context
// ended first; a *ShutdownError counts the events left unhandled and
// names the consumers not done). Shutdown, Wait and Err return the same
// error. A ring whose slots would take more than [MaxRingBytes] (half the
// memory the process may use) is refused by New.
//
// # Example
//
//	b, _ := bus.New[Trade](bus.WithSize(1024))
//	b.HandleEventsWith(journal, replicate).Then(businessLogic)
//	b.Start()
//	b.Publish(func(t *Trade, seq int64) { t.Price, t.Qty = 100, 5 })
//	err := b.Shutdown(ctx)
//
// Bad arguments (a ring size that is not a power of two, a claim larger
// than the ring, publishing a range that was not claimed) return errors
// wrapping [ErrInvalid] that name the value; programming errors that cannot
// be returned panic with a message starting with "bus: ".
package bus
