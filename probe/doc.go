// Package probe reads a Linux machine's CPU topology and the limits of the
// running process, measures how its cores talk to each other, and
// recommends how to lay out and pin a bus on it, with a reason for every
// decision. It is the library behind the busprobe command.
//
// # Three views
//
// Read returns a Snapshot holding three views of the machine. Every value is
// a Fact that names where it came from, and disagreements between sources
// are listed as Conflicts rather than silently resolved:
//
//   - Hardware: what the processor says through CPUID (vendor, model,
//     hypervisor, cache line and cache sizes, hybrid core types).
//   - OSView: what sysfs says (online, isolated and nohz_full CPUs, packages,
//     cores and SMT siblings, per-CPU caches with their sharing, NUMA nodes
//     and distances, cpu_capacity, frequency governor, efficiency cores).
//   - Process: what limits this process (affinity mask, cgroup v1 or v2 CPU
//     quota and cpuset, GOMAXPROCS).
//
// Snapshot.Usable combines them into the CPUs the process can really use.
//
// # Reading a tree
//
// An FS reads below a root directory. NewDefaultFS reads the running
// machine ("/"); NewFS reads a tree captured elsewhere with Capture (or
// `busprobe -capture DIR`), so the same code serves a user's machine, a bug
// report and a test. Under a captured root every fact comes from the tree,
// the cpuid facts included (busprobe/cpuid.json).
//
// Files that are missing or malformed (containers, old kernels, non-Linux)
// never make Read fail or panic: the affected facts stay unknown and Notes
// says which file and what was assumed. Errors wrap ErrMalformed, ErrMissing,
// ErrSkipped, ErrBadRoot, ErrUnsupported or ErrStalled and name the file or
// value.
//
// The tree, and every path found in it (the cgroup lines of
// /proc/self/cgroup), is untrusted input. Every file access goes through
// one os.Root opened on the FS's root, which confines opens, symbolic
// links included, to the tree; Capture writes only through an os.Root on
// its target. Only regular files are read, at most 64 KiB of each (the
// beginning of /proc/cpuinfo), so a named pipe, a device, a link out of
// the tree or a huge file is a note, never a hang or a large allocation.
// A value no kernel or processor produces (a cache line that is not a
// power of two from 16 to 1024 bytes, a CFS period outside 1 ms..1 s, a
// GOMAXPROCS below 1, a cpuset that does not parse) is a note naming the
// file, the value and what was assumed instead. Parsing is linear in the
// input and a CPU is looked up by index, so a machine of 65536 CPUs reads
// as quickly as its files allow. An online CPU without a topology
// directory is left out of OS.CPUs and of every plan.
//
// CPU lists use affinity.CPUSet, which parses and prints the kernel's
// format ("0-3,8-11") and always yields CPUs in numeric order; the live
// affinity mask comes from affinity.Allowed.
//
// # Measurements
//
// Measure pins pairs of OS threads with affinity.PinCPU and measures the
// CAS round trip between each pair of usable CPUs, repeating runs on fresh
// threads to tell stable figures from bimodal ones (common on VMs), and the
// smallest distance between two counters at which their writers stop
// slowing each other. It is bounded by a time budget, observes its
// context, and every spin in it gives up after a fixed stall timeout. It
// needs Linux and two usable CPUs.
//
// # Recommendation
//
// Recommend is a pure function of a snapshot, optional measurements and the
// shape of the bus (Options). It chooses:
//
//   - the pad: the cache line (sysfs over cpuid, the larger on conflict),
//     128 on x86 for the adjacent-line prefetcher, raised by a measured
//     false-sharing distance;
//   - the ring size: the largest power of two whose events fill half of the
//     consumer's L2 (or its share of a shared cache);
//   - the CPUs: consumers first, then producers, one per physical core of a
//     single L3 and NUMA domain, isolated cores first, never CPU 0's core
//     and never efficiency cores; a thread that cannot get a core of its
//     own is planned -1, "do not pin", rather than doubled up;
//   - the wait strategy: busy-spin only when every thread has its own core,
//     the cgroup quota and GOMAXPROCS leave room for the rest of the
//     program; blocking when the quota cannot feed the spinning threads;
//     phased backoff otherwise.
//
// Recommendation.Profile turns the result into an affinity.Profile, which
// affinity.LoadProfile reads back and affinity.WithProfile applies to a bus.
//
// # Tuning
//
// The rules are right about what a machine's facts imply; whether a
// layout is faster on it is a question for the machine. Candidates lists
// the layouts and plans worth trying for a bus: the default, the
// rule-based recommendation and variants of it (phased backoff's Poll,
// spin and yield phases, the plan against unpinned and other placements,
// ring size, pad, busy-spin where every thread has a CPU). Tune measures
// them with a Trial the caller supplies (busprobe runs the bus in one of
// package scenario's shapes) in interleaved rounds within a time budget,
// and Judge keeps a candidate only when the confidence interval of its
// median per-round ratio to the default lies wholly below 1 minus a
// margin (a sign-test interval, Bonferroni over the candidates); when
// none does, the rule-based profile stands. The evidence, every figure
// included, goes into the profile as affinity.Tuning.
//
// # Example
//
//	fsys := probe.NewDefaultFS()
//	snap, err := fsys.Read()
//	if err != nil {
//		log.Fatal(err)
//	}
//	rec, err := probe.Recommend(snap, nil, probe.Options{Consumers: 2})
//	if err != nil {
//		log.Fatal(err)
//	}
//	for _, r := range rec.Reasons {
//		fmt.Println(r.Topic, r.Text)
//	}
//	profile := rec.Profile(snap)
//	b, _ := profile.MarshalIndent()
//	os.WriteFile("bus-profile.json", b, 0o644)
package probe
