package probe_test

import (
	"fmt"

	"github.com/eventbus/eventbus/probe"
)

// Read a captured two-socket server and print what the probe recommends.
func ExampleRecommend() {
	fsys, err := probe.NewFS("testdata/server-2s-smt2")
	if err != nil {
		panic(err)
	}
	snap, err := fsys.Read()
	if err != nil {
		panic(err)
	}
	fmt.Println("usable:", snap.Usable(), "isolated:", snap.OS.Isolated.Value, "from", snap.OS.Isolated.Source)
	rec, err := probe.Recommend(snap, nil, probe.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(rec.Layout.PadBytes, rec.Layout.RingSize, rec.Layout.Wait, rec.Affinity.Producers, rec.Affinity.Consumers)
	for _, r := range rec.Reasons {
		if r.Topic == "wait" {
			fmt.Println(r.Text)
		}
	}
	// Output:
	// usable: 0-31 isolated: 4-7,20-23 from /sys/devices/system/cpu/isolated
	// 128 8192 busy-spin [5] [{ 4}]
	// busy-spin: each of the 2 bus threads has a physical core of its own, no CPU quota, and GOMAXPROCS 32 leaves Ps for the rest of the program
}

// A container limited to 1.5 CPUs must not spin two threads.
func ExampleRecommend_container() {
	fsys, _ := probe.NewFS("testdata/container-1.5cpu")
	snap, _ := fsys.Read()
	fmt.Printf("quota %.1f CPUs from %s, cpuset %s\n", snap.Process.Quota.Value, snap.Process.Quota.Source, snap.Process.Cpuset.Value)
	rec, _ := probe.Recommend(snap, nil, probe.Options{})
	fmt.Println(rec.Layout.Wait)
	// Output:
	// quota 1.5 CPUs from /sys/fs/cgroup/cpu.max, cpuset 2-5
	// blocking
}
