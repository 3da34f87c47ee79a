// Package affinity pins goroutines to CPUs, shows where a program's
// threads really run, and owns the profile file that busprobe writes: the
// machine it was made for (Machine, with CPU sets), the bus's layout
// (bus.Layout), where each goroutine goes (Plan) and why (Reason).
// LoadProfile reads a profile and checks that it fits this machine,
// PinPlan turns its plan into the bus.PinFunc the bus calls on each
// consumer's goroutine, and PinProducer pins a producer. Pinning a
// busy-spinning consumer keeps its cache lines warm on one core and keeps
// two spinners from fighting over one.
//
// CheckFit compares a profile with the bus it is applied to (producers,
// consumers, their names, the event size) and returns an error wrapping
// ErrMismatch for each difference, which a program may log and ignore. A
// profile that `busprobe -tune` measured carries its evidence in Tuning.
//
// # Concepts
//
// A CPUSet is a set of CPU numbers, written as the kernel writes it:
// "0-3,8-11". The allowed set (Allowed) is the CPUs this process may use,
// as narrowed by taskset or a cpuset cgroup; the online set (Online) is the
// CPUs the kernel runs at all. Every CPU a goroutine is pinned to must be
// in both, or Pin fails with ErrNotAllowed or ErrOffline naming the CPU.
//
// Pin locks the calling goroutine to its OS thread and sets that thread's
// affinity mask, then reads it back and checks the CPU the thread runs on,
// so a pin that did not take is an error, never a silent no-op. Its release
// function restores the old mask and unlocks the goroutine.
//
// Threads lists the process's threads from /proc with each one's allowed
// CPUs, the CPU it last ran on and its voluntary and involuntary context
// switches; a thread pinned through PinPlan carries its consumer's name.
//
// # The Go runtime's rules
//
// Goroutines are not threads, and three rules of the runtime shape this
// package:
//
//   - A goroutine that exits while locked to its thread takes the thread
//     with it: the runtime destroys the thread rather than reuse it. That is
//     the right ending for a pinned consumer: its goroutine returns without
//     calling release, and the pinned thread is gone with it. (The main
//     thread cannot exit; if the goroutine happens to run on it, the
//     runtime parks that thread for good, which is as harmless.) A
//     goroutine that goes on to do other work must call release instead.
//   - Threads started later do not inherit the mask. While a goroutine is
//     locked the runtime starts new threads from a template thread, not
//     from the locked one, so pinning one goroutine never narrows the rest
//     of the program. (A mask set from outside before the program starts,
//     with taskset, does apply to every thread.)
//   - Locked goroutines are still preempted. The Go scheduler still stops a
//     long-running locked goroutine (every 10ms or so) to let others run
//     and for garbage collection, and its thread then idles until the
//     goroutine runs again. The kernel still preempts the thread for other
//     threads and processes on the same CPU: pinning says where a thread
//     may run, not that it runs alone. Watch Thread.Involuntary; reserve
//     CPUs with isolcpus or a cpuset to run alone.
//
// A pinned goroutine also holds one of GOMAXPROCS Ps while it runs, so a
// program with as many spinning pinned consumers as Ps starves the rest.
//
// # Platforms
//
// Pinning and thread listing work on Linux. The package builds everywhere;
// on other systems Pin, PinPlan's PinFunc (for a planned CPU), PinProducer,
// Current, CPU, Allowed, Online and Threads return ErrUnsupported, and a bus
// may run unpinned. CPU numbers above MaxCPU are not supported.
//
// # Example
//
// A program loads its profile once, gives the bus the PinFunc of the plan,
// pins its producer, and can then look at where its threads sit:
//
//	p, err := affinity.LoadProfile("layout.json")
//	if err != nil {
//		log.Fatal(err) // names the file and what does not fit this machine
//	}
//	pin := affinity.PinPlan(p.Affinity) // the bus calls pin on each consumer's goroutine
//
//	go func() { // a consumer, as the bus runs it
//		release, err := pin("journal", 0)
//		if err != nil {
//			log.Print(err)
//			return
//		}
//		defer release()
//		// handle events
//	}()
//
//	release, err := affinity.PinProducer(p.Affinity, 0) // the producer pins itself
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer release()
//	// publish events
//
//	threads, _ := affinity.Threads()
//	for _, t := range threads {
//		if t.Pinned {
//			fmt.Printf("%s: tid %d cpus %s, last on %d, preempted %d times\n",
//				t.Label, t.TID, t.Allowed, t.LastCPU, t.Involuntary)
//		}
//	}
package affinity
