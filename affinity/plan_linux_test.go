package affinity

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestConsumerCPU(t *testing.T) {
	plan := Plan{Consumers: []Placement{
		{Name: "journal", CPU: 3},
		{CPU: 5},
		{Name: "replicator", CPU: -1},
		{CPU: 7},
	}}
	tests := []struct {
		name  string
		index int
		cpu   int
		ok    bool
	}{
		{"journal", 0, 3, true},
		{"journal", 3, 3, true},     // name wins over position
		{"", 1, 5, true},            // unnamed placement by position
		{"business", 1, 5, true},    // no placement of that name: by position
		{"business", 0, 0, false},   // position 0 belongs to "journal"
		{"replicator", 1, -1, true}, // name wins
		{"", 3, 7, true},
		{"", 4, 0, false},
		{"", -1, 0, false},
	}
	for _, tc := range tests {
		cpu, ok := consumerCPU(plan, tc.name, tc.index)
		if cpu != tc.cpu || ok != tc.ok {
			t.Errorf("consumerCPU(%q, %d) = %d, %v; want %d, %v", tc.name, tc.index, cpu, ok, tc.cpu, tc.ok)
		}
	}
}

func TestPinPlan(t *testing.T) {
	allowed := mustAllowed(t)
	cpus := allowed.CPUs()
	last := cpus[len(cpus)-1]
	plan := Plan{Consumers: []Placement{
		{Name: "journal", CPU: last},
		{CPU: cpus[0]},
		{Name: "idle", CPU: -1},
		{Name: "broken", CPU: 4096},
	}}
	pin := PinPlan(plan)

	check := func(name string, index int, want CPUSet, label string) {
		t.Helper()
		release, err := pin(name, index)
		if err != nil {
			t.Fatalf("pin(%q, %d): %v", name, index, err)
		}
		if cur, _ := Current(); !cur.Equal(want) {
			t.Errorf("pin(%q, %d): mask %q, want %q", name, index, cur, want)
		}
		th := findThread(t, unix.Gettid())
		if th.Pinned != (label != "") || th.Label != label {
			t.Errorf("pin(%q, %d): thread row %+v, want label %q", name, index, th, label)
		}
		release()
	}
	check("journal", 5, NewCPUSet(last), "journal")
	check("", 1, NewCPUSet(cpus[0]), "consumer 1")
	check("idle", 2, allowed, "")
	check("unplanned", 9, allowed, "")

	release, err := pin("broken", 3)
	if !errors.Is(err, ErrOffline) || release != nil || !strings.Contains(err.Error(), `consumer "broken" (index 3) to cpu 4096`) {
		t.Errorf("pin(broken): %v", err)
	}

	// A no-op release may be called any number of times, from anywhere.
	noop, err := pin("idle", 2)
	if err != nil {
		t.Fatal(err)
	}
	noop()
	noop()
}

func TestPinProducer(t *testing.T) {
	allowed := mustAllowed(t)
	c := allowed.CPUs()[0]
	plan := Plan{Producers: []int{-1, c, 4096}}
	for _, index := range []int{-1, 0, 3} {
		release, err := PinProducer(plan, index)
		if err != nil {
			t.Fatalf("PinProducer(%d): %v", index, err)
		}
		if cur, _ := Current(); !cur.Equal(allowed) {
			t.Errorf("PinProducer(%d) pinned: %q", index, cur)
		}
		release()
	}
	release, err := PinProducer(plan, 1)
	if err != nil {
		t.Fatal(err)
	}
	if cur, _ := Current(); !cur.Equal(NewCPUSet(c)) {
		t.Errorf("PinProducer(1): mask %q, want %d", cur, c)
	}
	if th := findThread(t, unix.Gettid()); th.Label != "producer 1" {
		t.Errorf("PinProducer(1): thread row %+v", th)
	}
	release()
	if _, err := PinProducer(plan, 2); !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), "producer 2 to cpu 4096") {
		t.Errorf("PinProducer(2): %v", err)
	}
}
