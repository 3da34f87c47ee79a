package probe

import "fmt"

// Fact is one value the probe found together with where it came from. Its
// zero value is an unknown fact.
type Fact[T any] struct {
	// Value is what was found.
	Value T `json:"value"`
	// Source names where Value came from: "cpuid", a kernel file such as
	// "/sys/devices/system/cpu/online", "sched_getaffinity", "runtime", or
	// "derived: ..." for a value computed from other facts. It is empty
	// when nothing could be found, and then Value is the zero value.
	Source string `json:"source,omitempty"`
}

// Known reports whether f was found.
func (f Fact[T]) Known() bool { return f.Source != "" }

func known[T any](v T, source string) Fact[T] { return Fact[T]{Value: v, Source: source} }

// Conflict is a disagreement between two sources about the same fact. The
// probe reports conflicts instead of silently picking a side; the
// recommendation says which side it believed.
type Conflict struct {
	// Topic names the fact: "cache line", "L2 size", "allowed CPUs", ...
	Topic string `json:"topic"`
	// Text says what each source claimed, naming both.
	Text string `json:"text"`
}

// maxNotes bounds the notes of one snapshot. A tree broken in the same
// way on every one of thousands of CPUs gives one note per file name (see
// generic), but values differ from CPU to CPU; past this many, notes are
// counted, not kept.
const maxNotes = 100

// notes collects one-line remarks about what could not be read, without
// repeating the same remark, and at most maxNotes of them.
type notes struct {
	seen    map[string]bool
	list    []string
	dropped int
}

func (n *notes) add(s string) {
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	switch {
	case n.seen[s]:
	case len(n.list) == maxNotes:
		n.dropped++
	default:
		n.seen[s] = true
		n.list = append(n.list, s)
	}
}

// all returns the notes, with a last one counting those not kept.
func (n *notes) all() []string {
	if n.dropped > 0 {
		return append(n.list, fmt.Sprintf("%d more notes not shown: the tree is broken in the same way in many places", n.dropped))
	}
	return n.list
}
